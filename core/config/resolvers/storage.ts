import type { StorageOptions } from "../../storage.ts";
import { GatewayDefaults } from "../defaults.ts";
import { type ConfigIssues, checkKnownKeys, isRecord } from "../issues.ts";

const DRIVER_KEYS: Record<StorageOptions["driver"], string[]> = {
  fs: ["driver", "base"],
  memory: ["driver"],
  redis: ["driver", "url", "base"],
  sqlite: ["driver", "path"],
};

/** Validate `storage` and fill its defaults. */
export function resolveStorageOptions(input: unknown, issues: ConfigIssues): StorageOptions {
  if (input === undefined) return { ...GatewayDefaults.storage };
  if (!isRecord(input)) {
    issues.add("storage", 'an object like { driver: "fs" }', input);
    return { ...GatewayDefaults.storage };
  }
  const drivers = Object.keys(DRIVER_KEYS);
  const driver = input.driver as StorageOptions["driver"];
  if (!drivers.includes(driver)) {
    issues.add("storage.driver", `one of ${drivers.map((d) => `"${d}"`).join(", ")}`, input.driver);
    return { ...GatewayDefaults.storage };
  }
  checkKnownKeys(issues, "storage", input, DRIVER_KEYS[driver]);
  for (const key of ["base", "path"] as const) {
    const value = input[key];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      issues.add(`storage.${key}`, "a non-empty string", value);
    }
  }
  if (driver === "redis" && input.url !== undefined) checkRedisUrl(input.url, issues);
  return { ...input } as StorageOptions;
}

// --- internal ---

// The URL may carry a password, so its value is never echoed.
function checkRedisUrl(url: unknown, issues: ConfigIssues): void {
  let protocol: string | undefined;
  try {
    protocol = typeof url === "string" ? new URL(url).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    issues.add("storage.url", "a redis:// or rediss:// URL", url, { secret: true });
  }
}
