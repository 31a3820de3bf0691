import { resolve } from "pathe";
import type { GatewayConfig, ResolvedGatewayConfig } from "../types/config.ts";
import { CONFIG_KEYS } from "./defaults.ts";
import { ConfigIssues, checkKnownKeys, isRecord } from "./issues.ts";
import { applyEnvOverrides } from "./resolvers/env.ts";
import { resolveLoggingOptions } from "./resolvers/logging.ts";
import { resolvePluginList } from "./resolvers/plugins.ts";
import { resolvePricing } from "./resolvers/pricing.ts";
import { resolveRoutes } from "./resolvers/routes.ts";
import { resolveRelayOptions } from "./resolvers/relay.ts";
import { resolveServerOptions } from "./resolvers/server.ts";
import { resolveStorageOptions } from "./resolvers/storage.ts";

/** Where the config came from and what overrides it. */
export interface ResolveOptions {
  /** Project root; package names and relative paths resolve from here. Default `process.cwd()`. */
  rootDir?: string;
  /** Environment for `GATEWAY_*` overrides. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Named in the error message, e.g. the config file path. */
  source?: string;
}

/**
 * Validate a user config and apply defaults, reporting every problem at once as a
 * `ConfigError`. Never modifies `input`.
 */
export function resolveGatewayConfig(input: GatewayConfig | undefined, options: ResolveOptions = {}): ResolvedGatewayConfig {
  const issues = new ConfigIssues();
  if (input !== undefined && !isRecord(input)) {
    issues.add("", "an object (export default defineGatewayConfig({...}))", input);
    issues.throwIfAny(options.source);
  }
  const raw = applyEnvOverrides(withoutEnvKeys((input ?? {}) as Record<string, unknown>), options.env ?? process.env);
  checkKnownKeys(issues, "", raw, CONFIG_KEYS);
  const config: ResolvedGatewayConfig = {
    server: resolveServerOptions(raw.server, issues),
    storage: resolveStorageOptions(raw.storage, issues),
    providers: resolvePluginList("providers", raw.providers, issues),
    auth: resolvePluginList("auth", raw.auth, issues),
    plugins: resolvePluginList("plugins", raw.plugins, issues),
    routes: resolveRoutes(raw.routes, issues),
    pricing: resolvePricing(raw.pricing, issues),
    logging: resolveLoggingOptions(raw.logging, issues),
    relay: resolveRelayOptions(raw.relay, issues),
    rootDir: resolve(options.rootDir ?? process.cwd()),
  };
  issues.throwIfAny(options.source);
  return config;
}

// --- internal ---

// c12 has already merged the layer for the current environment; the rest are inert here.
const C12_ENV_KEYS = new Set(["$development", "$production", "$test", "$env", "$meta"]);

function withoutEnvKeys(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (!C12_ENV_KEYS.has(key)) out[key] = value;
  return out;
}
