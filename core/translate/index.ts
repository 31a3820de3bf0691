// Translation between the three wire dialects: pure functions over plain JSON and SSE records.
// Every direction goes through the pivot in canonical.ts; docs/guide/translation.md has the map.
import { randomUUID } from "node:crypto";
import type { SSEEvent } from "../relay/sse.ts";
import type { Dialect } from "../types/provider.ts";
import { ANTHROPIC_REQUEST_FIELDS, decodeAnthropicRequest, encodeAnthropicRequest } from "./anthropic-request.ts";
import { decodeAnthropicResponse, encodeAnthropicResponse } from "./anthropic-response.ts";
import { anthropicErrorEvents, createAnthropicDecoder, createAnthropicEncoder } from "./anthropic-stream.ts";
import {
  type CanonicalRequest,
  type CanonicalResponse,
  type CanonicalStreamEvent,
  type JsonObject,
  type StreamEncoder,
  type StreamEncoderOptions,
  nowSeconds,
} from "./canonical.ts";
import { CHAT_REQUEST_FIELDS, decodeChatRequest, encodeChatRequest } from "./openai-chat-request.ts";
import { decodeChatResponse, encodeChatResponse } from "./openai-chat-response.ts";
import { chatErrorEvents, createChatDecoder, createChatEncoder } from "./openai-chat-stream.ts";
import { RESPONSES_REQUEST_FIELDS, decodeResponsesRequest, encodeResponsesRequest } from "./openai-responses-request.ts";
import { decodeResponsesResponse, encodeResponsesResponse } from "./openai-responses-response.ts";
import { createResponsesDecoder, createResponsesEncoder, responsesErrorEvents } from "./openai-responses-stream.ts";
import { PARAMETER_RULES, applyParameterRules } from "./params.ts";

export { DEFAULT_ANTHROPIC_MAX_TOKENS, type Usage } from "./canonical.ts";
export { PARAMETER_RULES, type ParameterRule } from "./params.ts";
export { ESTIMATED_IMAGE_TOKENS, countTokensEstimate, describeRequest, type RequestInfo } from "./describe.ts";
export { createStreamObserver, readUsage, type StreamObserver } from "./usage.ts";

/** Options of {@link translateRequest}. */
export interface TranslateRequestOptions {
  /** Called with each top-level parameter that was dropped (ruled `drop`, or unknown): log it at debug. */
  onDrop?(param: string): void;
}

/**
 * Translate a client request body from one dialect to another. Same dialect: `body` itself
 * is returned (the relay's fast path). Parameters the target cannot express are rejected
 * with a 400 naming them (`badRequest`) or dropped, per {@link PARAMETER_RULES}; fields the
 * translator does not know are dropped. The input is never mutated.
 */
export function translateRequest(body: JsonObject, from: Dialect, to: Dialect, options: TranslateRequestOptions = {}): JsonObject {
  if (from === to) return body;
  const kept = applyParameterRules(body, from, to, options.onDrop);
  if (options.onDrop) {
    const known = new Set([...REQUEST_FIELDS[from], ...Object.keys(PARAMETER_RULES[from])]);
    for (const key of Object.keys(kept)) if (!known.has(key)) options.onDrop(key);
  }
  return REQUEST_ENCODERS[to](REQUEST_DECODERS[from](kept, to));
}

/**
 * Translate a non-streaming upstream answer into the client's dialect: text, tool calls,
 * stop reason, usage, id (kept when it already has the target's shape, else re-prefixed:
 * `msg_…`, `chatcmpl-…`, `resp_…`) and model. Same dialect: `body` itself.
 */
export function translateResponse(body: JsonObject, from: Dialect, to: Dialect): JsonObject {
  if (from === to) return body;
  return RESPONSE_ENCODERS[to](RESPONSE_DECODERS[from](body), randomUUID().replaceAll("-", ""));
}

