// Wrong-code counters in shared storage: `max` failures within `windowMs` lock the user for
// `windowMs`; while locked every code (right or wrong) gets 429 with retry-after.
import { type GatewayStorage, rateLimited, storageKey } from "switchyard";

export interface Lockout {
  /** When the lock of `id` ends (epoch ms), or undefined when it is not locked. */
  lockedUntil(id: string): Promise<number | undefined>;
  /** Throw 429 while `id` is locked. */
  check(id: string): Promise<void>;
  /** Count a failure; throws 429 when it starts the lock. */
  fail(id: string): Promise<void>;
  /** Forget the failures of `id` (after a success). */
  reset(id: string): Promise<void>;
}

export function createLockout(storage: GatewayStorage, now: () => number, options: { max: number; windowMs: number; limit: string }): Lockout {
  const failKey = (id: string) => storageKey("fail", id);
  const lockKey = (id: string) => storageKey("lock", id);
  const paused = (until: number) => rateLimited(options.limit, (until - now()) / 1000);

  async function reset(id: string): Promise<void> {
    const count = await storage.counter(failKey(id));
    if (count === 0) return;
    // Two resets at once may overshoot below zero; put the counter back to zero then.
    const left = await storage.incr(failKey(id), -count);
    if (left < 0) await storage.incr(failKey(id), -left);
  }

  async function lockedUntil(id: string): Promise<number | undefined> {
    const lock = await storage.get<{ until: number }>(lockKey(id));
    return lock && lock.until > now() ? lock.until : undefined;
  }

  return {
    lockedUntil,
    async check(id) {
      const until = await lockedUntil(id);
      if (until !== undefined) throw paused(until);
    },
    async fail(id) {
      const failures = await storage.incr(failKey(id), 1, options.windowMs);
      if (failures < options.max) return;
      const until = now() + options.windowMs;
      await storage.set(lockKey(id), { until }, { ttlMs: options.windowMs });
      // A fresh count after the pause: the lock, not the counter, holds the lockout.
      await reset(id);
      throw paused(until);
    },
    reset,
  };
}
