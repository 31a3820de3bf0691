// Usage for operators: today and the last N days, per day, per model and per provider, and
// one key's totals. Read from the same counters the relay writes (no second bookkeeping).
import type { H3Event } from "h3";
import { badRequest } from "../errors.ts";
import { type RouteHost, addGuardedRoute } from "../routes/guarded.ts";
import type { GatewayStorage } from "../types/storage.ts";
import { type UsageRecorder, type UsageTotals, dayOf, keyTotals, readUsageTotals, usageScopesOf } from "../relay/usage.ts";

/** One row of a breakdown. */
export type UsageRow = UsageTotals & { name: string };

export function registerUsageRoutes(host: RouteHost, input: { storage: GatewayStorage; usage: UsageRecorder }): void {
  const { storage, usage } = input;
  const add = (path: string, handler: (event: H3Event) => unknown) => addGuardedRoute(host, { method: "GET", path, access: "admin", handler }, "core");

  add("/admin/usage", async (event) => {
    const days = daysParam(event.url.searchParams.get("days"));
    await usage.flush();
    const now = Date.now();
    const dayList = Array.from({ length: days }, (_, i) => dayOf(now - (days - 1 - i) * DAY_MS));
    const perDay = await Promise.all(dayList.map((day) => readDay(storage, day)));
    const byModel = new Map<string, UsageTotals>();
    const byProvider = new Map<string, UsageTotals>();
    for (const { scopes } of perDay) {
      for (const [scope, totals] of scopes) {
        const [kind, ...rest] = scope.split(":");
        const target = kind === "model" ? byModel : kind === "provider" ? byProvider : undefined;
        if (target) target.set(rest.join(":"), sum(target.get(rest.join(":")), totals));
      }
    }
    const daily = perDay.map(({ day, providerTotal }) => ({ day, ...providerTotal }));
    return {
      days,
      today: daily.at(-1),
      total: daily.reduce<UsageTotals>((acc, d) => sum(acc, d), empty()),
      daily,
      byModel: rows(byModel),
      byProvider: rows(byProvider),
    };
  });
  add("/admin/usage/keys/:id", async (event) => {
    const keyId = decodeURIComponent(event.context.params?.id ?? "");
    return { keyId, ...(await keyTotals(storage, usage, keyId)) };
  });
}

// --- internal ---

const DAY_MS = 86_400_000;

function daysParam(value: string | null): number {
  if (value === null) return 30;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 90) throw badRequest("days", "expected a whole number from 1 to 90");
  return Number(value);
}

// A day's totals: every model and provider scope with traffic that day; the day's total is the
// sum over providers (each request is counted once per provider).
async function readDay(storage: GatewayStorage, day: string): Promise<{ day: string; scopes: Map<string, UsageTotals>; providerTotal: UsageTotals }> {
  const at = Date.parse(`${day}T12:00:00Z`);
  const names = await usageScopesOf(storage, day);
  const totals = await Promise.all(names.map((scope) => readUsageTotals(storage, scope, "day", at)));
  const scopes = new Map(names.map((scope, i) => [scope, totals[i]!]));
  let providerTotal = empty();
  for (const [scope, t] of scopes) if (scope.startsWith("provider:")) providerTotal = sum(providerTotal, t);
  return { day, scopes, providerTotal };
}

function empty(): UsageTotals {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costUsd: 0 };
}

function sum(a: UsageTotals | undefined, b: UsageTotals): UsageTotals {
  const base = a ?? empty();
  return {
    requests: base.requests + b.requests, errors: base.errors + b.errors, inputTokens: base.inputTokens + b.inputTokens,
    outputTokens: base.outputTokens + b.outputTokens, cacheWriteTokens: base.cacheWriteTokens + b.cacheWriteTokens,
    cacheReadTokens: base.cacheReadTokens + b.cacheReadTokens, costUsd: Math.round((base.costUsd + b.costUsd) * 1e6) / 1e6,
  };
}

function rows(map: Map<string, UsageTotals>): UsageRow[] {
  return [...map].map(([name, totals]) => ({ name, ...totals })).sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
}
