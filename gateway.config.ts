// The example config `npm start` serves: one instance, fs storage under .data/, gateway keys
// from the api-key plugin (`switchyard keys create --name me`), the console at /console. Subscription accounts are
// onboarded at run time (`switchyard accounts add claude-oauth` / `codex-oauth`); API-key
// upstreams switch on when their key is in the environment (or .env). See
// docs/guide/configuration.md; `npm run demo` runs the whole loop against fake upstreams.
import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import jwtAdmin from "switchyard/plugins/auth/jwt-admin";
import linuxdoConnect from "switchyard/plugins/auth/linuxdo-connect";
import totp from "switchyard/plugins/auth/totp";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
import claudeOAuth from "switchyard/plugins/providers/claude-oauth";
import codexOAuth from "switchyard/plugins/providers/codex-oauth";
import openaiCompatible from "switchyard/plugins/providers/openai-compatible";
import openrouterPool from "switchyard/plugins/providers/openrouter-pool";

const anthropicKey = process.env.ANTHROPIC_API_KEY;
const openaiKey = process.env.OPENAI_API_KEY;
const openrouterKeys = process.env.OPENROUTER_API_KEYS?.split(",").filter(Boolean) ?? [];
const openrouterManagementKey = process.env.OPENROUTER_MANAGEMENT_KEY;
const openrouter = openrouterKeys.length > 0 || Boolean(openrouterManagementKey);
const linuxdo = process.env.LINUXDO_CLIENT_ID && process.env.LINUXDO_CLIENT_SECRET ? { clientId: process.env.LINUXDO_CLIENT_ID, clientSecret: process.env.LINUXDO_CLIENT_SECRET } : undefined;

export default defineGatewayConfig({
  server: { host: "127.0.0.1", port: 8787 },
  storage: { driver: "fs", base: ".data" },
  providers: [
    anthropicKey && anthropicApi({ keys: [anthropicKey] }),
    openaiKey && openaiCompatible({ baseURL: "https://api.openai.com/v1", keys: [openaiKey], models: ["gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o-mini"] }),
    claudeOAuth(),
    codexOAuth(),
    openrouter && openrouterPool({ keys: openrouterKeys, ...(openrouterManagementKey ? { managementKey: openrouterManagementKey } : {}) }),
  ],
  // People: admins log in with a password (+ TOTP); create the first with `switchyard admin create`.
  auth: [apiKey(), jwtAdmin(), totp(), linuxdo && linuxdoConnect(linuxdo)],
  routes: [
    // An API key, when set, serves its family; otherwise the subscription accounts do.
    { models: "claude-*", provider: anthropicKey ? "anthropic-api" : "claude-oauth" },
    { models: ["gpt-*", "o3*", "o4-*", "codex-*"], provider: openaiKey ? "openai-compatible" : "codex-oauth" },
    // OpenRouter ids name their vendor: `anthropic/claude-sonnet-4.5`.
    ...(openrouter ? [{ models: "*/*", provider: "openrouter-pool" }] : []),
  ],
  logging: { level: "info" },
  $development: { logging: { level: "debug" } },
});
