import type { GatewayDriver } from "../core/types/storage.ts";
import { createLocalLocks, isExpired, startSweep, ttlMsFromOptions } from "./_local-atomics.ts";

const DRIVER_NAME = "memory";

/** Options of the in-memory driver (tests and throwaway single-instance runs). */
export interface MemoryOptions {
  /** How often expired entries, counters and locks are dropped, in ms. Default 60 000; 0 disables. */
  sweepIntervalMs?: number;
}

interface Entry<T> {
  value: T;
  expiresAt: number | null;
}

/**
 * Map-backed driver. Every operation runs synchronously inside one call, so the atomic
 * operations are trivially atomic within this process; nothing is shared across processes.
 */
export function memoryDriver(options: MemoryOptions = {}): GatewayDriver {
  const data = new Map<string, Entry<string>>();
  const counters = new Map<string, Entry<number>>();
  const locks = createLocalLocks();

  const read = (key: string): string | null => alive(data, key)?.value ?? null;
  const write = (key: string, value: string, ttlMs: number | undefined): void => {
    data.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : null });
  };
  const sweep = (): void => {
    for (const key of data.keys()) alive(data, key);
    for (const key of counters.keys()) alive(counters, key);
    locks.sweep();
  };
  const timer = startSweep(sweep, options.sweepIntervalMs ?? 60_000);

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => data,
    hasItem: (key) => read(key) !== null,
    getItem: (key) => read(key),
    getItemRaw: (key) => read(key),
    setItem: (key, value, opts) => write(key, value, ttlMsFromOptions(opts)),
    setItemRaw: (key, value: string, opts) => write(key, value, ttlMsFromOptions(opts)),
    removeItem: (key) => void data.delete(key),
    getKeys: (base) => [...data.keys()].filter((key) => key.startsWith(base ?? "") && read(key) !== null),
    clear(base) {
      for (const key of [...data.keys()]) if (key.startsWith(base ?? "")) data.delete(key);
    },
    dispose() {
      clearInterval(timer);
      data.clear();
      counters.clear();
      locks.clear();
    },
    ping: async () => {},
    atomics: {
      async incr(key, by, ttlMs) {
        const current = alive(counters, key);
        const value = (current?.value ?? 0) + by;
        const expiresAt = current?.expiresAt ?? (ttlMs > 0 ? Date.now() + ttlMs : null);
        counters.set(key, { value, expiresAt });
        return value;
      },
      counter: async (key) => alive(counters, key)?.value ?? 0,
      acquire: async (key, owner, ttlMs) => locks.acquire(key, owner, ttlMs),
      release: async (key, owner) => locks.release(key, owner),
      async cas(key, expected, next, ttlMs) {
        if (read(key) !== expected) return false;
        if (next === null) data.delete(key);
        else write(key, next, ttlMs);
        return true;
      },
    },
  };
}

export default memoryDriver;

// --- internal ---

/** The entry when present and unexpired; expired entries are deleted on sight. */
function alive<T>(map: Map<string, Entry<T>>, key: string): Entry<T> | undefined {
  const entry = map.get(key);
  if (entry && isExpired(entry.expiresAt)) {
    map.delete(key);
    return undefined;
  }
  return entry;
}
