import type { LoggingOptions, ServerOptions } from "../types/config.ts";
import type { StorageOptions } from "../storage.ts";

/** Every default of the gateway config, in one place. */
export const GatewayDefaults: {
  server: ServerOptions;
  storage: StorageOptions;
  logging: LoggingOptions;
} = {
  server: {
    host: "127.0.0.1",
    port: 8787,
    readyTimeoutMs: 1000,
    bodyLimitBytes: 32 * 1024 * 1024,
  },
  storage: { driver: "fs", base: ".data" },
  logging: { level: "info", format: "pretty" },
};

/** Top-level keys a config may have (besides c12's `$development`, `$production`, `$test`, `$env`). */
export const CONFIG_KEYS = ["server", "storage", "providers", "auth", "plugins", "routes", "pricing", "logging"] as const;
