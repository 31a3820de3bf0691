import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { resolveGatewayConfig } from "../../core/index.ts";
import { startRelay } from "./_harness.ts";

const PREFIXES = ["/api", "/claude", "/openai"];

describe("relay.legacyPrefixes", () => {
  it("serves the relay under each prefix with the same handlers, guards and error dialects", async () => {
    const relay = await startRelay({ config: { relay: { legacyPrefixes: PREFIXES } } });
    const key = await relay.createKey({ name: "legacy", models: ["claude-*", "gpt-*"] });
    for (const prefix of PREFIXES) {
      const anthropic = new Anthropic({ apiKey: key, baseURL: `${relay.url}${prefix}`, maxRetries: 0 });
      const message = await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `via ${prefix}` }] });
      expect(message.content[0]).toMatchObject({ type: "text", text: `echo: via ${prefix}` });
      const openai = new OpenAI({ apiKey: key, baseURL: `${relay.url}${prefix}/v1`, maxRetries: 0 });
      const chat = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `chat ${prefix}` }] });
      expect(chat.choices[0]!.message.content).toBe(`echo: chat ${prefix}`);
      const anonymous = await fetch(`${relay.url}${prefix}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { type: string }).type).toBe("error");
    }
    const routes = relay.gateway.routes.filter((r) => r.path.endsWith("/v1/messages"));
    expect(routes.map((r) => r.path).sort()).toEqual(["/api/v1/messages", "/claude/v1/messages", "/openai/v1/messages", "/v1/messages"]);
    expect(routes.every((r) => r.access === "client")).toBe(true);
  });

  it("is off by default", async () => {
    const relay = await startRelay();
    expect(relay.gateway.routes.some((r) => r.path.startsWith("/api/"))).toBe(false);
  });

  it.each([["api"], ["/api/"], ["/admin"], ["/V1"], [5]])("refuses the prefix %j", (prefix) => {
    expect(() => resolveGatewayConfig({ relay: { legacyPrefixes: [prefix as string] } })).toThrow(/relay\.legacyPrefixes\[0\]: expected a path prefix/);
  });
});
