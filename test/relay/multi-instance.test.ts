import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterAll, afterEach, expect, it } from "vitest";
import { type ClientLimits, createGateway, createLogger, loadGatewayConfig } from "../../core/index.ts";
import type { ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { startCli } from "../_cli.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { testSecret } from "../_setup.ts";
import { createTempProject } from "../_tmp.ts";
import { type FakeUpstream, startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const base = `switchyard-multi-${randomBytes(4).toString("hex")}`;
const UPSTREAM_KEY = "multi-instance-upstream-key-1";
afterAll(async () => {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = await redis.keys(`${base}*`);
    if (keys.length) await redis.del(...keys);
  } catch {
    // no Redis: nothing was written
  }
  redis.disconnect();
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two `switchyard start` processes on one Redis prefix, a fake upstream, and keys with limits. */
async function twoInstances(options: { keys: ClientLimits[]; configExtra?: string }): Promise<{ urls: string[]; children: ChildProcess[]; keys: string[]; upstream: FakeUpstream }> {
  const upstream = await startFakeAnthropic({ keys: [UPSTREAM_KEY] });
  cleanups.push(() => upstream.close());
  const prefix = `${base}-${randomBytes(3).toString("hex")}`;
  const project = createTempProject({
    "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "redis", url: ${JSON.stringify(redisUrl)}, base: ${JSON.stringify(prefix)} },
  providers: [anthropicApi({ keys: [${JSON.stringify(UPSTREAM_KEY)}], baseURL: ${JSON.stringify(upstream.url)} })],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "claude-*", provider: "anthropic-api" }],
  ${options.configExtra ?? ""}
  logging: { level: "warn" },
});`,
  });
  cleanups.push(() => project.cleanup());
  const env = { SWITCHYARD_SECRET: testSecret };
  // Keys are created through the same config and secret the processes use.
  const { config } = await loadGatewayConfig({ cwd: project.dir, env: {} });
  const admin = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
  const store = (admin.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
  const keys = [];
  for (const [i, limits] of options.keys.entries()) keys.push((await store.create({ name: `limited ${i}`, limits })).key);
  await admin.close();
  const instances = await Promise.all([0, 1].map(() => startCli(["start", "--cwd", project.dir, "--port", "0"], { env })));
  const children = instances.map((i) => i.child);
  cleanups.push(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
  });
  return { urls: instances.map((i) => i.url), children, keys, upstream };
}

function send(url: string, key: string, options: { stream?: boolean; text?: string } = {}): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream: options.stream ?? false, messages: [{ role: "user", content: options.text ?? "a request with a reply long enough to stream slowly" }] }),
  });
}

const statusOf = (response: Promise<Response>) => response.then(async (res) => (await res.text(), res.status));

describeRedis("two gateway processes on one Redis", () => {
  it("never admit more than a key's concurrency or rpm limit between them", async () => {
    const { urls, keys, upstream } = await twoInstances({ keys: [{ concurrency: 3 }, { rpm: 5 }] });
    const [concurrent, perMinute] = keys as [string, string];
    // Slow streams hold their slots while the other 27 requests arrive at both instances.
    upstream.script(...Array.from({ length: 30 }, () => ({ chunkDelayMs: 60 })));
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => statusOf(send(urls[i % 2]!, concurrent, { stream: true }))));
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBeGreaterThanOrEqual(1);
    expect(admitted).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBe(30 - admitted);

    // A fixed one-minute window: stay clear of its edge so all 20 land in the same window.
    if (new Date().getSeconds() > 50) await new Promise((r) => setTimeout(r, (61 - new Date().getSeconds()) * 1000));
    const rpmStatuses = await Promise.all(Array.from({ length: 20 }, (_, i) => statusOf(send(urls[i % 2]!, perMinute))));
    expect(rpmStatuses.filter((s) => s === 200).length).toBe(5);
    expect(rpmStatuses.filter((s) => s === 429).length).toBe(15);
  }, 90_000);

  it("admit one request, not fifty, when a budget covers one (G1: reservations are shared)", async () => {
    const { urls, keys, upstream } = await twoInstances({
      keys: [{ budgetUsd: 0.01 }],
      // Expensive on purpose: one request's worst case ($0.016 of output alone) exceeds the budget.
      configExtra: `pricing: { "claude-sonnet-4-5": { input: 100, output: 1000 } },`,
    });
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => statusOf(send(urls[i % 2]!, keys[0]!, { text: `budget ${i}` }))));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(49);
    expect(upstream.requests).toHaveLength(1);
  }, 90_000);

  it("reclaim the concurrency slots of a process killed with SIGKILL once their lease ends (G4)", async () => {
    const { urls, children, keys, upstream } = await twoInstances({ keys: [{ concurrency: 2 }], configExtra: "relay: { slotLeaseMs: 2000 }," });
    const [doomed, survivor] = urls as [string, string];
    // Two streams that outlive the process: their slots are held on the doomed instance.
    upstream.script({ chunkDelayMs: 10_000 }, { chunkDelayMs: 10_000 });
    const held = await Promise.all([send(doomed, keys[0]!, { stream: true }), send(doomed, keys[0]!, { stream: true })]);
    expect(held.map((r) => r.status)).toEqual([200, 200]);
    expect(await statusOf(send(survivor, keys[0]!))).toBe(429);
    children[0]!.kill("SIGKILL");
    await once(children[0]!, "exit");
    for (const response of held) void response.body?.cancel().catch(() => {});
    // The lease (2 s) was never renewed: the survivor gets the slots back without any cleanup.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = await statusOf(send(survivor, keys[0]!));
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  }, 90_000);
});
