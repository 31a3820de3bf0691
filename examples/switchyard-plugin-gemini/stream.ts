// A Gemini `streamGenerateContent?alt=sse` body → a Chat Completions SSE body.
import { createSSEParser, formatSSE } from "switchyard";
import { type ChatMeta, chatUsage, finishReason, isRecord, readParts } from "./translate-response.ts";

/** Options of {@link toChatStream}. */
export interface ChatStreamOptions extends ChatMeta {
  /** The client sent `stream_options.include_usage`: end with a usage chunk (`choices: []`). */
  includeUsage: boolean;
  /** The request's signal: when it fires, the stream errors at once (nothing buffered is delivered). */
  signal: AbortSignal;
}

/**
 * Translate Gemini's SSE records (each a whole `GenerateContentResponse`) into `chat.completion.chunk`
 * records: a role chunk, one chunk per text or function-call part, a chunk with the finish
 * reason, the usage chunk when asked for, then `data: [DONE]`. A stream Gemini ends without a
 * finish reason ends here without `[DONE]` too, so the relay sees it was cut. An error record or
 * an unreadable one becomes a Chat error chunk and ends the stream (the upstream is cancelled).
 */
export function toChatStream(upstream: ReadableStream<Uint8Array>, options: ChatStreamOptions): ReadableStream<Uint8Array> {
  const parser = createSSEParser();
  const encoder = new TextEncoder();
  const state = { started: false, finished: false, failed: false, calls: 0, usage: undefined as unknown };
  let pending = ""; // records translated from the current upstream chunk, sent as one piece

  const send = (record: unknown) => (pending += formatSSE({ data: typeof record === "string" ? record : JSON.stringify(record) }));
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    send({ id: options.id, object: "chat.completion.chunk", created: options.created, model: options.model, choices, ...(options.includeUsage ? { usage: null } : {}), ...extra });
  const delta = (d: Record<string, unknown>, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  const fail = (message: string) => {
    state.failed = true;
    send({ error: { message, type: "server_error", param: null, code: null } });
  };

  const handle = (data: string) => {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return fail("Gemini sent a stream record that is not JSON");
    }
    if (!isRecord(event)) return fail("Gemini sent a stream record that is not an object");
    if (isRecord(event.error)) return fail(typeof event.error.message === "string" ? event.error.message : "Gemini reported an error mid-stream");
    if (event.usageMetadata !== undefined) state.usage = event.usageMetadata;
    if (!state.started) {
      state.started = true;
      delta({ role: "assistant", content: "" });
    }
    if (state.finished) return;
    const candidate: unknown = Array.isArray(event.candidates) ? event.candidates[0] : undefined;
    const { text, toolCalls } = readParts(isRecord(candidate) ? candidate.content : undefined, options.id, state.calls);
    if (text !== "") delta({ content: text });
    if (toolCalls.length > 0) delta({ tool_calls: toolCalls.map((call, i) => ({ index: state.calls + i, ...call })) });
    state.calls += toolCalls.length;
    const reason = finishReason(event, state.calls > 0);
    if (reason !== null) {
      state.finished = true;
      delta({}, reason);
    }
  };

  // Translate what `parse` yields; a line past the parser's limit fails the stream like a broken record.
  const read = (parse: () => Array<{ data: string }>) => {
    if (state.failed) return;
    try {
      for (const event of parse()) if (!state.failed) handle(event.data);
    } catch (error) {
      fail((error as Error).message);
    }
  };
  const deliver = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (pending !== "") controller.enqueue(encoder.encode(pending));
    pending = "";
    if (state.failed) {
      stopListening();
      controller.terminate(); // cancels the upstream
    }
  };

  let onAbort: (() => void) | undefined;
  const stopListening = () => onAbort && options.signal.removeEventListener("abort", onAbort);
  return upstream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        onAbort = () => controller.error(options.signal.reason);
        options.signal.addEventListener("abort", onAbort, { once: true });
      },
      transform(bytes, controller) {
        read(() => parser.push(bytes));
        deliver(controller);
      },
      flush(controller) {
        read(() => parser.end());
        stopListening();
        if (!state.failed && state.finished) {
          if (options.includeUsage) chunk([], { usage: chatUsage(state.usage) });
          send("[DONE]");
        }
        deliver(controller);
      },
    }),
  );
}
