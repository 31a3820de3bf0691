import type { SSEEvent } from "../relay/sse.ts";
import type { Dialect } from "../types/provider.ts";
import { anthropicPartialUsage, anthropicUsage } from "./anthropic-response.ts";
import { type JsonObject, type Usage, isRecord, mergeUsage, parseJson } from "./canonical.ts";
import { chatUsage } from "./openai-chat-response.ts";
import { responsesUsage } from "./openai-responses-response.ts";

/** Watches an upstream stream as it passes: usage so far and how it ended. */
export interface StreamObserver {
  /** Feed every upstream record, in order. Never throws. */
  observe(event: SSEEvent): void;
  /** Usage seen so far (a copy). */
  readonly usage: Usage;
  /**
   * The upstream reached an end it meant: `message_stop`, `[DONE]`, `response.completed`,
   * `response.incomplete`, `response.failed`, or an error record. When false at the end of
   * the bytes, the stream was cut off.
   */
  readonly terminated: boolean;
  /** That end was an error (`event: error`, `data: {"error": …}`, `response.failed`, `error`). */
  readonly failed: boolean;
}

/** Usage of a non-streaming upstream answer, in the four non-overlapping numbers. */
export function readUsage(body: JsonObject, dialect: Dialect): Usage {
  if (dialect === "anthropic-messages") return anthropicUsage(body.usage);
  if (dialect === "openai-chat") return chatUsage(body.usage);
  return responsesUsage(body.usage);
}

/**
 * Create an observer for an upstream stream in `dialect`. Anthropic: input and cache numbers
 * from `message_start`, overridden by non-null values in `message_delta`, output from the
 * last `message_delta`. Chat: the chunk that carries `usage`. Responses: `response.usage` of
 * the terminal event. Only records that can carry usage or an ending are parsed.
 */
export function createStreamObserver(dialect: Dialect): StreamObserver {
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  let terminated = false;
  let failed = false;
  const state: ObserverState = {
    usage,
    end: () => {
      terminated = true;
    },
    fail: () => {
      failed = true;
      terminated = true;
    },
  };
  const observe = OBSERVERS[dialect];
  return {
    observe(event) {
      observe(event, state);
    },
    get usage() {
      return { ...usage };
    },
    get terminated() {
      return terminated;
    },
    get failed() {
      return failed;
    },
  };
}

// --- internal ---

interface ObserverState {
  usage: Usage;
  end(): void;
  fail(): void;
}

const RESPONSES_NAMES = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

const OBSERVERS: Record<Dialect, (event: SSEEvent, state: ObserverState) => void> = {
  "anthropic-messages"(event, state) {
    const name = event.event;
    if (name === "message_stop") return state.end();
    if (name === "error") return state.fail();
    if (name !== undefined && name !== "message_start" && name !== "message_delta") return;
    const data = parseJson(event.data);
    if (!isRecord(data)) return;
    if (data.type === "message_start" && isRecord(data.message)) mergeUsage(state.usage, anthropicPartialUsage(data.message.usage));
    else if (data.type === "message_delta") mergeUsage(state.usage, anthropicPartialUsage(data.usage));
    else if (data.type === "message_stop") state.end();
    else if (data.type === "error") state.fail();
  },
  "openai-chat"(event, state) {
    const text = event.data;
    if (text.trim() === "[DONE]") return state.end();
    if (!/"usage"\s*:\s*\{/.test(text) && !text.includes('"error"')) return;
    const data = parseJson(text);
    if (!isRecord(data)) return;
    if (isRecord(data.error)) return state.fail();
    if (isRecord(data.usage)) Object.assign(state.usage, chatUsage(data.usage));
  },
  "openai-responses"(event, state) {
    if (event.event !== undefined && !RESPONSES_NAMES.has(event.event)) return;
    const data = parseJson(event.data);
    if (!isRecord(data)) return;
    const type = data.type ?? event.event;
    if (type === "error") return state.fail();
    if (type !== "response.completed" && type !== "response.incomplete" && type !== "response.failed") return;
    const response = isRecord(data.response) ? data.response : {};
    if (isRecord(response.usage)) Object.assign(state.usage, responsesUsage(response.usage));
    if (type === "response.failed") state.fail();
    else state.end();
  },
};
