import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../core/index.ts";
import { captureLogs } from "../../core/logger.ts";
import apiKey, { type ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import { setupGateway } from "../_setup.ts";
import { type FakeUpstream, startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";

const UPSTREAM_KEY = "access-log-upstream-key-canary-91";
const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

describe("access log", () => {
  it("writes one JSON line per relayed request with ids, model, status, timing and tokens, and no secret", async () => {
    const upstream = await startFakeAnthropic({ keys: [UPSTREAM_KEY] });
    upstreams.push(upstream);
    const logs = captureLogs({ mute: true });
    try {
      const gateway = await setupGateway(
        { providers: [anthropicApi({ keys: [UPSTREAM_KEY], baseURL: upstream.url })], auth: [apiKey()], routes: [{ models: "claude-*", provider: "anthropic-api" }] },
        { logger: createLogger({ level: "info", json: true }) },
      );
      const created = await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "logged" });
      for (const content of ["one", "two"]) {
        const response = await gateway.request("/v1/messages", {
          method: "POST",
          headers: { "x-api-key": created.key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content }] }),
        });
        expect(response.status).toBe(200);
      }
      const lines = logs.lines.map((line) => JSON.parse(line) as { tag?: string; level: string; data?: Record<string, unknown> }).filter((l) => l.tag === "relay");
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line.level).toBe("info");
        expect(line.data).toMatchObject({ requestId: expect.stringMatching(/^req_/), keyId: created.record.id, provider: "anthropic-api", accountId: "key-1", model: "claude-sonnet-4-5", status: "ok" });
        expect(line.data!.latencyMs).toBeTypeOf("number");
        expect(line.data!.inputTokens).toBeGreaterThan(0);
        expect(line.data!.outputTokens).toBeGreaterThan(0);
      }
      expect(logs.text()).not.toContain(UPSTREAM_KEY);
      expect(logs.text()).not.toContain(created.key);
      expect(logs.text()).not.toMatch(/"one"|"two"/);
    } finally {
      logs.stop();
    }
  });
});
