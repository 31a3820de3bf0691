import type { SSEEvent } from "../relay/sse.ts";
import { anthropicPartialUsage, anthropicStopReason, anthropicUsageWire, toAnthropicStopReason } from "./anthropic-response.ts";
import {
  type CanonicalStreamEvent,
  type StopReason,
  type StreamEncoder,
  type StreamEncoderOptions,
  type Usage,
  dialectId,
  isRecord,
  mergeUsage,
  num,
  parseJson,
  str,
} from "./canonical.ts";

/** Reads an Anthropic stream (protocols.md §1.6). Thinking and server-tool blocks are skipped. */
export function createAnthropicDecoder(): { decode(event: SSEEvent): CanonicalStreamEvent[] } {
  const blocks = new Map<number, number>(); // Anthropic index → canonical block
  let next = 0;
  return {
    decode(event) {
      const data = parseJson(event.data);
      if (!isRecord(data)) return [];
      const index = num(data.index) ?? 0;
      switch (data.type ?? event.event) {
        case "message_start": {
          const message = isRecord(data.message) ? data.message : {};
          return [{ type: "start", id: str(message.id), model: str(message.model), usage: anthropicPartialUsage(message.usage) }];
        }
        case "content_block_start": {
          const block = isRecord(data.content_block) ? data.content_block : {};
          if (block.type === "text") {
            blocks.set(index, next);
            const out: CanonicalStreamEvent[] = [{ type: "text-start", block: next }];
            if (typeof block.text === "string" && block.text !== "") out.push({ type: "text", block: next, text: block.text });
            next++;
            return out;
          }
          if (block.type === "tool_use") {
            blocks.set(index, next);
            const out: CanonicalStreamEvent[] = [{ type: "tool-start", block: next, id: str(block.id) ?? `toolu_${next}`, name: str(block.name) ?? "" }];
            if (isRecord(block.input) && Object.keys(block.input).length > 0) out.push({ type: "tool-args", block: next, json: JSON.stringify(block.input) });
            next++;
            return out;
          }
          return [];
        }
        case "content_block_delta": {
          const block = blocks.get(index);
          const delta = isRecord(data.delta) ? data.delta : {};
          if (block === undefined) return [];
          if (delta.type === "text_delta" && typeof delta.text === "string" && delta.text !== "") return [{ type: "text", block, text: delta.text }];
          if (delta.type === "input_json_delta" && typeof delta.partial_json === "string" && delta.partial_json !== "") {
            return [{ type: "tool-args", block, json: delta.partial_json }];
          }
          return [];
        }
        case "content_block_stop": {
          const block = blocks.get(index);
          return block === undefined ? [] : [{ type: "block-stop", block }];
        }
        case "message_delta": {
          const delta = isRecord(data.delta) ? data.delta : {};
          const out: CanonicalStreamEvent[] = [];
          if (delta.stop_reason != null) {
            const stop: CanonicalStreamEvent = { type: "stop", reason: anthropicStopReason(delta.stop_reason) };
            if (typeof delta.stop_sequence === "string") stop.stopSequence = delta.stop_sequence;
            out.push(stop);
          }
          out.push({ type: "usage", usage: anthropicPartialUsage(data.usage) });
          return out;
        }
        case "message_stop":
          return [{ type: "end" }];
        case "error": {
          const error = isRecord(data.error) ? data.error : {};
          return [{ type: "error", errorType: str(error.type) ?? "api_error", message: str(error.message) ?? "" }];
        }
        default:
          return [];
      }
    },
  };
}

/** Writes canonical events as Anthropic's exact event sequence. */
export function createAnthropicEncoder(options: StreamEncoderOptions): StreamEncoder {
  let started = false;
  let done = false;
  let id = "";
  let model = options.model;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  let stop: StopReason | undefined;
  let stopSequence: string | undefined;
  let sawTool = false;
  const blocks = new Map<number, { index: number; open: boolean }>();

  const record = (type: string, payload: Record<string, unknown>): SSEEvent => ({ event: type, data: JSON.stringify({ type, ...payload }) });
  const start = (out: SSEEvent[], upstreamId?: string, upstreamModel?: string) => {
    if (started) return;
    started = true;
    id = dialectId("anthropic-messages", upstreamId, options.requestId);
    model = upstreamModel ?? options.model;
    const message = { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsageWire(usage) };
    out.push(record("message_start", { message }));
  };
  const open = (out: SSEEvent[], block: number, contentBlock: Record<string, unknown>) => {
    const index = blocks.size;
    blocks.set(block, { index, open: true });
    out.push(record("content_block_start", { index, content_block: contentBlock }));
    return index;
  };
  const close = (out: SSEEvent[], block: number) => {
    const b = blocks.get(block);
    if (!b?.open) return;
    b.open = false;
    out.push(record("content_block_stop", { index: b.index }));
  };

  return {
    encode(event) {
      if (done) return [];
      const out: SSEEvent[] = [];
      if (event.type === "start") {
        mergeUsage(usage, event.usage);
        start(out, event.id, event.model);
        return out;
      }
      if (event.type === "error") {
        done = true;
        return [record("error", { error: { type: event.errorType, message: event.message } })];
      }
      if (event.type === "usage") {
        mergeUsage(usage, event.usage);
        return out;
      }
      if (event.type === "stop") {
        stop = event.reason;
        stopSequence = event.stopSequence;
        return out;
      }
      start(out);
      switch (event.type) {
        case "text-start":
          if (!blocks.has(event.block)) open(out, event.block, { type: "text", text: "" });
          break;
        case "text": {
          const index = blocks.get(event.block)?.index ?? open(out, event.block, { type: "text", text: "" });
          out.push(record("content_block_delta", { index, delta: { type: "text_delta", text: event.text } }));
          break;
        }
        case "tool-start":
          sawTool = true;
          if (!blocks.has(event.block)) open(out, event.block, { type: "tool_use", id: event.id, name: event.name, input: {} });
          break;
        case "tool-args": {
          const b = blocks.get(event.block);
          if (b) out.push(record("content_block_delta", { index: b.index, delta: { type: "input_json_delta", partial_json: event.json } }));
          break;
        }
        case "block-stop":
          close(out, event.block);
          break;
        case "end": {
          for (const block of blocks.keys()) close(out, block);
          const reason = toAnthropicStopReason(stop ?? (sawTool ? "tool_calls" : "end"));
          out.push(record("message_delta", { delta: { stop_reason: reason, stop_sequence: stopSequence ?? null }, usage: anthropicUsageWire(usage) }));
          out.push(record("message_stop", {}));
          done = true;
          break;
        }
      }
      return out;
    },
    finish: () => [],
  };
}

/** Anthropic's mid-stream error record. */
export function anthropicErrorEvents(error: { type: string; message: string }): SSEEvent[] {
  return [{ event: "error", data: JSON.stringify({ type: "error", error: { type: error.type, message: error.message } }) }];
}
