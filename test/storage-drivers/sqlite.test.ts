import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/storage.ts";
import { testDriver } from "../conformance/driver.ts";
import { testCrossProcessAtomics } from "./_cross-process.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const tmp = join(repoRoot, "test/.tmp", `sqlite-${randomBytes(6).toString("hex")}`);
const path = join(tmp, "db", "switchyard.sqlite");
mkdirSync(tmp, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("sqlite driver", () => {
  testDriver({
    name: "sqlite",
    create: () => createGatewayStorage({ driver: "sqlite", path }),
    additionalTests: (ctx) => {
      it("creates its folder 0700 and the database files 0600", async () => {
        await ctx.fresh().set("k", 1);
        expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
      });

      it("shares one file between connections: data, counters and locks", async () => {
        const other = await createGatewayStorage({ driver: "sqlite", path });
        const prefix = `conn-${randomBytes(4).toString("hex")}`;
        const a = ctx.storage.withPrefix(prefix);
        const b = other.withPrefix(prefix);
        await a.set("k", { v: 1 });
        expect(await b.get("k")).toEqual({ v: 1 });
        await Promise.all([...Array.from({ length: 50 }, () => a.incr("c")), ...Array.from({ length: 50 }, () => b.incr("c", 2))]);
        expect(await a.counter("c")).toBe(150);
        const owner = await a.acquire("l", 5000);
        expect(await b.acquire("l", 5000)).toBeNull();
        expect(await b.release("l", "x")).toBe(false);
        expect(await a.release("l", owner!)).toBe(true);
        expect(await b.cas("k", { v: 1 }, { v: 2 })).toBe(true);
        expect(await a.cas("k", { v: 1 }, { v: 3 })).toBe(false);
        await other.dispose();
        // Reopening the file finds everything again.
        const reopened = await createGatewayStorage({ driver: "sqlite", path });
        expect(await reopened.withPrefix(prefix).get("k")).toEqual({ v: 2 });
        expect(await reopened.withPrefix(prefix).counter("c")).toBe(150);
        await reopened.dispose();
      });

      it("opens :memory: without touching the disk, and refuses use after dispose", async () => {
        const s = await createGatewayStorage({ driver: "sqlite", path: ":memory:" });
        await s.set("k", 1);
        expect(await s.get("k")).toBe(1);
        expect(existsSync(resolve(":memory:"))).toBe(false);
        await s.dispose();
        await expect(s.get("k")).rejects.toThrow(/used after dispose/);
      });

      testCrossProcessAtomics(() => ctx.storage, { driver: "sqlite", path });
    },
  });
});
