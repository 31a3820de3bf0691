import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { GatewayStorage, StorageOptions } from "../../core/index.ts";
import type { UsageRecord } from "../../core/relay/usage.ts";
import { redisAvailable, redisUrl } from "../_redis.ts";
import { repoRoot } from "../_tmp.ts";
import { fakeInputTokens } from "../fixtures/upstreams/_server.ts";
import { startRelay } from "./_harness.ts";

const tmp = `${repoRoot}/test/.tmp/usage-${randomBytes(4).toString("hex")}`;
const redisBase = `switchyard-usage-${randomBytes(4).toString("hex")}`;
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (!redisAvailable) return;
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${redisBase}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const storages: [string, StorageOptions][] = [
  ["fs", { driver: "fs", base: `${tmp}/fs` }],
  ["sqlite", { driver: "sqlite", path: `${tmp}/usage.sqlite` }],
  ["redis", { driver: "redis", url: redisUrl, base: redisBase }],
];

async function logged(storage: GatewayStorage): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for (const key of await storage.keys("usage:log")) out.push(...((await storage.get<UsageRecord[]>(key)) ?? []));
  return out;
}

describe.each(storages)("usage accounting on %s", (_name, storage) => {
  it("records exactly one row per request and exact token sums for 200 concurrent requests", async () => {
    const relay = await startRelay({ config: { storage } });
    const key = await relay.createKey({ name: "usage" });
    const texts = Array.from({ length: 200 }, (_, i) => `request number ${i} ${"x".repeat(i % 17)}`);
    const results = await Promise.all(
      texts.map(async (text, i) => {
        const res = await fetch(`${relay.url}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, stream: i % 2 === 0, messages: [{ role: "user", content: text }] }),
        });
        await res.text();
        return res.status;
      }),
    );
    expect(results.every((s) => s === 200)).toBe(true);
    await relay.server.close(); // flushes usage
    const { createGatewayStorage } = await import("../../core/index.ts");
    const store = await createGatewayStorage(storage);
    try {
      const records = (await logged(store)).filter((r) => r.keyId !== undefined);
      const mine = records.filter((r) => r.status === "ok" && r.model === "claude-sonnet-4-5" && texts.length);
      const expectedInput = relay.anthropic.requests.reduce((sum, r) => sum + fakeInputTokens(r.bodyBytes), 0);
      const expectedOutput = texts.reduce((sum, t) => sum + `echo: ${t}`.length, 0);
      const principalId = mine[0]!.keyId!;
      const ours = records.filter((r) => r.keyId === principalId);
      expect(ours).toHaveLength(200);
      expect(new Set(ours.map((r) => r.requestId)).size).toBe(200);
      expect(ours.reduce((s, r) => s + r.inputTokens, 0)).toBe(expectedInput);
      expect(ours.reduce((s, r) => s + r.outputTokens, 0)).toBe(expectedOutput);
      const day = new Date().toISOString().slice(0, 10);
      expect(await store.counter(`usage:key:${principalId}:day:${day}:requests`)).toBe(200);
      expect(await store.counter(`usage:key:${principalId}:day:${day}:input`)).toBe(expectedInput);
      expect(await store.counter(`usage:key:${principalId}:total:output`)).toBe(expectedOutput);
      expect(await store.counter(`usage:key:${principalId}:total:costMicros`)).toBe(ours.reduce((s, r) => s + r.costMicros, 0));
      expect(ours.every((r) => r.costMicros > 0 && r.latencyMs > 0)).toBe(true);
    } finally {
      await store.dispose();
    }
  }, 60_000);
});

describe("client disconnect", () => {
  it("before the first byte: aborts the waiting upstream call, tries no other account, records client_aborted", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey({ name: "gone early", limits: { concurrency: 1 } });
    relay.anthropic.script({ stallBeforeHeadersMs: 3000 });
    const controller = new AbortController();
    const pending = fetch(`${relay.url}/v1/messages`, {
      method: "POST", signal: controller.signal,
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "never mind" }] }),
    }).catch((error: unknown) => error);
    while (relay.anthropic.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await pending;
    const abortedAt = Date.now();
    while (relay.anthropic.aborted === 0 && Date.now() - abortedAt < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(relay.anthropic.aborted).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(relay.anthropic.requests).toHaveLength(1); // no failover for a client that left
    await relay.gateway.hooks.callHook("close");
    expect((await logged(relay.gateway.storage)).map((r) => r.status)).toEqual(["client_aborted"]);
  });


  it("aborts the upstream within 1 s, frees the slot and records client_aborted", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "impatient", limits: { concurrency: 1 } });
    relay.anthropic.script({ chunkDelayMs: 300 });
    const controller = new AbortController();
    const res = await fetch(`${relay.url}/v1/messages`, {
      method: "POST", signal: controller.signal,
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, stream: true, messages: [{ role: "user", content: "a slow and long answer please" }] }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first bytes arrived: the stream is live
    const abortedAt = Date.now();
    controller.abort();
    while (relay.anthropic.aborted === 0 && Date.now() - abortedAt < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(relay.anthropic.aborted).toBe(1);
    // The only slot is free again: the next request is admitted.
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      const next = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "next" }] }),
      });
      status = next.status;
      await next.text();
      if (status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(200);
    await relay.gateway.hooks.callHook("close");
    const records = await logged(relay.gateway.storage);
    expect(records.map((r) => r.status).sort()).toEqual(["client_aborted", "ok"]);
  });
});
