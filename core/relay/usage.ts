import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.ts";
import { storageKey } from "../storage.ts";
import type { GatewayStorage } from "../types/storage.ts";
import type { TokenCounts } from "./pricing.ts";

/** How a relayed request ended. */
export type UsageStatus = "ok" | "error" | "client_aborted" | "incomplete";

/** One relayed request, as recorded (never a body, never a secret). */
export interface UsageRecord extends TokenCounts {
  requestId: string;
  /** Epoch ms when the request arrived. */
  at: number;
  keyId: string | undefined;
  provider: string;
  accountId: string | undefined;
  model: string;
  status: UsageStatus;
  costMicros: number;
  latencyMs: number;
  ttfbMs: number | undefined;
}

/** Totals of one scope and period, as `/v1/usage` and the admin API report them. */
export interface UsageTotals extends TokenCounts {
  requests: number;
  errors: number;
  costUsd: number;
}

/** Records usage with no storage round trip on the request path; see {@link createUsageRecorder}. */
export interface UsageRecorder {
  record(entry: UsageRecord): void;
  /** Write what is buffered now (also runs every `flushMs`). */
  flush(): Promise<void>;
  /** Flush and stop the timer. */
  close(): Promise<void>;
}

/**
 * Aggregate usage in memory and write it every `flushMs` as one append-only log batch
 * (`usage:log:<day>:<instance>-<seq>`, the exact records) plus atomic `incr`s of the
 * per-key, per-account, per-model and per-provider counters for the day and month (one
 * `incr` per counter per flush, not per request). A crash loses at most the last
 * `flushMs` of usage; a storage error keeps what failed for the next flush.
 */
