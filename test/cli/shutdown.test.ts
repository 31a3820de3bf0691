import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/index.ts";
import type { UsageRecord } from "../../core/relay/usage.ts";
import { runCli, startCli } from "../_cli.ts";
import { testSecret } from "../_setup.ts";
import { type TempProject, createTempProject } from "../_tmp.ts";
import { type FakeUpstream, startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const UPSTREAM_KEY = "shutdown-test-upstream-key-000001";

describe("graceful shutdown", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("on SIGTERM an open stream completes, its usage is recorded, and the process exits 0", async () => {
    const upstream: FakeUpstream = await startFakeAnthropic({ keys: [UPSTREAM_KEY] });
    cleanups.push(() => upstream.close());
    const project: TempProject = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "sqlite", path: ".data/gateway.sqlite" },
  providers: [anthropicApi({ keys: [${JSON.stringify(UPSTREAM_KEY)}], baseURL: ${JSON.stringify(upstream.url)} })],
  auth: [apiKey()],
  routes: [{ models: "claude-*", provider: "anthropic-api" }],
  logging: { level: "warn" },
});`,
    });
    cleanups.push(() => project.cleanup());
    const env = { SWITCHYARD_SECRET: testSecret };
    const created = await runCli(["keys", "create", "--cwd", project.dir, "--name", "shutdown"], { env });
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split("\n").at(-1)!;

    const { child, url } = await startCli(["start", "--cwd", project.dir, "--port", "0"], { env });
    cleanups.push(async () => {
      if ((child as ChildProcess).exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    });
    // Every record after the first waits 150 ms: the stream is still open when SIGTERM lands.
    upstream.script({ chunkDelayMs: 150 });
    const response = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, stream: true, messages: [{ role: "user", content: "a slow stream" }] }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain("event: message_stop");
    const [code] = await exited;
    expect(code).toBe(0);

    const storage = await createGatewayStorage({ driver: "sqlite", path: `${project.dir}/.data/gateway.sqlite` });
    try {
      const records: UsageRecord[] = [];
      for (const k of await storage.keys("usage:log")) records.push(...((await storage.get<UsageRecord[]>(k)) ?? []));
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ status: "ok", model: "claude-sonnet-4-5" });
      expect(records[0]!.outputTokens).toBeGreaterThan(0);
    } finally {
      await storage.dispose();
    }
  });
});
