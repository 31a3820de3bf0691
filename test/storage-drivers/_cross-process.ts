import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import type { StorageOptions } from "../../core/storage.ts";
import type { GatewayStorage } from "../../core/types/storage.ts";
import { type HammerResult, hammer, spawnWorker } from "./_worker.ts";

const repoRoot = resolve(import.meta.dirname, "../..");

/**
 * For drivers shared between instances: this process and a child process hammer the same
 * counter and lock at once; the counter must equal the sum of both sides' increments and no
 * holder may ever see another inside the lock.
 */
export function testCrossProcessAtomics(storage: () => GatewayStorage, options: StorageOptions): void {
  it("two OS processes: counters add up and the lock excludes", async () => {
    const plan = (n: number) => ({
      prefix: `mp-${randomBytes(4).toString("hex")}`,
      increments: Array.from({ length: n }, () => 1 + Math.floor(Math.random() * 5)),
      lockRounds: 60,
    });
    const mine = plan(2000);
    const theirs = { ...plan(2000), prefix: mine.prefix };
    const worker = spawnWorker({ mode: "hammer", storage: options, plan: theirs }, repoRoot);
    await worker.ready;
    worker.go();
    const [own, child] = await Promise.all([hammer(storage(), mine), worker.result as Promise<HammerResult>]);
    const s = storage().withPrefix(mine.prefix);
    expect(own.violations).toBe(0);
    expect(child.violations).toBe(0);
    expect(child.sum).toBe(theirs.increments.reduce((a, b) => a + b, 0));
    expect(await s.counter("total")).toBe(own.sum + child.sum);
    expect(await s.get("guarded")).toBe(own.rounds + child.rounds);
    expect(own.rounds + child.rounds).toBe(120);
    expect(await s.counter("inside")).toBe(0);
    expect(own.contended + child.contended).toBeGreaterThan(0); // the processes really competed
  });
}
