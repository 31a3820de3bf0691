// The auth-plugin tutorial in docs/guide/writing-a-plugin.md, run as printed: its code block is
// written to a scratch module and put through the auth conformance suite and a relayed request.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { afterAll, describe, expect, it } from "vitest";
import type { GatewayPlugin } from "../../core/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import { setupGateway } from "../_setup.ts";
import { repoRoot } from "../_tmp.ts";
import { authProbe, testAuth } from "../conformance/auth.ts";
import { type FakeUpstream, startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const page = readFileSync(join(repoRoot, "docs/guide/writing-a-plugin.md"), "utf8");
const block = /```ts\n(\/\/ test: team-token\n[\s\S]*?)```/.exec(page)?.[1];
const dir = join(repoRoot, "test/.tmp", `tutorial-${randomBytes(4).toString("hex")}`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "team-token.ts"), block ?? "export default undefined;");
const { default: teamToken } = (await import(join(dir, "team-token.ts"))) as { default: (options: unknown) => GatewayPlugin<"auth"> };
const TOKEN = `team-token-canary-${randomBytes(12).toString("hex")}`;
const upstreams: FakeUpstream[] = [];
afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe("writing-a-plugin tutorial: team-token", () => {
  it("the page has the marked code block", () => {
    expect(block).toBeDefined();
  });

  testAuth({
    name: "team-token (docs)",
    setup: async () => ({
      gateway: await setupGateway({ auth: [teamToken({ teams: { core: { token: TOKEN, models: ["claude-*"] } } })], plugins: [authProbe()] }),
      validHeaders: { "x-team-token": TOKEN },
    }),
  });

  it("relays for a team and enforces its model list; a short token stops the gateway", async () => {
    const upstream = await startFakeAnthropic({ keys: ["tutorial-upstream-key-0001"] });
    upstreams.push(upstream);
    const gateway = await setupGateway({
      providers: [anthropicApi({ keys: ["tutorial-upstream-key-0001"], baseURL: upstream.url })],
      auth: [teamToken({ teams: { core: { token: TOKEN, models: ["claude-haiku-*"] } } })],
      routes: [{ models: "claude-*", provider: "anthropic-api" }],
    });
    const ask = (model: string) =>
      gateway.request("/v1/messages", { method: "POST", headers: { "x-team-token": TOKEN, "anthropic-version": "2023-06-01", "content-type": "application/json" }, body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }) });
    expect((await ask("claude-haiku-4-5")).status).toBe(200);
    expect((await ask("claude-sonnet-4-5")).status).toBe(403);
    await expect(setupGateway({ auth: [teamToken({ teams: { core: { token: "short" } } })] })).rejects.toThrow(/teams\.core\.token: expected at least 24 characters/);
  });
});
