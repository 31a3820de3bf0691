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
  /**
   * CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed (e.g. `["127.0.0.1/32"]`
   * behind a local nginx). Default `[]`: the socket address is the client.
   */
  trustedProxies: string[];
  /** On SIGTERM, how long open requests and streams may run before their sockets are closed. Default `30000`. */
  shutdownTimeoutMs: number;
  /** Relayed streams open at once on this instance before new relay requests get a fast 503. `0`: no limit. Default `4096`. */
  maxOpenStreams: number;
  /** V8 heap in MiB above which new relay requests get a fast 503. `0`: no limit (default). */
  maxHeapMb: number;
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
  /** Model id sent upstream instead of the requested one (an alias, e.g. `sonnet` → `claude-sonnet-4-5`). */
  model?: string;
}

/** How the relay schedules, fails over and accounts. */
export interface RelayOptions {
  /** Distinct accounts tried for one request before giving up (failover budget). Default `3`. */
  maxAccountsPerRequest: number;
  /** How long a session sticks to its account, renewed on use. Default 1 h. */
  stickySessionTtlMs: number;
  /** First cooldown after a 429 without a reset header; doubles per repeat. Default 1 s. */
  cooldownBaseMs: number;
  /** Longest cooldown without a reset header. Default 10 min. */
  cooldownMaxMs: number;
  /** Cooldown after 529/overloaded (the account itself is fine). Default 5 s. */
  overloadCooldownMs: number;
  /** Lease of a concurrency slot; renewed while a request runs, reclaimed after a crash. Default 60 s. */
  slotLeaseMs: number;
  /** How often usage aggregated in memory is written to storage. Default 1 s (what a crash can lose). */
  usageFlushMs: number;
  /**
   * Extra path prefixes under which the relay endpoints are mounted too, for clients set up for
   * other relays (claude-relay-service: `["/api", "/claude", "/openai"]`). Same handlers, same
   * guards. Default `[]`.
   */
  legacyPrefixes: string[];
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
  relay: RelayOptions;
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
  relay?: Partial<RelayOptions>;
}
