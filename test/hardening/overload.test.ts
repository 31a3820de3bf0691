import { describe, expect, it } from "vitest";
import { startRelay } from "../relay/_harness.ts";

describe("overload shedding (J6)", () => {
  it("past server.maxOpenStreams new relay requests get a fast 503 while open streams finish", async () => {
    const relay = await startRelay({ config: { server: { maxOpenStreams: 2 } } });
    const key = await relay.createKey({ name: "shed" });
    const ask = (stream: boolean, path = "/v1/messages") =>
      fetch(`${relay.url}${path}`, {
        method: "POST",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream, messages: [{ role: "user", content: "a stream that takes its time to finish" }] }),
      });
    relay.anthropic.script({ chunkDelayMs: 100 }, { chunkDelayMs: 100 });
    const open = await Promise.all([ask(true), ask(true)]);
    expect(open.map((r) => r.status)).toEqual([200, 200]);

    const shed = await ask(false);
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("1");
    expect(await shed.json()).toMatchObject({ type: "error", error: { type: "overloaded_error", message: expect.stringMatching(/limit of 2 open streams/) } });
    const openai = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }) });
    expect(openai.status).toBe(503);
    expect(((await openai.json()) as { error: { message: string } }).error.message).toMatch(/open streams/);
    expect((await fetch(`${relay.url}/health`)).status).toBe(200);
    const requestsBefore = relay.anthropic.requests.length;

    // The open streams run to their end, untouched by the shedding.
    const texts = await Promise.all(open.map((r) => r.text()));
    for (const text of texts) expect(text).toContain("event: message_stop");
    expect(relay.anthropic.requests.length).toBe(requestsBefore);
    expect((await ask(false)).status).toBe(200);
  });
});
