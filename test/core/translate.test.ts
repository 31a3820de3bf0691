import { readFileSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import { fc, test } from "@fast-check/vitest";
import { HTTPError } from "h3";
import OpenAI from "openai";
import { join } from "pathe";
import { describe, expect } from "vitest";
import { type SSEEvent, createSSEParser, formatSSE } from "../../core/relay/sse.ts";
import {
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  ESTIMATED_IMAGE_TOKENS,
  PARAMETER_RULES,
  type Usage,
  countTokensEstimate,
  createStreamObserver,
  createStreamTranslator,
  describeRequest,
  errorEvents,
  readUsage,
  translateRequest,
  translateResponse,
} from "../../core/translate/index.ts";
import type { Dialect } from "../../core/types/provider.ts";
import { repoRoot } from "../_tmp.ts";

type Json = Record<string, unknown>;
const A = "anthropic-messages" as const;
const C = "openai-chat" as const;
const R = "openai-responses" as const;
const DIALECTS: Dialect[] = [A, C, R];
const PAIRS: Array<[Dialect, Dialect]> = DIALECTS.flatMap((a) => DIALECTS.filter((b) => b !== a).map((b): [Dialect, Dialect] => [a, b]));
const FIXTURES: Record<Dialect, { text: string; tool: string; cache: string; error: string; request: string }> = {
  [A]: { text: "anthropic-text", tool: "anthropic-tool-use", cache: "anthropic-cache", error: "anthropic-error", request: "anthropic-request" },
  [C]: { text: "openai-chat-text", tool: "openai-chat-tool-calls", cache: "openai-chat-cache", error: "openai-chat-error", request: "openai-chat-request" },
  [R]: { text: "openai-responses-text", tool: "openai-responses-function-call", cache: "openai-responses-cache", error: "openai-responses-failed", request: "openai-responses-request" },
};
const KINDS = ["text", "tool", "cache"] as const;

describe("translateRequest", () => {
  test.each(DIALECTS)("%s to itself returns the very same object (fast path)", (d) => {
    const body = json(FIXTURES[d].request);
    expect(translateRequest(body, d, d)).toBe(body);
  });

  test("Anthropic → Chat: system, images, tool calls and results, tools, limits, user", () => {
    const out = translateRequest(json("anthropic-request"), A, C);
    expect(out).toEqual({
      model: "claude-sonnet-4-5-20250929",
      messages: [
        { role: "system", content: "You are a helpful weather assistant." },
        { role: "user", content: [{ type: "text", text: "What's the weather in Paris? Here is a photo from my window." }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: "assistant", content: "Let me look that up.", tool_calls: [{ id: "toolu_01A09q90qw90lq917835lq9", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } }] },
        { role: "tool", tool_call_id: "toolu_01A09q90qw90lq917835lq9", content: "18°C, sunny" },
        { role: "assistant", content: "It's 18°C and sunny in Paris." },
        { role: "user", content: [{ type: "text", text: "And in London? This is the view today." }, { type: "image_url", image_url: { url: LONDON } }] },
      ],
      max_completion_tokens: 1024,
      temperature: 0.7,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
      user: "user_7f3a9c",
      tools: [{ type: "function", function: { name: "get_weather", description: "Get the current weather for a city.", parameters: WEATHER_SCHEMA } }],
      tool_choice: "auto",
    });
  });

  test("Anthropic → Responses: instructions, input items, function tools (strict off), store off", () => {
    const out = translateRequest(json("anthropic-request"), A, R);
    expect(out).toMatchObject({ model: "claude-sonnet-4-5-20250929", instructions: "You are a helpful weather assistant.", max_output_tokens: 1024, user: "user_7f3a9c", stream: true, store: false, tool_choice: "auto" });
    expect(out.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "What's the weather in Paris? Here is a photo from my window." }, { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "auto" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look that up." }] },
      { type: "function_call", call_id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
      { type: "function_call_output", call_id: "toolu_01A09q90qw90lq917835lq9", output: "18°C, sunny" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "It's 18°C and sunny in Paris." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "And in London? This is the view today." }, { type: "input_image", image_url: LONDON, detail: "auto" }] },
    ]);
    expect(out.tools).toEqual([{ type: "function", name: "get_weather", description: "Get the current weather for a city.", parameters: WEATHER_SCHEMA, strict: false }]);
    expect(out).not.toHaveProperty("stream_options");
  });

  test("Chat → Anthropic: system hoisted, data URL to base64, tool message joins the user turn, parallel_tool_calls kept", () => {
    const dropped: string[] = [];
    const out = translateRequest(json("openai-chat-request"), C, A, { onDrop: (p) => dropped.push(p) });
    expect(out).toEqual({
      model: "gpt-4o-2024-08-06",
      max_tokens: 1024,
      system: "You are a helpful weather assistant.",
      messages: [
        { role: "user", content: [{ type: "text", text: "What's the weather in Paris? Here is a photo from my window." }, { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] },
        { role: "assistant", content: [{ type: "text", text: "Let me look that up." }, { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: { city: "Paris", unit: "celsius" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", content: "18°C, sunny" }] },
        { role: "assistant", content: "It's 18°C and sunny in Paris." },
        { role: "user", content: [{ type: "text", text: "And in London? This is the view today." }, { type: "image", source: { type: "url", url: LONDON } }] },
      ],
      temperature: 0.7,
      top_p: 0.9,
      stream: true,
      metadata: { user_id: "user_7f3a9c" },
      tools: [{ name: "get_weather", description: "Get the current weather for a city.", input_schema: WEATHER_SCHEMA }],
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
    });
    expect(dropped.sort()).toEqual(["seed", "stream_options"]);
  });

  test("Chat → Responses and Responses → Chat carry the OpenAI-only fields", () => {
    const chat = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }], reasoning_effort: "high", verbosity: "low", store: true, metadata: { a: "1" }, service_tier: "flex", prompt_cache_key: "k", safety_identifier: "s", response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } } };
    const responses = translateRequest(chat, C, R);
    expect(responses).toEqual({
      model: "gpt-4o", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], reasoning: { effort: "high" },
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true }, verbosity: "low" },
      store: true, metadata: { a: "1" }, service_tier: "flex", prompt_cache_key: "k", safety_identifier: "s",
    });
    const back = translateRequest(responses, R, C);
    expect(back).toEqual({ ...chat, messages: [{ role: "user", content: "hi" }] });
  });

  test("Responses → Anthropic: reasoning items, include and reasoning are dropped; everything else maps", () => {
    const dropped: string[] = [];
    const out = translateRequest(json("openai-responses-request"), R, A, { onDrop: (p) => dropped.push(p) });
    expect(dropped.sort()).toEqual(["include", "reasoning", "store"]);
    expect(out.system).toBe("You are a helpful weather assistant.");
    expect(out.max_tokens).toBe(1024);
    expect(out.metadata).toEqual({ user_id: "user_7f3a9c" });
    const messages = out.messages as Json[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Let me look that up." }, { type: "tool_use", id: "call_9hM2kQz7RrX4yJd1TfPq8nLs", name: "get_weather", input: { city: "Paris", unit: "celsius" } }] });
    expect(messages[2]).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "call_9hM2kQz7RrX4yJd1TfPq8nLs", content: "18°C, sunny" }] });
  });

  test("Chat → Responses and Responses → Chat on the fixtures: images, tool calls and results, reasoning effort", () => {
    const dropped: string[] = [];
    const responses = translateRequest(json("openai-chat-request"), C, R, { onDrop: (p) => dropped.push(p) });
    expect(dropped.sort()).toEqual(["seed", "stream_options"]);
    expect(responses).toMatchObject({ instructions: "You are a helpful weather assistant.", max_output_tokens: 1024, parallel_tool_calls: false, store: false, stream: true, user: "user_7f3a9c" });
    expect((responses.input as Json[])[0]).toEqual({ type: "message", role: "user", content: [{ type: "input_text", text: "What's the weather in Paris? Here is a photo from my window." }, { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "low" }] });
    expect((responses.input as Json[]).map((i) => i.type)).toEqual(["message", "message", "function_call", "function_call_output", "message", "message"]);
    const chat = translateRequest(json("openai-responses-request"), R, C);
    expect(chat).toMatchObject({ max_completion_tokens: 1024, reasoning_effort: "low", store: false, stream: true, stream_options: { include_usage: true }, user: "user_7f3a9c" });
    expect(chat.messages).toEqual([
      { role: "system", content: "You are a helpful weather assistant." },
      { role: "user", content: [{ type: "text", text: "What's the weather in Paris? Here is a photo from my window." }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: "assistant", content: "Let me look that up.", tool_calls: [{ id: "call_9hM2kQz7RrX4yJd1TfPq8nLs", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } }] },
      { role: "tool", tool_call_id: "call_9hM2kQz7RrX4yJd1TfPq8nLs", content: "18°C, sunny" },
      { role: "assistant", content: "It's 18°C and sunny in Paris." },
      { role: "user", content: [{ type: "text", text: "And in London? This is the view today." }, { type: "image_url", image_url: { url: LONDON } }] },
    ]);
    expect(chat.tools).toEqual([{ type: "function", function: { name: "get_weather", description: "Get the current weather for a city.", parameters: WEATHER_SCHEMA, strict: false } }]);
  });

  test(`Anthropic requires max_tokens: ${DEFAULT_ANTHROPIC_MAX_TOKENS} when the client named none`, () => {
    expect(DEFAULT_ANTHROPIC_MAX_TOKENS).toBe(4096);
    expect(translateRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }, C, A).max_tokens).toBe(4096);
    expect(translateRequest({ model: "m", input: "hi" }, R, A).max_tokens).toBe(4096);
    expect(translateRequest({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 77 }, C, A).max_tokens).toBe(77);
  });

  test("a streaming Chat target always asks for the usage chunk", () => {
    expect(translateRequest({ model: "m", max_tokens: 5, stream: true, messages: [{ role: "user", content: "hi" }] }, A, C).stream_options).toEqual({ include_usage: true });
    expect(translateRequest({ model: "m", input: "hi", stream: true }, R, C).stream_options).toEqual({ include_usage: true });
    expect(translateRequest({ model: "m", input: "hi" }, R, C)).not.toHaveProperty("stream_options");
  });

  test.each([
    [{ type: "auto" }, "auto", "auto"],
    [{ type: "any" }, "required", "required"],
    [{ type: "none" }, "none", "none"],
    [{ type: "tool", name: "get_weather" }, { type: "function", function: { name: "get_weather" } }, { type: "function", name: "get_weather" }],
  ])("tool_choice %j ↔ %j ↔ %j", (anthropic, chat, responses) => {
    const tools = json("anthropic-request").tools;
    const body = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }], tools, tool_choice: anthropic };
    const c = translateRequest(body, A, C);
    const r = translateRequest(body, A, R);
    expect(c.tool_choice).toEqual(chat);
    expect(r.tool_choice).toEqual(responses);
    expect(translateRequest(c, C, A).tool_choice).toEqual(anthropic);
    expect(translateRequest(r, R, A).tool_choice).toEqual(anthropic);
    expect(translateRequest(r, R, C).tool_choice).toEqual(chat);
  });

  const chatBody = (extra: Json): Json => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });
  const anthropicBody = (extra: Json): Json => ({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }], ...extra });
  const responsesBody = (extra: Json): Json => ({ model: "m", input: "hi", ...extra });
  test.each<[string, Dialect, Dialect, Json, string]>([
    ["n > 1", C, A, chatBody({ n: 2 }), "n"],
    ["n > 1", C, R, chatBody({ n: 3 }), "n"],
    ["logprobs", C, A, chatBody({ logprobs: true }), "logprobs"],
    ["top_logprobs", C, R, chatBody({ top_logprobs: 2 }), "top_logprobs"],
    ["logit_bias", C, A, chatBody({ logit_bias: { "50256": -100 } }), "logit_bias"],
    ["json_schema output", C, A, chatBody({ response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } } }), "response_format"],
    ["json_object output", C, A, chatBody({ response_format: { type: "json_object" } }), "response_format"],
    ["audio output", C, A, chatBody({ modalities: ["text", "audio"] }), "modalities"],
    ["audio", C, R, chatBody({ audio: { voice: "alloy", format: "wav" } }), "audio"],
    ["web search", C, A, chatBody({ web_search_options: {} }), "web_search_options"],
    ["legacy functions", C, A, chatBody({ functions: [{ name: "f" }] }), "functions"],
    ["stop to Responses", C, R, chatBody({ stop: ["END"] }), "stop"],
    ["stop_sequences to Responses", A, R, anthropicBody({ stop_sequences: ["END"] }), "stop_sequences"],
    ["structured output", A, C, anthropicBody({ output_config: { format: { type: "json_schema", schema: {} } } }), "output_config"],
    ["container", A, R, anthropicBody({ container: "container_1" }), "container"],
    ["MCP servers", A, C, anthropicBody({ mcp_servers: [{ type: "url", url: "https://x", name: "x" }] }), "mcp_servers"],
    ["server tools", A, C, anthropicBody({ tools: [{ type: "web_search_20250305", name: "web_search" }] }), "tools[0].type"],
    ["document blocks", A, C, anthropicBody({ messages: [{ role: "user", content: [{ type: "document", source: { type: "text", data: "x", media_type: "text/plain" } }] }] }), "messages[0].content[0].type"],
    ["file images", A, R, anthropicBody({ messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }] }), "messages[0].content[0].source"],
    ["images in tool results", A, C, anthropicBody({ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image", source: { type: "url", url: LONDON } }] }] }] }), "messages[0].content[0].content[0]"],
    ["temperature above 1", C, A, chatBody({ temperature: 1.5 }), "temperature"],
    ["a late system message", C, A, chatBody({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "system", content: "c" }] }), "messages[2]"],
    ["audio input", C, A, chatBody({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x", format: "wav" } }] }] }), "messages[0].content[0].type"],
    ["allowed_tools tool_choice", C, A, chatBody({ tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "allowed_tools", allowed_tools: {} } }), "tool_choice"],
    ["previous_response_id", R, A, responsesBody({ previous_response_id: "resp_1" }), "previous_response_id"],
    ["conversation", R, C, responsesBody({ conversation: "conv_1" }), "conversation"],
    ["background", R, A, responsesBody({ background: true }), "background"],
    ["logprobs include", R, C, responsesBody({ include: ["message.output_text.logprobs"] }), "include"],
    ["json_schema text format", R, A, responsesBody({ text: { format: { type: "json_schema", name: "x", schema: {} } } }), "text"],
    ["built-in tools", R, C, responsesBody({ tools: [{ type: "web_search" }] }), "tools[0].type"],
    ["item references", R, A, responsesBody({ input: [{ type: "item_reference", id: "msg_1" }] }), "input[0].type"],
    ["file inputs", R, A, responsesBody({ input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }] }), "input[0].content[0].type"],
  ])("rejects %s (%s → %s) with a 400 naming the parameter", (_what, from, to, body, param) => {
    const error = catchError(() => translateRequest(body, from, to));
    expect(error).toBeInstanceOf(HTTPError);
    const http = error as HTTPError;
    expect(http.status).toBe(400);
    expect((http.data as { param: string }).param).toBe(param);
    expect(http.message.startsWith(`${param}: `)).toBe(true);
    expect(http.message).toContain(`when calling an ${to} upstream`);
  });

  test.each<[Dialect, Dialect, Json, string[]]>([
    [C, A, chatBody({ n: 1, seed: 7, logprobs: false, presence_penalty: 0.5, frequency_penalty: 0.1, service_tier: "auto", store: false, response_format: { type: "text" }, reasoning_effort: "low", prediction: { type: "content", content: "x" } }), ["n", "seed", "logprobs", "presence_penalty", "frequency_penalty", "service_tier", "store", "response_format", "reasoning_effort", "prediction"]],
    [C, R, chatBody({ seed: 7, stop: [], stream_options: { include_usage: true }, logit_bias: {} }), ["seed", "stop", "stream_options", "logit_bias"]],
    [A, C, anthropicBody({ top_k: 5, thinking: { type: "enabled", budget_tokens: 2048 }, service_tier: "auto", output_config: { effort: "high" }, cache_control: { type: "ephemeral" } }), ["top_k", "thinking", "service_tier", "output_config", "cache_control"]],
    [R, A, responsesBody({ truncation: "auto", max_tool_calls: 3, include: ["reasoning.encrypted_content"], reasoning: { effort: "low" }, text: { verbosity: "low" }, background: false }), ["truncation", "max_tool_calls", "include", "reasoning", "text", "background"]],
    [C, A, chatBody({ some_future_field: 1 }), ["some_future_field"]],
  ])("drops harmless parameters (%s → %s) and reports each", (from, to, body, params) => {
    const dropped: string[] = [];
    const out = translateRequest(body, from, to, { onDrop: (p) => dropped.push(p) });
    expect(dropped.sort()).toEqual([...params].sort());
    for (const param of params) expect(out).not.toHaveProperty(param);
  });

  test("never mutates the client's body", () => {
    for (const [from, to] of PAIRS) {
      const body = deepFreeze(json(FIXTURES[from].request));
      const copy = structuredClone(body);
      translateRequest(body, from, to);
      expect(body).toEqual(copy);
    }
  });

  test.prop([fc.constantFrom(...PAIRS), extraFieldsArb, fc.nat({ max: 1000 })], { numRuns: 150 })(
    "arbitrary extra unknown fields (top level, messages, parts) never throw",
    ([from, to], extra, seed) => {
      const body = sprinkle(json(FIXTURES[from].request), extra, seed);
      const out = translateRequest(body, from, to);
      for (const key of Object.keys(extra)) expect(Object.hasOwn(out, key), key).toBe(false);
    },
  );

  describe.each(PAIRS)("%s → %s → back", (a, b) => {
    test.prop([conversationArb], { numRuns: 100 })(
      "keeps the meaning: roles in order, texts, images, tool names/arguments/ids, system, tools, max tokens, user",
      (conversation) => {
        const body = render(conversation, a);
        const there = translateRequest(body, a, b);
        expect(meaningOf(there, b)).toEqual(meaningOf(body, a));
        expect(meaningOf(translateRequest(there, b, a), a)).toEqual(meaningOf(body, a));
      },
    );
  });
});

