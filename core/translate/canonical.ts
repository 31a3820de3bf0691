import type { HTTPError } from "h3";
import { badRequest } from "../errors.ts";
import type { SSEEvent } from "../relay/sse.ts";
import type { Dialect } from "../types/provider.ts";

/**
 * Token counts of one request, the same four numbers for every dialect. They never overlap:
 * `inputTokens` is uncached input only (Anthropic's `input_tokens`; for OpenAI the prompt
 * tokens minus cached and cache-write tokens), so the total input is the sum of the three.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

/** `max_tokens` sent to an Anthropic upstream when the client's request named no limit. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** Text content. `at` is the JSON path in the client's body, for error messages. */
export interface CanonicalText {
  type: "text";
  text: string;
  at: string;
}

/** An image, inline (base64) or by URL. */
export interface CanonicalImage {
  type: "image";
  source: { kind: "base64"; mediaType: string; data: string } | { kind: "url"; url: string };
  /** OpenAI's `detail` hint; Anthropic has none. */
  detail?: string;
  at: string;
}

/** An assistant's call of a client tool; `arguments` is the JSON text. */
export interface CanonicalToolCall {
  type: "tool_call";
  id: string;
  name: string;
  arguments: string;
  at: string;
}

/** The client's answer to a tool call. */
export interface CanonicalToolResult {
  type: "tool_result";
  callId: string;
  content: Array<CanonicalText | CanonicalImage>;
  isError: boolean;
  at: string;
}

/** Any piece of a message. */
export type CanonicalPart = CanonicalText | CanonicalImage | CanonicalToolCall | CanonicalToolResult;

/**
 * One turn. Tool results live in `user` turns (as in Anthropic). `system` appears only for a
 * system/developer message after the conversation started; leading ones go to `system`.
 */
export interface CanonicalMessage {
  role: "user" | "assistant" | "system";
  parts: CanonicalPart[];
  at: string;
}

/** A client (function) tool. */
export interface CanonicalTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
}

/** Which tool the model must use: Anthropic's vocabulary (`any` = OpenAI `required`). */
export type CanonicalToolChoice = { type: "auto" | "any" | "none" } | { type: "tool"; name: string };

/** The pivot every request passes through when dialects differ. */
export interface CanonicalRequest {
  model?: string;
  /** System prompt segments in order (Anthropic blocks, leading system messages, instructions). */
  system: string[];
  messages: CanonicalMessage[];
  tools?: CanonicalTool[];
  toolChoice?: CanonicalToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  stream: boolean;
  /** Anthropic `metadata.user_id`, OpenAI `user`. */
  user?: string;
  /** Structured output, in the Responses `text.format` shape (`{ type, name?, schema?, strict? }`). */
  responseFormat?: Record<string, unknown>;
  reasoningEffort?: string;
  verbosity?: string;
  /** Same-named OpenAI fields carried between Chat and Responses (`metadata`, `store`, …). */
  openai: Record<string, unknown>;
}

/** Why the model stopped, in one vocabulary. */
export type StopReason = "end" | "length" | "tool_calls" | "stop_sequence" | "refusal" | "content_filter";

/** A complete (non-streaming) answer. */
export interface CanonicalResponse {
  id?: string;
  model?: string;
  /** Unix seconds. */
  created?: number;
  parts: Array<CanonicalText | CanonicalToolCall>;
  stopReason: StopReason;
  stopSequence?: string;
  usage: Usage;
}

/**
 * One step of a stream. Blocks are numbered 0..n in the order they open; a block is text or
 * one tool call. `usage` values are cumulative totals that override earlier ones.
 */
export type CanonicalStreamEvent =
  | { type: "start"; id?: string; model?: string; created?: number; usage?: Partial<Usage> }
  | { type: "text-start"; block: number }
  | { type: "text"; block: number; text: string }
  | { type: "tool-start"; block: number; id: string; name: string }
  | { type: "tool-args"; block: number; json: string }
  | { type: "block-stop"; block: number }
  | { type: "stop"; reason: StopReason; stopSequence?: string }
  | { type: "usage"; usage: Partial<Usage> }
  | { type: "end" }
  | { type: "error"; errorType: string; message: string };

/** Options every stream encoder gets. */
export interface StreamEncoderOptions {
  model: string;
  requestId: string;
  /** Unix seconds for `created`/`created_at` when the upstream gave none. */
  created: number;
  /** OpenAI Chat target: emit the final `choices: []` usage chunk. */
  includeUsage: boolean;
}

