import { randomBytes } from "node:crypto";
import { fc, test as prop } from "@fast-check/vitest";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type GatewayStorage, HTTPError, type PluginContext, createAttemptLimiter, createGatewayStorage, createRateLimiter, definePlugin } from "../../core/index.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { setupGateway } from "../_setup.ts";

const memory = () => createGatewayStorage({ driver: "memory" });

/** The 429 a call throws (fails the test when it resolves or throws anything else). */
async function refusal(call: Promise<unknown>): Promise<{ status: number; retryAfter: number; message: string }> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!HTTPError.isError(error)) throw new Error(`expected an HTTPError, got ${String(error)}`);
  return { status: error.status, retryAfter: Number(error.headers?.get("retry-after")), message: error.message };
}

/** A clock the test moves by hand. */
function manualClock(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe("createAttemptLimiter", () => {
  it("locks on the max-th failure for the window, right attempts too, then counts afresh", async () => {
    const clock = manualClock(1_000_000);
    const limiter = createAttemptLimiter(await memory(), { name: "throttle", limit: "failed logins", max: 3, windowMs: 300_000, now: clock.now });
    await limiter.fail("alice");
    await limiter.fail("alice");
    await limiter.check("alice");
    expect(await limiter.lockedUntil("alice")).toBeUndefined();

    expect(await refusal(limiter.fail("alice"))).toEqual({ status: 429, retryAfter: 300, message: "Rate limit exceeded: failed logins. Retry after 300s." });
    expect(await limiter.lockedUntil("alice")).toBe(1_300_000);
    clock.t += 100_000;
    expect(await refusal(limiter.check("alice"))).toMatchObject({ status: 429, retryAfter: 200 });
    // A success (reset) does not lift the lock.
    await limiter.reset("alice");
    expect(await refusal(limiter.check("alice"))).toMatchObject({ retryAfter: 200 });
    await limiter.check("bob");

    clock.t = 1_300_000;
    await limiter.check("alice");
    expect(await limiter.lockedUntil("alice")).toBeUndefined();
    // The lock held the pause; the count started over when it began.
    await limiter.fail("alice");
    await limiter.fail("alice");
    await limiter.check("alice");
  });

  it("reset forgets the failures; limiters with another name count apart", async () => {
    const storage = await memory();
    const options = { limit: "wrong codes", max: 2, windowMs: 60_000, now: () => 0 };
    const a = createAttemptLimiter(storage, { ...options, name: "a" });
    const b = createAttemptLimiter(storage, { ...options, name: "b" });
    await a.fail("u");
    await a.reset("u");
    await a.fail("u");
    await b.fail("u");
    await a.check("u");
    expect(await refusal(a.fail("u"))).toMatchObject({ status: 429, retryAfter: 60 });
    await b.check("u");
  });

  it("concurrent resets never leave the counter below zero", async () => {
    const limiter = createAttemptLimiter(await memory(), { name: "t", limit: "x", max: 3, windowMs: 60_000, now: () => 0 });
    await limiter.fail("u");
    await limiter.fail("u");
    await Promise.all(Array.from({ length: 8 }, () => limiter.reset("u")));
    await limiter.fail("u");
    await limiter.fail("u");
    expect(await refusal(limiter.fail("u"))).toMatchObject({ status: 429 });
  });

  prop.prop([fc.array(fc.constantFrom("fail", "reset"), { maxLength: 20 }), fc.integer({ min: 1, max: 5 })], { numRuns: 100 })(
    "locks exactly when max failures follow the last reset",
    async (steps, max) => {
      const limiter = createAttemptLimiter(await memory(), { name: "p", limit: "x", max, windowMs: 60_000, now: () => 0 });
      let streak = 0;
      for (const step of steps) {
        if (step === "reset") {
          await limiter.reset("u");
          streak = 0;
          continue;
        }
        streak++;
        if (streak < max) await limiter.fail("u");
        else {
          expect((await refusal(limiter.fail("u"))).status).toBe(429);
          break;
        }
      }
      expect((await limiter.lockedUntil("u")) !== undefined).toBe(streak >= max);
    },
  );
});

describe("createRateLimiter", () => {
  it("passes max takes per id in a window opened by the first take; refusals say the whole window", async () => {
    const limiter = createRateLimiter(await memory(), { name: "register", limit: "registrations per address per hour", max: 2, windowMs: 3_600_000 });
    await limiter.take("1.2.3.4");
    await limiter.take("1.2.3.4");
    await limiter.take("5.6.7.8");
    expect(await refusal(limiter.take("1.2.3.4"))).toEqual({ status: 429, retryAfter: 3600, message: "Rate limit exceeded: registrations per address per hour. Retry after 3600s." });
    // Refused takes count too: the id stays refused.
    expect((await refusal(limiter.take("1.2.3.4"))).status).toBe(429);
    await limiter.take("5.6.7.8");
  });

  it("with a clock, windows are its minutes and a refusal says the time left in the current one", async () => {
    const clock = manualClock(10 * 60_000 + 15_000);
    const limiter = createRateLimiter(await memory(), { name: "rate", limit: "3 logins per minute", max: 3, windowMs: 60_000, clock: clock.now });
    for (let i = 0; i < 3; i++) await limiter.take("ip");
    expect(await refusal(limiter.take("ip"))).toMatchObject({ status: 429, retryAfter: 45 });
    clock.t += 44_500;
    expect(await refusal(limiter.take("ip"))).toMatchObject({ retryAfter: 1 });
    clock.t = 11 * 60_000;
    await limiter.take("ip");
  });
});

describeRedis("limits across two gateways on Redis", () => {
  const base = `sy-test-limits-${randomBytes(4).toString("hex")}`;
  afterAll(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${base}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  /** A gateway on the shared Redis; the probe plugin hands out its context. */
  async function instance(): Promise<PluginContext> {
    let context: PluginContext | undefined;
    const probe = definePlugin({ name: "limits-probe", setup: (ctx) => void (context = ctx) });
    await setupGateway({ storage: { driver: "redis", url: redisUrl, base }, plugins: [probe()] });
    return context!;
  }

  it("share failure counts, locks and rate windows", async () => {
    const [a, b] = [await instance(), await instance()];
    const clock = manualClock(5_000_000);
    const lockout = (storage: GatewayStorage) => createAttemptLimiter(storage, { name: "lockout", limit: "wrong codes", max: 4, windowMs: 60_000, now: clock.now });
    const [onA, onB] = [lockout(a.storage), lockout(b.storage)];
    await onA.fail("user");
    await onB.fail("user");
    await onA.fail("user");
    expect(await refusal(onB.fail("user"))).toMatchObject({ status: 429, retryAfter: 60 });
    expect(await refusal(onA.check("user"))).toMatchObject({ status: 429, retryAfter: 60 });

    const rate = (storage: GatewayStorage) => createRateLimiter(storage, { name: "attempts", limit: "3 attempts", max: 3, windowMs: 60_000 });
    const [takeA, takeB] = [rate(a.storage), rate(b.storage)];
    await takeA.take("user");
    await takeB.take("user");
    await takeA.take("user");
    expect((await refusal(takeB.take("user"))).status).toBe(429);
  });
});
