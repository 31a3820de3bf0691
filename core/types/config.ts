import type { C12InputConfig } from "c12";
import type { LogLevel } from "../logger.ts";
import type { StorageOptions } from "../storage.ts";
import type { PluginInput } from "./plugin.ts";

/** Options of the HTTP server. */
export interface ServerOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host: string;
  /** TCP port. Default `8787`. */
  port: number;
  /** Budget for the storage round trip behind `GET /ready`, in ms. Default `1000`. */
  readyTimeoutMs: number;
  /** Largest request body accepted, in bytes. Default 32 MiB (Anthropic's own limit). */
  bodyLimitBytes: number;
}

/** Price of one model in USD per million tokens. */
export interface ModelPricing {
  input: number;
  output: number;
  cacheWrite?: number;
  cacheRead?: number;
}

/** Send requests for matching models to one provider. First match wins. */
export interface RouteRule {
  /** Glob pattern(s) on the requested model id, e.g. `claude-*`. */
  models: string | string[];
  /** Name of a configured provider plugin. */
  provider: string;
}

/** Log output. */
export interface LoggingOptions {
  /** Default `info` (`debug` in development). */
  level: LogLevel;
  /** `pretty` for people, `json` (one object per line) for log shipping. Default `pretty`. */
  format: "pretty" | "json";
}

/** The resolved form of every option, defaults applied. */
export interface ResolvedGatewayConfig {
  server: ServerOptions;
  storage: StorageOptions;
  providers: PluginInput[];
  auth: PluginInput[];
  plugins: PluginInput[];
  routes: RouteRule[];
  pricing: Record<string, ModelPricing>;
  logging: LoggingOptions;
  /** Absolute project root: where the config file lives; package names resolve from here. */
  rootDir: string;
}

/** What `gateway.config.ts` exports: every key optional, plus c12's `$development`/`$production`/`$env`. */
export interface GatewayConfig extends C12InputConfig<GatewayConfig> {
  server?: Partial<ServerOptions>;
  storage?: StorageOptions;
  /** Upstream provider plugins. */
  providers?: PluginInput[];
  /** Auth plugins, tried in order. */
  auth?: PluginInput[];
  /** Extension plugins (hooks, extra routes). */
  plugins?: PluginInput[];
  routes?: RouteRule[];
  pricing?: Record<string, ModelPricing>;
  logging?: Partial<LoggingOptions>;
}
