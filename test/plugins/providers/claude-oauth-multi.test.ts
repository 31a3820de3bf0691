import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { createGateway, createLogger, loadGatewayConfig } from "../../../core/index.ts";
import type { ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import { startCli } from "../../_cli.ts";
import { describeRedis, redisUrl } from "../../_redis.ts";
import { testSecret } from "../../_setup.ts";
import { createTempProject } from "../../_tmp.ts";
import { startFakeClaudeOAuthApi } from "../../fixtures/upstreams/claude-oauth-api.ts";
import { startFakeOAuth } from "../../fixtures/upstreams/oauth.ts";

// A key prefix of its own, so parallel runs and other suites never share state; removed after.
const base = `switchyard-claude-oauth-multi-${randomBytes(4).toString("hex")}`;
afterAll(async () => {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = await redis.keys(`${base}:*`);
    if (keys.length) await redis.del(...keys);
  } catch {
    // no Redis: nothing was written
  }
  redis.disconnect();
});

describeRedis("claude-oauth on two gateway processes sharing Redis (Done-when 9)", () => {
  it("refreshes an expired token with exactly one POST while 20 concurrent requests across both processes succeed", async () => {
    const oauth = await startFakeOAuth({ flavor: "claude", tokenDelayMs: 300 });
    const api = await startFakeClaudeOAuthApi({ oauth });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
import claudeOAuth from "switchyard/plugins/providers/claude-oauth";
export default defineGatewayConfig({
  storage: { driver: "redis", url: ${JSON.stringify(redisUrl)}, base: ${JSON.stringify(base)} },
  providers: [claudeOAuth({ authorizeURL: ${JSON.stringify(oauth.authorizeUrl)}, tokenURL: ${JSON.stringify(oauth.tokenUrl)}, apiBaseURL: ${JSON.stringify(api.url)} })],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "claude-*", provider: "claude-oauth" }],
  logging: { level: "warn" },
});`,
    });
    const env = { SWITCHYARD_SECRET: testSecret };
    const children: ChildProcess[] = [];
    try {
      // The account and the client key are written through the same config and secret the processes use.
      const { config } = await loadGatewayConfig({ cwd: project.dir, env: {} });
      const admin = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
      const tokens = oauth.mint();
      const file = { claudeAiOauth: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() - 60_000, scopes: ["user:inference"] } };
      const account = await admin.accounts.admin("claude-oauth").import!({ content: JSON.stringify(file), name: "shared" });
      const key = (await (admin.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "multi" })).key;
      await admin.close();
      oauth.expireAccessTokens(); // the old token is dead upstream as well

      const instances = await Promise.all([0, 1].map(() => startCli(["start", "--cwd", project.dir, "--port", "0"], { env })));
      children.push(...instances.map((i) => i.child));
      const urls = instances.map((i) => i.url);
      const send = (i: number) =>
        fetch(`${urls[i % 2]}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `request ${i}` }] }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as { content?: Array<{ text: string }> } }));

      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(answers.map((a) => a.body.content?.[0]?.text)).toEqual(Array.from({ length: 20 }, (_, i) => `echo: request ${i}`));
      const refreshes = oauth.tokenRequests.filter((r) => r.grantType === "refresh_token");
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]!.body.refresh_token).toBe(tokens.refreshToken);
      const fresh = oauth.issued.at(-1)!.accessToken;
      expect(api.requests).toHaveLength(20);
      expect(api.requests.every((r) => r.headers.authorization === `Bearer ${fresh}`)).toBe(true);

      const printed = instances.map((i) => i.output()).join("\n");
      for (const t of oauth.issued) for (const secret of [t.accessToken, t.refreshToken]) expect(printed).not.toContain(secret);

      // The stored account carries the rotated token's expiry.
      const check = await createGateway((await loadGatewayConfig({ cwd: project.dir, env: {} })).config, { env, logger: createLogger({ level: "silent" }) });
      try {
        const [summary] = await check.accounts.list("claude-oauth");
        expect(summary).toMatchObject({ id: account.id, status: "active" });
        expect(summary!.expiresAt).toBeGreaterThan(Date.now() + 3_600_000);
      } finally {
        await check.close();
      }
    } finally {
      for (const child of children) {
        child.kill("SIGTERM");
        if (child.exitCode === null) await once(child, "exit");
      }
      await Promise.all([oauth.close(), api.close()]);
      project.cleanup();
    }
  }, 60_000);
});
