import { describe, expect, it } from "vitest";
import { startRelay } from "./_harness.ts";

const json = { "content-type": "application/json" };

describe("client endpoints", () => {
  it("answers auth, permission, routing and body errors in each endpoint's own envelope, with no upstream call", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "claude only", models: ["claude-*"] });
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${relay.url}${path}`, { method: "POST", headers: { ...json, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
    const chat = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
    const anthropic = { model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] };

    const noKey = await post("/v1/messages", {}, anthropic);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const badKey = await post("/v1/chat/completions", { authorization: "Bearer sk-sy-nope" }, chat);
    expect(badKey.status).toBe(401);
    expect(await badKey.json()).toMatchObject({ error: { type: "authentication_error", code: "invalid_api_key" } });

    const forbidden = await post("/v1/chat/completions", { authorization: `Bearer ${key}` }, chat);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { type: "permission_error", message: "This key may not use the model gpt-4o-mini" } });
    const responses = await post("/v1/responses", { authorization: `Bearer ${key}` }, { model: "gpt-4o-mini", input: "hi" });
    expect(responses.status).toBe(403);

    const open = await relay.createKey({ name: "open" });
    const nowhere = await post("/v1/messages", { "x-api-key": open }, { ...anthropic, model: "llama-3" });
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toMatchObject({ type: "error", error: { type: "not_found_error", message: "The model llama-3 is not routed to any provider" } });

    const notJson = await post("/v1/messages", { "x-api-key": key }, "{not json");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const noModel = await post("/v1/messages", { "x-api-key": key }, { messages: [] });
    expect(await noModel.json()).toMatchObject({ error: { message: "model: is required" } });
    expect(relay.anthropic.requests.length + relay.openai.requests.length).toBe(0);
  });

  it("filters /v1/models by the key's allow-list and tells a key about itself", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "claude only", models: ["claude-*"], limits: { rpm: 100 } });
    const models = await (await fetch(`${relay.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(models).toEqual({ object: "list", data: [expect.objectContaining({ id: "claude-haiku-4-5", object: "model" }), expect.objectContaining({ id: "claude-sonnet-4-5" })] });
    const info = await (await fetch(`${relay.url}/v1/key-info`, { headers: { "x-api-key": key } })).json();
    expect(info).toMatchObject({ name: "claude only", models: ["claude-*"], limits: { rpm: 100 } });
    expect(JSON.stringify(info)).not.toContain(key);
  });

  it("counts tokens through the upstream when it can, and estimates otherwise", async () => {
    const relay = await startRelay({ config: { routes: [{ models: "claude-*", provider: "anthropic-api" }, { models: "gpt-*", provider: "openai-compatible" }] } });
    const key = await relay.createKey();
    const count = (model: string) =>
      fetch(`${relay.url}/v1/messages/count_tokens`, { method: "POST", headers: { ...json, "x-api-key": key, "anthropic-version": "2023-06-01" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "count these words" }] }) });
    const upstream = await (await count("claude-sonnet-4-5")).json();
    expect(upstream.input_tokens).toBeGreaterThan(0);
    expect(relay.anthropic.requests.at(-1)!.path).toBe("/v1/messages/count_tokens");
    const estimated = await (await count("gpt-4o-mini")).json();
    expect(estimated.input_tokens).toBeGreaterThan(0);
    expect(relay.openai.requests).toHaveLength(0);
  });

  it("counts tokens on an account the scheduler would pick: never a cooling one", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    relay.anthropic.script({ status: 429, headers: { "retry-after": "60" } });
    const first = await fetch(`${relay.url}/v1/messages`, {
      method: "POST", headers: { ...json, "x-api-key": key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(first.status).toBe(200); // key-1 answered 429 and cools; key-2 served
    const cooled = relay.anthropic.requests[0]!.headers["x-api-key"];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${relay.url}/v1/messages/count_tokens`, {
        method: "POST", headers: { ...json, "x-api-key": key, "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "count" }] }),
      });
      expect(res.status).toBe(200);
      expect(relay.anthropic.requests.at(-1)!.headers["x-api-key"]).not.toBe(cooled);
    }
  });

  it("sends a Chat client the usage chunk only when it asked for one, whatever the upstream", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const stream = async (model: string, includeUsage: boolean) => {
      const res = await fetch(`${relay.url}/v1/chat/completions`, {
        method: "POST", headers: { ...json, authorization: `Bearer ${key}` },
        body: JSON.stringify({ model, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}), messages: [{ role: "user", content: "usage?" }] }),
      });
      const chunks = (await res.text()).split("\n\n").filter((r) => r.startsWith("data: {")).map((r) => JSON.parse(r.slice(6)));
      return chunks.filter((c) => c.usage && c.choices.length === 0).length;
    };
    for (const model of ["gpt-4o-mini", "claude-sonnet-4-5"]) {
      expect(await stream(model, false)).toBe(0);
      expect(await stream(model, true)).toBe(1);
    }
    // Either way the gateway asked the OpenAI upstream for usage, so it could account.
    expect(relay.openai.requests.every((r) => (r.body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true)).toBe(true);
  });
});
