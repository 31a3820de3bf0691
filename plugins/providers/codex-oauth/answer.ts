// Turning the Codex backend's event stream into what the relay expects: a stream without
// `codex.rate_limits` records (streaming clients), or the `response.completed` object as JSON
// (non-streaming clients; the backend only streams). A failure in the first events becomes a
// plain error answer before any byte reaches the client, so the relay can cool the account
// and try another one.
import { failures, limitRetryMs, usageFromEvent, type CodexUsage } from "./limits.ts";
import { type SseRecord, createRecordSplitter, formatRecords, recordJson } from "./sse.ts";

/** What the answer helpers need from the plugin. */
export interface AnswerContext {
  now(): number;
  /** A `codex.rate_limits` event passed by. */
  onUsage(usage: CodexUsage): void;
}

/** Streaming client: wait for the first content event, then stream the rest without rate-limit records. */
export async function streamAnswer(upstream: Response, ctx: AnswerContext): Promise<Response> {
  const events = createEvents(upstream, ctx);
  const head: SseRecord[] = [];
  for (;;) {
    const batch = await events.next();
    if (batch === undefined) break; // ended early: the relay reports the missing terminal event
    const failed = batch.find(isFailure);
    if (failed && !head.concat(batch.slice(0, batch.indexOf(failed))).some(isContent)) {
      events.cancel();
      return failureAnswer(failed, ctx.now());
    }
    head.push(...batch);
    if (batch.some((r) => !LEAD_EVENTS.has(r.type ?? ""))) break;
  }
  const encoder = new TextEncoder();
  let first = head.length ? formatRecords(head) : "";
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
        return controller.enqueue(encoder.encode(formatRecords(batch)));
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
      const json = recordJson(record);
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

interface Events {
  /** The next records (rate-limit records removed); undefined at the end. */
  next(): Promise<SseRecord[] | undefined>;
  cancel(): void;
}

function createEvents(upstream: Response, ctx: AnswerContext): Events {
  const reader = upstream.body!.getReader();
  const decoder = new TextDecoder();
  const splitter = createRecordSplitter();
  let done = false;
  const keep = (records: SseRecord[]) =>
    records.filter((record) => {
      if (record.type !== "codex.rate_limits") return true;
      const usage = usageFromEvent(recordJson(record) ?? {}, ctx.now());
      if (usage) ctx.onUsage(usage);
      return false;
    });
  return {
    async next() {
      if (done) return undefined;
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        const rest = keep([...splitter.push(decoder.decode()), ...splitter.end()]);
        return rest.length ? rest : undefined;
      }
      return keep(splitter.push(decoder.decode(chunk.value, { stream: true })));
    },
    cancel() {
      done = true;
      void reader.cancel().catch(() => {});
    },
  };
}

function isFailure(record: SseRecord): boolean {
  return record.type === "response.failed" || record.type === "error";
}

function isContent(record: SseRecord): boolean {
  return !LEAD_EVENTS.has(record.type ?? "");
}

// A failure event as a plain error answer: limits → 429 (cooling until the reset), the
// request's own fault → 400, anything else → 502 (the relay tries another account).
function failureAnswer(record: SseRecord, now: number): Response {
  const json = recordJson(record) ?? {};
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
