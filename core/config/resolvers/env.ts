import { GatewayDefaults } from "../defaults.ts";
import { isRecord } from "../issues.ts";

/**
 * Apply `GATEWAY_<SECTION>_<KEY>` environment overrides (e.g. `GATEWAY_SERVER_PORT`) to
 * scalar options that have a default. Unknown variables are ignored, never invented into
 * config. Returns a new object; the input is not modified.
 */
export function applyEnvOverrides(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const section of ["server", "logging", "relay"] as const) {
    const defaults = GatewayDefaults[section] as unknown as Record<string, unknown>;
    for (const [key, fallback] of Object.entries(defaults)) {
      const raw = env[`GATEWAY_${toSnake(section)}_${toSnake(key)}`];
      if (raw === undefined || raw === "") continue;
      const current = isRecord(out[section]) ? (out[section] as Record<string, unknown>) : {};
      // A number option gets a number, so validation reports "got 80x" rather than a type error.
      const value = typeof fallback === "number" && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
      out[section] = { ...current, [key]: value };
    }
  }
  return out;
}

// --- internal ---

function toSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}
