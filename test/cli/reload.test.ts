import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "pathe";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli } from "../_cli.ts";
import { testSecret } from "../_setup.ts";
import { createTempProject } from "../_tmp.ts";
import { waitFor } from "../conformance/provider.ts";
import { startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const UPSTREAM_KEY = "reload-test-upstream-key-000001";

function configText(url: string, extra: { routes: string; pricing?: string; bodyLimit?: number }): string {
  return `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import anthropicApi from "switchyard/plugins/providers/anthropic-api";
export default defineGatewayConfig({
  storage: { driver: "sqlite", path: ".data/gateway.sqlite" },
  providers: [anthropicApi({ keys: [${JSON.stringify(UPSTREAM_KEY)}], baseURL: ${JSON.stringify(url)} })],
  auth: [apiKey()],
  routes: ${extra.routes},
  ${extra.pricing ? `pricing: ${extra.pricing},` : ""}
  ${extra.bodyLimit !== undefined ? `server: { bodyLimitBytes: ${extra.bodyLimit} },` : ""}
  logging: { level: "info" },
});`;
}

describe("config hot reload", () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("applies new routes and pricing, keeps the last good config on a bad file, and names what needs a restart", async () => {
    const upstream = await startFakeAnthropic({ keys: [UPSTREAM_KEY] });
    cleanups.push(() => upstream.close());
    const project = createTempProject({ "gateway.config.ts": configText(upstream.url, { routes: `[{ models: "claude-*", provider: "anthropic-api" }]` }) });
    cleanups.push(() => project.cleanup());
    const env = { SWITCHYARD_SECRET: testSecret };
    const key = (await runCli(["keys", "create", "--cwd", project.dir, "--name", "reload"], { env })).stdout.trim().split("\n").at(-1)!;
    const { child, url, output } = await startCli(["start", "--cwd", project.dir, "--port", "0"], { env });
    cleanups.push(async () => {
      if ((child as ChildProcess).exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    });
    const models = async () => ((await (await fetch(`${url}/v1/models`, { headers: { "x-api-key": key } })).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(await models()).not.toContain("house-model");

    const file = join(project.dir, "gateway.config.ts");
    writeFileSync(file, configText(upstream.url, { routes: `[{ models: "claude-*", provider: "anthropic-api" }, { models: "house-model", provider: "anthropic-api", model: "claude-sonnet-4-5" }]`, pricing: `{ "claude-sonnet-4-5": { input: 1, output: 2 } }` }));
    await waitFor(() => /reloaded routes, pricing/.test(output()), 15_000, "the reload log line");
    expect(await models()).toContain("house-model");
    const answer = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" }, body: JSON.stringify({ model: "house-model", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }) });
    expect(answer.status).toBe(200);
    expect((upstream.requests.at(-1)!.body as { model: string }).model).toBe("claude-sonnet-4-5");

    writeFileSync(file, "export default {{ broken");
    await waitFor(() => /reload refused, the last good config stays/.test(output()), 15_000, "the refusal");
    expect(await models()).toContain("house-model");

    writeFileSync(file, configText(upstream.url, { routes: `[{ models: "gpt-*", provider: "no-such-provider" }]` }));
    await waitFor(() => (output().match(/reload refused/g) ?? []).length >= 2, 15_000, "the second refusal");
    expect(await models()).toContain("house-model");

    writeFileSync(file, configText(upstream.url, { routes: `[{ models: "claude-*", provider: "anthropic-api" }, { models: "house-model", provider: "anthropic-api", model: "claude-sonnet-4-5" }]`, pricing: `{ "claude-sonnet-4-5": { input: 1, output: 2 } }`, bodyLimit: 4096 }));
    await waitFor(() => /only applied after a restart: server/.test(output()), 15_000, "the restart note");
    expect(output()).not.toContain(UPSTREAM_KEY);
  });
});
