import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createGateway, createLogger, resolveGatewayConfig, startServer } from "../../core/index.ts";
import { StorageUnavailableError } from "../../core/storage.ts";
import { sqliteDriver } from "../../storage-drivers/sqlite.ts";
import apiKey, { type ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import { testSecret } from "../_setup.ts";
import { repoRoot } from "../_tmp.ts";
import { startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

// security.md E4: another connection holds SQLite's write lock → a write waits busyTimeoutMs,
// then fails as StorageUnavailableError → 503 with retry-after; once the lock is gone, it works.

const tmp = join(repoRoot, "test/.tmp", `faults-sqlite-${randomBytes(6).toString("hex")}`);
mkdirSync(tmp, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A second connection on the same file holding the write lock (BEGIN IMMEDIATE) until release(). */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.prepare("BEGIN IMMEDIATE").run();
  return {
    release() {
      other.prepare("COMMIT").run();
      other.close();
    },
  };
}

describe("storage faults: sqlite busy", () => {
  it("a write waits busyTimeoutMs, then fails as StorageUnavailableError; reads go on; works after release", async () => {
    const path = join(tmp, "driver.sqlite");
    const driver = sqliteDriver({ path, busyTimeoutMs: 200 });
    await driver.setItemRaw!("k", "1", {});
    const lock = holdWriteLock(path);
    try {
      await expect(driver.setItemRaw!("k", "2", {})).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(driver.atomics.incr("c", 1, 0)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(driver.atomics.cas("k", "1", "3")).rejects.toThrow(/locked by another connection \(SQLITE_BUSY/);
      expect(await driver.getItemRaw!("k", {})).toBe("1"); // WAL: readers are not blocked by a writer
    } finally {
      lock.release();
    }
    await driver.setItemRaw!("k", "2", {});
    expect(await driver.atomics.incr("c", 1, 0)).toBe(1);
    expect(await driver.getItemRaw!("k", {})).toBe("2");
    await driver.dispose!();
  });

  it("a relayed request whose limits need a write answers 503 + retry-after, reaches no upstream, then recovers", { timeout: 25_000 }, async () => {
    const path = join(tmp, "gateway.sqlite");
    const anthropic = await startFakeAnthropic({ keys: ["anthropic-upstream-key-a-000001"] });
    const env = { SWITCHYARD_SECRET: testSecret };
    const resolved = resolveGatewayConfig(
      {
        storage: { driver: "sqlite", path },
        providers: [anthropicApi({ keys: ["anthropic-upstream-key-a-000001"], baseURL: anthropic.url, models: ["claude-sonnet-4-5"] })],
        auth: [apiKey({ cacheTtlMs: 60_000 })], // the key is cached: only admission needs storage
        routes: [{ models: "claude-*", provider: "anthropic-api" }],
        relay: { usageFlushMs: 60_000 }, // no usage write may wait on the lock too
      },
      { env },
    );
    // The default busy timeout (5 s) applies: busyTimeoutMs is not a config-file key.
    const gateway = await createGateway(resolved, { env, logger: createLogger({ level: "silent" }) });
    const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
    try {
      const strategy = gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy;
      const { key } = await strategy.keys.create({ name: "k", limits: { rpm: 1000 } });
      const send = () =>
        fetch(new URL("/v1/messages", server.url), {
          method: "POST",
          headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
        });
      expect((await send()).status).toBe(200);
      const before = anthropic.requests.length;
      const lock = holdWriteLock(path);
      try {
        const refused = await send();
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
        expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
        expect(anthropic.requests.length).toBe(before);
      } finally {
        lock.release();
      }
      expect((await send()).status).toBe(200);
    } finally {
      await server.close();
      await anthropic.close();
    }
  });
});
