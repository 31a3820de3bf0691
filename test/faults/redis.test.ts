import { afterEach, beforeEach, describe, expect, it } from "vitest";
import apiKey from "../../plugins/auth/api-key/index.ts";
import { type RelayHarness, startRelay } from "../relay/_harness.ts";
import { type OwnRedis, startOwnRedis } from "./_redis-server.ts";

// security.md E1, E2: Redis refused or frozen → fast 503 with retry-after in the client's
// dialect, /ready 503, no request reaches the upstream (limits fail closed), and recovery
// without restarting the gateway. The 10 s test timeouts catch a hang; nothing here times speed.

const MESSAGE = { model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] };
const CHAT = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] };

describe("storage faults: redis", () => {
  let redis: OwnRedis;
  beforeEach(async () => {
    redis = await startOwnRedis();
  });
  afterEach(async () => {
    await redis.cleanup();
  });

  async function relay(cacheTtlMs: number): Promise<RelayHarness> {
    return startRelay({ config: { storage: { driver: "redis", url: redis.url, base: "faults" }, auth: [apiKey({ cacheTtlMs })] } });
  }
  const send = (h: RelayHarness, key: string, path = "/v1/messages", body: unknown = MESSAGE) =>
    fetch(`${h.url}${path}`, { method: "POST", headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" }, body: JSON.stringify(body) });

  async function expectRefused(h: RelayHarness, key: string): Promise<void> {
    const before = h.anthropic.requests.length;
    const anthropic = await send(h, key);
    expect(anthropic.status).toBe(503);
    expect(anthropic.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(((await anthropic.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
    const openai = await send(h, key, "/v1/chat/completions", CHAT);
    expect(openai.status).toBe(503);
    expect(openai.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(((await openai.json()) as { error: { type: string } }).error.type).toBe("server_error");
    expect((await fetch(`${h.url}/ready`)).status).toBe(503);
    expect(h.anthropic.requests.length).toBe(before);
  }

  async function expectRecovered(h: RelayHarness, key: string): Promise<void> {
    // ioredis reconnects on its own (backoff up to 2 s); poll, never restart the gateway.
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await send(h, key)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await fetch(`${h.url}/ready`)).status).toBe(200);
  }

  it("refused: 503 + retry-after, /ready 503, recovers when Redis is back", { timeout: 20_000 }, async () => {
    const h = await relay(0);
    const key = await h.createKey({ name: "k", limits: { rpm: 1000 } });
    expect((await send(h, key)).status).toBe(200);
    await redis.stop();
    await expectRefused(h, key);
    await redis.start();
    await expectRecovered(h, key);
  });

  it("paused (SIGSTOP): 503 + retry-after within the command budget, recovers on SIGCONT", { timeout: 20_000 }, async () => {
    const h = await relay(0);
    const key = await h.createKey({ name: "k", limits: { rpm: 1000 } });
    expect((await send(h, key)).status).toBe(200);
    redis.pause();
    try {
      await expectRefused(h, key);
    } finally {
      redis.resume();
    }
    await expectRecovered(h, key);
  });

  // The key is cached, so authentication passes without Redis: only the limits need it.
  for (const fault of ["stop", "pause"] as const) {
    it(`limits fail closed while Redis is ${fault === "stop" ? "refused" : "paused"}: no per-instance fallback`, { timeout: 20_000 }, async () => {
      const h = await relay(60_000);
      const key = await h.createKey({ name: "k", limits: { rpm: 1000, concurrency: 4 } });
      expect((await send(h, key)).status).toBe(200);
      const before = h.anthropic.requests.length;
      if (fault === "stop") await redis.stop();
      else redis.pause();
      try {
        for (let i = 0; i < 3; i++) {
          const response = await send(h, key);
          expect(response.status).toBe(503);
          expect(response.headers.get("retry-after")).not.toBeNull();
        }
        expect(h.anthropic.requests.length).toBe(before);
      } finally {
        if (fault === "stop") await redis.start();
        else redis.resume();
      }
      await expectRecovered(h, key);
    });
  }
});