describe("translateResponse", () => {
  test.each(DIALECTS)("%s to itself returns the very same object", (d) => {
    const body = json(FIXTURES[d].text);
    expect(translateResponse(body, d, d)).toBe(body);
  });

  const cases = PAIRS.flatMap(([from, to]) => KINDS.map((kind) => [from, to, FIXTURES[from][kind]] as const));
  test.each(cases)("%s → %s keeps text, tool calls, stop reason and usage of %s", (from, to, name) => {
    const source = json(name);
    expect(summarize(translateResponse(source, from, to), to)).toEqual(summarize(source, from));
  });

  test("Anthropic tool use → Chat completion, exactly", () => {
    const out = translateResponse(json("anthropic-tool-use"), A, C);
    expect(out).toEqual({
      id: "chatcmpl-01Aq9w938a90dw8q", object: "chat.completion", created: expect.any(Number), model: "claude-sonnet-4-5-20250929",
      choices: [{
        index: 0, logprobs: null, finish_reason: "tool_calls",
        message: { role: "assistant", content: "I'll check the weather in Paris for you.", refusal: null, tool_calls: [{ id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } }] },
      }],
      usage: { prompt_tokens: 1916, completion_tokens: 58, total_tokens: 1974, prompt_tokens_details: { cached_tokens: 1536 } },
    });
  });

  test("Chat tool calls → Anthropic message, exactly", () => {
    expect(translateResponse(json("openai-chat-tool-calls"), C, A)).toEqual({
      id: "msg_BVzRBx5dOeS6mdnWXGdRQFFQ0fI4M", type: "message", role: "assistant", model: "gpt-4o-2024-08-06",
      content: [
        { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: { city: "Paris", unit: "celsius" } },
        { type: "tool_use", id: "call_ABZ5pAqWd1Ztq1iHw8mVuQXx", name: "get_weather", input: { city: "London", unit: "celsius" } },
      ],
      stop_reason: "tool_use", stop_sequence: null,
      usage: { input_tokens: 380, cache_creation_input_tokens: 0, cache_read_input_tokens: 1536, output_tokens: 58 },
    });
  });

  test("Anthropic with thinking and cache writes → Responses: thinking left out, cache tokens inside input_tokens", () => {
    const out = translateResponse(json("anthropic-cache"), A, R);
    expect(out).toMatchObject({ id: "resp_013Zva2CMHLNnXjNJJKqJ2EF", object: "response", status: "completed", incomplete_details: null, model: "claude-sonnet-4-5-20250929" });
    expect(out.output).toEqual([{ id: "msg_013Zva2CMHLNnXjNJJKqJ2EF_0", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "The capital of France is Paris.", annotations: [] }] }]);
    expect(out.usage).toEqual({ input_tokens: 7968, input_tokens_details: { cached_tokens: 6144, cache_write_tokens: 1820 }, output_tokens: 25, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7993 });
  });

  test.each([
    ["end_turn", "stop", "completed", null, "end_turn"],
    ["stop_sequence", "stop", "completed", null, "end_turn"],
    ["max_tokens", "length", "incomplete", "max_output_tokens", "max_tokens"],
    ["tool_use", "tool_calls", "completed", null, "tool_use"],
    ["refusal", "content_filter", "incomplete", "content_filter", "refusal"],
  ])("stop reason %s → finish_reason %s, status %s (%s); back from Chat: %s", (anthropic, chat, status, incomplete, back) => {
    const body = { ...json("anthropic-text"), stop_reason: anthropic };
    const c = translateResponse(body, A, C);
    expect((c.choices as Json[])[0]!.finish_reason).toBe(chat);
    const r = translateResponse(body, A, R);
    expect(r.status).toBe(status);
    expect(r.incomplete_details).toEqual(incomplete ? { reason: incomplete } : null);
    expect(translateResponse(c, C, A).stop_reason).toBe(back);
    expect(translateResponse(r, R, C)).toMatchObject({ choices: [{ finish_reason: anthropic === "tool_use" ? "stop" : chat }] });
  });

  test("keeps a dialect-shaped id, re-prefixes others, and reports the upstream model", () => {
    const chat = json("openai-chat-text");
    expect(translateResponse({ ...chat, id: "msg_keep" }, C, A).id).toBe("msg_keep");
    expect(translateResponse(chat, C, R).id).toBe("resp_B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
    expect(translateResponse(chat, C, R).model).toBe("gpt-4o-2024-08-06");
    expect(String(translateResponse({ ...chat, id: undefined }, C, A).id)).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  test.prop([fc.constantFrom(...PAIRS), fc.constantFrom(...KINDS), extraFieldsArb], { numRuns: 100 })(
    "arbitrary extra unknown fields in an answer never throw",
    ([from, to], kind, extra) => {
      expect(() => translateResponse({ ...json(FIXTURES[from][kind]), ...extra }, from, to)).not.toThrow();
    },
  );
});

describe("createStreamTranslator", () => {
  test.each(DIALECTS)("%s to itself passes records through unchanged", (d) => {
    const events = sse(FIXTURES[d].text);
    const t = createStreamTranslator(d, d, { model: "m", requestId: "r" });
    const out = events.flatMap((e) => t.push(e));
    expect(out).toEqual(events);
    out.forEach((e, i) => expect(e).toBe(events[i]));
    expect(t.end()).toEqual([]);
  });

  const cases = PAIRS.flatMap(([from, to]) => KINDS.map((kind) => [from, to, kind] as const));
  test.each(cases)("%s → %s (%s): the official SDK reads the same answer as the non-streaming fixture", async (from, to, kind) => {
    const out = run(from, to, sse(FIXTURES[from][kind]));
    expect(out.pushed.some((e) => e.data === "[DONE]")).toBe(false);
    expect(out.ended).toEqual(to === C ? [{ data: "[DONE]" }] : []);
    const final = await sdkFinal(to, [...out.pushed, ...out.ended]);
    expect(summarize(final, to)).toEqual(summarize(json(FIXTURES[from][kind]), from));
  });

  test("Chat tool calls → Anthropic: the exact event sequence, event name = data.type", () => {
    const { pushed } = run(C, A, sse("openai-chat-tool-calls"));
    expect(pushed.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "message_delta", "message_stop",
    ]);
    for (const e of pushed) expect((JSON.parse(e.data) as Json).type).toBe(e.event);
    expect(JSON.parse(pushed[1]!.data)).toEqual({ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: {} } });
    expect(JSON.parse(pushed[7]!.data)).toEqual({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"city": ' } });
    expect(JSON.parse(pushed.at(-2)!.data)).toEqual({
      type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { input_tokens: 380, cache_creation_input_tokens: 0, cache_read_input_tokens: 1536, output_tokens: 58 },
    });
  });

  test("Anthropic tool use → Chat: role chunk, content, tool_calls deltas with index, finish chunk, usage chunk, then [DONE] from end()", () => {
    const { pushed, ended } = run(A, C, sse("anthropic-tool-use"));
    const chunks = pushed.map((e) => JSON.parse(e.data) as Json);
    expect(pushed.every((e) => e.event === undefined)).toBe(true);
    expect(chunks.map((c) => (c.choices as Json[])[0]?.delta ?? "usage")).toEqual([
      { role: "assistant", content: "" },
      { content: "I'll check the weather" },
      { content: " in Paris for you." },
      { tool_calls: [{ index: 0, id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", type: "function", function: { name: "get_weather", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city": "Par' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'is", "unit": "celsius"}' } }] },
      {},
      "usage",
    ]);
    expect((chunks[6]!.choices as Json[])[0]!.finish_reason).toBe("tool_calls");
    expect(chunks[7]).toEqual({ id: "chatcmpl-01Aq9w938a90dw8q", object: "chat.completion.chunk", created: 1_700_000_000, model: "claude-sonnet-4-5-20250929", choices: [], usage: { prompt_tokens: 1916, completion_tokens: 58, total_tokens: 1974, prompt_tokens_details: { cached_tokens: 1536 } } });
    expect(ended).toEqual([{ data: "[DONE]" }]);
  });

  test("Anthropic tool use → Responses: named events, sequence numbers from 0, one item per block, completed with usage", () => {
    const { pushed } = run(A, R, sse("anthropic-tool-use"));
    expect(pushed.map((e) => e.event)).toEqual([
      "response.created", "response.in_progress",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done",
      "response.completed",
    ]);
    const data = pushed.map((e) => JSON.parse(e.data) as Json);
    data.forEach((d, i) => {
      expect(d.type).toBe(pushed[i]!.event);
      expect(d.sequence_number).toBe(i);
    });
    const completed = data.at(-1)!.response as Json;
    expect(completed.status).toBe("completed");
    expect((completed.output as Json[]).map((o) => o.type)).toEqual(["message", "function_call"]);
    expect(readUsage(completed, R)).toEqual({ inputTokens: 380, outputTokens: 58, cacheWriteTokens: 0, cacheReadTokens: 1536 });
  });

  test("max tokens reached becomes message_delta max_tokens / finish length / response.incomplete", () => {
    const events = sse("anthropic-text").map((e) => (e.event === "message_delta" ? { ...e, data: e.data.replace('"end_turn"', '"max_tokens"') } : e));
    expect(JSON.parse(run(A, C, events).pushed.at(-2)!.data).choices[0].finish_reason).toBe("length");
    const last = run(A, R, events).pushed.at(-1)!;
    expect(last.event).toBe("response.incomplete");
    expect(JSON.parse(last.data).response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    const back = run(R, A, run(A, R, events).pushed).pushed;
    expect(JSON.parse(back.at(-2)!.data).delta.stop_reason).toBe("max_tokens");
  });

  test.each<[Dialect, Dialect, (out: SSEEvent[]) => void]>([
    [A, C, (out) => expect(JSON.parse(out.at(-1)!.data)).toEqual({ error: { message: "Overloaded", type: "overloaded_error", param: null, code: null } })],
    [A, R, (out) => {
      expect(out.at(-1)!.event).toBe("response.failed");
      expect(JSON.parse(out.at(-1)!.data).response).toMatchObject({ status: "failed", error: { code: "overloaded_error", message: "Overloaded" } });
    }],
    [C, A, (out) => expect(out.at(-1)).toEqual({ event: "error", data: JSON.stringify({ type: "error", error: { type: "server_error", message: "The server had an error while processing your request. Sorry about that!" } }) })],
    [R, A, (out) => {
      expect(out.filter((e) => e.event === "error")).toHaveLength(1);
      expect(JSON.parse(out.at(-1)!.data).error.type).toBe("server_error");
    }],
    [R, C, (out) => expect(out.filter((e) => e.data.includes('"error"'))).toHaveLength(1)],
    [C, R, (out) => expect(out.filter((e) => e.event === "response.failed")).toHaveLength(1)],
  ])("an upstream error mid-stream (%s → %s) becomes the client's native error record, and nothing after it", (from, to, check) => {
    const { pushed, ended } = run(from, to, sse(FIXTURES[from].error));
    check(pushed);
    expect(ended).toEqual([]);
    const observer = createStreamObserver(to);
    for (const e of pushed) observer.observe(e);
    expect(observer.failed).toBe(true);
  });

  test("options: includeUsage false leaves out the usage chunk; model and created fill what the upstream lacks", () => {
    const t = createStreamTranslator(A, C, { model: "client-model", requestId: "req_9", created: 42, includeUsage: false });
    const events: SSEEvent[] = [
      { event: "message_start", data: '{"type":"message_start","message":{"usage":{"input_tokens":3}}}' },
      { event: "content_block_delta", data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"orphan"}}' },
      { event: "content_block_start", data: '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"hi"}}' },
      { event: "message_delta", data: '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}' },
      { event: "message_stop", data: '{"type":"message_stop"}' },
    ];
    const out = events.flatMap((e) => t.push(e)).map((e) => JSON.parse(e.data) as Json);
    expect(out.every((c) => c.model === "client-model" && c.created === 42 && c.id === "chatcmpl-req_9")).toBe(true);
    expect(out.some((c) => Array.isArray(c.choices) && c.choices.length === 0)).toBe(false);
    expect(out.map((c) => (c.choices as Json[])[0]!.delta)).toEqual([{ role: "assistant", content: "" }, { content: "hi" }, {}]);
    expect(t.end()).toEqual([{ data: "[DONE]" }]);
  });

  test("records that are not JSON, pings, comments-only and unknown events are skipped", () => {
    for (const [from, to] of PAIRS) {
      const t = createStreamTranslator(from, to, { model: "m", requestId: "r", created: 1 });
      expect(t.push({ data: "not json" })).toEqual([]);
      expect(t.push({ event: "ping", data: '{"type":"ping"}' })).toEqual([]);
      expect(t.push({ event: "mystery", data: "[1,2]" })).toEqual([]);
    }
  });

  const allFixtures = DIALECTS.flatMap((d) => [...KINDS.map((k) => FIXTURES[d][k]), FIXTURES[d].error].map((name) => ({ d, name, bytes: readFileSync(fixturePath("sse", name)) })));
  const chunking = fc.nat({ max: allFixtures.length - 1 }).chain((i) =>
    fc.tuple(fc.constant(i), fc.constantFrom(...DIALECTS.filter((d) => d !== allFixtures[i]!.d)), fc.array(fc.nat({ max: allFixtures[i]!.bytes.length }), { maxLength: 30 })));
  test.prop([chunking], { numRuns: 200 })("the output is identical whatever the chunking of the upstream bytes", ([i, to, cuts]) => {
    const { d, bytes } = allFixtures[i]!;
    const whole = runBytes(d, to, [bytes]);
    expect(runBytes(d, to, cutBytes(bytes, cuts))).toBe(whole);
  });

  test.prop([fc.constantFrom(...PAIRS), fc.constantFrom(...KINDS), extraFieldsArb], { numRuns: 100 })(
    "arbitrary extra unknown fields in stream records never throw",
    ([from, to], kind, extra) => {
      const events = sse(FIXTURES[from][kind]).map((e) => (e.data.startsWith("{") ? { ...e, data: JSON.stringify({ ...extra, ...(JSON.parse(e.data) as Json) }) } : e));
      expect(() => run(from, to, events)).not.toThrow();
    },
  );
});

describe("usage", () => {
  test.each<[string, Dialect, Usage]>([
    ["anthropic-text", A, { inputTokens: 12, outputTokens: 17, cacheWriteTokens: 0, cacheReadTokens: 0 }],
    ["anthropic-tool-use", A, { inputTokens: 380, outputTokens: 58, cacheWriteTokens: 0, cacheReadTokens: 1536 }],
    ["anthropic-cache", A, { inputTokens: 4, outputTokens: 25, cacheWriteTokens: 1820, cacheReadTokens: 6144 }],
    ["openai-chat-text", C, { inputTokens: 12, outputTokens: 17, cacheWriteTokens: 0, cacheReadTokens: 0 }],
    ["openai-chat-tool-calls", C, { inputTokens: 380, outputTokens: 58, cacheWriteTokens: 0, cacheReadTokens: 1536 }],
    ["openai-chat-cache", C, { inputTokens: 12, outputTokens: 9, cacheWriteTokens: 0, cacheReadTokens: 2048 }],
    ["openai-responses-text", R, { inputTokens: 12, outputTokens: 17, cacheWriteTokens: 0, cacheReadTokens: 0 }],
    ["openai-responses-function-call", R, { inputTokens: 380, outputTokens: 58, cacheWriteTokens: 0, cacheReadTokens: 1536 }],
    ["openai-responses-cache", R, { inputTokens: 24, outputTokens: 9, cacheWriteTokens: 0, cacheReadTokens: 6144 }],
  ])("%s: readUsage and the stream observer agree, cached tokens split out of OpenAI's prompt count", (name, dialect, usage) => {
    expect(readUsage(json(name), dialect)).toEqual(usage);
    const observer = createStreamObserver(dialect);
    for (const e of sse(name)) observer.observe(e);
    expect(observer.usage).toEqual(usage);
    expect(observer.terminated).toBe(true);
    expect(observer.failed).toBe(false);
  });

  test.each(DIALECTS)("%s: an error record ends the stream as failed; a cut-off stream is not terminated", (d) => {
    const failed = createStreamObserver(d);
    for (const e of sse(FIXTURES[d].error)) failed.observe(e);
    expect([failed.terminated, failed.failed]).toEqual([true, true]);
    for (const kind of KINDS) {
      const events = sse(FIXTURES[d][kind]);
      const cut = createStreamObserver(d);
      for (const e of events.slice(0, -1)) cut.observe(e);
      expect([cut.terminated, cut.failed]).toEqual([false, false]);
    }
  });

  test("Anthropic: message_delta overrides input and cache numbers only when it carries them", () => {
    const observer = createStreamObserver(A);
    observer.observe({ event: "message_start", data: '{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":5,"cache_creation_input_tokens":null,"output_tokens":1}}}' });
    observer.observe({ event: "message_delta", data: '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":30,"cache_creation_input_tokens":7}}' });
    expect(observer.usage).toEqual({ inputTokens: 10, outputTokens: 30, cacheWriteTokens: 7, cacheReadTokens: 5 });
    observer.observe({ event: "message_delta", data: '{"type":"message_delta","delta":{},"usage":{"output_tokens":31,"input_tokens":null}}' });
    expect(observer.usage).toEqual({ inputTokens: 10, outputTokens: 31, cacheWriteTokens: 7, cacheReadTokens: 5 });
  });

  const usageArb = fc.record({ inputTokens: fc.nat(1e7), outputTokens: fc.nat(1e7), cacheWriteTokens: fc.nat(1e7), cacheReadTokens: fc.nat(1e7) });
  test.prop([fc.constantFrom(...PAIRS), usageArb], { numRuns: 300 })("the four numbers survive every direction, streaming and not", ([from, to], usage) => {
    expect(readUsage(translateResponse(answerWithUsage(from, usage), from, to), to)).toEqual(usage);
    const upstream = streamWithUsage(from, usage);
    const before = createStreamObserver(from);
    const after = createStreamObserver(to);
    for (const e of upstream) before.observe(e);
    const out = run(from, to, upstream);
    for (const e of [...out.pushed, ...out.ended]) after.observe(e);
    expect(before.usage).toEqual(usage);
    expect(after.usage).toEqual(usage);
    expect(after.terminated).toBe(true);
  });
});

describe("errorEvents", () => {
  const error = { type: "api_error", message: "The upstream stream ended before it finished" };
  test("Anthropic: event: error with the error object", () => {
    expect(errorEvents(A, error)).toEqual([{ event: "error", data: '{"type":"error","error":{"type":"api_error","message":"The upstream stream ended before it finished"}}' }]);
  });
  test("Chat: a data-only {error} record", () => {
    expect(errorEvents(C, error)).toEqual([{ data: '{"error":{"message":"The upstream stream ended before it finished","type":"api_error","param":null,"code":null}}' }]);
  });
  test("Responses: response.failed", () => {
    const [event] = errorEvents(R, error, { id: "resp_1", model: "gpt-5" });
    expect(event!.event).toBe("response.failed");
    expect(JSON.parse(event!.data)).toMatchObject({ type: "response.failed", response: { id: "resp_1", model: "gpt-5", status: "failed", error: { code: "api_error", message: error.message } } });
  });
  test.each(DIALECTS)("%s: the observer sees its own error record as a failed end", (d) => {
    const observer = createStreamObserver(d);
    for (const e of errorEvents(d, error)) observer.observe(e);
    expect([observer.terminated, observer.failed]).toEqual([true, true]);
  });
});

describe("describeRequest and countTokensEstimate", () => {
  test.each(DIALECTS)("%s: model, stream, user id and the session seed (system + first user text)", (d) => {
    const info = describeRequest(json(FIXTURES[d].request), d);
    expect(info).toEqual({
      model: { [A]: "claude-sonnet-4-5-20250929", [C]: "gpt-4o-2024-08-06", [R]: "gpt-5-2025-08-07" }[d],
      stream: true,
      userId: "user_7f3a9c",
      sessionSeed: "You are a helpful weather assistant.\nWhat's the weather in Paris? Here is a photo from my window.",
    });
  });

  test("no system and no user text: no seed; a malformed body never throws", () => {
    expect(describeRequest({ model: "m", messages: [] }, A)).toEqual({ model: "m", stream: false, userId: undefined, sessionSeed: undefined });
    expect(describeRequest({ input: "just this" }, R).sessionSeed).toBe("just this");
    for (const d of DIALECTS) for (const body of [{}, { messages: "x", input: 3, system: 4, metadata: [] }, { messages: [null, 1, { role: "user", content: [null] }] }]) {
      expect(() => describeRequest(body, d)).not.toThrow();
      expect(() => countTokensEstimate(body, d)).not.toThrow();
    }
  });

  test("the estimate is UTF-8 bytes / 4 of the prompt fields, plus a flat amount per image", () => {
    const text = "x".repeat(4000);
    const plain = countTokensEstimate({ model: "m", messages: [{ role: "user", content: text }] }, A);
    expect(plain).toBeGreaterThanOrEqual(1000);
    expect(plain).toBeLessThan(1020);
    const withImage = countTokensEstimate({ model: "m", messages: [{ role: "user", content: [{ type: "text", text }, { type: "image", source: { type: "base64", media_type: "image/png", data: "A".repeat(400_000) } }] }] }, A);
    expect(withImage - plain).toBeGreaterThanOrEqual(ESTIMATED_IMAGE_TOKENS);
    expect(withImage - plain).toBeLessThan(ESTIMATED_IMAGE_TOKENS + 20);
    expect(countTokensEstimate({ model: "m", messages: [{ role: "user", content: "é".repeat(2000) }] }, A)).toBeGreaterThanOrEqual(1000);
    expect(countTokensEstimate({ model: "m", input: text, max_output_tokens: 10 }, R)).toBeGreaterThanOrEqual(1000);
  });
});

describe("docs", () => {
  test("docs/guide/translation.md names every parameter that is rejected or dropped", () => {
    const page = readFileSync(join(repoRoot, "docs/guide/translation.md"), "utf8");
    for (const [from, rules] of Object.entries(PARAMETER_RULES)) {
      const start = page.indexOf(`### From ${from}`);
      expect(start, `section for ${from}`).toBeGreaterThan(0);
      const next = page.indexOf("### From", start + 1);
      const section = page.slice(start, next === -1 ? undefined : next);
      for (const param of Object.keys(rules)) expect(section, `${from}: ${param}`).toContain(`\`${param}\``);
    }
    expect(page).toContain(String(DEFAULT_ANTHROPIC_MAX_TOKENS));
  });
});

// --- helpers ---

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const LONDON = "https://upload.wikimedia.org/wikipedia/commons/4/4b/London_Eye.jpg";
const WEATHER_SCHEMA = { type: "object", properties: { city: { type: "string", description: "City name" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city"] };

function fixturePath(kind: "json" | "sse", name: string): string {
  return join(repoRoot, "test/fixtures", kind, `${name}.${kind}`);
}

function json(name: string): Json {
  return JSON.parse(readFileSync(fixturePath("json", name), "utf8")) as Json;
}

function sse(name: string): SSEEvent[] {
  const parser = createSSEParser();
  return [...parser.push(readFileSync(fixturePath("sse", name))), ...parser.end()];
}

function run(from: Dialect, to: Dialect, events: SSEEvent[]): { pushed: SSEEvent[]; ended: SSEEvent[] } {
  const t = createStreamTranslator(from, to, { model: "fallback-model", requestId: "req_test", created: 1_700_000_000 });
  const pushed = events.flatMap((e) => t.push(e));
  return { pushed, ended: t.end() };
}

function runBytes(from: Dialect, to: Dialect, chunks: Uint8Array[]): string {
  const parser = createSSEParser();
  const t = createStreamTranslator(from, to, { model: "fallback-model", requestId: "req_test", created: 1_700_000_000 });
  const events = [...chunks.flatMap((c) => parser.push(c)), ...parser.end()];
  return [...events.flatMap((e) => t.push(e)), ...t.end()].map(formatSSE).join("");
}

function cutBytes(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  return [...points, data.length].map((p, i) => data.subarray(i === 0 ? 0 : points[i - 1]!, p));
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** What a client reads from an answer, in one vocabulary, computed without the translator. */
interface Summary {
  text: string;
  calls: Array<{ id: string; name: string; args: unknown }>;
  stop: "end" | "length" | "tool" | "filter";
  usage: Usage;
}

function summarize(body: Json, dialect: Dialect): Summary {
  const stops: Record<string, Summary["stop"]> = { end_turn: "end", stop_sequence: "end", stop: "end", max_tokens: "length", length: "length", tool_use: "tool", tool_calls: "tool", refusal: "filter", content_filter: "filter" };
  const list = (v: unknown) => (Array.isArray(v) ? (v as Json[]) : []);
  if (dialect === A) {
    const content = list(body.content);
    return {
      text: content.filter((b) => b.type === "text").map((b) => b.text).join(""),
      calls: content.filter((b) => b.type === "tool_use").map((b) => ({ id: b.id as string, name: b.name as string, args: b.input })),
      stop: stops[body.stop_reason as string]!,
      usage: readUsage(body, A),
    };
  }
  if (dialect === C) {
    const choice = list(body.choices)[0]!;
    const message = choice.message as Json;
    return {
      text: (message.content as string | null) ?? "",
      calls: list(message.tool_calls).map((c) => ({ id: c.id as string, name: (c.function as Json).name as string, args: JSON.parse((c.function as Json).arguments as string) })),
      stop: stops[choice.finish_reason as string]!,
      usage: readUsage(body, C),
    };
  }
  const output = list(body.output);
  const calls = output.filter((o) => o.type === "function_call").map((o) => ({ id: o.call_id as string, name: o.name as string, args: JSON.parse(o.arguments as string) }));
  const reason = (body.incomplete_details as Json | null)?.reason;
  return {
    text: output.filter((o) => o.type === "message").flatMap((o) => list(o.content).map((p) => p.text)).join(""),
    calls,
    stop: body.status === "incomplete" ? (reason === "content_filter" ? "filter" : "length") : calls.length ? "tool" : "end",
    usage: readUsage(body, R),
  };
}

/** The answer the official SDK assembles from a client stream. */
async function sdkFinal(dialect: Dialect, events: SSEEvent[]): Promise<Json> {
  const text = events.map(formatSSE).join("");
  const fetch = async () => new Response(text, { headers: { "content-type": "text/event-stream" } });
  if (dialect === A) {
    const client = new Anthropic({ apiKey: "test", fetch, maxRetries: 0 });
    return (await client.messages.stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).finalMessage()) as unknown as Json;
  }
  const client = new OpenAI({ apiKey: "test", fetch, maxRetries: 0 });
  if (dialect === C) return (await client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "hi" }] }).finalChatCompletion()) as unknown as Json;
  return (await client.responses.stream({ model: "m", input: "hi" }).finalResponse()) as unknown as Json;
}

function answerWithUsage(dialect: Dialect, u: Usage): Json {
  const prompt = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  if (dialect === A) {
    return { id: "msg_1", type: "message", role: "assistant", model: "m", content: [{ type: "text", text: "hi" }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: u.inputTokens, cache_creation_input_tokens: u.cacheWriteTokens, cache_read_input_tokens: u.cacheReadTokens, output_tokens: u.outputTokens } };
  }
  if (dialect === C) {
    return { id: "chatcmpl-1", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }], usage: { prompt_tokens: prompt, completion_tokens: u.outputTokens, total_tokens: prompt + u.outputTokens, prompt_tokens_details: { cached_tokens: u.cacheReadTokens, cache_write_tokens: u.cacheWriteTokens } } };
  }
  return { id: "resp_1", object: "response", created_at: 1, status: "completed", model: "m", output: [{ type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "hi" }] }], usage: { input_tokens: prompt, input_tokens_details: { cached_tokens: u.cacheReadTokens, cache_write_tokens: u.cacheWriteTokens }, output_tokens: u.outputTokens, total_tokens: prompt + u.outputTokens } };
}

