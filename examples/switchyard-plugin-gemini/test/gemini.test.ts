import { fc, test as propTest } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
// The provider conformance suite and the test gateway come from the switchyard repository.
import { setupGateway } from "../../../test/_setup.ts";
import { readSse, testProvider, upstreamRequest } from "../../../test/conformance/provider.ts";
import gemini, { type GeminiOptions } from "../index.ts";
import { toGeminiRequest } from "../translate-request.ts";
import { type FakeGeminiOptions, type FakeUpstream, startFakeGemini } from "./fake-gemini.ts";

const KEY = "canary-gemini-key-one-5d1e07";
const KEY2 = "canary-gemini-key-two-a90c3b";

const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function start(options: Partial<GeminiOptions> = {}, fake: FakeGeminiOptions = {}) {
  const upstream = await startFakeGemini({ keys: [KEY, KEY2], ...fake });
  upstreams.push(upstream);
  const plugin = gemini({ keys: [KEY], baseURL: upstream.url, ...options } as GeminiOptions);
  const gateway = await setupGateway({ providers: [plugin] });
  return { gateway, upstream, provider: gateway.providers.get("gemini")! };
}

/** A Chat request with these fields on top of the suite's plain one. */
function chat(fields: Record<string, unknown>, options: Parameters<typeof upstreamRequest>[1] = {}) {
  const request = upstreamRequest("openai-chat", options);
  return { ...request, model: "gemini-2.5-flash", body: { ...request.body, model: "gemini-2.5-flash", ...fields } };
}

// Wire JSON in assertions: loosely typed on purpose.
type Obj = Record<string, any>;
const json = async (response: Response) => (await response.json()) as Obj;
const chunks = (records: Array<{ data: string }>) => records.filter((r) => r.data !== "[DONE]").map((r) => JSON.parse(r.data) as Obj);

