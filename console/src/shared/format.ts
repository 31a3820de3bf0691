// Numbers, money, dates and durations as people read them (the browser's locale).
import type { UsageTotals } from "./types.ts";

const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

/** 12,345 */
export function count(n: number): string {
  return whole.format(n);
}

/** 1.2K for large numbers, exact below 10,000. */
export function short(n: number): string {
  return n < 10_000 ? whole.format(n) : compact.format(n);
}

/** $0.0123 / $12.34 */
export function usd(n: number): string {
  const digits = n !== 0 && Math.abs(n) < 1 ? 4 : 2;
  return new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: digits }).format(n);
}

/** 2.5% (of requests); "–" without requests. */
export function percent(part: number, of: number): string {
  if (of === 0) return "–";
  return `${(Math.round((part / of) * 1000) / 10).toString()}%`;
}

/** Every token a row counts: input, output and cache. */
export function tokens(t: UsageTotals): number {
  return t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens;
}

/** A point in time (epoch ms or ISO string) as a local date and time. */
export function dateTime(value: number | string | undefined): string {
  if (value === undefined) return "–";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** "in 5 minutes", "3 hours ago". */
export function relative(value: number | string | undefined, now = Date.now()): string {
  if (value === undefined) return "";
  const ms = new Date(value).getTime() - now;
  if (Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  if (abs < 45_000) return ms >= 0 ? "in a moment" : "just now";
  const [amount, unit] = abs < 60_000 ? [Math.round(abs / 1000), "second"] : abs < 3_600_000 ? [Math.round(abs / 60_000), "minute"] : abs < 172_800_000 ? [Math.round(abs / 3_600_000), "hour"] : [Math.round(abs / 86_400_000), "day"];
  const text = `${amount} ${unit}${amount === 1 ? "" : "s"}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** "May 3" for a UTC day "2025-05-03". */
export function dayLabel(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** Split "a, b c" into ["a", "b", "c"]; empty → undefined. */
export function list(text: string): string[] | undefined {
  const items = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
