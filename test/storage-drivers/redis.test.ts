import { randomBytes } from "node:crypto";
import { type AddressInfo, type Socket, createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/storage.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { testDriver } from "../conformance/driver.ts";
import { testCrossProcessAtomics } from "./_cross-process.ts";

const base = `switchyard-test-${randomBytes(6).toString("hex")}`;

describeRedis("redis driver", () => {
  const raw = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(async () => {
    // Delete everything this run wrote (counters and locks too, which clear() leaves).
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `${base}:*`, "COUNT", 1000);
      if (keys.length) await raw.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await raw.quit();
  });

  testDriver({
    name: "redis",
    create: () => createGatewayStorage({ driver: "redis", url: redisUrl, base }),
    additionalTests: (ctx) => {
      it("lays keys out as <base>:kv|ctr|lock:<key> with native expiry", async () => {
        const s = ctx.storage.withPrefix("layout");
        await s.set("k", { b: 1, a: 2 }, { ttlMs: 60_000 });
        await s.incr("c", 2, 60_000);
        await s.acquire("l", 60_000);
        expect(await raw.get(`${base}:kv:layout:k`)).toBe('{"a":2,"b":1}');
        expect(await raw.get(`${base}:ctr:layout:c`)).toBe("2");
        expect(await raw.get(`${base}:lock:layout:l`)).toMatch(/^[A-Za-z0-9_-]{22}$/);
        for (const key of ["kv:layout:k", "ctr:layout:c", "lock:layout:l"]) {
          const pttl = await raw.pttl(`${base}:${key}`);
          expect(pttl).toBeGreaterThan(50_000);
          expect(pttl).toBeLessThanOrEqual(60_000);
        }
      });

      it("lists keys containing glob characters literally", async () => {
        const s = ctx.fresh();
        for (const key of ["a*", "a[b]", "a-z", "ab", "x^"]) await s.set(key, 1);
        await s.set("a*:in", 1);
        expect(await s.keys("a*")).toEqual(["a*:in"]);
        expect((await s.keys()).sort()).toEqual(["a*", "a*:in", "a-z", "a[b]", "ab", "x^"]);
        await s.clear("a*");
        expect(await s.has("a*:in")).toBe(false);
        expect(await s.has("ab")).toBe(true);
      });

      // Commands against a dead server must reject, not queue forever (the 5 s test timeout catches a hang).
      it("fails instead of hanging when Redis is unreachable", { timeout: 5000 }, async () => {
        const dead = await createGatewayStorage({ driver: "redis", url: "redis://127.0.0.1:1", base });
        await expect(dead.get("k")).rejects.toThrow();
        await expect(dead.incr("k")).rejects.toThrow();
        await expect(dead.ping(300)).rejects.toThrow();
        await dead.dispose();
      });

      it("refuses use after dispose instead of reconnecting", async () => {
        const s = await createGatewayStorage({ driver: "redis", url: redisUrl, base });
        await s.set("k", 1);
        await s.dispose();
        await expect(s.get("k")).rejects.toThrow(/used after dispose/);
      });

      it("fails instead of hanging when Redis accepts connections but never answers", { timeout: 5000 }, async () => {
        const sockets = new Set<Socket>();
        const blackHole = createServer((socket) => void sockets.add(socket));
        await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
        const { port } = blackHole.address() as AddressInfo;
        const silent = await createGatewayStorage({ driver: "redis", url: `redis://127.0.0.1:${port}`, base });
        await expect(silent.ping(200)).rejects.toThrow(/ping to the redis driver timed out after 200 ms/);
        await expect(silent.get("k")).rejects.toThrow(/timed out/);
        await silent.dispose();
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => blackHole.close(resolve));
      });

      testCrossProcessAtomics(() => ctx.storage, { driver: "redis", url: redisUrl, base });
    },
  });
});