describe("gemini provider (example third-party plugin)", () => {
  testProvider({
    name: "gemini",
    dialect: "openai-chat",
    create: () => start(),
    credentialOf: (request) => request.headers["x-goog-api-key"],
    // The suite's request is one user message; Gemini gets it as one user content.
    expectBody: (sent) => ({ contents: [{ role: "user", parts: [{ text: (sent.messages as Obj[])[0]!.content }] }] }),
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["no keys", { keys: [] }, /keys: expected a non-empty array of API keys, got an empty array/],
    ["an unset environment variable", { keys: [undefined] }, /keys\[0\]: expected a non-empty API key, got nothing \(is the environment variable set\?\)/],
    ["plain http to a remote host", { baseURL: "http://10.1.2.3:8000" }, /baseURL: expected https \(plain http only to a loopback host/],
    ["a base URL with a query", { baseURL: `https://example.com/?key=${KEY}` }, /baseURL: expected an http\(s\) URL without credentials, query or fragment/],
    ["models that are not strings", { models: ["gemini-2.5-pro", 3] }, /models: expected an array of model ids/],
    ["a misspelt option", { baseUrl: "https://example.com" }, /baseUrl: expected one of keys, baseURL, models, allowInsecureHttp, got an unknown option/],
  ])("refuses %s at setup with a [plugin:gemini] message", async (_what, options, message) => {
    const error = await start(options as Partial<GeminiOptions>).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:gemini\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(KEY);
  });

  it("defaults to Google's API origin and two models, and declares compat", async () => {
    const plugin = gemini({ keys: [KEY] });
    expect(plugin).toMatchObject({ name: "gemini", kind: "provider", compat: "^0.1.0" });
    const gateway = await setupGateway({ providers: [plugin] });
    const provider = gateway.providers.get("gemini")!;
    expect(provider.dialects).toEqual(["openai-chat"]);
    expect(await provider.models()).toEqual([{ id: "gemini-2.5-pro" }, { id: "gemini-2.5-flash" }]);
  });

  it("calls generateContent and streamGenerateContent?alt=sse under /v1beta/models/<model>", async () => {
    const { provider, upstream } = await start();
    await (await provider.send(chat({}))).arrayBuffer();
    await (await provider.send(chat({ stream: true }, { stream: true }))).arrayBuffer();
    await (await provider.send({ ...chat({}), model: "models/gemini-2.5-pro" })).arrayBuffer();
    await (await provider.send({ ...chat({}), model: "../../v1/files?x=1#y" })).arrayBuffer();
    expect(upstream.requests.map((r) => `${r.path}${r.search}`)).toEqual([
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
      "/v1beta/models/gemini-2.5-pro:generateContent",
      "/v1beta/models/..%2F..%2Fv1%2Ffiles%3Fx%3D1%23y:generateContent",
    ]);
    for (const seen of upstream.requests) expect(seen.headers.authorization).toBeUndefined();
  });

  it("maps system messages, turns, sampling and stop parameters, and JSON output", async () => {
    const body = {
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Answer in English." }] },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: [{ type: "text", text: "Describe" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
        { role: "user", content: "briefly" },
      ],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: "END",
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
      user: "someone",
      metadata: { a: "b" },
      stream_options: { include_usage: true },
    };
    expect(toGeminiRequest(body)).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Answer in English." }] },
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: [{ text: "Hello!" }] },
        { role: "user", parts: [{ text: "Describe" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }, { text: "briefly" }] },
      ],
      generationConfig: { maxOutputTokens: 64, temperature: 0.2, topP: 0.9, seed: 7, stopSequences: ["END"], responseMimeType: "application/json", responseJsonSchema: { type: "object" } },
    });
    // And the fake, as strict about fields as Gemini, takes it.
    const { provider } = await start();
    const answer = await json(await provider.send(chat(body)));
    expect(answer.choices[0].message.content).toBe("echo: Describebriefly");
  });

  it("turns a function call into tool_calls and a tool result into a functionResponse, JSON and streamed", async () => {
    const { provider, upstream } = await start();
    const tools = [{ type: "function", function: { name: "lookup", description: "Look up", parameters: { type: "object", properties: { text: { type: "string" } }, additionalProperties: false } } }];
    const ask = { role: "user", content: "please use tool now" };
    const first = await json(await provider.send(chat({ messages: [ask], tools, tool_choice: "required" })));
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    const call = first.choices[0].message.tool_calls[0];
    expect(call).toEqual({ id: expect.stringMatching(/^call_/), type: "function", function: { name: "lookup", arguments: JSON.stringify({ text: "please use tool now" }) } });
    expect(upstream.requests[0]?.body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: "lookup", description: "Look up", parametersJsonSchema: tools[0]!.function.parameters }] }],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
    });

    const history = [ask, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "42" }];
    const second = await json(await provider.send(chat({ messages: history, tools })));
    expect(second.choices[0].message.content).toBe('tool said: {"output":"42"}');
    expect((upstream.requests[1]?.body as Obj).contents).toEqual([
      { role: "user", parts: [{ text: "please use tool now" }] },
      { role: "model", parts: [{ functionCall: { name: "lookup", args: { text: "please use tool now" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "lookup", response: { output: "42" } } }] },
    ]);

    const streamed = chunks(await readSse(await provider.send(chat({ messages: [ask], tools, stream: true, stream_options: { include_usage: true } }, { stream: true }))));
    const delta = streamed.flatMap((c) => c.choices).find((c: Obj) => c.delta.tool_calls)?.delta.tool_calls;
    expect(delta).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "lookup", arguments: call.function.arguments } }]);
    expect(streamed.at(-2)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("refuses what it cannot translate with an OpenAI 400, without calling Gemini", async () => {
    const { provider, upstream } = await start();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ n: 2 }, /^n: only 1 choice/],
      [{ logprobs: true }, /^logprobs: is not supported/],
      [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }] }, /image_url: only base64 data: URLs/],
      [{ messages: [{ role: "tool", tool_call_id: "call_x", content: "1" }] }, /tool_call_id: must name a tool call/],
      [{ messages: [{ role: "function", content: "x" }] }, /role "function" is not supported/],
    ];
    for (const [fields, message] of cases) {
      const response = await provider.send(chat(fields));
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(message) });
    }
    expect(upstream.requests).toEqual([]);
  });

  it("reads usage: cached tokens inside the prompt, thinking inside the completion, thought text left out", async () => {
    const { provider, upstream } = await start({}, { cachedTokens: 10, thoughtsTokens: 30 });
    const answer = await json(await provider.send(chat({})));
    const prompt = Math.round(upstream.requests[0]!.bodyBytes / 4) + 10;
    const output = Array.from("echo: hello conformance").length;
    expect(answer.choices[0].message.content).toBe("echo: hello conformance");
    expect(answer.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: output + 30,
      total_tokens: prompt + output + 30,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 30 },
    });
    const records = await readSse(await provider.send(chat({ stream: true, stream_options: { include_usage: true } }, { stream: true })));
    const streamed = chunks(records);
    expect(streamed.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("echo: hello conformance");
    expect(streamed.at(-1)?.usage).toMatchObject({ completion_tokens: output + 30, prompt_tokens_details: { cached_tokens: 10 } });
  });

  it("maps MAX_TOKENS to finish_reason length, JSON and streamed", async () => {
    const { provider } = await start();
    const answer = await json(await provider.send(chat({ max_tokens: 4 })));
    expect(answer.choices[0]).toMatchObject({ message: { content: "echo" }, finish_reason: "length" });
    const streamed = chunks(await readSse(await provider.send(chat({ max_tokens: 4, stream: true, stream_options: undefined }, { stream: true }))));
    expect(streamed.at(-1)?.choices[0].finish_reason).toBe("length");
    expect(streamed.some((c) => "usage" in c)).toBe(false); // not asked for: no usage chunk
  });

  it("rewrites Gemini errors to OpenAI's shape, keeping the status and never the key", async () => {
    const { provider, upstream } = await start();
    upstream.script(
      { status: 429, headers: {}, body: { error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "36.2s" }] } } },
      { status: 400, body: { error: { code: 400, message: `Bad request for key ${KEY}`, status: "INVALID_ARGUMENT" } } },
      { status: 503, body: "<html>down</html>" },
    );
    const limited = await provider.send(chat({}));
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "37"]);
    expect(await json(limited)).toEqual({ error: { message: "Quota exceeded", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } });
    const bad = await provider.send(chat({}));
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toContain(KEY);
    expect(JSON.parse(text).error.message).toMatch(/^Bad request for key /);
    const down = await provider.send(chat({}));
    expect(down.status).toBe(503);
    expect((await json(down)).error).toMatchObject({ message: "Gemini answered 503", type: "server_error" });
  });

  it("turns Gemini's 400 API_KEY_INVALID into a 401, so the relay disables that account", async () => {
    const { provider } = await start({ keys: ["a-key-gemini-does-not-know-1"] });
    const response = await provider.send(chat({}));
    expect(response.status).toBe(401);
    expect((await json(response)).error).toMatchObject({ type: "authentication_error", message: "API key not valid. Please pass a valid API key." });
  });

  it("ends a broken stream with an error chunk, and a cut one without [DONE]", async () => {
    const { provider, upstream } = await start();
    upstream.script({ malformedSse: true }, { omitTerminalEvent: true });
    const broken = await readSse(await provider.send(chat({ stream: true }, { stream: true })));
    expect(broken.at(-1)?.data).not.toBe("[DONE]");
    expect(JSON.parse(broken.at(-1)!.data).error.message).toMatch(/not JSON/);
    const cut = await readSse(await provider.send(chat({ stream: true, stream_options: { include_usage: true } }, { stream: true })));
    expect(cut.length).toBeGreaterThan(1);
    expect(cut.some((r) => r.data === "[DONE]" || /finish_reason":"stop"/.test(r.data))).toBe(false);
  });

  describe("any text", () => {
    // One upstream and gateway for all runs; each run is one JSON and one streamed round trip.
    let subject: Awaited<ReturnType<typeof start>> | undefined;
    propTest.prop([fc.string({ unit: "binary", minLength: 1, maxLength: 80 })], { numRuns: 100 })("comes back intact through JSON and streaming", async (text) => {
      subject ??= await start();
      const message = { messages: [{ role: "user", content: text }] };
      const answer = await json(await subject.provider.send(chat(message)));
      expect(answer.choices[0].message.content).toBe(`echo: ${text}`);
      const streamed = chunks(await readSse(await subject.provider.send(chat({ ...message, stream: true, stream_options: { include_usage: true } }, { stream: true }))));
      expect(streamed.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`echo: ${text}`);
      expect(streamed.at(-1)?.usage.completion_tokens).toBe(Array.from(`echo: ${text}`).length);
    });
    afterEach(() => {
      subject = undefined; // its upstream is closed by the outer afterEach
    });
  });
});
