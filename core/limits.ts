// Counters in shared storage that answer 429 with retry-after: a lockout after repeated
// failures (logins, second-factor codes) and a fixed-window rate limit (registrations, attempts
// per user). Both work across instances because the counts live in `GatewayStorage`.
import { rateLimited } from "./errors.ts";
import { storageKey } from "./storage.ts";
import type { GatewayStorage } from "./types/storage.ts";

export interface AttemptLimiterOptions {
  /** First key segment of every entry, e.g. `"throttle"`; keys are `<name>:fail:<id>` and `<name>:lock:<id>`. */
  name: string;
  /** What the 429 says was exceeded, e.g. `"failed logins"`. */
  limit: string;
  /** Failures within `windowMs` that start the lock (at least 1). */
  max: number;
  /** The window failures are counted in, and the length of the lock, in ms. */
  windowMs: number;
  /** The clock the lock is measured by (pass `() => ctx.now()`). Default `Date.now`. */
  now?: () => number;
}

/** A lockout: `max` failures of one id within the window lock it for the window. */
export interface AttemptLimiter {
  /** When the lock of `id` ends (epoch ms by `now`), or undefined when it is not locked. */
  lockedUntil(id: string): Promise<number | undefined>;
  /** Throw 429 (retry-after: until the lock ends) while `id` is locked; right and wrong attempts alike. */
  check(id: string): Promise<void>;
  /** Count a failure of `id`; the one that reaches `max` starts the lock and throws its 429. */
  fail(id: string): Promise<void>;
  /** Forget the failures of `id` (after a success). An active lock stays. */
  reset(id: string): Promise<void>;
}

/**
 * Failed-attempt counters: `max` failures within `windowMs` lock `id` for `windowMs`, during
 * which `check` throws `rateLimited(limit, seconds left)`. The lock, not the counter, holds
 * the pause, so counting starts afresh when it ends.
 *
 * @example
 * const throttle = createAttemptLimiter(ctx.storage, { name: "throttle", limit: "failed logins", max: 10, windowMs: 900_000, now: () => ctx.now() });
 * await throttle.check(id);
 * if (!ok) await throttle.fail(id); // throws 429 on the 10th
 * else await throttle.reset(id);
 */
export function createAttemptLimiter(storage: GatewayStorage, options: AttemptLimiterOptions): AttemptLimiter {
  const { name, limit, max, windowMs } = options;
  const now = options.now ?? Date.now;
  const failKey = (id: string) => storageKey(name, "fail", id);
  const lockKey = (id: string) => storageKey(name, "lock", id);
  const locked = (until: number) => rateLimited(limit, (until - now()) / 1000);

  async function lockedUntil(id: string): Promise<number | undefined> {
    const lock = await storage.get<{ until: number }>(lockKey(id));
    return lock && lock.until > now() ? lock.until : undefined;
  }

  async function reset(id: string): Promise<void> {
    const count = await storage.counter(failKey(id));
    if (count === 0) return;
    // Resets at once may take the counter below zero. Each adds back only what its own
    // decrement took below zero, so together they land on zero, not above it.
    const left = await storage.incr(failKey(id), -count);
    if (left < 0) await storage.incr(failKey(id), Math.min(count, -left));
  }

  return {
    lockedUntil,
    async check(id) {
      const until = await lockedUntil(id);
      if (until !== undefined) throw locked(until);
    },
    async fail(id) {
      const failures = await storage.incr(failKey(id), 1, windowMs);
      if (failures < max) return;
      const until = now() + windowMs;
      await storage.set(lockKey(id), { until }, { ttlMs: windowMs });
      await reset(id);
      throw locked(until);
    },
    reset,
  };
}

export interface RateLimiterOptions {
  /** First key segment of every counter, e.g. `"register"`; keys are `<name>:<id>` (plus the window with `clock`). */
  name: string;
  /** What the 429 says was exceeded, e.g. `"10 binding attempts per 10 minutes"`. */
  limit: string;
  /** Takes allowed per id and window. */
  max: number;
  /** Length of a window in ms. */
  windowMs: number;
  /**
   * Align windows to this clock (pass `() => ctx.now()`): they are the spans
   * `[k·windowMs, (k+1)·windowMs)` and a refusal's retry-after is the time left in the current
   * one. Without it a window opens with the first take of an id and a refusal's retry-after
   * is the whole window (an upper bound).
   */
  clock?: () => number;
}

/** A fixed-window rate limit per id. */
export interface RateLimiter {
  /** Count one take for `id`; throws `rateLimited(limit, …)` (429 with retry-after) beyond `max` in the window. */
  take(id: string): Promise<void>;
}

/**
 * A fixed-window counter per id in shared storage: the first `max` takes in a window pass,
 * every further one (counted too) throws 429 with retry-after.
 *
 * @example
 * const registrations = createRateLimiter(ctx.storage, { name: "register", limit: "registrations per address per hour", max: 20, windowMs: 3_600_000 });
 * await registrations.take(ctx.secrets.hash(ip, "register-ip"));
 */
export function createRateLimiter(storage: GatewayStorage, options: RateLimiterOptions): RateLimiter {
  const { name, limit, max, windowMs, clock } = options;
  return {
    async take(id) {
      let key = storageKey(name, id);
      let retryAfterMs = windowMs;
      if (clock) {
        const time = clock();
        const window = Math.floor(time / windowMs);
        key = storageKey(name, id, String(window));
        retryAfterMs = (window + 1) * windowMs - time;
      }
      if ((await storage.incr(key, 1, windowMs)) > max) throw rateLimited(limit, retryAfterMs / 1000);
    },
  };
}
