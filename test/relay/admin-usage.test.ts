import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { startRelay } from "./_harness.ts";

async function adminCookie(relay: Awaited<ReturnType<typeof startRelay>>, role: "admin" | "user" = "admin"): Promise<string> {
  const { user } = await relay.gateway.users.findOrCreate({ identity: { provider: "usage-test", subject: role }, name: role, role });
  return `sy_session=${(await relay.gateway.users.sessions.create(user)).token}`;
}

describe("admin usage API", () => {
  it("reports today, per day, per model and per provider from the requests made", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "usage-api" });
    const anthropic = new Anthropic({ apiKey: key, baseURL: relay.url, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `hi ${i}` }] });
    for (let i = 0; i < 2; i++) await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `yo ${i}` }] });
    relay.openai.script({ status: 400 });
    await expect(openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "bad" }] })).rejects.toThrow();

    const response = await fetch(`${relay.url}/admin/usage?days=7`, { headers: { cookie: await adminCookie(relay) } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.daily).toHaveLength(7);
    expect(body.today).toMatchObject({ requests: 6, errors: 1 });
    expect(body.total.requests).toBe(6);
    expect(body.daily.slice(0, 6).every((d: any) => d.requests === 0)).toBe(true);
    const models = Object.fromEntries(body.byModel.map((r: any) => [r.name, r.requests]));
    expect(models).toEqual({ "claude-sonnet-4-5": 3, "gpt-4o-mini": 3 });
    const providers = Object.fromEntries(body.byProvider.map((r: any) => [r.name, [r.requests, r.errors]]));
    expect(providers).toEqual({ "anthropic-api": [3, 0], "openai-compatible": [3, 1] });
    expect(body.today.inputTokens).toBeGreaterThan(0);
    expect(body.today.costUsd).toBeGreaterThan(0);

    const id = (await relay.keys.list())[0]!.id;
    const perKey = (await (await fetch(`${relay.url}/admin/usage/keys/${id}`, { headers: { cookie: await adminCookie(relay) } })).json()) as any;
    expect(perKey.today.requests).toBe(6);
  });

  it("refuses users and bad day counts", async () => {
    const relay = await startRelay();
    expect((await fetch(`${relay.url}/admin/usage`, { headers: { cookie: await adminCookie(relay, "user") } })).status).toBe(403);
    for (const days of ["0", "91", "x", "1.5"]) {
      expect((await fetch(`${relay.url}/admin/usage?days=${days}`, { headers: { cookie: await adminCookie(relay) } })).status).toBe(400);
    }
  });
});
