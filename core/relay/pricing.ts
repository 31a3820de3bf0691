import type { ModelPricing } from "../types/config.ts";

/**
 * List prices in USD per million tokens for current Claude and GPT models, used when the
 * config's `pricing` has no entry. Operators override or extend them in `pricing`; a dated
 * model id (`claude-sonnet-4-5-20250929`) uses the longest entry that prefixes it.
 */
export const DEFAULT_PRICING: Record<string, ModelPricing> = {
  "claude-opus-4-1": { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  "claude-opus-4": { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  "claude-sonnet-4-5": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-sonnet-4": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-3-7-sonnet": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  "claude-3-5-haiku": { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 },
  "gpt-5": { input: 1.25, output: 10, cacheRead: 0.125 },
  "gpt-5-mini": { input: 0.25, output: 2, cacheRead: 0.025 },
  "gpt-5-nano": { input: 0.05, output: 0.4, cacheRead: 0.005 },
  "gpt-4.1": { input: 2, output: 8, cacheRead: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cacheRead: 0.1 },
  "gpt-4o": { input: 2.5, output: 10, cacheRead: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cacheRead: 0.075 },
  "o3": { input: 2, output: 8, cacheRead: 0.5 },
  "o4-mini": { input: 1.1, output: 4.4, cacheRead: 0.275 },
};

/** Token counts of one request, split so that no token is counted twice. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

/**
 * Price lookup over the config's table, then the defaults: exact id first, else the longest
 * key that prefixes the id. Undefined for an unknown model (recorded at cost 0).
 */
export function findPricing(table: Record<string, ModelPricing>, model: string): ModelPricing | undefined {
  for (const source of [table, DEFAULT_PRICING]) {
    if (source[model]) return source[model];
    let best: string | undefined;
    for (const key of Object.keys(source)) if (model.startsWith(key) && (!best || key.length > best.length)) best = key;
    if (best) return source[best];
  }
  return undefined;
}

/** Cost in whole micro-USD (integers keep counters exact). Cache prices default to input's. */
/**
 * A request's worst-case cost before it runs, in micro-USD: its body's size as input tokens
 * (4 bytes a token) and its output cap (`max_tokens` and kin, else 4096) at the output price.
 * Budget reservations use it; the recorded cost is always the upstream's real usage.
 */
export function estimateCostMicros(pricing: ModelPricing | undefined, body: Record<string, unknown>, bodyBytes: number): number {
  const cap = [body.max_tokens, body.max_output_tokens, body.max_completion_tokens].find((v) => typeof v === "number" && Number.isFinite(v) && v > 0) as number | undefined;
  return costMicros(pricing, { inputTokens: Math.ceil(bodyBytes / 4), outputTokens: Math.min(cap ?? 4096, 1_000_000), cacheWriteTokens: 0, cacheReadTokens: 0 });
}

export function costMicros(pricing: ModelPricing | undefined, tokens: TokenCounts): number {
  if (!pricing) return 0;
  const usd =
    tokens.inputTokens * pricing.input +
    tokens.outputTokens * pricing.output +
    tokens.cacheWriteTokens * (pricing.cacheWrite ?? pricing.input) +
    tokens.cacheReadTokens * (pricing.cacheRead ?? pricing.input);
  // Prices are per million tokens, so USD per token × 1e6 micro-USD = the sum above.
  return Math.round(usd);
}
