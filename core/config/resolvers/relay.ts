import type { RelayOptions } from "../../types/config.ts";
import { GatewayDefaults } from "../defaults.ts";
import { type ConfigIssues, checkKnownKeys, isRecord, join } from "../issues.ts";
import { checkInteger } from "./server.ts";

const DAY_MS = 86_400_000;
const LIMITS: Record<keyof RelayOptions, [number, number]> = {
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
  for (const [key, [min, max]] of Object.entries(LIMITS) as [keyof RelayOptions, [number, number]][]) {
    checkInteger(issues, join("relay", key), relay[key], min, max);
  }
  return relay;
}
