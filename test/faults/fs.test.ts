import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/storage.ts";
import { repoRoot } from "../_tmp.ts";

// security.md E3: a crash between writing the temp file and renaming it over the target. The
// temp file is named as writeAtomic names it (`.<16 hex>.tmp` next to the target) and holds a
// complete, fsynced newer value: exactly what a kill after fsync and before rename leaves.
// (A SIGKILL during the write itself is test/storage-drivers/fs.test.ts.)

const tmp = join(repoRoot, "test/.tmp", `faults-fs-${randomBytes(6).toString("hex")}`);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tempName = () => `.${randomBytes(8).toString("hex")}.tmp`;
const envelope = (value: unknown) => JSON.stringify({ value: JSON.stringify(value) });

describe("storage faults: fs crash between write and rename", () => {
  it("a value: the old one stays readable (also after a restart); the next write wins", async () => {
    const base = join(tmp, "kv");
    const first = await createGatewayStorage({ driver: "fs", base });
    await first.set("keys:k1", { version: 1 });
    await first.dispose();
    const stray = join(base, "keys", tempName());
    writeFileSync(stray, envelope({ version: 2 }), { mode: 0o600 });

    const restarted = await createGatewayStorage({ driver: "fs", base });
    expect(await restarted.get("keys:k1")).toEqual({ version: 1 });
    expect(await restarted.keys("keys")).toEqual(["keys:k1"]);
    await restarted.set("keys:k1", { version: 3 });
    expect(await restarted.get("keys:k1")).toEqual({ version: 3 });
    expect(await restarted.cas("keys:k1", { version: 3 }, { version: 4 })).toBe(true);
    expect(await restarted.get("keys:k1")).toEqual({ version: 4 });
    await restarted.dispose();
    expect(readdirSync(join(base, "keys")).filter((n) => !n.endsWith(".tmp"))).toEqual(["k1.json"]);
  });

  it("a counter: the last flushed value stays; increments continue from it", async () => {
    const base = join(tmp, "ctr");
    const first = await createGatewayStorage({ driver: "fs", base });
    await first.incr("hits", 5);
    await first.dispose(); // flushes the write-behind counter
    const dir = join(base, ".counters");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, tempName()), JSON.stringify({ value: 999 }), { mode: 0o600 });

    const restarted = await createGatewayStorage({ driver: "fs", base });
    expect(await restarted.counter("hits")).toBe(5);
    expect(await restarted.incr("hits")).toBe(6);
    await restarted.dispose();
  });
});
