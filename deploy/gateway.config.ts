// The config the Docker image serves (copied to /app/gateway.config.ts by deploy/Dockerfile).
// The example gateway.config.ts, made for a server: listens on every interface, JSON logs,
// Redis when REDIS_URL is set (every instance on the same Redis and SWITCHYARD_SECRET),
// otherwise one SQLite file in /app/.data. Mount your own file over it to change anything else.
// See docs/guide/deployment.md.
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

const list = (value: string | undefined) => value?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];

const anthropicKey = process.env.ANTHROPIC_API_KEY;
const openaiKey = process.env.OPENAI_API_KEY;
const openrouterKeys = list(process.env.OPENROUTER_API_KEYS);
const openrouterManagementKey = process.env.OPENROUTER_MANAGEMENT_KEY;
const openrouter = openrouterKeys.length > 0 || Boolean(openrouterManagementKey);
const linuxdo = process.env.LINUXDO_CLIENT_ID && process.env.LINUXDO_CLIENT_SECRET ? { clientId: process.env.LINUXDO_CLIENT_ID, clientSecret: process.env.LINUXDO_CLIENT_SECRET } : undefined;
const redisUrl = process.env.REDIS_URL;

export default defineGatewayConfig({
  // Behind a reverse proxy, list its address range(s) in TRUSTED_PROXIES (comma-separated CIDRs).
  server: { host: "0.0.0.0", port: 8787, trustedProxies: list(process.env.TRUSTED_PROXIES) },
  storage: redisUrl
    ? { driver: "redis", url: redisUrl, ...(process.env.REDIS_PREFIX ? { base: process.env.REDIS_PREFIX } : {}) }
    : { driver: "sqlite", path: ".data/switchyard.sqlite" },
  providers: [
    anthropicKey && anthropicApi({ keys: [anthropicKey] }),
    openaiKey && openaiCompatible({ baseURL: "https://api.openai.com/v1", keys: [openaiKey], dialects: ["openai-responses", "openai-chat"], models: ["gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o-mini"] }),
    claudeOAuth(),
    codexOAuth(),
    openrouter && openrouterPool({ keys: openrouterKeys, ...(openrouterManagementKey ? { managementKey: openrouterManagementKey } : {}) }),
  ],
  // People: admins log in with a password (+ TOTP); create the first with `switchyard admin create`.
  auth: [apiKey(), jwtAdmin(), totp(), linuxdo && linuxdoConnect(linuxdo)],
  routes: [
    { models: "claude-*", provider: anthropicKey ? "anthropic-api" : "claude-oauth" },
    { models: ["gpt-*", "o3*", "o4-*", "codex-*"], provider: openaiKey ? "openai-compatible" : "codex-oauth" },
    ...(openrouter ? [{ models: "*/*", provider: "openrouter-pool" }] : []),
  ],
  logging: { level: "info", format: "json" },
});
