import type { ModelPricing } from "../../types/config.ts";
import { type ConfigIssues, checkKnownKeys, isRecord, join } from "../issues.ts";

const PRICE_KEYS = ["input", "output", "cacheWrite", "cacheRead"] as const;

/** Validate `pricing`: USD per million tokens, finite and not negative. */
export function resolvePricing(input: unknown, issues: ConfigIssues): Record<string, ModelPricing> {
  if (input === undefined) return {};
  if (!isRecord(input)) {
    issues.add("pricing", "an object of model → { input, output }", input);
    return {};
  }
  const out: Record<string, ModelPricing> = {};
  for (const [model, price] of Object.entries(input)) {
    const path = join("pricing", model);
    if (!isRecord(price)) {
      issues.add(path, "an object { input, output, cacheWrite?, cacheRead? }", price);
      continue;
    }
    checkKnownKeys(issues, path, price, PRICE_KEYS);
    for (const key of PRICE_KEYS) {
      const value = price[key];
      const required = key === "input" || key === "output";
      if (value === undefined && !required) continue;
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        issues.add(join(path, key), "a price in USD per million tokens (a number >= 0)", value);
      }
    }
    out[model] = { ...price } as unknown as ModelPricing;
  }
  return out;
}
