/**
 * When an upstream says a rate limit resets, in ms from `now`: `retry-after-ms`,
 * `retry-after` (seconds or an HTTP date), Anthropic `anthropic-ratelimit-*-reset`
 * (RFC 3339) and `anthropic-ratelimit-unified-*reset` (epoch seconds), OpenAI
 * `x-ratelimit-reset-*` (durations like `6s`, `1m30s`, `120ms`). The latest reset wins
 * (every limit must have reset before a retry can pass). Undefined when none is usable.
 */
export function readResetMs(headers: Headers, now: number = Date.now()): number | undefined {
  const candidates: number[] = [];
  const retryMs = Number(headers.get("retry-after-ms"));
  if (headers.has("retry-after-ms") && Number.isFinite(retryMs)) candidates.push(retryMs);
  const retryAfter = headers.get("retry-after");
  if (retryAfter) candidates.push(/^\d+(\.\d+)?$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now);
  for (const [name, value] of headers) {
    if (name.startsWith("anthropic-ratelimit-") && name.endsWith("reset")) {
      const epoch = /^\d{9,11}$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value);
      candidates.push(epoch - now);
    } else if (name.startsWith("x-ratelimit-reset-")) {
      candidates.push(parseDuration(value));
    }
  }
  const valid = candidates.filter((ms) => Number.isFinite(ms) && ms > 0 && ms < MAX_RESET_MS);
  return valid.length ? Math.max(...valid) : undefined;
}

// --- internal ---

// Anything beyond a week is a bogus header, not a plan.
const MAX_RESET_MS = 7 * 24 * 3600 * 1000;

function parseDuration(text: string): number {
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n * 3_600_000;
  }
  return matched ? total : Number.NaN;
}
