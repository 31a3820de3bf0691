import type { LoggingOptions, RelayOptions, ServerOptions } from "../types/config.ts";
import type { StorageOptions } from "../storage.ts";

/** Every default of the gateway config, in one place. */
export const GatewayDefaults: {
  server: ServerOptions;
  storage: StorageOptions;
  logging: LoggingOptions;
  relay: RelayOptions;
} = {
  server: {
    host: "127.0.0.1",
    port: 8787,
    readyTimeoutMs: 1000,
    bodyLimitBytes: 32 * 1024 * 1024,
    trustedProxies: [],
    shutdownTimeoutMs: 30_000,
    maxOpenStreams: 4096,
    maxHeapMb: 0,
  },
  storage: { driver: "fs", base: ".data" },
  logging: { level: "info", format: "pretty" },
  relay: {
    maxAccountsPerRequest: 3,
    stickySessionTtlMs: 3_600_000,
    cooldownBaseMs: 1000,
    cooldownMaxMs: 600_000,
    overloadCooldownMs: 5000,
    slotLeaseMs: 60_000,
    usageFlushMs: 1000,
    legacyPrefixes: [],
  },
};

/** Top-level keys a config may have (besides c12's `$development`, `$production`, `$test`, `$env`). */
export const CONFIG_KEYS = ["server", "storage", "providers", "auth", "plugins", "routes", "pricing", "logging", "relay"] as const;
