// Codex usage limits (protocols.md §4.8): a 429 `usage_limit_reached` body, or a
// `response.failed` with a limit code at the start of a stream, becomes a `rate_limited`
// failure that cools the account until the upstream's reset. The usage windows from the
// `x-codex-*` headers and `codex.rate_limits` events are kept per account for the admin view.
import type { UpstreamFailure } from "switchyard";

/** How the relay should treat the answers `send` built or re-read (looked up by `classify`). */
export const failures: WeakMap<Response, UpstreamFailure> = new WeakMap();

/** The latest usage windows seen for an account (in memory, per instance). */
export interface CodexUsage {
  primaryUsedPercent?: number;
  /** Epoch ms. */
  primaryResetAt?: number;
  secondaryUsedPercent?: number;
  secondaryResetAt?: number;
}

/** Read the `x-codex-{primary,secondary}-*` headers; undefined when there are none. */
export function usageFromHeaders(headers: Headers, now: number): CodexUsage | undefined {
  const usage: CodexUsage = {};
  for (const window of ["primary", "secondary"] as const) {
    const used = finite(headers.get(`x-codex-${window}-used-percent`));
    const resetAt = finite(headers.get(`x-codex-${window}-reset-at`));
    const resetAfter = finite(headers.get(`x-codex-${window}-reset-after-seconds`));
    if (used !== undefined) usage[`${window}UsedPercent`] = used;
    if (resetAt !== undefined) usage[`${window}ResetAt`] = resetAt * 1000;
    else if (resetAfter !== undefined) usage[`${window}ResetAt`] = now + resetAfter * 1000;
  }
  return Object.keys(usage).length ? usage : undefined;
}

/** Read a `codex.rate_limits` event's windows. */
export function usageFromEvent(event: Record<string, unknown>, now: number): CodexUsage | undefined {
  const limits = isRecord(event.rate_limits) ? event.rate_limits : undefined;
  if (!limits) return undefined;
  const usage: CodexUsage = {};
  for (const window of ["primary", "secondary"] as const) {
    const w = isRecord(limits[window]) ? limits[window] : undefined;
    if (!w) continue;
    const used = finite(w.used_percent);
    const resetAt = finite(w.reset_at) ?? (finite(w.resets_in_seconds) === undefined ? undefined : now / 1000 + finite(w.resets_in_seconds)!);
    if (used !== undefined) usage[`${window}UsedPercent`] = used;
    if (resetAt !== undefined) usage[`${window}ResetAt`] = Math.round(resetAt * 1000);
  }
  return Object.keys(usage).length ? usage : undefined;
}

/**
 * How long a 429 body says to wait, in ms: `resets_in_seconds` or `resets_at` of a
 * `usage_limit_reached` error, else "try again in N s" in the message, else the reset of an
 * exhausted window from the headers. Undefined when nothing says (the relay then reads
 * `retry-after` or backs off).
 */
export function limitRetryMs(body: Record<string, unknown> | undefined, headers: Headers, now: number): number | undefined {
  const error = body && isRecord(body.error) ? body.error : {};
  const inSeconds = finite(error.resets_in_seconds);
  if (inSeconds !== undefined) return bounded(inSeconds * 1000);
  const at = finite(error.resets_at);
  if (at !== undefined) return bounded(at * 1000 - now);
  const fromMessage = tryAgainMs(typeof error.message === "string" ? error.message : "");
  if (fromMessage !== undefined) return bounded(fromMessage);
  const usage = usageFromHeaders(headers, now);
  const resets: number[] = [];
  if (usage?.primaryUsedPercent !== undefined && usage.primaryUsedPercent >= 100 && usage.primaryResetAt) resets.push(usage.primaryResetAt - now);
  if (usage?.secondaryUsedPercent !== undefined && usage.secondaryUsedPercent >= 100 && usage.secondaryResetAt) resets.push(usage.secondaryResetAt - now);
  return resets.length ? bounded(Math.max(...resets)) : undefined;
}

/** "try again in 20s" / "in 1.5 seconds" / "in 300ms" / "in 2m" → ms. */
export function tryAgainMs(message: string): number | undefined {
  const match = /try again in\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?)\b/i.exec(message);
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const factor = unit.startsWith("ms") || unit.startsWith("milli") ? 1 : unit.startsWith("h") ? 3_600_000 : unit.startsWith("m") ? 60_000 : 1000;
  return n * factor;
}

// --- internal ---

// Weekly windows reset within 7 days; anything longer is a broken answer.
const MAX_MS = 8 * 24 * 3600 * 1000;

function bounded(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_MS) : undefined;
}

function finite(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
