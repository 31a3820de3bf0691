import { afterEach, describe, expect, it } from "vitest";
import { captureLogs } from "../../../core/logger.ts";
import { createLogger } from "../../../core/index.ts";
import openaiCompatible, { type OpenAICompatibleOptions } from "../../../plugins/providers/openai-compatible/index.ts";
import { setupGateway } from "../../_setup.ts";
import { readSse, testProvider, upstreamRequest } from "../../conformance/provider.ts";
import { type FakeUpstream, startFakeOpenAI } from "../../fixtures/upstreams/openai.ts";

const KEY = "canary-openai-key-one-93be41";
const KEY2 = "canary-openai-key-two-0c7d55";

const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function start(options: Partial<OpenAICompatibleOptions> = {}) {
  const upstream = await startFakeOpenAI({ keys: [KEY, KEY2] });
  upstreams.push(upstream);
  const plugin = openaiCompatible({ baseURL: `${upstream.url}/v1`, keys: [KEY], ...options } as OpenAICompatibleOptions);
  const gateway = await setupGateway({ providers: [plugin] });
  return { gateway, upstream, provider: gateway.providers.get(plugin.name)! };
}

describe("openai-compatible provider", () => {
  testProvider({ name: "openai-compatible", dialect: "openai-chat", create: () => start() });
  testProvider({ name: "openai-compatible", dialect: "openai-responses", create: () => start({ dialects: ["openai-responses", "openai-chat"] }) });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["no baseURL", { baseURL: undefined }, /baseURL: expected the API base URL, e\.g\. https:\/\/api\.openai\.com\/v1, got nothing/],
    ["no keys", { keys: [] }, /keys: expected a non-empty array of API keys, got an empty array/],
    ["an unset environment variable", { keys: [KEY, undefined] }, /keys\[1\]: expected a non-empty API key, got nothing \(is the environment variable set\?\)/],
    ["plain http to a remote host", { baseURL: "http://10.1.2.3:8000/v1" }, /baseURL: expected https \(plain http only to a loopback host/],
    ["an unknown dialect", { dialects: ["anthropic-messages"] }, /dialects: expected a non-empty list of "openai-chat" and\/or "openai-responses", each once, got \["anthropic-messages"\]/],
    ["no dialects", { dialects: [] }, /dialects: expected a non-empty list/],
    ["a repeated dialect", { dialects: ["openai-chat", "openai-chat"] }, /dialects: expected .*each once/],
    ["a reserved header", { headers: { Authorization: "Bearer other" } }, /headers\.Authorization: expected a header the provider does not set itself, got a reserved header/],
    ["an invalid header name", { headers: { "bad header": "x" } }, /headers\.bad header: expected a valid header name/],
    ["a header value with a line break", { headers: { "X-Title": "a\r\nX-Evil: 1" } }, /headers\.X-Title: expected a string without line breaks or control characters, got something else \(value hidden\)/],
    ["headers that are not an object", { headers: ["X-Title", "a"] }, /headers: expected an object of header names to string values, got an array/],
    ["a misspelt option", { header: {} }, /header: expected one of name, baseURL, .*, got an unknown option/],
  ])("refuses %s at setup with a [plugin:<name>] message", async (_what, options, message) => {
    const error = await start(options as Partial<OpenAICompatibleOptions>).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:openai-compatible\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain("X-Evil");
  });

  it("names the plugin after the name option", async () => {
    await expect(start({ name: "deepseek", keys: [] })).rejects.toThrow(/\[switchyard\] \[plugin:deepseek\] 1 problem/);
    expect(openaiCompatible({ baseURL: "https://api.openai.com/v1", keys: [KEY] }).name).toBe("openai-compatible");
    expect(openaiCompatible({ name: "openrouter", baseURL: "https://openrouter.ai/api/v1", keys: [KEY] })).toMatchObject({ name: "openrouter", kind: "provider" });
  });

  it("runs two instances side by side with their own names, keys and account state", async () => {
    const a = await startFakeOpenAI({ keys: [KEY] });
    const b = await startFakeOpenAI({ keys: [KEY2] });
    upstreams.push(a, b);
    const gateway = await setupGateway({
      providers: [
        openaiCompatible({ name: "upstream-a", baseURL: `${a.url}/v1`, keys: [KEY] }),
        openaiCompatible({ name: "upstream-b", baseURL: `${b.url}/v1`, keys: [KEY2], dialects: ["openai-responses"] }),
      ],
    });
    const first = gateway.providers.get("upstream-a")!;
    const second = gateway.providers.get("upstream-b")!;
    expect(second.dialects).toEqual(["openai-responses"]);
    await (await first.send(upstreamRequest("openai-chat"))).arrayBuffer();
    await (await second.send(upstreamRequest("openai-responses"))).arrayBuffer();
    expect(a.requests.map((r) => [r.path, r.headers.authorization])).toEqual([["/v1/chat/completions", `Bearer ${KEY}`]]);
    expect(b.requests.map((r) => [r.path, r.headers.authorization])).toEqual([["/v1/responses", `Bearer ${KEY2}`]]);
    await first.accounts!.onAuthFailure!("key-1", 401);
    expect((await first.accounts!.list())[0]?.status).toBe("disabled");
    expect((await second.accounts!.list())[0]?.status).toBe("active");
    expect(await gateway.storage.keys("plugins:upstream-a")).toEqual(["plugins:upstream-a:accounts:key-1"]);
  });

  it("sends the static headers on every call, and no client header", async () => {
    const headers = { "HTTP-Referer": "https://switchyard.example", "X-Title": "Switchyard" };
    const { provider, upstream } = await start({ headers });
    const client = { "openai-organization": "org-client", "x-forwarded-for": "10.0.0.1", "http-referer": "https://client.example" };
    await (await provider.send(upstreamRequest("openai-chat", { headers: client }))).arrayBuffer();
    await (await provider.send(upstreamRequest("openai-chat", { stream: true, headers: client }))).arrayBuffer();
    for (const seen of upstream.requests) {
      expect(seen.headers).toMatchObject({ "http-referer": "https://switchyard.example", "x-title": "Switchyard", authorization: `Bearer ${KEY}` });
      expect(seen.headers["openai-organization"]).toBeUndefined();
      expect(seen.headers["x-forwarded-for"]).toBeUndefined();
    }
  });

  it("turns several keys into several accounts and falls back past a disabled one", async () => {
    const { provider, upstream } = await start({ keys: [{ key: KEY, name: "Primary", priority: 1 }, { id: "spare", key: KEY2 }] });
    expect(await provider.accounts!.list()).toEqual([
      { id: "key-1", name: "Primary", status: "active", priority: 1 },
      { id: "spare", name: "spare", status: "active" },
    ]);
    expect(await provider.accounts!.onAuthFailure!("key-1", 401)).toBe(false);
    await (await provider.send(upstreamRequest("openai-chat"))).arrayBuffer();
    await (await provider.send(upstreamRequest("openai-chat", { accountId: "key-1" }))).arrayBuffer();
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY2}`, `Bearer ${KEY}`]);
  });

  it("passes a client's stream through byte for byte, usage chunk only when asked for", async () => {
    const { provider } = await start();
    const asked = await readSse(await provider.send(upstreamRequest("openai-chat", { stream: true })));
    expect(asked.at(-2)?.data).toMatch(/"choices":\[\],"usage":\{"prompt_tokens"/);
    const plain = upstreamRequest("openai-chat", { stream: true });
    delete plain.body.stream_options;
    const records = await readSse(await provider.send(plain));
    expect(records.some((r) => r.data.includes('"usage"'))).toBe(false);
    expect(records.at(-1)?.data).toBe("[DONE]");
  });

  it("never puts a key in a log line, an error or an account summary", async () => {
    const logs = captureLogs();
    try {
      const upstream = await startFakeOpenAI({ keys: [KEY2] });
      upstreams.push(upstream);
      const plugin = openaiCompatible({ name: "canary", baseURL: `${upstream.url}/v1/`, keys: [KEY, KEY2], headers: { "X-Title": "t" } });
      const gateway = await setupGateway({ providers: [plugin] }, { logger: createLogger({ level: "trace" }) });
      const provider = gateway.providers.get("canary")!;
      const refused = await provider.send(upstreamRequest("openai-chat", { accountId: "key-1" }));
      expect(refused.status).toBe(401);
      expect(upstream.requests[0]?.path).toBe("/v1/chat/completions");
      await provider.accounts!.onAuthFailure!("key-1", refused.status);
      const summaries = JSON.stringify(await provider.accounts!.list());
      await upstream.close();
      const network = await provider.send(upstreamRequest("openai-chat")).catch((e: unknown) => e);
      const wrongDialect = await provider.send(upstreamRequest("openai-responses")).catch((e: unknown) => e);
      const duplicate = await start({ keys: [KEY2, KEY2] }).catch((e: unknown) => e);
      expect(logs.text()).toContain("[plugin:canary] account key-1 disabled: upstream refused the key (401)");
      expect(String(wrongDialect)).toMatch(/cannot send openai-responses; this provider is configured for openai-chat/);
      for (const text of [logs.text(), summaries, String(network), String((network as Error).cause), String(wrongDialect), String(duplicate)]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain(KEY2);
      }
    } finally {
      logs.stop();
    }
  });
});
