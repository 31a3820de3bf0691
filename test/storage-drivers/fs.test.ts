import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/storage.ts";
import { fsDriver } from "../../storage-drivers/fs.ts";
import { sleep, testDriver } from "../conformance/driver.ts";
import { spawnWorker } from "./_worker.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const tmp = join(repoRoot, "test/.tmp", `fs-${randomBytes(6).toString("hex")}`);
mkdirSync(tmp, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirs = 0;
/** A new fs storage in its own folder, so file-level assertions see only their own files. */
async function fresh() {
  const base = join(tmp, `own-${++dirs}`);
  return { base, storage: await createGatewayStorage({ driver: "fs", base }) };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("fs driver", () => {
  testDriver({
    name: "fs",
    create: () => createGatewayStorage({ driver: "fs", base: join(tmp, "shared") }),
    additionalTests: () => {
      it("creates folders 0700 and files 0600", async () => {
        const { base, storage } = await fresh();
        await storage.set("a:b", 1);
        await storage.incr("c:d", 1);
        await storage.dispose(); // counters are written behind; dispose flushes them
        expect(mode(base)).toBe(0o700);
        expect(mode(join(base, "a"))).toBe(0o700);
        expect(mode(join(base, "a", "b.json"))).toBe(0o600);
        expect(mode(join(base, ".counters", "c"))).toBe(0o700);
        expect(mode(join(base, ".counters", "c", "d.json"))).toBe(0o600);
      });

      it("maps every key to its own file name, case-insensitive file systems included", async () => {
        const { base, storage } = await fresh();
        const keys = ["a", "a:b", "A", "con", "Con", ".hidden", "%41", "é", "x y"];
        for (const [i, key] of keys.entries()) await storage.set(key, i);
        const names = readdirSync(base).sort();
        expect(names).toEqual(["%2541.json", "%2Ehidden.json", "%41.json", "%43on.json", "%63on.json", "%C3%A9.json", "a", "a.json", "x%20y.json"]);
        expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
        for (const [i, key] of keys.entries()) expect(await storage.get(key)).toBe(i);
        expect((await storage.keys()).sort()).toEqual([...keys].sort());
        await expect(storage.set("x".repeat(300), 1)).rejects.toThrow(/too long for a file name/);
        await storage.dispose();
      });

      it("ignores temp files and foreign files when listing", async () => {
        const { base, storage } = await fresh();
        await storage.set("k", "v");
        writeFileSync(join(base, ".0123.tmp"), "partial");
        writeFileSync(join(base, "README.md"), "hello");
        writeFileSync(join(base, "Upper.json"), "{}");
        expect(await storage.keys()).toEqual(["k"]);
        await storage.dispose();
      });

      it("keeps counters in files under .counters/, outside keys(), across restarts", async () => {
        const { base, storage } = await fresh();
        await storage.incr("hits:day", 41);
        expect(await storage.keys()).toEqual([]);
        await storage.dispose();
        expect(JSON.parse(readFileSync(join(base, ".counters", "hits", "day.json"), "utf8"))).toEqual({ value: 41 });
        const again = await createGatewayStorage({ driver: "fs", base });
        expect(await again.incr("hits:day")).toBe(42);
        await again.dispose();
      });

      it("reports a corrupt file as an error naming the key", async () => {
        const { base, storage } = await fresh();
        await storage.set("bad:entry", 1);
        writeFileSync(join(base, "bad", "entry.json"), "{not json");
        await expect(storage.get("bad:entry")).rejects.toThrow(/Corrupt entry for key "bad:entry"/);
        await expect(storage.has("bad:entry")).rejects.toThrow(/Corrupt entry/);
        await expect(storage.cas("bad:entry", null, 1)).rejects.toThrow(/Corrupt entry/);
        expect(await storage.keys()).toEqual(["bad:entry"]); // still listed, so it can be found and removed
        writeFileSync(join(base, "bad", "entry.json"), JSON.stringify({ value: 1 })); // valid JSON, wrong envelope
        await expect(storage.get("bad:entry")).rejects.toThrow(/Corrupt entry/);
        await storage.remove("bad:entry");
        expect(await storage.get("bad:entry")).toBeNull();
        await storage.incr("n");
        await storage.dispose();
        writeFileSync(join(base, ".counters", "n.json"), "");
        const reopened = await createGatewayStorage({ driver: "fs", base });
        await expect(reopened.incr("n")).rejects.toThrow(/Corrupt entry for key "n"/);
        await reopened.dispose();
      });

      it("deletes expired files lazily and prunes empty folders", async () => {
        const { base, storage } = await fresh();
        await storage.set("t:x", 1, { ttlMs: 50 });
        await sleep(100);
        expect(readdirSync(join(base, "t"))).toEqual(["x.json"]);
        expect(await storage.get("t:x")).toBeNull();
        expect(readdirSync(base)).toEqual([]);
        await storage.dispose();
      });

      it("sweeps expired entries, expired counters and stale temp files in the background", async () => {
        const base = join(tmp, "sweep");
        const driver = fsDriver({ base, sweepIntervalMs: 30 });
        await driver.setItem?.("gone", '"v"', { ttl: 0.01 });
        await driver.setItem?.("kept", '"v"', {});
        await driver.atomics.incr("window", 1, 10);
        const oldTemp = join(base, ".0123456789abcdef.tmp");
        const newTemp = join(base, ".fedcba9876543210.tmp");
        writeFileSync(oldTemp, "x");
        writeFileSync(newTemp, "x");
        utimesSync(oldTemp, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
        await sleep(150);
        expect(readdirSync(base).filter((n) => n !== ".counters").sort()).toEqual([".fedcba9876543210.tmp", "kept.json"]);
        expect(existsSync(join(base, ".counters")) ? readdirSync(join(base, ".counters")) : []).toEqual([]);
        await driver.dispose?.();
      });

      it("writes counters behind within counterFlushMs, coalescing many increments into one write", async () => {
        const base = join(tmp, "behind");
        const driver = fsDriver({ base, counterFlushMs: 30 });
        for (let i = 0; i < 100; i++) await driver.atomics.incr("hits", 1, 0);
        expect(existsSync(join(base, ".counters", "hits.json"))).toBe(false); // nothing on the request path
        await sleep(120);
        expect(JSON.parse(readFileSync(join(base, ".counters", "hits.json"), "utf8"))).toEqual({ value: 100 });
        expect(await driver.atomics.counter("hits")).toBe(100);
        await driver.dispose?.();
      });

      it("a stray temp file from an interrupted write leaves the old value readable", async () => {
        const { base, storage } = await fresh();
        await storage.set("k", { version: 1 });
        // What a crash between writing the temp file and renaming it leaves behind.
        writeFileSync(join(base, ".deadbeef.tmp"), '{"value":"{\\"version\\":');
        expect(await storage.get("k")).toEqual({ version: 1 });
        expect(await storage.keys()).toEqual(["k"]);
        await storage.set("k", { version: 2 });
        expect(await storage.get("k")).toEqual({ version: 2 });
        await storage.dispose();
      });

      it("a process killed while a write is in flight leaves a complete value", async () => {
        const base = join(tmp, "killed");
        const size = 4 * 1024 * 1024;
        const worker = spawnWorker({ mode: "fs-write-loop", base, key: "big", size }, repoRoot);
        await worker.ready;
        // Kill the writer the moment a write is visibly under way: a temp file exists, or the
        // target is shorter than the value (what an in-place write would look like).
        const deadline = Date.now() + 3000;
        while (Date.now() < deadline && !writeInFlight(base, size)) await new Promise((r) => setImmediate(r));
        worker.child.kill("SIGKILL");
        await worker.exited;
        const storage = await createGatewayStorage({ driver: "fs", base });
        const value = await storage.get<{ i: number; pad: string }>("big");
        expect(value?.i).toBeGreaterThanOrEqual(0);
        expect(value?.pad.length).toBe(size);
        expect(await storage.keys()).toEqual(["big"]);
        await storage.dispose();
      });
    },
  });
});

function writeInFlight(base: string, size: number): boolean {
  try {
    return readdirSync(base).some((name) => name.startsWith(".")) || statSync(join(base, "big.json")).size < size;
  } catch {
    return false;
  }
}
