// The example config `npm start` serves: one instance, fs storage under .data/, gateway keys
// from the api-key plugin (`switchyard keys create --name me`). Upstreams switch on when their
// key is in the environment (or .env). See docs/guide/configuration.md; `npm run demo` runs
// the whole loop against fake upstreams with no accounts at all.
import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
import openaiCompatible from "switchyard/plugins/providers/openai-compatible";

const anthropicKey = process.env.ANTHROPIC_API_KEY;
const openaiKey = process.env.OPENAI_API_KEY;

export default defineGatewayConfig({
  server: { host: "127.0.0.1", port: 8787 },
  storage: { driver: "fs", base: ".data" },
  providers: [
    anthropicKey && anthropicApi({ keys: [anthropicKey] }),
    openaiKey && openaiCompatible({ baseURL: "https://api.openai.com/v1", keys: [openaiKey], models: ["gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o-mini"] }),
  ],
  auth: [apiKey()],
  routes: [
    ...(anthropicKey ? [{ models: "claude-*", provider: "anthropic-api" }] : []),
    ...(openaiKey ? [{ models: ["gpt-*", "o3*", "o4-*"], provider: "openai-compatible" }] : []),
  ],
  logging: { level: "info" },
  $development: { logging: { level: "debug" } },
});
