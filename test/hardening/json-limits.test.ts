import { describe, expect, it } from "vitest";
import { startRelay } from "../relay/_harness.ts";

// J2: JSON nested deeper than 128 levels, or an array longer than 100,000 elements, is a 400
// `invalid_request_error` in the endpoint's own dialect, never a crash, a stack overflow or
// an upstream call; bodies at the limits still go through.
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const anthropic = (extra: string) => `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"metadata":{"x":${extra}}}`;
const openai = (extra: string) => `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{"x":${extra}}}`;
const bigArray = (n: number) => `[${Array.from({ length: n }, () => "0").join(",")}]`;

describe("JSON depth and array limits on relay bodies", () => {
  it("refuses a 10,000-level nesting and a 1e6-element array in both dialects", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const post = (path: string, body: string) => fetch(`${relay.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
    for (const [what, extra] of [["deep", nested(10_000)], ["deep in a string-free object", `${'{"a":'.repeat(10_000)}0${"}".repeat(10_000)}`], ["long", bigArray(1_000_000)]] as const) {
      const messages = await post("/v1/messages", anthropic(extra));
      expect(messages.status, what).toBe(400);
      expect(await messages.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/^body: /) } });
      const chat = await post("/v1/chat/completions", openai(extra));
      expect(chat.status, what).toBe(400);
      expect(await chat.json()).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringMatching(/^body: /) } });
      const count = await post("/v1/messages/count_tokens", anthropic(extra));
      expect(count.status, what).toBe(400);
    }
    // A long `messages` array is refused the same way.
    const longMessages = `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[${Array.from({ length: 100_001 }, () => '{"role":"user","content":"hi"}').join(",")}]}`;
    expect((await post("/v1/messages", longMessages)).status).toBe(400);
    expect(relay.anthropic.requests.length + relay.openai.requests.length).toBe(0);
    // The gateway is still up.
    expect((await fetch(`${relay.url}/health`)).status).toBe(200);
  });

  it("passes bodies at the limits, brackets and quotes inside strings not counted", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const post = (path: string, body: string) => fetch(`${relay.url}${path}`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body });
    // metadata.x sits at depth 2 (root object, metadata), so 126 more levels reach 128.
    const deep = await post("/v1/messages", anthropic(nested(126)));
    expect(deep.status).toBe(200);
    const tooDeep = await post("/v1/messages", anthropic(nested(127)));
    expect(tooDeep.status).toBe(400);
    const long = await post("/v1/chat/completions", openai(bigArray(100_000)));
    expect(long.status).toBe(200);
    expect((await post("/v1/chat/completions", openai(bigArray(100_001)))).status).toBe(400);
    const tricky = JSON.stringify("[[[[\"\\\\\"[{".repeat(5_000));
    const strings = await post("/v1/messages", anthropic(tricky));
    expect(strings.status).toBe(200);
    expect(relay.anthropic.requests.at(-1)!.body).toMatchObject({ metadata: { x: JSON.parse(tricky) } });
  });
});