/** Turns canonical stream events into one dialect's SSE records. */
export interface StreamEncoder {
  encode(event: CanonicalStreamEvent): SSEEvent[];
  /** Records after the upstream closed (Chat: `[DONE]` after a clean finish). */
  finish(): SSEEvent[];
}

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value when it is a string. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The value when it is a finite number. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A non-negative integer token count; anything else (null, missing) counts as 0. */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** The value when it is an array, else an empty array. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Parse JSON, `undefined` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** 400 naming a parameter the target dialect cannot express. */
export function unsupported(param: string, target: Dialect, what?: string): HTTPError {
  return badRequest(param, `${what ? `${what} ` : ""}is not supported when calling an ${target} upstream`);
}

/** 400 for a value of the wrong shape. */
export function malformed(param: string, expected: string): HTTPError {
  return badRequest(param, `must be ${expected}`);
}

/** The id prefix each dialect uses for a message / completion / response. */
export const ID_PREFIX: Record<Dialect, string> = {
  "anthropic-messages": "msg_",
  "openai-chat": "chatcmpl-",
  "openai-responses": "resp_",
};

/**
 * A dialect-shaped id: the upstream id when it already has the target's prefix, else the
 * target prefix plus the upstream id without its own prefix (`chatcmpl-abc` → `msg_abc`),
 * else the prefix plus `fallback`.
 */
export function dialectId(target: Dialect, upstreamId: string | undefined, fallback: string): string {
  const prefix = ID_PREFIX[target];
  if (upstreamId && upstreamId.startsWith(prefix)) return upstreamId;
  const base = upstreamId ? stripPrefix(upstreamId) : fallback;
  return `${prefix}${base || fallback}`;
}

/** An id without any dialect prefix, for deriving item ids. */
export function stripPrefix(id: string): string {
  for (const prefix of Object.values(ID_PREFIX)) if (id.startsWith(prefix)) return id.slice(prefix.length);
  return id;
}

/** `data:<type>;base64,<data>` ↔ an image source. */
export function imageSourceFromUrl(url: string): CanonicalImage["source"] {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { kind: "base64", mediaType: match[1]!, data: match[2]! } : { kind: "url", url };
}

/** The URL form of an image source (a data URL for base64). */
export function imageSourceToUrl(source: CanonicalImage["source"]): string {
  return source.kind === "url" ? source.url : `data:${source.mediaType};base64,${source.data}`;
}

/** Parse tool-call arguments to an object; empty or invalid JSON and non-objects become `{}`. */
export function argumentsObject(json: string): JsonObject {
  const value = json.trim() === "" ? {} : parseJson(json);
  return isRecord(value) ? value : {};
}

/** Append a part to the last message when it has the same role, else start a message. */
export function appendPart(messages: CanonicalMessage[], role: CanonicalMessage["role"], part: CanonicalPart, at: string): void {
  const last = messages.at(-1);
  if (last && last.role === role) last.parts.push(part);
  else messages.push({ role, parts: [part], at });
}

/** Copy the defined numbers of `partial` onto `usage`. */
export function mergeUsage(usage: Usage, partial: Partial<Usage> | undefined): void {
  if (!partial) return;
  for (const key of ["inputTokens", "outputTokens", "cacheWriteTokens", "cacheReadTokens"] as const) {
    const value = partial[key];
    if (value !== undefined) usage[key] = value;
  }
}

/** Seconds since the epoch, now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * OpenAI-style usage (Chat and Responses) → the four numbers. The input count includes cached
 * tokens, so they are split out: cacheRead = `<details>.cached_tokens`, cacheWrite =
 * `<details>.cache_write_tokens` (not sent by OpenAI; 0 when absent), input = the rest.
 */
export function openaiUsage(usage: unknown, fields: { input: string; output: string; details: string }): Usage {
  const u = isRecord(usage) ? usage : {};
  const details = isRecord(u[fields.details]) ? (u[fields.details] as JsonObject) : {};
  const cacheReadTokens = count(details.cached_tokens);
  const cacheWriteTokens = count(details.cache_write_tokens);
  return {
    inputTokens: Math.max(0, count(u[fields.input]) - cacheReadTokens - cacheWriteTokens),
    outputTokens: count(u[fields.output]),
    cacheWriteTokens,
    cacheReadTokens,
  };
}