/** Options of {@link createStreamTranslator}. */
export interface StreamTranslatorOptions {
  /** Reported when the upstream's first event names no model. */
  model: string;
  /** Base of the ids made when the upstream gives none. */
  requestId: string;
  /** Unix seconds for `created`/`created_at` when the upstream gives none. Default: now. */
  created?: number;
  /** OpenAI Chat client: send the final `choices: []` usage chunk. Default `true`. */
  includeUsage?: boolean;
}

/** Upstream SSE records in, client SSE records out. */
export interface StreamTranslator {
  push(event: SSEEvent): SSEEvent[];
  /**
   * The upstream closed after its terminal event: the records still due (Chat: `data: [DONE]`
   * after a clean finish). Not meant for a cut-off stream: send {@link errorEvents} instead.
   */
  end(): SSEEvent[];
}

/**
 * Translate a stream record by record, emitting the target dialect's exact sequence
 * (protocols.md §1.6, §3.3, §3.7). An upstream error record becomes the target's error
 * record and ends the output. Same dialect: records pass unchanged.
 */
export function createStreamTranslator(from: Dialect, to: Dialect, options: StreamTranslatorOptions): StreamTranslator {
  if (from === to) return { push: (event) => [event], end: () => [] };
  const decoder = STREAM_DECODERS[from]();
  const encoder = STREAM_ENCODERS[to]({
    model: options.model,
    requestId: options.requestId,
    created: options.created ?? nowSeconds(),
    includeUsage: options.includeUsage ?? true,
  });
  return {
    push: (event) => decoder.decode(event).flatMap((c) => encoder.encode(c)),
    end: () => encoder.finish(),
  };
}

/**
 * A dialect's native mid-stream error record(s): Anthropic `event: error`, Chat
 * `data: {"error": …}`, Responses `response.failed` (with `context` for its id and model).
 */
export function errorEvents(dialect: Dialect, error: { type: string; message: string }, context: { id?: string; model?: string } = {}): SSEEvent[] {
  if (dialect === "anthropic-messages") return anthropicErrorEvents(error);
  if (dialect === "openai-chat") return chatErrorEvents(error);
  return responsesErrorEvents(error, context);
}

// --- internal ---

const REQUEST_FIELDS: Record<Dialect, readonly string[]> = {
  "anthropic-messages": ANTHROPIC_REQUEST_FIELDS,
  "openai-chat": CHAT_REQUEST_FIELDS,
  "openai-responses": RESPONSES_REQUEST_FIELDS,
};

const REQUEST_DECODERS: Record<Dialect, (body: JsonObject, target: Dialect) => CanonicalRequest> = {
  "anthropic-messages": decodeAnthropicRequest,
  "openai-chat": decodeChatRequest,
  "openai-responses": decodeResponsesRequest,
};

const REQUEST_ENCODERS: Record<Dialect, (request: CanonicalRequest) => JsonObject> = {
  "anthropic-messages": encodeAnthropicRequest,
  "openai-chat": encodeChatRequest,
  "openai-responses": encodeResponsesRequest,
};

const RESPONSE_DECODERS: Record<Dialect, (body: JsonObject) => CanonicalResponse> = {
  "anthropic-messages": decodeAnthropicResponse,
  "openai-chat": decodeChatResponse,
  "openai-responses": decodeResponsesResponse,
};

const RESPONSE_ENCODERS: Record<Dialect, (response: CanonicalResponse, fallbackId: string) => JsonObject> = {
  "anthropic-messages": encodeAnthropicResponse,
  "openai-chat": encodeChatResponse,
  "openai-responses": encodeResponsesResponse,
};

const STREAM_DECODERS: Record<Dialect, () => { decode(event: SSEEvent): CanonicalStreamEvent[] }> = {
  "anthropic-messages": createAnthropicDecoder,
  "openai-chat": createChatDecoder,
  "openai-responses": createResponsesDecoder,
};

const STREAM_ENCODERS: Record<Dialect, (options: StreamEncoderOptions) => StreamEncoder> = {
  "anthropic-messages": createAnthropicEncoder,
  "openai-chat": createChatEncoder,
  "openai-responses": createResponsesEncoder,
};
