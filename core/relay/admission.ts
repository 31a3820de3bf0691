import { rateLimited } from "../errors.ts";
import { storageKey } from "../storage.ts";
import type { Principal } from "../types/auth.ts";
import type { RelayOptions } from "../types/config.ts";
import type { GatewayStorage } from "../types/storage.ts";
import { readSpendMicros, tpmCounterKey } from "./usage.ts";

/** A request's admission: its concurrency slot, held until `release`. */
export interface AdmissionTicket {
  release(): Promise<void>;
}

/**
 * Admit a client's request against its key's limits, or throw 429 naming the limit with
 * `retry-after`. Every check is an atomic storage operation, so the limits hold across
 * instances sharing a store: requests per minute is an `incr` on a per-minute window;
 * concurrency is one of N leased slot locks (a crashed instance's slot comes back when its
 * lease ends); tokens per minute reads the usage recorder's counter (it may overshoot by what
 * is in flight); USD budgets add each request's worst-case cost to a shared reservation
 * counter first and admit while spend plus the others' reservations is below the budget, so
 * the only overshoot is the last admitted request's own cost.
 */
export async function admit(storage: GatewayStorage, principal: Principal, relay: RelayOptions, now: number = Date.now(), estimateMicros = 0): Promise<AdmissionTicket> {
  const limits = principal.limits ?? {};
  const id = storageKey(principal.id);
  const minute = Math.floor(now / 60_000);
  const toNextMinute = 60 - Math.floor((now % 60_000) / 1000);
  const day = new Date(now).toISOString().slice(0, 10);
  // Budgets reserve the request's worst case atomically, so concurrent requests on any
  // instance see each other before any of them is billed (security.md G1).
  const reserve = (key: string | undefined) => (key === undefined || estimateMicros <= 0 ? 0 : storage.incr(key, estimateMicros, RESERVATION_TTL_MS));
  const dayReserve = limits.dailyUsd === undefined ? undefined : `relay:reserve:${id}:day:${day}`;
  const totalReserve = limits.budgetUsd === undefined ? undefined : `relay:reserve:${id}:total`;
  // Every check runs at once: on Redis that is one round trip of waiting instead of five.
  const [requests, tokens, daySpend, totalSpend, dayReserved, totalReserved, slot] = await Promise.all([
    limits.rpm === undefined ? 0 : storage.incr(`relay:rpm:${id}:${minute}`, 1, 61_000),
    limits.tpm === undefined ? 0 : storage.counter(tpmCounterKey(principal.id, minute)),
    limits.dailyUsd === undefined ? 0 : readSpendMicros(storage, principal.id, "day", now),
    limits.budgetUsd === undefined ? 0 : readSpendMicros(storage, principal.id, "total", now),
    reserve(dayReserve),
    reserve(totalReserve),
    limits.concurrency === undefined ? NO_SLOT : takeSlot(storage, id, limits.concurrency, relay.slotLeaseMs).catch((error: unknown) => error as Error),
  ]);
  const reservations = [dayReserve, totalReserve].filter((k): k is string => k !== undefined && estimateMicros > 0);
  const unreserve = () => Promise.all(reservations.map((key) => storage.incr(key, -estimateMicros))).then(() => undefined);
  const refuse = async (error: Error): Promise<never> => {
    await Promise.all([slot instanceof Error ? undefined : slot.release(), unreserve().catch(() => {})]);
    throw error;
  };
  // Others' reservations count (this request's own is taken off): admitted while anything is left.
  const others = (reserved: number) => (estimateMicros > 0 ? reserved - estimateMicros : 0);
  if (limits.rpm !== undefined && requests > limits.rpm) return refuse(rateLimited(`requests per minute (${limits.rpm})`, toNextMinute));
  if (limits.tpm !== undefined && tokens >= limits.tpm) return refuse(rateLimited(`tokens per minute (${limits.tpm})`, toNextMinute));
  if (limits.dailyUsd !== undefined && daySpend + others(dayReserved) >= limits.dailyUsd * 1e6) return refuse(rateLimited(`daily budget ($${limits.dailyUsd})`, secondsToNextUtcDay(now)));
  if (limits.budgetUsd !== undefined && totalSpend + others(totalReserved) >= limits.budgetUsd * 1e6) return refuse(rateLimited(`total budget ($${limits.budgetUsd})`, 3600));
  if (slot instanceof Error) {
    await unreserve().catch(() => {});
    throw slot;
  }
  if (reservations.length === 0) return slot;
  return {
    async release() {
      await slot.release();
      // The real cost reaches the spend counters at the next usage flush; until then the
      // reservation keeps standing in for it, so no window opens between the two.
      const timer = setTimeout(() => void unreserve().catch(() => {}), relay.usageFlushMs * 2 + 1000);
      timer.unref();
    },
  };
}

// --- internal ---

const NO_SLOT: AdmissionTicket = { release: async () => {} };
// A reservation left by a crashed instance lapses after this long.
const RESERVATION_TTL_MS = 15 * 60_000;

async function takeSlot(storage: GatewayStorage, id: string, slots: number, leaseMs: number): Promise<AdmissionTicket> {
  // Start at a random slot so concurrent requests rarely contend for the same lock.
  const start = Math.floor(Math.random() * slots);
  for (let i = 0; i < slots; i++) {
    const key = `relay:slot:${id}:${(start + i) % slots}`;
    const owner = await storage.acquire(key, leaseMs);
    if (owner) return leasedTicket(storage, key, owner, leaseMs);
  }
  throw rateLimited(`concurrent requests (${slots})`, 1);
}

function leasedTicket(storage: GatewayStorage, key: string, owner: string, leaseMs: number): AdmissionTicket {
  // Long streams outlive one lease: the owner extends it while the request runs.
  const timer = setInterval(() => void storage.extend(key, owner, leaseMs).catch(() => {}), Math.max(1000, Math.floor(leaseMs / 3)));
  timer.unref();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await storage.release(key, owner);
    },
  };
}

function secondsToNextUtcDay(now: number): number {
  return Math.ceil((86_400_000 - (now % 86_400_000)) / 1000);
}
