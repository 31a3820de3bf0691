import type { RelayOptions } from "../../types/config.ts";
import { GatewayDefaults } from "../defaults.ts";
import { type ConfigIssues, checkKnownKeys, isRecord, join } from "../issues.ts";
import { checkInteger } from "./server.ts";

const DAY_MS = 86_400_000;
const LIMITS: Record<Exclude<keyof RelayOptions, "legacyPrefixes">, [number, number]> = {
  maxAccountsPerRequest: [1, 20],
  stickySessionTtlMs: [0, 7 * DAY_MS],
  cooldownBaseMs: [1, DAY_MS],
  cooldownMaxMs: [1, 7 * DAY_MS],
  overloadCooldownMs: [0, DAY_MS],
  slotLeaseMs: [1000, DAY_MS],
  usageFlushMs: [10, 60_000],
};

/** Validate `relay` and fill its defaults. */
export function resolveRelayOptions(input: unknown, issues: ConfigIssues): RelayOptions {
  const defaults = GatewayDefaults.relay;
  if (input === undefined) return { ...defaults };
  if (!isRecord(input)) {
    issues.add("relay", "an object", input);
    return { ...defaults };
  }
  checkKnownKeys(issues, "relay", input, Object.keys(defaults));
  const relay = { ...defaults, ...input } as RelayOptions;
  for (const [key, [min, max]] of Object.entries(LIMITS) as [keyof typeof LIMITS, [number, number]][]) {
    checkInteger(issues, join("relay", key), relay[key], min, max);
  }
  return { ...relay, legacyPrefixes: checkPrefixes(relay.legacyPrefixes, issues) };
}

// A prefix is a plain path ("/api", "/claude") that cannot shadow the gateway's own routes.
function checkPrefixes(value: unknown, issues: ConfigIssues): string[] {
  if (!Array.isArray(value)) {
    issues.add("relay.legacyPrefixes", "an array of path prefixes such as \"/api\"", value);
    return [];
  }
  value.forEach((prefix, i) => {
    const ok = typeof prefix === "string" && /^(\/[a-z0-9][a-z0-9_-]*)+$/.test(prefix) && !RESERVED.includes(prefix.split("/")[1] ?? "");
    if (!ok) issues.add(join(join("relay", "legacyPrefixes"), i), `a path prefix such as "/api" (lowercase, no trailing slash, not one of ${RESERVED.map((r) => `/${r}`).join(", ")})`, prefix);
  });
  return value.filter((p): p is string => typeof p === "string");
}

const RESERVED = ["v1", "admin", "auth", "plugins", "console", "portal", "health", "ready", "metrics"];
