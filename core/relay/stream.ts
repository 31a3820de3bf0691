import { createStreamObserver, createStreamTranslator, errorEvents, type Usage } from "../translate/index.ts";
import type { Dialect } from "../types/provider.ts";
import { type SSEEvent, createSSEParser, formatSSE } from "./sse.ts";
import type { UsageStatus } from "./usage.ts";

/** How a relayed stream ended, reported once. */
export interface StreamOutcome {
  usage: Usage;
  status: UsageStatus;
  /** ms from request start to the first byte handed to the client. */
  ttfbMs: number | undefined;
}

/** Inputs of {@link relayStream}. */
export interface RelayStreamOptions {
  upstream: Response;
  upstreamDialect: Dialect;
  clientDialect: Dialect;
  model: string;
  requestId: string;
  /** Aborts the upstream request; fired when the client goes away. */
  abort: AbortController;
  /** `performance.now()` at request start. */
  startedAt: number;
  /** The relay added `stream_options.include_usage` the client did not ask for: drop that chunk. */
  hideUsageChunk: boolean;
  /** A Chat Completions client asked for the final usage chunk (`stream_options.include_usage`). */
  clientWantsUsage: boolean;
  onEnd(outcome: StreamOutcome): void;
}

/**
 * Pipe an upstream SSE body to the client without buffering it: pull-based, so a slow
 * client slows the upstream read (backpressure) instead of growing memory. Usage and the
 * terminal event are read from the events as they pass. Same dialect: bytes are forwarded
 * untouched. After the first byte, an upstream failure or a missing terminal event becomes
 * the client dialect's native error event and the stream ends; it is never a clean finish.
 */
export function relayStream(options: RelayStreamOptions): ReadableStream<Uint8Array> {
  const { upstream, upstreamDialect, clientDialect, abort } = options;
  const reader = upstream.body!.getReader();
  const parser = createSSEParser();
  const observer = createStreamObserver(upstreamDialect);
  const rewrite = upstreamDialect !== clientDialect || options.hideUsageChunk;
  const translate =
    upstreamDialect === clientDialect
      ? dropUsageChunk
      : createStreamTranslator(upstreamDialect, clientDialect, { model: options.model, requestId: options.requestId, includeUsage: options.clientWantsUsage });
  const encoder = new TextEncoder();
  let ttfbMs: number | undefined;
  let ended = false;

  const finish = (status: UsageStatus) => {
    if (ended) return;
    ended = true;
    options.onEnd({ usage: observer.usage, status, ttfbMs });
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array) => {
    ttfbMs ??= performance.now() - options.startedAt;
    controller.enqueue(chunk);
  };
  const sendEvents = (controller: ReadableStreamDefaultController<Uint8Array>, events: SSEEvent[]) => {
    if (events.length) send(controller, encoder.encode(events.map(formatSSE).join("")));
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, status: UsageStatus, message: string) => {
    sendEvents(controller, errorEvents(clientDialect, { type: "api_error", message }));
    finish(status);
    controller.close();
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        if (abort.signal.aborted) return void (finish("client_aborted"), controller.close());
        return fail(controller, "error", "The upstream connection failed mid-stream");
      }
      let events: SSEEvent[];
      try {
        events = chunk.done ? parser.end() : parser.push(chunk.value);
      } catch (error) {
        void reader.cancel().catch(() => {});
        return fail(controller, "error", `The upstream sent a malformed stream: ${(error as Error).message}`);
      }
      for (const event of events) observer.observe(event);
      if (rewrite) sendEvents(controller, events.flatMap((e) => translate.push(e)));
      else if (!chunk.done) send(controller, chunk.value);
      if (!chunk.done) return;
      if (!observer.terminated) return fail(controller, "incomplete", "The upstream stream ended before it finished");
      if (rewrite) sendEvents(controller, translate.end());
      finish(observer.failed ? "error" : "ok");
      controller.close();
    },
    cancel() {
      abort.abort();
      void reader.cancel().catch(() => {});
      finish("client_aborted");
    },
  }, { highWaterMark: 0 });
}

// --- internal ---

// Same dialect with a usage chunk the client did not ask for: forward everything else as is.
const dropUsageChunk = {
  push(event: SSEEvent): SSEEvent[] {
    if (event.data.startsWith("{") && event.data.includes('"usage"')) {
      try {
        const chunk = JSON.parse(event.data) as { choices?: unknown[]; usage?: unknown };
        if (chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return [];
      } catch {
        // not JSON: forward unchanged
      }
    }
    return [event];
  },
  end: (): SSEEvent[] => [],
};
