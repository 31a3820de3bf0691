/**
 * Child-process side of the multi-process storage tests, and the helpers the parent uses
 * to drive it. Run as `node --import tsx test/storage-drivers/_worker.ts '<json command>'`.
 * Deliberately free of vitest imports: it runs outside the test runner.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { type StorageOptions, createGatewayStorage } from "../../core/storage.ts";
import type { GatewayStorage } from "../../core/types/storage.ts";

export interface HammerPlan {
  /** Prefix shared by every process of one test. */
  prefix: string;
  increments: number[];
  lockRounds: number;
}

export interface HammerResult {
  sum: number;
  rounds: number;
  /** Times this process saw another holder inside the critical section, or failed to release. */
  violations: number;
  /** Failed acquire attempts: proof that the processes actually competed for the lock. */
  contended: number;
}

export type WorkerCommand =
  | { mode: "hammer"; storage: StorageOptions; plan: HammerPlan }
  | { mode: "fs-write-loop"; base: string; key: string; size: number };

/**
 * Increment `total` by every planned step while, concurrently, taking `lock` and doing a
 * non-atomic read-modify-write of `guarded` inside it. Inside the lock `inside` must be 1.
 */
export async function hammer(storage: GatewayStorage, plan: HammerPlan): Promise<HammerResult> {
  const s = storage.withPrefix(plan.prefix);
  const result: HammerResult = { sum: 0, rounds: 0, violations: 0, contended: 0 };
  const counting = (async () => {
    for (const by of plan.increments) {
      await s.incr("total", by);
      result.sum += by;
    }
  })();
  const locking = (async () => {
    for (let i = 0; i < plan.lockRounds; i++) {
      const owner = await acquireWithRetry(s, "lock", 10_000, () => result.contended++);
      if ((await s.incr("inside", 1)) !== 1) result.violations++;
      const seen = (await s.get<number>("guarded")) ?? 0;
      await sleep(Math.random() < 0.5 ? 0 : 1);
      await s.set("guarded", seen + 1);
      await s.incr("inside", -1);
      if (!(await s.release("lock", owner))) result.violations++;
      result.rounds++;
      await sleep(1); // let the other process in instead of re-taking the lock at once
    }
  })();
  await Promise.all([counting, locking]);
  return result;
}

/** A spawned worker: resolves `ready` once it is set up; `go()` starts it; `result` is its last line. */
export interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  go(): void;
  result: Promise<unknown>;
  exited: Promise<number | null>;
}

export function spawnWorker(command: WorkerCommand, cwd: string): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "test/storage-drivers/_worker.ts", JSON.stringify(command)], {
    cwd,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let last: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") resolve();
      else last = line;
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
  ready.catch(() => {});
  const result = exited.then((code) => {
    if (code !== 0 || last === undefined) throw new Error(`worker failed with exit code ${code}`);
    return JSON.parse(last) as unknown;
  });
  result.catch(() => {});
  return { child, ready, go: () => child.stdin!.end("go\n"), result, exited };
}

export async function acquireWithRetry(s: GatewayStorage, key: string, ttlMs: number, onBusy?: () => void): Promise<string> {
  const budgetMs = 20_000;
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const owner = await s.acquire(key, ttlMs);
    if (owner) return owner;
    onBusy?.();
    if (Date.now() > deadline) throw new Error(`could not acquire ${key} within ${budgetMs} ms`);
    await (Math.random() < 0.5 ? new Promise((resolve) => setImmediate(resolve)) : sleep(1));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- child process entry ---

async function main(command: WorkerCommand): Promise<void> {
  if (command.mode === "hammer") {
    const storage = await createGatewayStorage(command.storage);
    await storage.ping(5000);
    process.stdout.write("ready\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    const result = await hammer(storage, command.plan);
    await storage.dispose();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  // Rewrite one large value forever, until the parent kills us mid-write.
  const storage = await createGatewayStorage({ driver: "fs", base: command.base });
  const pad = "x".repeat(command.size);
  for (let i = 0; ; i++) {
    await storage.set(command.key, { i, pad });
    if (i === 0) process.stdout.write("ready\n");
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(JSON.parse(process.argv[2] ?? "{}") as WorkerCommand).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