export function createUsageRecorder(options: { storage: GatewayStorage; flushMs: number; logger: Logger; onRecord?: (entry: UsageRecord) => void }): UsageRecorder {
  const { storage, logger } = options;
  const instance = randomBytes(4).toString("hex");
  let seq = 0;
  let records: UsageRecord[] = [];
  // Failed counter writes, kept for the next flush.
  let retry = new Map<string, { by: number; ttlMs: number }>();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();

  // Which model and provider scopes had traffic on a day, so the admin API can list them
  // (counters cannot be listed). Written once per scope and day per instance.
  const indexed = new Set<string>();
  async function indexScopes(batch: UsageRecord[]): Promise<void> {
    for (const entry of batch) {
      const day = dayOf(entry.at);
      for (const scope of [`provider:${storageKey(entry.provider)}`, `model:${storageKey(entry.model)}`]) {
        const key = `${USAGE_INDEX}:${day}:${scope}`;
        if (indexed.has(key)) continue;
        try {
          await storage.set(key, 1, { ttlMs: INDEX_TTL_MS });
          if (indexed.size > 10_000) indexed.clear();
          indexed.add(key);
        } catch {
          // the next flush tries again
        }
      }
    }
  }

  function flush(): Promise<void> {
    running = running.then(async () => {
      if (records.length === 0 && retry.size === 0) return;
      const batch = records;
      records = [];
      // Counter deltas are derived here, once per flush, so `record` stays one array push.
      const deltas = counterDeltas(batch, retry);
      retry = new Map();
      if (batch.length) {
        const day = dayOf(batch[0]!.at);
        try {
          await storage.set(`usage:log:${day}:${instance}-${String(seq++).padStart(8, "0")}`, batch);
        } catch (error) {
          records = batch.concat(records);
          logger.warn(`usage log write failed; kept ${batch.length} records for the next flush: ${(error as Error).message}`);
          for (const [key, delta] of counterDeltas(batch, new Map())) subtract(deltas, key, delta.by);
        }
      }
      await indexScopes(batch);
      for (const [key, { by, ttlMs }] of deltas) {
        if (by === 0) continue;
        try {
          await storage.incr(key, by, ttlMs);
        } catch {
          add(retry, key, by, ttlMs);
        }
      }
    });
    return running;
  }

  return {
    record(entry) {
      records.push(entry);
      options.onRecord?.(entry);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** Counter of a key's tokens in one minute window (read by admission for `tpm`). */
export function tpmCounterKey(keyId: string, minute: number): string {
  return `relay:tpm:${storageKey(keyId)}:${minute}`;
}

/** A key's spend in micro-USD today (UTC) or in total. */
export function readSpendMicros(storage: GatewayStorage, keyId: string, period: "day" | "total", now: number): Promise<number> {
  const p = period === "day" ? `day:${dayOf(now)}` : "total";
  return storage.counter(`usage:key:${storageKey(keyId)}:${p}:costMicros`);
}

/** Read the totals of a scope (`key`, `account`, `model`, `provider`) for a period. */
export async function readUsageTotals(storage: GatewayStorage, scope: string, period: "day" | "month" | "total", now: number = Date.now()): Promise<UsageTotals> {
  const p = period === "day" ? `day:${dayOf(now)}` : period === "month" ? `month:${dayOf(now).slice(0, 7)}` : "total";
  const base = `usage:${scope}:${p}`;
  const [requests, errors, input, output, cacheWrite, cacheRead, cost] = await Promise.all(
    ["requests", "errors", "input", "output", "cacheWrite", "cacheRead", "costMicros"].map((f) => storage.counter(`${base}:${f}`)),
  );
  return {
    requests: requests!, errors: errors!, inputTokens: input!, outputTokens: output!,
    cacheWriteTokens: cacheWrite!, cacheReadTokens: cacheRead!, costUsd: cost! / 1e6,
  };
}

/** Scopes (`model:<id>`, `provider:<name>`) with traffic on a UTC day (`YYYY-MM-DD`). */
export async function usageScopesOf(storage: GatewayStorage, day: string): Promise<string[]> {
  const prefix = `${USAGE_INDEX}:${day}`;
  return (await storage.keys(prefix)).map((key) => key.slice(prefix.length + 1));
}

/** The UTC day (`YYYY-MM-DD`) of an epoch ms. */
export function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** A client key's totals today, this month and in total, after flushing this instance's buffer. */
export async function keyTotals(storage: GatewayStorage, usage: UsageRecorder, keyId: string): Promise<{ today: UsageTotals; month: UsageTotals; total: UsageTotals }> {
  await usage.flush();
  const scope = keyScope(keyId);
  const [today, month, total] = await Promise.all((["day", "month", "total"] as const).map((p) => readUsageTotals(storage, scope, p)));
  return { today: today!, month: month!, total: total! };
}

/** The usage scope of a client key. */
export function keyScope(keyId: string): string {
  return `key:${storageKey(keyId)}`;
}

// --- internal ---

const USAGE_INDEX = "usage:scopes";
const INDEX_TTL_MS = 400 * 86_400_000;

type Deltas = Map<string, { by: number; ttlMs: number }>;

function add(deltas: Deltas, key: string, by: number, ttlMs = 0): void {
  if (by === 0) return;
  const current = deltas.get(key);
  deltas.set(key, { by: (current?.by ?? 0) + by, ttlMs });
}

function subtract(deltas: Deltas, key: string, by: number): void {
  const current = deltas.get(key);
  if (current) current.by -= by;
}

/** Every counter a batch of records moves: per key/account/model/provider, day and month (and key total), plus tpm. */
function counterDeltas(batch: UsageRecord[], carried: Deltas): Deltas {
  const deltas: Deltas = new Map(carried);
  for (const entry of batch) {
    const day = `day:${dayOf(entry.at)}`;
    const month = `month:${dayOf(entry.at).slice(0, 7)}`;
    const scopes = [`provider:${storageKey(entry.provider)}`, `model:${storageKey(entry.model)}`];
    if (entry.keyId !== undefined) scopes.push(keyScope(entry.keyId));
    if (entry.accountId !== undefined) scopes.push(`account:${storageKey(entry.provider)}:${storageKey(entry.accountId)}`);
    for (const scope of scopes) {
      for (const period of scope.startsWith("key:") ? [day, month, "total"] : [day, month]) {
        const base = `usage:${scope}:${period}`;
        add(deltas, `${base}:requests`, 1);
        add(deltas, `${base}:errors`, entry.status === "ok" ? 0 : 1);
        add(deltas, `${base}:input`, entry.inputTokens);
        add(deltas, `${base}:output`, entry.outputTokens);
        add(deltas, `${base}:cacheWrite`, entry.cacheWriteTokens);
        add(deltas, `${base}:cacheRead`, entry.cacheReadTokens);
        add(deltas, `${base}:costMicros`, entry.costMicros);
      }
    }
    if (entry.keyId !== undefined) {
      const tokens = entry.inputTokens + entry.outputTokens + entry.cacheWriteTokens + entry.cacheReadTokens;
      add(deltas, tpmCounterKey(entry.keyId, Math.floor(entry.at / 60_000)), tokens, 120_000);
    }
  }
  return deltas;
}
