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
 * lease ends); tokens per minute and USD budgets read counters the usage recorder keeps (so
 * they may overshoot by what is in flight and by up to one flush interval).
 */
export async function admit(storage: GatewayStorage, principal: Principal, relay: RelayOptions, now: number = Date.now()): Promise<AdmissionTicket> {
  const limits = principal.limits ?? {};
  const id = storageKey(principal.id);
  const minute = Math.floor(now / 60_000);
  const toNextMinute = 60 - Math.floor((now % 60_000) / 1000);
  // Every check runs at once: on Redis that is one round trip of waiting instead of five.
  const [requests, tokens, daySpend, totalSpend, slot] = await Promise.all([
    limits.rpm === undefined ? 0 : storage.incr(`relay:rpm:${id}:${minute}`, 1, 61_000),
    limits.tpm === undefined ? 0 : storage.counter(tpmCounterKey(principal.id, minute)),
    limits.dailyUsd === undefined ? 0 : readSpendMicros(storage, principal.id, "day", now),
    limits.budgetUsd === undefined ? 0 : readSpendMicros(storage, principal.id, "total", now),
    limits.concurrency === undefined ? NO_SLOT : takeSlot(storage, id, limits.concurrency, relay.slotLeaseMs).catch((error: unknown) => error as Error),
  ]);
  const refuse = async (error: Error): Promise<never> => {
    if (!(slot instanceof Error)) await slot.release();
    throw error;
  };
  if (limits.rpm !== undefined && requests > limits.rpm) return refuse(rateLimited(`requests per minute (${limits.rpm})`, toNextMinute));
  if (limits.tpm !== undefined && tokens >= limits.tpm) return refuse(rateLimited(`tokens per minute (${limits.tpm})`, toNextMinute));
  if (limits.dailyUsd !== undefined && daySpend >= limits.dailyUsd * 1e6) return refuse(rateLimited(`daily budget ($${limits.dailyUsd})`, secondsToNextUtcDay(now)));
  if (limits.budgetUsd !== undefined && totalSpend >= limits.budgetUsd * 1e6) return refuse(rateLimited(`total budget ($${limits.budgetUsd})`, 3600));
  if (slot instanceof Error) throw slot;
  return slot;
}

// --- internal ---

const NO_SLOT: AdmissionTicket = { release: async () => {} };

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
