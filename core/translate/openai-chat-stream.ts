import type { SSEEvent } from "../relay/sse.ts";
import {
  type CanonicalStreamEvent,
  type StopReason,
  type StreamEncoder,
  type StreamEncoderOptions,
  type Usage,
  dialectId,
  isRecord,
  list,
  mergeUsage,
  num,
  parseJson,
  str,
} from "./canonical.ts";
import { chatStopReason, chatUsage, chatUsageWire, toChatStopReason } from "./openai-chat-response.ts";

/**
 * Reads a Chat Completions stream (protocols.md §3.3): the first choice's deltas, tool-call
 * fragments joined per `index`, the usage chunk, `[DONE]`. Blocks are sequential: a new tool
 * call (or text after one) closes the block before it.
 */
export function createChatDecoder(): { decode(event: SSEEvent): CanonicalStreamEvent[] } {
  let started = false;
  let next = 0;
  let current: number | undefined; // the open block
  let text: number | undefined; // the open text block
  const tools = new Map<number, number>(); // Chat tool index → canonical block

  const closeCurrent = (out: CanonicalStreamEvent[]) => {
    if (current !== undefined) out.push({ type: "block-stop", block: current });
    current = undefined;
    text = undefined;
  };

  return {
    decode(event) {
      const out: CanonicalStreamEvent[] = [];
      if (event.data.trim() === "[DONE]") {
        closeCurrent(out);
        out.push({ type: "end" });
        return out;
      }
      const chunk = parseJson(event.data);
      if (!isRecord(chunk)) return out;
      if (!Array.isArray(chunk.choices) && !isRecord(chunk.error) && !isRecord(chunk.usage)) return out;
      if (isRecord(chunk.error)) return [{ type: "error", errorType: str(chunk.error.type) ?? str(chunk.error.code) ?? "api_error", message: str(chunk.error.message) ?? "" }];
      if (!started) {
        started = true;
        out.push({ type: "start", id: str(chunk.id), model: str(chunk.model), created: num(chunk.created) });
      }
      const choice = list(chunk.choices).find((c) => isRecord(c) && (c.index ?? 0) === 0);
      if (isRecord(choice)) {
        const delta = isRecord(choice.delta) ? choice.delta : {};
        const piece = [delta.content, delta.refusal].filter((t): t is string => typeof t === "string" && t !== "").join("");
        if (piece !== "") {
          if (text === undefined) {
            closeCurrent(out);
            text = current = next++;
            out.push({ type: "text-start", block: text });
          }
          out.push({ type: "text", block: text, text: piece });
        }
        for (const call of list(delta.tool_calls)) {
          if (!isRecord(call)) continue;
          const index = num(call.index) ?? 0;
          const fn = isRecord(call.function) ? call.function : {};
          let block = tools.get(index);
          if (block === undefined) {
            closeCurrent(out);
            block = current = next++;
            tools.set(index, block);
            out.push({ type: "tool-start", block, id: str(call.id) ?? `call_${index}`, name: str(fn.name) ?? "" });
          }
          if (typeof fn.arguments === "string" && fn.arguments !== "") out.push({ type: "tool-args", block, json: fn.arguments });
        }
        if (choice.finish_reason != null) {
          closeCurrent(out);
          out.push({ type: "stop", reason: chatStopReason(choice.finish_reason) });
        }
      }
      if (isRecord(chunk.usage)) out.push({ type: "usage", usage: chatUsage(chunk.usage) });
      return out;
    },
  };
}

/**
 * Writes canonical events as `chat.completion.chunk` records: a role chunk, content and
 * tool-call deltas, the `finish_reason` chunk, the `choices: []` usage chunk (when
 * `includeUsage`), and `[DONE]` from `finish()` after a clean end.
 */
export function createChatEncoder(options: StreamEncoderOptions): StreamEncoder {
  let started = false;
  let ended = false;
  let failed = false;
  let stopSent = false;
  let sawTool = false;
  let id = "";
  let model = options.model;
  let created = options.created;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  const tools = new Map<number, number>(); // canonical block → Chat tool index

  const chunk = (fields: Record<string, unknown>): SSEEvent => ({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model, ...fields }) });
  const delta = (d: Record<string, unknown>, finish: string | null = null) => chunk({ choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] });
  const start = (out: SSEEvent[], upstream?: { id?: string; model?: string; created?: number }) => {
    if (started) return;
    started = true;
    id = dialectId("openai-chat", upstream?.id, options.requestId);
    model = upstream?.model ?? options.model;
    created = upstream?.created ?? options.created;
    out.push(delta({ role: "assistant", content: "" }));
  };
  const sendStop = (out: SSEEvent[], reason: StopReason) => {
    if (stopSent) return;
    stopSent = true;
    out.push(delta({}, toChatStopReason(reason)));
  };

  return {
    encode(event) {
      if (ended || failed) return [];
      const out: SSEEvent[] = [];
      switch (event.type) {
        case "start":
          mergeUsage(usage, event.usage);
          start(out, event);
          break;
        case "error":
          failed = true;
          return chatErrorEvents({ type: event.errorType, message: event.message });
        case "usage":
          mergeUsage(usage, event.usage);
          break;
        case "text-start":
        case "block-stop":
          start(out);
          break;
        case "text":
          start(out);
          if (event.text !== "") out.push(delta({ content: event.text }));
          break;
        case "tool-start": {
          start(out);
          sawTool = true;
          const index = tools.size;
          tools.set(event.block, index);
          out.push(delta({ tool_calls: [{ index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }] }));
          break;
        }
        case "tool-args": {
          const index = tools.get(event.block);
          if (index !== undefined) out.push(delta({ tool_calls: [{ index, function: { arguments: event.json } }] }));
          break;
        }
        case "stop":
          start(out);
          sendStop(out, event.reason);
          break;
        case "end":
          start(out);
          sendStop(out, sawTool ? "tool_calls" : "end");
          if (options.includeUsage) out.push(chunk({ choices: [], usage: chatUsageWire(usage) }));
          ended = true;
          break;
      }
      return out;
    },
    finish: () => (ended && !failed ? [{ data: "[DONE]" }] : []),
  };
}

/** Chat's mid-stream error record: `data: {"error": {...}}`. */
export function chatErrorEvents(error: { type: string; message: string }): SSEEvent[] {
  return [{ data: JSON.stringify({ error: { message: error.message, type: error.type, param: null, code: null } }) }];
}
