import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { setupGateway } from "../_setup.ts";
import { startRelay } from "./_harness.ts";

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (want.every((pair) => (match[2] ?? "").includes(pair))) total += Number(match[3]);
  }
  return total;
}

describe("GET /metrics", () => {
  it("counts the requests, tokens, errors and streams that were relayed", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "metrics" });
    const anthropic = new Anthropic({ apiKey: key, baseURL: relay.url, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `m ${i}` }] });
    for (let i = 0; i < 2; i++) {
      const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: `s ${i}` }] });
      for await (const _chunk of stream) void _chunk;
    }
    relay.openai.script({ status: 400 });
    await expect(openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "bad" }] })).rejects.toThrow();

    const { user } = await relay.gateway.users.findOrCreate({ identity: { provider: "metrics-test", subject: "a" }, name: "a", role: "admin" });
    const cookie = `sy_session=${(await relay.gateway.users.sessions.create(user)).token}`;
    const scrape = await fetch(`${relay.url}/metrics`, { headers: { cookie } });
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    expect(sample(text, "switchyard_relay_requests_total", { provider: "anthropic-api", model: "claude-sonnet-4-5", status: "ok" })).toBe(3);
    expect(sample(text, "switchyard_relay_requests_total", { provider: "openai-compatible", status: "ok" })).toBe(2);
    expect(sample(text, "switchyard_relay_requests_total", { provider: "openai-compatible", status: "error" })).toBe(1);
    expect(sample(text, "switchyard_relay_duration_seconds_count", { provider: "anthropic-api" })).toBe(3);
    expect(sample(text, "switchyard_relay_ttfb_seconds_count", { provider: "openai-compatible" })).toBe(2);
    expect(sample(text, "switchyard_tokens_total", { provider: "anthropic-api", type: "input" })).toBeGreaterThan(0);
    expect(sample(text, "switchyard_http_responses_total", { route: "/v1/messages", status: "200" })).toBe(3);
    expect(sample(text, "switchyard_http_responses_total", { route: "/v1/chat/completions", status: "400" })).toBe(1);
    expect(sample(text, "switchyard_upstream_errors_total", { provider: "openai-compatible", status: "400" })).toBe(1);
    expect(sample(text, "switchyard_open_streams")).toBe(0);
    expect(sample(text, "switchyard_accounts", { provider: "anthropic-api", status: "active" })).toBe(1);
    expect(text).not.toContain(key);
  });

  it("the scrape token opens /metrics and nothing else; anonymous callers get 401", async () => {
    const token = "metrics-scrape-token-0123456789abcdefghijkl";
    const gateway = await setupGateway({}, { env: { SWITCHYARD_METRICS_TOKEN: token } });
    expect((await gateway.request("/metrics")).status).toBe(401);
    expect((await gateway.request("/metrics", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await gateway.request("/admin/users", { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
