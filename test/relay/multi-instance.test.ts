import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { createGateway, createLogger, loadGatewayConfig } from "../../core/index.ts";
import type { ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { startCli } from "../_cli.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { testSecret } from "../_setup.ts";
import { createTempProject } from "../_tmp.ts";
import { startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const base = `switchyard-multi-${randomBytes(4).toString("hex")}`;
afterAll(async () => {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = (await Promise.all(["", "-budget", "-lease"].map((suffix) => redis.keys(`${base}${suffix}:*`)))).flat();
    if (keys.length) await redis.del(...keys);
  } catch {
    // no Redis: nothing was written
  }
  redis.disconnect();
});

describeRedis("two gateway processes on one Redis", () => {
  it("never admit more than a key's concurrency or rpm limit between them", async () => {
    const upstream = await startFakeAnthropic({ keys: ["multi-instance-upstream-key-1"] });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "redis", url: ${JSON.stringify(redisUrl)}, base: ${JSON.stringify(base)} },
  providers: [anthropicApi({ keys: ["multi-instance-upstream-key-1"], baseURL: ${JSON.stringify(upstream.url)} })],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "claude-*", provider: "anthropic-api" }],
  logging: { level: "warn" },
});`,
    });
    const env = { SWITCHYARD_SECRET: testSecret };
    const children: ChildProcess[] = [];
    try {
      // Keys are created through the same config and secret the processes use.
      const { config } = await loadGatewayConfig({ cwd: project.dir, env: {} });
      const admin = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
      const keys = (admin.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      const concurrent = (await keys.create({ name: "three at a time", limits: { concurrency: 3 } })).key;
      const perMinute = (await keys.create({ name: "five a minute", limits: { rpm: 5 } })).key;
      await admin.close();

      const instances = await Promise.all([0, 1].map(() => startCli(["start", "--cwd", project.dir, "--port", "0"], { env })));
      children.push(...instances.map((i) => i.child));
      const urls = instances.map((i) => i.url);
      const send = (i: number, key: string, stream: boolean) =>
        fetch(`${urls[i % 2]}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream, messages: [{ role: "user", content: `request ${i} with a reply long enough to stream slowly` }] }),
        }).then(async (res) => (await res.text(), res.status));

      // Slow streams hold their slots while the other 27 requests arrive at both instances.
      upstream.script(...Array.from({ length: 30 }, () => ({ chunkDelayMs: 60 })));
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => send(i, concurrent, true)));
      const admitted = statuses.filter((s) => s === 200).length;
      expect(admitted).toBeGreaterThanOrEqual(1);
      expect(admitted).toBeLessThanOrEqual(3);
      expect(statuses.filter((s) => s === 429).length).toBe(30 - admitted);

      // A fixed one-minute window: stay clear of its edge so all 20 land in the same window.
      if (new Date().getSeconds() > 50) await new Promise((r) => setTimeout(r, (61 - new Date().getSeconds()) * 1000));
      const rpmStatuses = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i, perMinute, false)));
      expect(rpmStatuses.filter((s) => s === 200).length).toBe(5);
      expect(rpmStatuses.filter((s) => s === 429).length).toBe(15);
    } finally {
      for (const child of children) {
        child.kill("SIGTERM");
        if (child.exitCode === null) await once(child, "exit");
      }
      await upstream.close();
      project.cleanup();
    }
  }, 90_000);

  it("admit one request, not fifty, when a budget covers one (G1: reservations are shared)", async () => {
    const upstream = await startFakeAnthropic({ keys: ["multi-instance-upstream-key-2"] });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "redis", url: ${JSON.stringify(redisUrl)}, base: ${JSON.stringify(`${base}-budget`)} },
  providers: [anthropicApi({ keys: ["multi-instance-upstream-key-2"], baseURL: ${JSON.stringify(upstream.url)} })],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "claude-*", provider: "anthropic-api" }],
  // Expensive on purpose: one request's worst case ($0.016 of output alone) exceeds the budget.
  pricing: { "claude-sonnet-4-5": { input: 100, output: 1000 } },
  logging: { level: "warn" },
});`,
    });
    const env = { SWITCHYARD_SECRET: testSecret };
    const children: ChildProcess[] = [];
    try {
      const { config } = await loadGatewayConfig({ cwd: project.dir, env: {} });
      const admin = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
      const keys = (admin.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      const key = (await keys.create({ name: "one request of budget", limits: { budgetUsd: 0.01 } })).key;
      await admin.close();
      const instances = await Promise.all([0, 1].map(() => startCli(["start", "--cwd", project.dir, "--port", "0"], { env })));
      children.push(...instances.map((i) => i.child));
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${instances[i % 2]!.url}/v1/messages`, {
            method: "POST",
            headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
            body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `budget ${i}` }] }),
          }).then(async (res) => (await res.text(), res.status)),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 429)).toHaveLength(49);
      expect(upstream.requests).toHaveLength(1);
    } finally {
      for (const child of children) {
        child.kill("SIGTERM");
        if (child.exitCode === null) await once(child, "exit");
      }
      await upstream.close();
      project.cleanup();
    }
  }, 90_000);

  it("reclaim the concurrency slots of a process killed with SIGKILL once their lease ends (G4)", async () => {
    const upstream = await startFakeAnthropic({ keys: ["multi-instance-upstream-key-3"] });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "redis", url: ${JSON.stringify(redisUrl)}, base: ${JSON.stringify(`${base}-lease`)} },
  providers: [anthropicApi({ keys: ["multi-instance-upstream-key-3"], baseURL: ${JSON.stringify(upstream.url)} })],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "claude-*", provider: "anthropic-api" }],
  relay: { slotLeaseMs: 2000 },
  logging: { level: "warn" },
});`,
    });
    const env = { SWITCHYARD_SECRET: testSecret };
    const children: ChildProcess[] = [];
    try {
      const { config } = await loadGatewayConfig({ cwd: project.dir, env: {} });
      const admin = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
      const keys = (admin.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      const key = (await keys.create({ name: "two at a time", limits: { concurrency: 2 } })).key;
      await admin.close();
      const [doomed, survivor] = await Promise.all([0, 1].map(() => startCli(["start", "--cwd", project.dir, "--port", "0"], { env })));
      children.push(doomed!.child, survivor!.child);
      const send = (url: string, stream: boolean) =>
        fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream, messages: [{ role: "user", content: "hold the slot with a long enough reply" }] }),
        });
      // Two streams that outlive the process: their slots are held on the doomed instance.
      upstream.script({ chunkDelayMs: 10_000 }, { chunkDelayMs: 10_000 });
      const held = await Promise.all([send(doomed!.url, true), send(doomed!.url, true)]);
      expect(held.map((r) => r.status)).toEqual([200, 200]);
      expect((await send(survivor!.url, false)).status).toBe(429);
      doomed!.child.kill("SIGKILL");
      await once(doomed!.child, "exit");
      for (const response of held) void response.body?.cancel().catch(() => {});
      // The lease (2 s) was never renewed: the survivor gets the slots back without any cleanup.
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = (await send(survivor!.url, false)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe(200);
    } finally {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          await once(child, "exit");
        }
      }
      await upstream.close();
      project.cleanup();
    }
  }, 90_000);
});
