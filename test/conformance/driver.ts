import { randomBytes } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageKey } from "../../core/storage.ts";
import type { GatewayStorage } from "../../core/types/storage.ts";
import { acquireWithRetry, sleep } from "../storage-drivers/_worker.ts";

export { sleep };

/** What `additionalTests` receives: the driver's storage and a fresh, unused prefix per call. */
export interface DriverTestContext {
  readonly storage: GatewayStorage;
  fresh(): GatewayStorage;
}

export interface TestDriverOptions {
  name: string;
  create: () => Promise<GatewayStorage>;
  additionalTests?: (ctx: DriverTestContext) => void;
}

/**
 * The conformance suite every storage driver runs (unstorage `testDriver` style): call it
 * inside the driver test file's `describe`. Each test works under its own random prefix,
 * so runs never collide even on a shared Redis.
 */
export function testDriver(options: TestDriverOptions): void {
  let root: GatewayStorage | undefined;
  const run = randomBytes(4).toString("hex");
  let n = 0;
  const ctx: DriverTestContext = {
    get storage() {
      if (!root) throw new Error(`${options.name}: storage not created yet`);
      return root;
    },
    fresh: () => ctx.storage.withPrefix(`t${++n}-${run}`),
  };

  beforeAll(async () => {
    root = await options.create();
  });
  afterAll(async () => {
    await root?.dispose();
  });

  describe(`${options.name} conformance`, () => {
    it("sets, gets, checks and removes", async () => {
      const s = ctx.fresh();
      expect(await s.get("a")).toBeNull();
      expect(await s.has("a")).toBe(false);
      await s.set("a", { hello: "world", n: [1, 2] });
      expect(await s.get("a")).toEqual({ hello: "world", n: [1, 2] });
      expect(await s.has("a")).toBe(true);
      await s.set("a", 2);
      expect(await s.get("a")).toBe(2);
      await s.remove("a");
      await s.remove("a"); // removing a missing key is fine
      expect(await s.get("a")).toBeNull();
      expect(await s.has("a")).toBe(false);
    });

    it("lists keys, optionally under a base", async () => {
      const s = ctx.fresh();
      for (const key of ["a:b", "a:c:d", "ab", "b", "a"]) await s.set(key, key);
      expect((await s.keys()).sort()).toEqual(["a", "a:b", "a:c:d", "ab", "b"]);
      expect((await s.keys("a")).sort()).toEqual(["a:b", "a:c:d"]);
      expect(await s.keys("a:c")).toEqual(["a:c:d"]);
      expect(await s.keys("ab")).toEqual([]);
      expect(await s.keys("zz")).toEqual([]);
    });

    it("clears everything or a base, twice without error", async () => {
      const s = ctx.fresh();
      for (const key of ["x:1", "x:2", "y"]) await s.set(key, 1);
      await s.clear("x");
      expect(await s.keys()).toEqual(["y"]);
      await s.clear();
      await s.clear();
      expect(await s.keys()).toEqual([]);
      expect(await s.get("y")).toBeNull();
    });

    it("keeps falsy values; null removes (null means absent everywhere)", async () => {
      const s = ctx.fresh();
      const values: [string, unknown][] = [["zero", 0], ["empty", ""], ["no", false], ["arr", []], ["obj", {}]];
      for (const [key, value] of values) await s.set(key, value);
      for (const [key, value] of values) {
        expect(await s.get(key)).toStrictEqual(value);
        expect(await s.has(key)).toBe(true);
      }
      await s.set("zero", null);
      expect(await s.has("zero")).toBe(false);
      expect(await s.get("zero")).toBeNull();
    });

    it("returns strings that look like JSON as strings", async () => {
      const s = ctx.fresh();
      const strings = ["true", "false", "null", "123", "-1.5e3", '{"a":1}', "[1,2]", '"quoted"', "base64:aGk=", " 1 ", "undefined", "\u0000", "é😀"];
      for (const [i, value] of strings.entries()) await s.set(`s${i}`, value);
      for (const [i, value] of strings.entries()) expect(await s.get(`s${i}`)).toBe(value);
    });

    it("refuses undefined and non-JSON values, and stores a snapshot", async () => {
      const s = ctx.fresh();
      await expect(s.set("u", undefined)).rejects.toThrow(/undefined/);
      await expect(s.set("f", () => 1)).rejects.toThrow(/not JSON-serializable/);
      expect(await s.has("u")).toBe(false);
      const value = { list: [1] };
      await s.set("snap", value);
      value.list.push(2);
      expect(await s.get("snap")).toEqual({ list: [1] });
      const big = "x".repeat(256 * 1024);
      await s.set("big", big);
      expect(await s.get("big")).toBe(big);
    });

    it.concurrent("expires entries after ttlMs", async () => {
      const s = ctx.fresh();
      await s.set("short", "v", { ttlMs: 100 });
      await s.set("kept", "v", { ttlMs: 100 });
      await s.set("kept", "w"); // a later set without ttl persists
      await s.set("long", "v", { ttlMs: 60_000 });
      expect(await s.get("short")).toBe("v");
      await sleep(200);
      expect(await s.get("short")).toBeNull();
      expect(await s.has("short")).toBe(false);
      expect((await s.keys()).sort()).toEqual(["kept", "long"]);
      expect(await s.get("kept")).toBe("w");
      for (const ttlMs of [0, -1, Number.NaN]) await expect(s.set("bad", 1, { ttlMs })).rejects.toThrow(/ttlMs/);
    });

    it("isolates withPrefix views (values, keys, clear, counters, locks)", async () => {
      const s = ctx.fresh();
      const a = s.withPrefix("a");
      const b = s.withPrefix("b");
      await a.set("k", "from a");
      await b.set("k", "from b");
      expect(await a.get("k")).toBe("from a");
      expect(await a.keys()).toEqual(["k"]);
      expect((await s.keys()).sort()).toEqual(["a:k", "b:k"]);
      await a.withPrefix("deep").set("k", 1);
      expect(await s.get("a:deep:k")).toBe(1);
      await a.clear();
      expect(await a.keys()).toEqual([]);
      expect(await b.get("k")).toBe("from b");
      expect(await a.incr("c", 5)).toBe(5);
      expect(await b.counter("c")).toBe(0);
      expect(await a.acquire("l", 5000)).toBeTypeOf("string");
      expect(await b.acquire("l", 5000)).toBeTypeOf("string");
    });

    it("rejects keys that unstorage would rewrite or that escape their segment", async () => {
      const s = ctx.fresh();
      const bad = ["", ":a", "a:", "a::b", "a/b", "a\\b", "a?b", "?", ".", "..", "a:..:b", "a:.", "k$", "x\ud800"];
      for (const key of bad) {
        const invalid = /^\[switchyard\] \[storage\] Invalid key/;
        await expect(s.get(key), key).rejects.toThrow(invalid);
        await expect(s.set(key, 1), key).rejects.toThrow(invalid);
        await expect(s.has(key), key).rejects.toThrow(invalid);
        await expect(s.remove(key), key).rejects.toThrow(invalid);
        await expect(s.incr(key), key).rejects.toThrow(invalid);
        await expect(s.counter(key), key).rejects.toThrow(invalid);
        await expect(s.acquire(key, 100), key).rejects.toThrow(invalid);
        await expect(s.cas(key, null, 1), key).rejects.toThrow(invalid);
        if (key) await expect(s.keys(key), key).rejects.toThrow(invalid);
        expect(() => s.withPrefix(key), key).toThrow(invalid);
      }
      expect(await s.keys()).toEqual([]);
    });

    it("storageKey escapes untrusted parts into keys that round-trip", async () => {
      const s = ctx.fresh();
      const parts = ["a:b", "c/d\\e", "?x#y", "..", ".", "", "%", "$", "\u0000\n", "é 😀", "\udc00"];
      const key = storageKey(...parts);
      expect(key.split(":")).toHaveLength(parts.length);
      await s.set(key, "ok");
      expect(await s.get(key)).toBe("ok");
      expect(await s.keys()).toEqual([key]);
      expect(storageKey("a:b")).not.toBe(storageKey("a", "b"));
      expect(storageKey("")).not.toBe(storageKey("%"));
      expect(storageKey("plain-id_1")).toBe("plain-id_1");
      for (const part of ["a:b", "c/d\\e", "..", "%", "é 😀"]) expect(decodeURIComponent(storageKey(part))).toBe(part);
      expect(() => storageKey()).toThrow(/at least one part/);
    });

    it("counts: running totals, negative steps, separate from key-value entries", async () => {
      const s = ctx.fresh();
      expect(await s.counter("c")).toBe(0);
      expect(await s.has("c")).toBe(false);
      expect(await s.incr("c")).toBe(1);
      expect(await s.incr("c", 4)).toBe(5);
      expect(await s.incr("c", -7)).toBe(-2);
      expect(await s.incr("c", 0)).toBe(-2);
      expect(await s.counter("c")).toBe(-2);
      expect(await s.keys()).toEqual([]);
      expect(await s.get("c")).toBeNull();
      await s.clear();
      expect(await s.counter("c")).toBe(-2); // clear() only touches key-value entries
      for (const by of [1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) await expect(s.incr("c", by)).rejects.toThrow(/safe integer/);
      await expect(s.incr("c", 1, -5)).rejects.toThrow(/ttlMs/);
    });

    it.concurrent("expires counters as a fixed window and counter() never creates one", async () => {
      const s = ctx.fresh();
      expect(await s.counter("w")).toBe(0); // must not create a counter without expiry...
      expect(await s.incr("w", 1, 300)).toBe(1); // ...or this window would never end
      await sleep(100);
      expect(await s.incr("w", 1, 300)).toBe(2); // does not extend the window
      expect(await s.counter("w")).toBe(2);
      await sleep(300);
      expect(await s.counter("w")).toBe(0);
      expect(await s.incr("w", 3, 300)).toBe(3);
      expect(await s.incr("n", 1)).toBe(1); // no expiry yet...
      expect(await s.incr("n", 1, 100)).toBe(2); // ...so this starts one
      await sleep(150);
      expect(await s.counter("n")).toBe(0);
    });

    it.concurrent("locks: one holder, owner-checked release, expiry", async () => {
      const s = ctx.fresh();
      const owner = await s.acquire("l", 5000);
      expect(owner).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(await s.acquire("l", 5000)).toBeNull();
      expect(await s.release("l", "not-the-owner")).toBe(false);
      expect(await s.acquire("l", 5000)).toBeNull();
      expect(await s.release("l", owner!)).toBe(true);
      expect(await s.release("l", owner!)).toBe(false);
      const next = await s.acquire("l", 100);
      expect(next).not.toBeNull();
      expect(next).not.toBe(owner);
      await sleep(200);
      const third = await s.acquire("l", 5000);
      expect(third).not.toBeNull();
      expect(await s.release("l", next!)).toBe(false); // an expired holder cannot release the new one
      expect(await s.acquire("l", 5000)).toBeNull();
      await expect(s.acquire("l", 0)).rejects.toThrow(/ttlMs/);
    });

    it.concurrent("locks: the owner extends its lease; nobody else can", async () => {
      const s = ctx.fresh();
      const owner = await s.acquire("lease", 150);
      expect(await s.extend("lease", "not-the-owner", 5000)).toBe(false);
      expect(await s.extend("lease", owner!, 1000)).toBe(true);
      await sleep(300); // past the first lease, inside the extended one
      expect(await s.acquire("lease", 5000)).toBeNull();
      expect(await s.release("lease", owner!)).toBe(true);
      await expect(s.extend("lease", owner!, 0)).rejects.toThrow(/ttlMs/);
    });

    it.concurrent("compare-and-set", async () => {
      const s = ctx.fresh();
      expect(await s.cas("k", null, { a: 1, b: [2] })).toBe(true);
      expect(await s.get("k")).toEqual({ a: 1, b: [2] });
      expect(await s.cas("k", null, "other")).toBe(false);
      expect(await s.cas("k", { a: 2, b: [2] }, "other")).toBe(false);
      expect(await s.get("k")).toEqual({ a: 1, b: [2] });
      expect(await s.cas("k", { b: [2], a: 1 }, { z: 0, y: { d: 1, c: 2 } })).toBe(true); // key order is irrelevant
      await s.set("k", { y: { c: 2, d: 1 }, z: 0 });
      expect(await s.cas("k", { z: 0, y: { d: 1, c: 2 } }, "true")).toBe(true);
      expect(await s.cas("k", true, 1)).toBe(false); // the string "true" is not the boolean
      expect(await s.cas("k", "true", null)).toBe(true);
      expect(await s.has("k")).toBe(false);
      expect(await s.cas("k", "true", 1)).toBe(false);
      expect(await s.cas("t", null, 1, { ttlMs: 100 })).toBe(true);
      await sleep(200);
      expect(await s.cas("t", null, 2)).toBe(true); // expired counts as absent
      expect(await s.get("t")).toBe(2);
    });

    describe("properties", () => {
      const anyUnit = fc.oneof(
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
        fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
        fc.constantFrom("%", ":", "/", "\\", "?", "#", "$", ".", "\u0000", " ", "A"),
      );
      const parts = fc.array(fc.string({ unit: anyUnit, maxLength: 10 }), { minLength: 1, maxLength: 4 });
      const safeSegment = fc
        .string({ unit: "binary", minLength: 1, maxLength: 8 })
        .filter((seg) => !/[:/\\?]|\p{Cs}/u.test(seg) && seg !== "." && seg !== "..");
      const safeKey = fc
        .array(safeSegment, { minLength: 1, maxLength: 4 })
        .map((segments) => segments.join(":"))
        .filter((key) => !key.endsWith("$"));

      propTest.prop([parts, fc.jsonValue()], { numRuns: 100 })("set then get: storageKey keys, JSON values", async (p, value) => {
        const s = ctx.fresh();
        const key = storageKey(...p);
        await s.set(key, value);
        expect(await s.get(key)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(await s.keys()).toEqual(value === null ? [] : [key]);
      });

      propTest.prop([safeKey, fc.jsonValue()], { numRuns: 100 })("set then get: arbitrary safe keys", async (key, value) => {
        const s = ctx.fresh();
        await s.set(key, value);
        expect(await s.get(key)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(await s.keys()).toEqual(value === null ? [] : [key]);
      });

      propTest.prop([parts, parts], { numRuns: 200 })("storageKey is injective", (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(storageKey(...a)).not.toBe(storageKey(...b));
      });

      propTest.prop([fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 })], { numRuns: 100 })(
        "concurrent increments sum up",
        async (steps) => {
          const s = ctx.fresh();
          const totals = await Promise.all(steps.map((by) => s.incr("c", by)));
          const sum = steps.reduce((a, b) => a + b, 0);
          expect(await s.counter("c")).toBe(sum);
          // Every caller sees a distinct running total (no lost update); the largest is the sum.
          expect(new Set(totals).size).toBe(steps.length);
          expect(Math.max(...totals)).toBe(sum);
        },
      );

      // Each contender holds the lock for a few event-loop turns (0 = a microtask, 1 = a macrotask, 2 = a timer).
      propTest.prop([fc.array(fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 5 })], { numRuns: 100 })(
        "at most one lock holder at a time",
        async (contenders) => {
          const s = ctx.fresh();
          let inside = 0;
          let entered = 0;
          await Promise.all(
            contenders.map(async (delays) => {
              for (const delay of delays) {
                const owner = await acquireWithRetry(s, "lock", 5000);
                inside++;
                entered++;
                expect(inside).toBe(1);
                await pause(delay);
                inside--;
                expect(await s.release("lock", owner)).toBe(true);
              }
            }),
          );
          expect(entered).toBe(contenders.flat().length);
        },
      );
    });

    options.additionalTests?.(ctx);
  });
}

/** Yield for a microtask (0), a macrotask (1) or a 1 ms timer (2). */
function pause(kind: number): Promise<void> {
  if (kind === 0) return Promise.resolve();
  if (kind === 1) return new Promise((resolve) => setImmediate(resolve));
  return sleep(1);
}
