import { describe, expect, it } from "vitest";
import { startRelay } from "../relay/_harness.ts";

const STEERING = { api_base: "http://127.0.0.1:9/x", base_url: "http://127.0.0.1:9", baseURL: "http://127.0.0.1:9", custom_host: "127.0.0.1:9", api_key: "sk-client-supplied", extra_headers: { "x-api-key": "other" } };

describe("client-supplied upstream overrides (I1)", () => {
  it("are dropped before the upstream call, same dialect too, at the top level and in metadata", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "overrides" });
    const anthropic = await fetch(`${relay.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }], metadata: { user_id: "u-1", ...STEERING }, ...STEERING }),
    });
    expect(anthropic.status).toBe(200);
    const openai = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], user: "u-2", ...STEERING }),
    });
    expect(openai.status).toBe(200);
    const sentToAnthropic = relay.anthropic.requests.at(-1)!.body as Record<string, unknown>;
    const sentToOpenAI = relay.openai.requests.at(-1)!.body as Record<string, unknown>;
    for (const field of Object.keys(STEERING)) {
      expect(sentToAnthropic, field).not.toHaveProperty(field);
      expect(sentToAnthropic.metadata as object, `metadata.${field}`).not.toHaveProperty(field);
      expect(sentToOpenAI, field).not.toHaveProperty(field);
    }
    // Everything else passes through untouched.
    expect(sentToAnthropic.metadata).toEqual({ user_id: "u-1" });
    expect(sentToOpenAI.user).toBe("u-2");
  });
});
