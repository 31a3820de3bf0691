import {
  type CanonicalResponse,
  type JsonObject,
  type StopReason,
  type Usage,
  argumentsObject,
  count,
  dialectId,
  isRecord,
  list,
  num,
  str,
} from "./canonical.ts";

/** Anthropic usage (protocols.md §1.5) → the four numbers; missing or null fields count 0. */
export function anthropicUsage(usage: unknown): Usage {
  const u = isRecord(usage) ? usage : {};
  return {
    inputTokens: count(u.input_tokens),
    outputTokens: count(u.output_tokens),
    cacheWriteTokens: count(u.cache_creation_input_tokens),
    cacheReadTokens: count(u.cache_read_input_tokens),
  };
}

/** The usage fields an Anthropic event carries (non-null ones only): message_delta overrides message_start. */
export function anthropicPartialUsage(usage: unknown): Partial<Usage> {
  const u = isRecord(usage) ? usage : {};
  const out: Partial<Usage> = {};
  const take = (key: keyof Usage, value: unknown) => {
    const n = num(value);
    if (n !== undefined) out[key] = Math.max(0, Math.floor(n));
  };
  take("inputTokens", u.input_tokens);
  take("outputTokens", u.output_tokens);
  take("cacheWriteTokens", u.cache_creation_input_tokens);
  take("cacheReadTokens", u.cache_read_input_tokens);
  return out;
}

/** The four numbers → Anthropic's usage object. */
export function anthropicUsageWire(usage: Usage): JsonObject {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens: usage.outputTokens,
  };
}

/** `stop_reason` → canonical. `pause_turn` counts as an end; a full context as `length`. */
export function anthropicStopReason(reason: unknown): StopReason {
  switch (reason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "stop_sequence":
      return "stop_sequence";
    case "refusal":
      return "refusal";
    default:
      return "end";
  }
}

/** Canonical → `stop_reason`. A content filter is reported as `refusal`. */
export function toAnthropicStopReason(reason: StopReason): string {
  const map: Record<StopReason, string> = {
    end: "end_turn",
    length: "max_tokens",
    tool_calls: "tool_use",
    stop_sequence: "stop_sequence",
    refusal: "refusal",
    content_filter: "refusal",
  };
  return map[reason];
}

/** Read a non-streaming Anthropic message (protocols.md §1.4). Thinking blocks are left out. */
export function decodeAnthropicResponse(body: JsonObject): CanonicalResponse {
  const out: CanonicalResponse = { parts: [], stopReason: anthropicStopReason(body.stop_reason), usage: anthropicUsage(body.usage) };
  if (typeof body.id === "string") out.id = body.id;
  if (typeof body.model === "string") out.model = body.model;
  if (typeof body.stop_sequence === "string") out.stopSequence = body.stop_sequence;
  list(body.content).forEach((block, i) => {
    if (!isRecord(block)) return;
    const at = `content[${i}]`;
    if (block.type === "text") out.parts.push({ type: "text", text: str(block.text) ?? "", at });
    else if (block.type === "tool_use") {
      out.parts.push({ type: "tool_call", id: str(block.id) ?? "", name: str(block.name) ?? "", arguments: JSON.stringify(isRecord(block.input) ? block.input : {}), at });
    }
  });
  return out;
}

/** Write a canonical answer as an Anthropic message. */
export function encodeAnthropicResponse(c: CanonicalResponse, fallbackId: string): JsonObject {
  const content = c.parts.map((part) =>
    part.type === "text" ? { type: "text", text: part.text } : { type: "tool_use", id: part.id, name: part.name, input: argumentsObject(part.arguments) });
  return {
    id: dialectId("anthropic-messages", c.id, fallbackId),
    type: "message",
    role: "assistant",
    model: c.model ?? "",
    content,
    stop_reason: toAnthropicStopReason(c.stopReason),
    stop_sequence: c.stopSequence ?? null,
    usage: anthropicUsageWire(c.usage),
  };
}
