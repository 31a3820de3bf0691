import {
  type CanonicalResponse,
  type JsonObject,
  type StopReason,
  type Usage,
  dialectId,
  isRecord,
  list,
  nowSeconds,
  num,
  openaiUsage,
  str,
  stripPrefix,
} from "./canonical.ts";

/** Chat usage → the four numbers (see {@link openaiUsage}). */
export function chatUsage(usage: unknown): Usage {
  return openaiUsage(usage, { input: "prompt_tokens", output: "completion_tokens", details: "prompt_tokens_details" });
}

/** The four numbers → Chat usage (cache tokens counted inside `prompt_tokens`). */
export function chatUsageWire(usage: Usage): JsonObject {
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const details: JsonObject = { cached_tokens: usage.cacheReadTokens };
  if (usage.cacheWriteTokens > 0) details.cache_write_tokens = usage.cacheWriteTokens;
  return { prompt_tokens: prompt, completion_tokens: usage.outputTokens, total_tokens: prompt + usage.outputTokens, prompt_tokens_details: details };
}

/** `finish_reason` → canonical (`stop` covers a stop sequence too: Chat does not tell them apart). */
export function chatStopReason(reason: unknown): StopReason {
  if (reason === "length") return "length";
  if (reason === "tool_calls" || reason === "function_call") return "tool_calls";
  if (reason === "content_filter") return "content_filter";
  return "end";
}

/** Canonical → `finish_reason`. */
export function toChatStopReason(reason: StopReason): string {
  if (reason === "length") return "length";
  if (reason === "tool_calls") return "tool_calls";
  if (reason === "refusal" || reason === "content_filter") return "content_filter";
  return "stop";
}

/** Read a non-streaming Chat completion (protocols.md §3.2): the first choice. */
export function decodeChatResponse(body: JsonObject): CanonicalResponse {
  const choice = list(body.choices).find(isRecord) ?? {};
  const message = isRecord(choice.message) ? choice.message : {};
  const out: CanonicalResponse = { parts: [], stopReason: chatStopReason(choice.finish_reason), usage: chatUsage(body.usage) };
  if (typeof body.id === "string") out.id = body.id;
  if (typeof body.model === "string") out.model = body.model;
  const created = num(body.created);
  if (created !== undefined) out.created = created;
  const content = message.content;
  if (typeof content === "string" && content !== "") out.parts.push({ type: "text", text: content, at: "message.content" });
  else if (Array.isArray(content)) {
    const text = content.map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : "")).join("");
    if (text !== "") out.parts.push({ type: "text", text, at: "message.content" });
  }
  if (typeof message.refusal === "string" && message.refusal !== "") {
    out.parts.push({ type: "text", text: message.refusal, at: "message.refusal" });
    out.stopReason = "refusal";
  }
  list(message.tool_calls).forEach((call, i) => {
    if (!isRecord(call) || !isRecord(call.function)) return;
    out.parts.push({ type: "tool_call", id: str(call.id) ?? "", name: str(call.function.name) ?? "", arguments: str(call.function.arguments) ?? "", at: `message.tool_calls[${i}]` });
  });
  return out;
}

/** Write a canonical answer as a Chat completion. Text parts are concatenated. */
export function encodeChatResponse(c: CanonicalResponse, fallbackId: string): JsonObject {
  const id = dialectId("openai-chat", c.id, fallbackId);
  const texts = c.parts.filter((p) => p.type === "text");
  const calls = c.parts.flatMap((p, i) =>
    p.type === "tool_call" ? [{ id: p.id || `call_${stripPrefix(id)}_${i}`, type: "function", function: { name: p.name, arguments: p.arguments } }] : []);
  const message: JsonObject = { role: "assistant", content: texts.length ? texts.map((t) => t.text).join("") : null, refusal: null };
  if (calls.length) message.tool_calls = calls;
  return {
    id,
    object: "chat.completion",
    created: c.created ?? nowSeconds(),
    model: c.model ?? "",
    choices: [{ index: 0, message, logprobs: null, finish_reason: toChatStopReason(c.stopReason) }],
    usage: chatUsageWire(c.usage),
  };
}
