// Failed-attempt counters in shared storage: `max` failures within `windowMs` start a pause
// of `windowMs` during which every attempt (right or wrong) gets 429 with retry-after.
import { type GatewayStorage, rateLimited, storageKey } from "switchyard";

export interface Throttle {
  /** Throw 429 while `id` is paused. */
  check(id: string): Promise<void>;
  /** Count a failure; throws 429 when it starts the pause. */
  fail(id: string): Promise<void>;
  /** Forget the failures of `id` (after a success). */
  reset(id: string): Promise<void>;
}

export function createThrottle(storage: GatewayStorage, now: () => number, options: { max: number; windowMs: number; limit: string }): Throttle {
  const failKey = (id: string) => storageKey("throttle", "fail", id);
  const lockKey = (id: string) => storageKey("throttle", "lock", id);
  const paused = (until: number) => rateLimited(options.limit, (until - now()) / 1000);

  async function reset(id: string): Promise<void> {
    const count = await storage.counter(failKey(id));
    if (count === 0) return;
    // Two resets at once may overshoot below zero; put the counter back to zero then.
    const left = await storage.incr(failKey(id), -count);
    if (left < 0) await storage.incr(failKey(id), -left);
  }

  return {
    async check(id) {
      const lock = await storage.get<{ until: number }>(lockKey(id));
      if (lock && lock.until > now()) throw paused(lock.until);
    },
    async fail(id) {
      const failures = await storage.incr(failKey(id), 1, options.windowMs);
      if (failures < options.max) return;
      const until = now() + options.windowMs;
      await storage.set(lockKey(id), { until }, { ttlMs: options.windowMs });
      // A fresh count after the pause: the lock, not the counter, holds the pause.
      await reset(id);
      throw paused(until);
    },
    reset,
  };
}
