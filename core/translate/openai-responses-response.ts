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

/** Responses usage → the four numbers (see {@link openaiUsage}). */
export function responsesUsage(usage: unknown): Usage {
  return openaiUsage(usage, { input: "input_tokens", output: "output_tokens", details: "input_tokens_details" });
}

/** The four numbers → Responses usage. */
export function responsesUsageWire(usage: Usage): JsonObject {
  const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens, cache_write_tokens: usage.cacheWriteTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + usage.outputTokens,
  };
}

/** `status` + `incomplete_details` (+ whether a function was called) → canonical. */
export function responsesStopReason(status: unknown, incomplete: unknown, calledTool: boolean): StopReason {
  if (status === "incomplete") {
    const reason = isRecord(incomplete) ? incomplete.reason : undefined;
    return reason === "content_filter" ? "content_filter" : "length";
  }
  return calledTool ? "tool_calls" : "end";
}

/** Canonical → `status` and `incomplete_details`. */
export function toResponsesStatus(reason: StopReason): { status: string; incomplete_details: JsonObject | null } {
  if (reason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (reason === "content_filter" || reason === "refusal") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** Read a non-streaming Response object (protocols.md §3.6). Reasoning items are left out. */
export function decodeResponsesResponse(body: JsonObject): CanonicalResponse {
  const out: CanonicalResponse = { parts: [], stopReason: "end", usage: responsesUsage(body.usage) };
  if (typeof body.id === "string") out.id = body.id;
  if (typeof body.model === "string") out.model = body.model;
  const created = num(body.created_at);
  if (created !== undefined) out.created = created;
  list(body.output).forEach((item, i) => {
    if (!isRecord(item)) return;
    if (item.type === "message") {
      const text = list(item.content)
        .map((p) => (isRecord(p) ? (p.type === "refusal" ? str(p.refusal) : p.type === "output_text" ? str(p.text) : undefined) ?? "" : ""))
        .join("");
      if (text !== "") out.parts.push({ type: "text", text, at: `output[${i}]` });
    } else if (item.type === "function_call") {
      out.parts.push({ type: "tool_call", id: str(item.call_id) ?? "", name: str(item.name) ?? "", arguments: str(item.arguments) ?? "", at: `output[${i}]` });
    }
  });
  out.stopReason = responsesStopReason(body.status, body.incomplete_details, out.parts.some((p) => p.type === "tool_call"));
  return out;
}

/** Write a canonical answer as a Response object; adjacent text parts share one message item. */
export function encodeResponsesResponse(c: CanonicalResponse, fallbackId: string): JsonObject {
  const id = dialectId("openai-responses", c.id, fallbackId);
  const base = stripPrefix(id);
  const output: JsonObject[] = [];
  for (const part of c.parts) {
    const last = output.at(-1);
    if (part.type === "text" && last?.type === "message") {
      const content = last.content as Array<{ text: string }>;
      content[0]!.text += part.text;
    } else if (part.type === "text") {
      output.push(messageItem(`msg_${base}_${output.length}`, part.text));
    } else {
      output.push(functionCallItem(`fc_${base}_${output.length}`, part.id || `call_${base}_${output.length}`, part.name, part.arguments));
    }
  }
  return { id, object: "response", created_at: c.created ?? nowSeconds(), ...toResponsesStatus(c.stopReason), error: null, model: c.model ?? "", output, usage: responsesUsageWire(c.usage) };
}

/** A completed assistant message item. */
export function messageItem(id: string, text: string): JsonObject {
  return { id, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
}

/** A completed function call item. */
export function functionCallItem(id: string, callId: string, name: string, args: string): JsonObject {
  return { id, type: "function_call", status: "completed", call_id: callId, name, arguments: args };
}
