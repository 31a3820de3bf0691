import type { SSEEvent } from "../relay/sse.ts";
import {
  type CanonicalStreamEvent,
  type JsonObject,
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
  stripPrefix,
} from "./canonical.ts";
import { responsesStopReason, responsesUsage, responsesUsageWire, toResponsesStatus } from "./openai-responses-response.ts";

/**
 * Reads a Responses stream (protocols.md §3.7). Each `output_text` part and each function
 * call is a block; reasoning items are skipped; a `[DONE]` record is ignored. Text or
 * arguments that arrive only in a `.done` event (no deltas) are still delivered.
 */
export function createResponsesDecoder(): { decode(event: SSEEvent): CanonicalStreamEvent[] } {
  let next = 0;
  let sawTool = false;
  const blocks = new Map<string, { block: number; open: boolean; seen: boolean }>(); // "t:<output>:<part>" | "f:<output>"

  const open = (out: CanonicalStreamEvent[], key: string, make: (block: number) => CanonicalStreamEvent) => {
    let b = blocks.get(key);
    if (!b) {
      b = { block: next++, open: true, seen: false };
      blocks.set(key, b);
      out.push(make(b.block));
    }
    return b;
  };
  const close = (out: CanonicalStreamEvent[], key: string) => {
    const b = blocks.get(key);
    if (b?.open) {
      b.open = false;
      out.push({ type: "block-stop", block: b.block });
    }
  };
  const closeAll = (out: CanonicalStreamEvent[]) => {
    for (const key of blocks.keys()) close(out, key);
  };
  const startTool = (out: CanonicalStreamEvent[], index: number, fc: JsonObject) => {
    sawTool = true;
    open(out, `f:${index}`, (block) => ({ type: "tool-start", block, id: str(fc.call_id) ?? `call_${index}`, name: str(fc.name) ?? "" }));
  };
  const args = (out: CanonicalStreamEvent[], index: number, piece: string) => {
    const b = blocks.get(`f:${index}`);
    if (!b || piece === "") return;
    b.seen = true;
    out.push({ type: "tool-args", block: b.block, json: piece });
  };

  return {
    decode(event) {
      const data = parseJson(event.data);
      if (!isRecord(data)) return [];
      const out: CanonicalStreamEvent[] = [];
      const oi = num(data.output_index) ?? 0;
      const textKey = `t:${oi}:${num(data.content_index) ?? 0}`;
      const item = isRecord(data.item) ? data.item : {};
      const text = (key: string, piece: string) => {
        const b = open(out, key, (block) => ({ type: "text-start", block }));
        if (piece === "") return;
        b.seen = true;
        out.push({ type: "text", block: b.block, text: piece });
      };
      switch (data.type ?? event.event) {
        case "response.created": {
          const response = isRecord(data.response) ? data.response : {};
          out.push({ type: "start", id: str(response.id), model: str(response.model), created: num(response.created_at) });
          break;
        }
        case "response.output_item.added":
          if (item.type === "function_call") startTool(out, oi, item);
          break;
        case "response.content_part.added": {
          const part = isRecord(data.part) ? data.part : {};
          if (part.type === "output_text" || part.type === "refusal") text(textKey, "");
          break;
        }
        case "response.output_text.delta":
        case "response.refusal.delta":
          text(textKey, str(data.delta) ?? "");
          break;
        case "response.output_text.done":
        case "response.refusal.done":
          if (!blocks.get(textKey)?.seen) text(textKey, str(data.text) ?? str(data.refusal) ?? "");
          break;
        case "response.content_part.done":
          close(out, textKey);
          break;
        case "response.function_call_arguments.delta":
          args(out, oi, str(data.delta) ?? "");
          break;
        case "response.function_call_arguments.done":
          if (!blocks.get(`f:${oi}`)?.seen) args(out, oi, str(data.arguments) ?? "");
          break;
        case "response.output_item.done":
          if (item.type === "function_call") {
            startTool(out, oi, item);
            if (!blocks.get(`f:${oi}`)?.seen) args(out, oi, str(item.arguments) ?? "");
            close(out, `f:${oi}`);
          } else for (const key of blocks.keys()) if (key.startsWith(`t:${oi}:`)) close(out, key);
          break;
        case "response.completed":
        case "response.incomplete": {
          const response = isRecord(data.response) ? data.response : {};
          closeAll(out);
          out.push({ type: "usage", usage: responsesUsage(response.usage) });
          out.push({ type: "stop", reason: responsesStopReason(response.status ?? "completed", response.incomplete_details, sawTool) });
          out.push({ type: "end" });
          break;
        }
        case "response.failed": {
          const response = isRecord(data.response) ? data.response : {};
          const error = isRecord(response.error) ? response.error : {};
          out.push({ type: "error", errorType: str(error.code) ?? str(error.type) ?? "api_error", message: str(error.message) ?? "" });
          break;
        }
        case "error": {
          const nested = isRecord(data.error) ? data.error : {};
          const errorType = str(data.code) ?? str(nested.type) ?? str(nested.code) ?? "api_error";
          out.push({ type: "error", errorType, message: str(data.message) ?? str(nested.message) ?? "" });
          break;
        }
      }
      return out;
    },
  };
}

/**
 * Writes canonical events as a Responses stream: response.created/in_progress, one output
 * item per block (message with one output_text part, or function_call) with its added /
 * delta / done events, then response.completed or response.incomplete with the full output.
 */