function streamWithUsage(dialect: Dialect, u: Usage): SSEEvent[] {
  const body = answerWithUsage(dialect, u);
  const rec = (event: string, data: Json): SSEEvent => ({ event, data: JSON.stringify({ type: event, ...data }) });
  if (dialect === A) {
    const usage = body.usage as Json;
    return [
      rec("message_start", { message: { ...body, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }),
      rec("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      rec("content_block_delta", { index: 0, delta: { type: "text_delta", text: "hi" } }),
      rec("content_block_stop", { index: 0 }),
      rec("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: u.outputTokens } }),
      rec("message_stop", {}),
    ];
  }
  if (dialect === C) {
    const chunk = (fields: Json): SSEEvent => ({ data: JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", ...fields }) });
    return [
      chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "hi" }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
      chunk({ choices: [], usage: body.usage }),
      { data: "[DONE]" },
    ];
  }
  return [
    rec("response.created", { response: { ...body, status: "in_progress", output: [], usage: null } }),
    rec("response.output_text.delta", { output_index: 0, content_index: 0, item_id: "msg_1", delta: "hi" }),
    rec("response.completed", { response: body }),
  ];
}

// --- unknown fields ---

const KNOWN_KEYS = new Set([
  "__proto__", "constructor", "model", "max_tokens", "messages", "system", "stream", "metadata", "stop_sequences", "temperature", "top_p",
  "tools", "tool_choice", "input", "instructions", "max_output_tokens", "max_completion_tokens", "stop", "user", "parallel_tool_calls",
  "response_format", "reasoning_effort", "verbosity", "store", "service_tier", "prompt_cache_key", "prompt_cache_retention",
  "safety_identifier", "text", "reasoning", "role", "content", "type", "source", "image_url", "tool_calls", "tool_call_id", "tool_use_id",
  "id", "name", "input_schema", "function", "arguments", "call_id", "output", "is_error", "refusal", "function_call", "detail", "data",
  "media_type", "url", "choices", "usage", "status", "incomplete_details", "error", "index", "delta", "content_block", "message",
  "response", "item", "part", "output_index", "content_index", "finish_reason", "stop_reason", "stop_sequence", "created", "created_at",
  ...Object.values(PARAMETER_RULES).flatMap((rules) => Object.keys(rules)),
]);
const extraFieldsArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !KNOWN_KEYS.has(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

// Add `extra` to the body, to every message / input item, and to some content parts.
function sprinkle(body: Json, extra: Json, seed: number): Json {
  const items = (body.messages ?? body.input) as Json[];
  const withExtra = items.map((item, i) => {
    const content = Array.isArray(item.content) ? (item.content as Json[]).map((p, j) => ((i + j + seed) % 2 ? { ...extra, ...p } : p)) : item.content;
    return { ...extra, ...item, ...(content !== undefined ? { content } : {}) };
  });
  return { ...extra, ...body, [body.messages ? "messages" : "input"]: withExtra };
}

// --- generated conversations: rendered into each dialect and read back, both without the translator ---

type Piece =
  | { kind: "text"; text: string }
  | { kind: "image"; url: string }
  | { kind: "call"; id: string; name: string; args: Json }
  | { kind: "result"; id: string; text: string };
interface Conversation {
  system: string[];
  turns: Array<{ role: "user" | "assistant"; pieces: Piece[] }>;
  tools: Array<{ name: string; description: string; parameters: Json }>;
  maxTokens: number;
  user: string | undefined;
}

const textArb = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 });
const idArb = fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/);
const nameArb = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
const argsArb = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 });
const imageArb = fc.oneof(
  fc.tuple(fc.constantFrom("image/png", "image/jpeg", "image/webp"), fc.base64String({ minLength: 4, maxLength: 40 })).map(([t, d]) => `data:${t};base64,${d}`),
  fc.webUrl(),
);
const userTurn = fc.tuple(
  fc.array(fc.record({ kind: fc.constant("result" as const), id: idArb, text: textArb }), { maxLength: 2 }),
  fc.array(fc.oneof({ weight: 3, arbitrary: textArb.map((text) => ({ kind: "text" as const, text })) }, { weight: 1, arbitrary: imageArb.map((url) => ({ kind: "image" as const, url })) }), { maxLength: 2 }),
).filter(([r, c]) => r.length + c.length > 0).map(([r, c]) => ({ role: "user" as const, pieces: [...r, ...c] as Piece[] }));
const assistantTurn = fc.tuple(
  fc.array(textArb.map((text) => ({ kind: "text" as const, text })), { maxLength: 2 }),
  fc.array(fc.record({ kind: fc.constant("call" as const), id: idArb, name: nameArb, args: argsArb }), { maxLength: 2 }),
).filter(([t, c]) => t.length + c.length > 0).map(([t, c]) => ({ role: "assistant" as const, pieces: [...t, ...c] as Piece[] }));
const conversationArb: fc.Arbitrary<Conversation> = fc.record({
  system: fc.array(textArb, { maxLength: 2 }),
  turns: fc.array(fc.oneof(userTurn, assistantTurn), { minLength: 1, maxLength: 6 }),
  tools: fc.uniqueArray(fc.record({ name: nameArb, description: textArb, parameters: fc.constant({ type: "object", properties: { q: { type: "string" } } }) }), { selector: (t) => t.name, maxLength: 3 }),
  maxTokens: fc.integer({ min: 1, max: 200_000 }),
  user: fc.option(idArb, { nil: undefined }),
});

