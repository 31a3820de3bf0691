import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { startRelay } from "./_harness.ts";

// Official SDKs, unchanged, pointed at the gateway with a gateway key: every client endpoint,
// streaming and not, against a same-dialect and a cross-dialect upstream.
const MODELS = { same: "claude-haiku-4-5", cross: "gpt-4o-mini" } as const;
const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

async function clients() {
  const relay = await startRelay();
  const key = await relay.createKey({ name: "sdk" });
  const anthropic = new Anthropic({ apiKey: key, baseURL: relay.url, maxRetries: 0 });
  const openai = new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  return { relay, anthropic, openai };
}

describe("Anthropic SDK → /v1/messages", () => {
  for (const [kind, model] of [["same dialect", MODELS.same], ["cross dialect (OpenAI upstream)", MODELS.cross]] as const) {
    it(`answers non-streaming and streaming calls (${kind})`, async () => {
      const { relay, anthropic } = await clients();
      const message = await anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: "hello there" }] });
      expect(message.type).toBe("message");
      expect(message.content[0]).toMatchObject({ type: "text", text: "echo: hello there" });
      expect(message.stop_reason).toBe("end_turn");
      expect(message.usage.output_tokens).toBeGreaterThan(0);

      const stream = anthropic.messages.stream({ model, max_tokens: 64, system: "be brief", messages: [{ role: "user", content: "stream me" }] });
      let text = "";
      stream.on("text", (delta) => (text += delta));
      const final = await stream.finalMessage();
      expect(text).toBe("echo: stream me");
      expect(final.stop_reason).toBe("end_turn");
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      const upstream = model === MODELS.same ? relay.anthropic : relay.openai;
      expect(upstream.requests.length).toBe(2);
      expect(JSON.stringify(upstream.requests[1]!.body)).toContain("be brief");
    });

    it(`round-trips a tool call and its result (${kind})`, async () => {
      const { relay, anthropic } = await clients();
      const tools = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.schema as Anthropic.Tool.InputSchema }];
      const first = await anthropic.messages.create({ model, max_tokens: 64, tools, messages: [{ role: "user", content: "please use tool" }] });
      expect(first.stop_reason).toBe("tool_use");
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
      expect(call.name).toBe("get_weather");
      const streamed = await anthropic.messages
        .stream({ model, max_tokens: 64, tools, messages: [{ role: "user", content: "please use tool" }] })
        .finalMessage();
      expect(streamed.content.find((b) => b.type === "tool_use")).toMatchObject({ name: "get_weather", input: call.input });
      const second = await anthropic.messages.create({
        model, max_tokens: 64, tools,
        messages: [
          { role: "user", content: "please use tool" },
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny, 21C" }] },
        ],
      });
      expect(second.type).toBe("message");
      const seen = JSON.stringify((model === MODELS.same ? relay.anthropic : relay.openai).requests.at(-1)!.body);
      expect(seen).toContain("sunny, 21C");
      expect(seen).toContain(call.id);
    });
  }
});

describe("OpenAI SDK → /v1/chat/completions", () => {
  for (const [kind, model] of [["same dialect", MODELS.cross], ["cross dialect (Anthropic upstream)", MODELS.same]] as const) {
    it(`answers non-streaming and streaming calls with tools (${kind})`, async () => {
      const { relay, openai } = await clients();
      const completion = await openai.chat.completions.create({ model, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi chat" }] });
      expect(completion.choices[0]!.message.content).toBe("echo: hi chat");
      expect(completion.choices[0]!.finish_reason).toBe("stop");
      expect(completion.usage!.completion_tokens).toBeGreaterThan(0);

      const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "stream chat" }] });
      let text = "";
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(text).toBe("echo: stream chat");
      expect(finish).toBe("stop");

      const tools = [{ type: "function" as const, function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.schema } }];
      const called = await openai.chat.completions.create({ model, tools, messages: [{ role: "user", content: "please use tool" }] });
      const toolCall = called.choices[0]!.message.tool_calls![0]!;
      expect(called.choices[0]!.finish_reason).toBe("tool_calls");
      expect(toolCall.type === "function" && toolCall.function.name).toBe("get_weather");
      const after = await openai.chat.completions.create({
        model, tools,
        messages: [{ role: "user", content: "please use tool" }, called.choices[0]!.message, { role: "tool", tool_call_id: toolCall.id, content: "rainy" }],
      });
      expect(after.object).toBe("chat.completion");
      expect(JSON.stringify((model === MODELS.cross ? relay.openai : relay.anthropic).requests.at(-1)!.body)).toContain("rainy");
    });
  }
});

describe("OpenAI SDK → /v1/responses", () => {
  for (const [kind, model] of [["same dialect", MODELS.cross], ["cross dialect (Anthropic upstream)", MODELS.same]] as const) {
    it(`answers non-streaming and streaming calls with tools (${kind})`, async () => {
      const { openai } = await clients();
      const response = await openai.responses.create({ model, instructions: "be brief", input: "hi responses" });
      expect(response.output_text).toBe("echo: hi responses");
      expect(response.status).toBe("completed");
      expect(response.usage!.output_tokens).toBeGreaterThan(0);

      const stream = await openai.responses.create({ model, input: "stream responses", stream: true });
      let text = "";
      let completed = false;
      for await (const event of stream) {
        if (event.type === "response.output_text.delta") text += event.delta;
        if (event.type === "response.completed") completed = true;
      }
      expect(text).toBe("echo: stream responses");
      expect(completed).toBe(true);

      const tools = [{ type: "function" as const, name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.schema, strict: false }];
      const called = await openai.responses.create({ model, tools, input: "please use tool" });
      const call = called.output.find((item) => item.type === "function_call");
      expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
    });
  }
});

describe("models and own usage", () => {
  it("lists models in the dialect asked for and reports the key's own usage", async () => {
    const { relay, anthropic, openai } = await clients();
    const anthropicList = await anthropic.models.list();
    expect(anthropicList.data.map((m) => m.id)).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5", "gpt-4o-mini"]);
    const openaiList = await openai.models.list();
    expect(openaiList.data.map((m) => m.id)).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5", "gpt-4o-mini"]);
    await anthropic.messages.create({ model: MODELS.same, max_tokens: 16, messages: [{ role: "user", content: "count me" }] });
    const key = (anthropic as unknown as { apiKey: string }).apiKey;
    const usage = (await (await fetch(`${relay.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { today: { requests: number; outputTokens: number } };
    expect(usage.today.requests).toBe(1);
    expect(usage.today.outputTokens).toBe("echo: count me".length);
  });
});