export function createResponsesEncoder(options: StreamEncoderOptions): StreamEncoder {
  let seq = 0;
  let started = false;
  let done = false;
  let stop: StopReason | undefined;
  let sawTool = false;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  const response: JsonObject = { id: "", object: "response", created_at: options.created, status: "in_progress", error: null, incomplete_details: null, model: options.model, output: [], usage: null };
  const output: JsonObject[] = [];
  const blocks = new Map<number, { outputIndex: number; item: JsonObject; text: string; args: string; open: boolean }>();

  const record = (type: string, payload: JsonObject): SSEEvent => ({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...payload }) });
  const snapshot = (): JsonObject => ({ ...response, output: output.map((i) => ({ ...i })) });
  const start = (out: SSEEvent[], upstream?: { id?: string; model?: string; created?: number }) => {
    if (started) return;
    started = true;
    response.id = dialectId("openai-responses", upstream?.id, options.requestId);
    response.model = upstream?.model ?? options.model;
    response.created_at = upstream?.created ?? options.created;
    out.push(record("response.created", { response: snapshot() }));
    out.push(record("response.in_progress", { response: snapshot() }));
  };
  const openBlock = (out: SSEEvent[], block: number, item: JsonObject) => {
    const outputIndex = output.length;
    const entry = { outputIndex, item, text: "", args: "", open: true };
    blocks.set(block, entry);
    output.push(item);
    out.push(record("response.output_item.added", { output_index: outputIndex, item: { ...item } }));
    if (item.type === "message") {
      out.push(record("response.content_part.added", { item_id: item.id, output_index: outputIndex, content_index: 0, part: { type: "output_text", annotations: [], text: "" } }));
    }
    return entry;
  };
  const openText = (out: SSEEvent[], block: number) =>
    blocks.get(block) ?? openBlock(out, block, { id: `msg_${stripPrefix(response.id as string)}_${output.length}`, type: "message", status: "in_progress", role: "assistant", content: [] });
  const close = (out: SSEEvent[], block: number) => {
    const b = blocks.get(block);
    if (!b?.open) return;
    b.open = false;
    const { item, outputIndex } = b;
    if (item.type === "message") {
      const part = { type: "output_text", annotations: [], text: b.text };
      out.push(record("response.output_text.done", { item_id: item.id, output_index: outputIndex, content_index: 0, text: b.text, logprobs: [] }));
      out.push(record("response.content_part.done", { item_id: item.id, output_index: outputIndex, content_index: 0, part }));
      Object.assign(item, { status: "completed", content: [part] });
    } else {
      out.push(record("response.function_call_arguments.done", { item_id: item.id, output_index: outputIndex, name: item.name, arguments: b.args }));
      Object.assign(item, { status: "completed", arguments: b.args });
    }
    out.push(record("response.output_item.done", { output_index: outputIndex, item: { ...item } }));
  };

  return {
    encode(event) {
      if (done) return [];
      const out: SSEEvent[] = [];
      switch (event.type) {
        case "start":
          mergeUsage(usage, event.usage);
          start(out, event);
          break;
        case "usage":
          mergeUsage(usage, event.usage);
          break;
        case "stop":
          stop = event.reason;
          break;
        case "text-start":
          start(out);
          openText(out, event.block);
          break;
        case "text": {
          start(out);
          const b = openText(out, event.block);
          b.text += event.text;
          out.push(record("response.output_text.delta", { item_id: b.item.id, output_index: b.outputIndex, content_index: 0, delta: event.text, logprobs: [] }));
          break;
        }
        case "tool-start":
          start(out);
          sawTool = true;
          if (!blocks.has(event.block)) {
            const itemId = `fc_${stripPrefix(response.id as string)}_${output.length}`;
            openBlock(out, event.block, { id: itemId, type: "function_call", status: "in_progress", arguments: "", call_id: event.id, name: event.name });
          }
          break;
        case "tool-args": {
          const b = blocks.get(event.block);
          if (!b) break;
          b.args += event.json;
          out.push(record("response.function_call_arguments.delta", { item_id: b.item.id, output_index: b.outputIndex, delta: event.json }));
          break;
        }
        case "block-stop":
          close(out, event.block);
          break;
        case "end": {
          start(out);
          for (const block of blocks.keys()) close(out, block);
          const status = toResponsesStatus(stop ?? (sawTool ? "tool_calls" : "end"));
          Object.assign(response, status, { usage: responsesUsageWire(usage) });
          out.push(record(status.status === "completed" ? "response.completed" : "response.incomplete", { response: snapshot() }));
          done = true;
          break;
        }
        case "error":
          start(out);
          done = true;
          Object.assign(response, { status: "failed", error: { code: event.errorType, message: event.message }, usage: responsesUsageWire(usage) });
          out.push(record("response.failed", { response: snapshot() }));
          break;
      }
      return out;
    },
    finish: () => [],
  };
}

/** The Responses terminal failure record, for errors raised outside a translated stream. */
export function responsesErrorEvents(error: { type: string; message: string }, context: { id?: string; model?: string } = {}): SSEEvent[] {
  const response = {
    id: context.id ?? "resp_failed", object: "response", status: "failed", error: { code: error.type, message: error.message },
    incomplete_details: null, model: context.model ?? "", output: [], usage: null,
  };
  return [{ event: "response.failed", data: JSON.stringify({ type: "response.failed", response }) }];
}
