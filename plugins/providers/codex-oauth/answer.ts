// Turning the Codex backend's event stream into what the relay expects: a stream without
// `codex.rate_limits` records (streaming clients), or the `response.completed` object as JSON
// (non-streaming clients; the backend only streams). A failure in the first events becomes a
// plain error answer before any byte reaches the client, so the relay can cool the account
// and try another one.
import { type SSEEvent, createSSEParser, formatSSE } from "switchyard";
import { failures, limitRetryMs, usageFromEvent, type CodexUsage } from "./limits.ts";

/** What the answer helpers need from the plugin. */
export interface AnswerContext {
  now(): number;
  /** A `codex.rate_limits` event passed by. */
  onUsage(usage: CodexUsage): void;
}

/** The type of a Codex stream record: its `event:` field, else the `type` of its JSON data. */
export function eventType(event: SSEEvent): string | undefined {
  if (event.event !== undefined) return event.event;
  const type = eventJson(event)?.type;
  return typeof type === "string" ? type : undefined;
}

/** A record's data as a JSON object, or undefined. */
export function eventJson(event: SSEEvent): Record<string, unknown> | undefined {
  if (!event.data.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(event.data);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Streaming client: wait for the first content event, then stream the rest without rate-limit records. */
export async function streamAnswer(upstream: Response, ctx: AnswerContext): Promise<Response> {
  const events = createEvents(upstream, ctx);
  const head: Typed[] = [];
  for (;;) {
    const batch = await events.next();
    if (batch === undefined) break; // ended early: the relay reports the missing terminal event
    const failed = batch.find(isFailure);
    if (failed && !head.concat(batch.slice(0, batch.indexOf(failed))).some(isContent)) {
      events.cancel();
      return failureAnswer(failed, ctx.now());
    }
    head.push(...batch);
    if (batch.some(isContent)) break;
  }
  const encoder = new TextEncoder();
  let first = format(head);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first) {
        controller.enqueue(encoder.encode(first));
        first = "";
        return;
      }
      for (;;) {
        const batch = await events.next();
        if (batch === undefined) return controller.close();
        if (batch.length === 0) continue;
        return controller.enqueue(encoder.encode(format(batch)));
      }
    },
    cancel() {
      events.cancel();
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: upstream.status, headers: cleanHeaders(upstream.headers) });
}

/** Non-streaming client: read to the terminal event and answer its response object as JSON. */
export async function collectAnswer(upstream: Response, ctx: AnswerContext): Promise<Response> {
  const events = createEvents(upstream, ctx);
  const items = new Map<number, unknown>();
  for (;;) {
    const batch = await events.next();
    if (batch === undefined) throw new Error("the Codex stream ended before response.completed");
    for (const record of batch) {
      if (isFailure(record)) {
        events.cancel();
        return failureAnswer(record, ctx.now());
      }
      const json = eventJson(record.event);
      if (record.type === "response.output_item.done" && json && typeof json.output_index === "number") items.set(json.output_index, json.item);
      if ((record.type === "response.completed" || record.type === "response.incomplete") && json && isRecord(json.response)) {
        events.cancel();
        const response = { ...json.response };
        // Some backends send the final object without its output; rebuild it from the items.
        if ((!Array.isArray(response.output) || response.output.length === 0) && items.size > 0) {
          response.output = [...items.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
        }
        const headers = cleanHeaders(upstream.headers);
        headers.set("content-type", "application/json");
        return new Response(JSON.stringify(response), { status: 200, headers });
      }
    }
  }
}

// --- internal ---

// Events that carry no content: a failure after only these can still go to another account.
const LEAD_EVENTS = new Set(["response.created", "response.in_progress", "response.queued"]);
const LIMIT_CODES = new Set(["rate_limit_exceeded", "usage_limit_reached", "insufficient_quota", "usage_not_included"]);
const CLIENT_CODES = new Set(["context_length_exceeded", "invalid_prompt", "invalid_request_error"]);
// One record (its data) may be this long: a final response.completed repeats the whole output.
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** A record with its type, read once. */
interface Typed {
  event: SSEEvent;
  type: string | undefined;
}

interface Events {
  /** The next records (rate-limit records removed); undefined at the end. */
  next(): Promise<Typed[] | undefined>;
  cancel(): void;
}

function createEvents(upstream: Response, ctx: AnswerContext): Events {
  const reader = upstream.body!.getReader();
  const parser = createSSEParser({ maxLineBytes: MAX_RECORD_BYTES });
  let done = false;
  const keep = (events: SSEEvent[]) => {
    const out: Typed[] = [];
    for (const event of events) {
      const type = eventType(event);
      if (type !== "codex.rate_limits") out.push({ event, type });
      else {
        const usage = usageFromEvent(eventJson(event) ?? {}, ctx.now());
        if (usage) ctx.onUsage(usage);
      }
    }
    return out;
  };
  return {
    async next() {
      if (done) return undefined;
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        const rest = keep(parser.end());
        return rest.length ? rest : undefined;
      }
      return keep(parser.push(chunk.value));
    },
    cancel() {
      done = true;
      void reader.cancel().catch(() => {});
    },
  };
}

function format(records: readonly Typed[]): string {
  let out = "";
  for (const record of records) out += formatSSE(record.event);
  return out;
}

function isFailure(record: Typed): boolean {
  return record.type === "response.failed" || record.type === "error";
}

function isContent(record: Typed): boolean {
  return !LEAD_EVENTS.has(record.type ?? "");
}

// A failure event as a plain error answer: limits → 429 (cooling until the reset), the
// request's own fault → 400, anything else → 502 (the relay tries another account).
function failureAnswer(record: Typed, now: number): Response {
  const json = eventJson(record.event) ?? {};
  const error = isRecord(json.response) && isRecord(json.response.error) ? json.response.error : isRecord(json.error) ? json.error : json;
  const code = typeof error.code === "string" ? error.code : typeof error.type === "string" ? error.type : "upstream_error";
  const message = typeof error.message === "string" ? error.message.slice(0, 500) : `The Codex backend failed (${code})`;
  const status = LIMIT_CODES.has(code) ? 429 : CLIENT_CODES.has(code) ? 400 : 502;
  const body = { error: { message, type: status === 429 ? "rate_limit_error" : status === 400 ? "invalid_request_error" : "api_error", code, param: null } };
  const response = Response.json(body, { status });
  if (status === 429) {
    const retryAfterMs = limitRetryMs({ error }, new Headers(), now);
    failures.set(response, retryAfterMs === undefined ? { kind: "rate_limited" } : { kind: "rate_limited", retryAfterMs });
  }
  return response;
}

function cleanHeaders(source: Headers): Headers {
  const headers = new Headers(source);
  for (const name of ["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]) headers.delete(name);
  return headers;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