function render(c: Conversation, dialect: Dialect): Json {
  if (dialect === A) {
    const messages = c.turns.map((t) => ({
      role: t.role,
      content: t.pieces.map((p) => {
        if (p.kind === "text") return { type: "text", text: p.text };
        if (p.kind === "image") {
          const m = /^data:([^;]+);base64,(.*)$/.exec(p.url);
          return { type: "image", source: m ? { type: "base64", media_type: m[1], data: m[2] } : { type: "url", url: p.url } };
        }
        if (p.kind === "call") return { type: "tool_use", id: p.id, name: p.name, input: p.args };
        return { type: "tool_result", tool_use_id: p.id, content: p.text };
      }),
    }));
    return {
      model: "m", max_tokens: c.maxTokens, messages,
      ...(c.system.length ? { system: c.system.map((text) => ({ type: "text", text })) } : {}),
      ...(c.tools.length ? { tools: c.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })) } : {}),
      ...(c.user ? { metadata: { user_id: c.user } } : {}),
    };
  }
  if (dialect === C) {
    const messages: Json[] = c.system.map((text) => ({ role: "system", content: text }));
    for (const t of c.turns) {
      if (t.role === "assistant") {
        const texts = t.pieces.flatMap((p) => (p.kind === "text" ? [p.text] : []));
        const calls = t.pieces.flatMap((p) => (p.kind === "call" ? [{ id: p.id, type: "function", function: { name: p.name, arguments: JSON.stringify(p.args) } }] : []));
        messages.push({ role: "assistant", content: texts.length ? texts.map((text) => ({ type: "text", text })) : null, ...(calls.length ? { tool_calls: calls } : {}) });
      } else {
        for (const p of t.pieces) if (p.kind === "result") messages.push({ role: "tool", tool_call_id: p.id, content: p.text });
        const rest = t.pieces.flatMap((p): Json[] => (p.kind === "text" ? [{ type: "text", text: p.text }] : p.kind === "image" ? [{ type: "image_url", image_url: { url: p.url } }] : []));
        if (rest.length) messages.push({ role: "user", content: rest });
      }
    }
    return {
      model: "m", max_completion_tokens: c.maxTokens, messages,
      ...(c.tools.length ? { tools: c.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })) } : {}),
      ...(c.user ? { user: c.user } : {}),
    };
  }
  const input: Json[] = [];
  for (const t of c.turns) {
    const content: Json[] = [];
    const flush = () => {
      if (content.length) input.push({ type: "message", role: t.role, content: content.splice(0) });
    };
    for (const p of t.pieces) {
      if (p.kind === "text") content.push({ type: t.role === "user" ? "input_text" : "output_text", text: p.text });
      else if (p.kind === "image") content.push({ type: "input_image", image_url: p.url, detail: "auto" });
      else {
        flush();
        input.push(p.kind === "call" ? { type: "function_call", call_id: p.id, name: p.name, arguments: JSON.stringify(p.args) } : { type: "function_call_output", call_id: p.id, output: p.text });
      }
    }
    flush();
  }
  return {
    model: "m", max_output_tokens: c.maxTokens, input,
    ...(c.system.length ? { instructions: c.system.join("\n\n") } : {}),
    ...(c.tools.length ? { tools: c.tools.map((t) => ({ type: "function", name: t.name, description: t.description, parameters: t.parameters, strict: false })) } : {}),
    ...(c.user ? { user: c.user } : {}),
  };
}

