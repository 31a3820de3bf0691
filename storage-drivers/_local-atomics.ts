/**
 * In-process building blocks shared by the fs and memory drivers. They serialize work
 * inside one Node.js process only: two gateway processes on the same fs folder would
 * each hold their own locks and mutexes, so those drivers are single-instance.
 */

/** Runs async work one at a time per key, in call order. */
export interface KeyedMutex {
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T>;
}

/** A per-key promise chain; idle keys are dropped so the map does not grow. */
export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(fn, fn);
      const tail = result.then(noop, noop);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}

/** Short locks held in process memory, keyed by the facade's lock key. */
export interface LocalLocks {
  acquire(key: string, owner: string, ttlMs: number): boolean;
  release(key: string, owner: string): boolean;
  /** Drop expired locks; called from the owning driver's sweep timer. */
  sweep(): void;
  clear(): void;
}

export function createLocalLocks(): LocalLocks {
  const locks = new Map<string, { owner: string; expiresAt: number }>();
  return {
    acquire(key, owner, ttlMs) {
      const now = Date.now();
      const current = locks.get(key);
      if (current && current.expiresAt > now && current.owner !== owner) return false;
      locks.set(key, { owner, expiresAt: now + ttlMs });
      return true;
    },
    release(key, owner) {
      const current = locks.get(key);
      if (!current || current.owner !== owner || current.expiresAt <= Date.now()) return false;
      locks.delete(key);
      return true;
    },
    sweep() {
      const now = Date.now();
      for (const [key, lock] of locks) if (lock.expiresAt <= now) locks.delete(key);
    },
    clear: () => locks.clear(),
  };
}

/** Milliseconds from unstorage's `{ ttl }` option (seconds, fractional allowed); undefined = no expiry. */
export function ttlMsFromOptions(opts: { ttl?: unknown } | undefined): number | undefined {
  const ttl = opts?.ttl;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) return undefined;
  return Math.max(1, Math.round(ttl * 1000));
}

/** True when an optional absolute expiry has passed. */
export function isExpired(expiresAt: number | null | undefined, now: number = Date.now()): boolean {
  return typeof expiresAt === "number" && expiresAt <= now;
}

/** An interval that never keeps the process alive. */
export function startSweep(fn: () => unknown, intervalMs: number): NodeJS.Timeout | undefined {
  if (!(intervalMs > 0)) return undefined;
  const timer = setInterval(() => {
    Promise.resolve()
      .then(fn)
      .catch(() => {}); // best effort: the next read deletes lazily anyway
  }, intervalMs);
  timer.unref();
  return timer;
}

// --- internal ---

function noop(): void {}
