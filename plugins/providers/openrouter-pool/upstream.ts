// The relay's calls: POST <baseURL>/chat/completions with the scheduler's key, attribution
// headers, usage asked for on streams; error answers rebuilt without key material; 402 takes
// the key out of rotation; requests in flight are counted until their body ends.
import type { PluginContext, UpstreamFailure, UpstreamRequest } from "switchyard";
import type { ResolvedPoolOptions } from "./options.ts";
import type { KeyPool } from "./pool.ts";
import { rewriteError } from "./scrub.ts";
import type { UseTracker } from "./select.ts";

export interface Upstream {
  send(request: UpstreamRequest): Promise<Response>;
  classify(response: Response): UpstreamFailure | undefined;
}

export interface UpstreamInput {
  ctx: PluginContext;
  options: ResolvedPoolOptions;
  pool: KeyPool;
  tracker: UseTracker;
  /** The key a request without a scheduler's choice uses (direct calls). */
  next(): Promise<string>;
}

export function createUpstream({ ctx, options, pool, tracker, next }: UpstreamInput): Upstream {
  const url = `${options.baseURL}/chat/completions`;
  const minutes = Math.max(1, Math.round(options.recheckMs / 60_000));

  async function outOfCredits(id: string, limitSource: string | undefined): Promise<void> {
    const why = limitSource === "openrouter_key_limit" ? "the key's credit limit is reached" : limitSource === "openrouter_credits" ? "the account has no credits left" : "payment required";
    const reason = `out of credits (402: ${why}); checked again about every ${minutes} min`;
    const entry = await pool.change(id, { kind: "out_of_credits", reason }).catch((error: unknown) => {
      ctx.logger.warn(`could not record that ${id} is out of credits: ${(error as Error).message}`);
      return undefined;
    });
    if (entry?.status === "error") ctx.logger.warn(`key ${id} taken out of rotation: ${reason}`);
  }

  return {
    async send(request) {
      if (request.dialect !== "openai-chat") {
        throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider speaks openai-chat`);
      }
      const id = request.accountId ?? (await next());
      // A key removed since the scheduler listed it: throwing lets the relay try the next one.
      const material = await pool.material(id).catch(() => {
        throw new Error(`[switchyard] [plugin:${ctx.name}] account ${JSON.stringify(id)} is no longer in the pool`);
      });
      const headers = new Headers(options.attribution);
      headers.set("content-type", "application/json");
      headers.set("authorization", `Bearer ${material.key}`);
      tracker.began(id);
      pool.touch(id);
      let response: Response;
      try {
        response = await ctx.http.fetch(url, { method: "POST", headers, body: JSON.stringify(withUsage(request)), signal: request.signal, ...(material.proxy ? { proxy: material.proxy } : {}) });
      } catch (error) {
        tracker.ended(id);
        throw error;
      }
      if (response.ok) return untilEnd(response, request.signal, () => tracker.ended(id));
      tracker.ended(id);
      const rewritten = await rewriteError(response, pool.sensitive());
      if (response.status === 402) await outOfCredits(id, rewritten.limitSource);
      else if (response.status !== 429 && response.status !== 401) ctx.logger.debug(`key ${id}: OpenRouter answered ${response.status}: ${rewritten.message}`);
      return rewritten.response;
    },
    classify(response) {
      // 402: out of credits until topped up (the pool already took the key out); the short
      // cooldown covers other instances until they re-read the pool. When every key is out,
      // the client gets a 429 with retry-after.
      if (response.status === 402) return { kind: "rate_limited", retryAfterMs: CREDITS_BRIDGE_MS };
      // 403 is moderation or a guardrail: the request's fault, never the key's.
      if (response.status === 403) return { kind: "fatal" };
      return undefined; // 401 → auth (disable), 429 → cool until retry-after, 5xx → next key
    },
  };
}

// --- internal ---

const CREDITS_BRIDGE_MS = 2000;

/** Streams ask for the final usage chunk (the relay already does; direct callers too). */
function withUsage(request: UpstreamRequest): Record<string, unknown> {
  const { body } = request;
  if (!request.stream) return body;
  const streamOptions = typeof body.stream_options === "object" && body.stream_options !== null ? (body.stream_options as Record<string, unknown>) : {};
  return streamOptions.include_usage === true ? body : { ...body, stream_options: { ...streamOptions, include_usage: true } };
}

/** The response with its body wrapped so `done` runs once when it ends, fails, is cancelled or aborted. */
function untilEnd(response: Response, signal: AbortSignal, done: () => void): Response {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener("abort", finish);
    done();
  };
  if (!response.body) {
    finish();
    return response;
  }
  signal.addEventListener("abort", finish, { once: true });
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          finish();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