/** The meaning of a request: system text, the flat sequence of (role, piece), tools, limit, user. */
function meaningOf(body: Json, dialect: Dialect): Json {
  const list = (v: unknown) => (Array.isArray(v) ? (v as Json[]) : []);
  const texts = (content: unknown) => (typeof content === "string" ? [content] : list(content).map((p) => (p.text ?? p.refusal) as string));
  const items: Json[] = [];
  let system: string[] = [];
  let tools: Json[] = [];
  if (dialect === A) {
    system = typeof body.system === "string" ? [body.system] : list(body.system).map((b) => b.text as string);
    for (const m of list(body.messages)) {
      const content = typeof m.content === "string" ? [{ type: "text", text: m.content }] : list(m.content);
      for (const b of content) {
        const src = b.source as Json | undefined;
        if (b.type === "text") items.push({ role: m.role, text: b.text });
        else if (b.type === "image") items.push({ role: m.role, image: src!.type === "url" ? src!.url : `data:${src!.media_type};base64,${src!.data}` });
        else if (b.type === "tool_use") items.push({ role: m.role, call: [b.id, b.name, b.input] });
        else if (b.type === "tool_result") items.push({ role: m.role, result: [b.tool_use_id, texts(b.content).join("")] });
      }
    }
    tools = list(body.tools).map((t) => ({ name: t.name, description: t.description, parameters: t.input_schema }));
    return { system: system.join("\n\n"), items, tools, maxTokens: body.max_tokens, user: (body.metadata as Json | undefined)?.user_id };
  }
  if (dialect === C) {
    for (const m of list(body.messages)) {
      if (m.role === "system") system.push(...texts(m.content));
      else if (m.role === "tool") items.push({ role: "user", result: [m.tool_call_id, texts(m.content).join("")] });
      else if (m.role === "assistant") {
        for (const text of texts(m.content)) items.push({ role: "assistant", text });
        for (const call of list(m.tool_calls)) {
          const fn = call.function as Json;
          items.push({ role: "assistant", call: [call.id, fn.name, JSON.parse(fn.arguments as string)] });
        }
      } else {
        const content = typeof m.content === "string" ? [{ type: "text", text: m.content }] : list(m.content);
        for (const p of content) items.push(p.type === "text" ? { role: "user", text: p.text } : { role: "user", image: (p.image_url as Json).url });
      }
    }
    tools = list(body.tools).map((t) => {
      const fn = t.function as Json;
      return { name: fn.name, description: fn.description, parameters: fn.parameters };
    });
    return { system: system.join("\n\n"), items, tools, maxTokens: body.max_completion_tokens, user: body.user };
  }
  for (const item of list(body.input)) {
    if (item.type === "function_call") items.push({ role: "assistant", call: [item.call_id, item.name, JSON.parse(item.arguments as string)] });
    else if (item.type === "function_call_output") items.push({ role: "user", result: [item.call_id, texts(item.output).join("")] });
    else for (const p of list(item.content)) items.push(p.type === "input_image" ? { role: item.role, image: p.image_url } : { role: item.role, text: p.text });
  }
  tools = list(body.tools).map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  return { system: typeof body.instructions === "string" ? body.instructions : "", items, tools, maxTokens: body.max_output_tokens, user: body.user };
}
