import type { H3Event } from "h3";
import type { Hookable } from "hookable";
import { type NamedAuthStrategy, guardRoute } from "../auth.ts";
import { badRequest, forbidden, notFound, overloaded, upstreamFailed } from "../errors.ts";
import { matchAnyGlob, matchGlob } from "../glob.ts";
import type { Logger } from "../logger.ts";
import { countTokensEstimate, describeRequest, readUsage, translateRequest, translateResponse, type Usage } from "../translate/index.ts";
import type { Principal } from "../types/auth.ts";
import type { ResolvedGatewayConfig } from "../types/config.ts";
import type { GatewayHooks } from "../types/hooks.ts";
import type { Dialect, Provider } from "../types/provider.ts";
import type { GatewayStorage } from "../types/storage.ts";
import { admit } from "./admission.ts";
import { sendWithFailover, toClientError } from "./failover.ts";
import { checkJsonShape } from "./json-limits.ts";
import { withoutUpstreamOverrides } from "./overrides.ts";
import { costMicros, estimateCostMicros, findPricing } from "./pricing.ts";
import { type Scheduler, sessionKey } from "./scheduler.ts";
import { relayStream } from "./stream.ts";
import type { Metrics } from "../metrics.ts";
import type { UsageRecorder, UsageStatus } from "./usage.ts";
import "../types/context.ts";

/** Everything the relay needs, built once per gateway. */
export interface RelayContext {
  config: ResolvedGatewayConfig;
  storage: GatewayStorage;
  providers: Map<string, Provider>;
  auth: NamedAuthStrategy[];
  hooks: Hookable<GatewayHooks>;
  logger: Logger;
  scheduler: Scheduler;
  usage: UsageRecorder;
  metrics: Pick<Metrics, "streamOpened" | "streamClosed" | "upstream" | "openStreams">;
}

/** Authenticate a relay call: a gateway key is required. */
export async function requireClient(event: H3Event, ctx: RelayContext): Promise<Principal> {
  await guardRoute(event, "client", ctx.auth);
  return event.context.principal!;
}

/**
 * The hot path: authenticate → parse → check the model → admit → route → translate →
 * send with failover → stream or answer → account. The concurrency slot is held until the
 * response (or stream) ends and exactly one usage record is written per admitted request
 * (also when it then fails, e.g. every account cooling).
 */
export async function relayMessage(event: H3Event, clientDialect: Dialect, ctx: RelayContext): Promise<Response> {
  const startedAt = performance.now();
  const at = Date.now();
  const requestId = event.context.requestId ?? "unknown";
  shedIfOverloaded(ctx);
  const principal = await requireClient(event, ctx);
  const body = await readRelayBody(event);
  const info = describeRequest(body, clientDialect);
  if (!info.model) throw badRequest("model", "is required");
  const model = info.model;
  if (principal.models && !matchAnyGlob(principal.models, model)) throw forbidden(`This key may not use the model ${model}`);
  const route = resolveRoute(ctx, model);
  const budgeted = principal.limits?.dailyUsd !== undefined || principal.limits?.budgetUsd !== undefined;
  const estimate = budgeted ? estimateCostMicros(findPricing(ctx.config.pricing, route.upstreamModel), body, JSON.stringify(body).length) : 0;
  const ticket = await admit(ctx.storage, principal, ctx.config.relay, at, estimate);
  let settled = false;
  let accountId: string | undefined;
  const settle = (status: UsageStatus, usage: Usage, ttfbMs: number | undefined) => {
    if (settled) return;
    settled = true;
    void ticket.release().catch((error: unknown) => ctx.logger.warn(`slot release failed: ${(error as Error).message}`));
    const pricing = findPricing(ctx.config.pricing, route.upstreamModel);
    if (!pricing) warnUnpriced(ctx.logger, route.upstreamModel);
    ctx.usage.record({
      requestId, at, keyId: principal.id, provider: route.providerName, accountId, model: route.upstreamModel, status,
      ...usage, costMicros: costMicros(pricing, usage), latencyMs: performance.now() - startedAt, ttfbMs,
    });
  };
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  event.req.signal?.addEventListener("abort", onClientGone, { once: true });
  try {
    const upstreamDialect = route.provider.dialects.includes(clientDialect) ? clientDialect : route.provider.dialects[0]!;
    let upstreamBody = withoutUpstreamOverrides(translateRequest(body, clientDialect, upstreamDialect));
    if (route.upstreamModel !== model) upstreamBody = { ...upstreamBody, model: route.upstreamModel };
    const hideUsageChunk = info.stream && upstreamDialect === "openai-chat" && !asksForUsage(upstreamBody);
    if (hideUsageChunk) upstreamBody = { ...upstreamBody, stream_options: { ...(upstreamBody.stream_options as object), include_usage: true } };
    const attempt = await sendWithFailover({
      providerName: route.providerName, provider: route.provider, principal, scheduler: ctx.scheduler, relay: ctx.config.relay,
      session: sessionOf(event, info),
      request: { requestId, dialect: upstreamDialect, model: route.upstreamModel, body: upstreamBody, stream: info.stream, headers: forwardableHeaders(event), signal: abort.signal },
      onAttempt: (id) => {
        accountId = id;
        void ctx.hooks.callHook("upstream:request", { requestId, provider: route.providerName, model: route.upstreamModel, ...(id ? { accountId: id } : {}) });
      },
    });
    ctx.metrics.upstream(route.providerName, attempt.response.status);
    void ctx.hooks.callHook("upstream:response", { requestId, provider: route.providerName, status: attempt.response.status, durationMs: performance.now() - startedAt });
    if (!attempt.response.ok) throw await toClientError(attempt.response);
    if (info.stream) {
      const stream = relayStream({
        upstream: attempt.response, upstreamDialect, clientDialect, model, requestId, abort, startedAt, hideUsageChunk,
        clientWantsUsage: asksForUsage(body),
        onEnd: (outcome) => {
          ctx.metrics.streamClosed();
          settle(outcome.status, outcome.usage, outcome.ttfbMs);
        },
      });
      ctx.metrics.streamOpened();
      return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" } });
    }
    const text = await attempt.response.text();
    let upstreamJson: Record<string, unknown>;
    try {
      upstreamJson = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw upstreamFailed(route.providerName, attempt.response.status);
    }
    const usage = readUsage(upstreamJson, upstreamDialect);
    // Same dialect: the upstream's own bytes go back; parsing was only for the usage.
    const answer = upstreamDialect === clientDialect ? text : JSON.stringify(translateResponse(upstreamJson, upstreamDialect, clientDialect));
    settle("ok", usage, performance.now() - startedAt);
    return new Response(answer, { headers: { "content-type": "application/json" } });
  } catch (error) {
    settle(abort.signal.aborted ? "client_aborted" : "error", ZERO_USAGE, undefined);
    throw error;
  } finally {
    event.req.signal?.removeEventListener("abort", onClientGone);
  }
}

/** `POST /v1/messages/count_tokens`: the upstream's count when it has one, else an estimate. */
export async function countTokens(event: H3Event, ctx: RelayContext): Promise<Response> {
  const principal = await requireClient(event, ctx);
  const body = await readRelayBody(event);
  const model = typeof body.model === "string" ? body.model : undefined;
  if (!model) throw badRequest("model", "is required");
  if (principal.models && !matchAnyGlob(principal.models, model)) throw forbidden(`This key may not use the model ${model}`);
  const route = resolveRoute(ctx, model);
  if (route.provider.countTokens && route.provider.dialects.includes("anthropic-messages")) {
    // The scheduler's pick, so a cooling or disabled account is not asked either.
    const accounts = route.provider.accounts ? await route.provider.accounts.list() : [];
    const account = await ctx.scheduler.pick({ provider: route.providerName, accounts, dedicated: principal.accounts, exclude: new Set() });
    const response = await route.provider.countTokens({
      requestId: event.context.requestId ?? "unknown", dialect: "anthropic-messages", model: route.upstreamModel,
      body: { ...withoutUpstreamOverrides(body), model: route.upstreamModel }, stream: false, headers: forwardableHeaders(event), signal: event.req.signal ?? new AbortController().signal,
      ...(account ? { accountId: account.id } : {}),
    });
    if (!response.ok) throw await toClientError(response);
    return Response.json(await response.json());
  }
  return Response.json({ input_tokens: countTokensEstimate(body, "anthropic-messages") });
}

/** Map a model to its provider: `routes` first (first match; `model` rewrites), else a provider listing the model. */
export function resolveRoute(ctx: Pick<RelayContext, "config" | "providers">, model: string): { providerName: string; provider: Provider; upstreamModel: string } {
  for (const rule of ctx.config.routes) {
    const patterns = typeof rule.models === "string" ? [rule.models] : rule.models;
    const provider = ctx.providers.get(rule.provider);
    if (provider && patterns.some((p) => matchGlob(p, model))) return { providerName: rule.provider, provider, upstreamModel: rule.model ?? model };
  }
  throw notFound(`The model ${model} is not routed to any provider`);
}

// --- internal ---

const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
const warned = new Set<string>();

function warnUnpriced(logger: Logger, model: string): void {
  if (warned.has(model)) return;
  warned.add(model);
  logger.warn(`no price for model ${model}: tokens are recorded at cost 0 (add it to \`pricing\`)`);
}

async function readRelayBody(event: H3Event): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await event.req.text();
  } catch (error) {
    if ((error as { status?: number }).status === 413) throw error;
    throw badRequest("body", "must be a JSON object");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest("body", "must be a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body", "must be a JSON object");
  const shape = checkJsonShape(body);
  if (shape) throw badRequest("body", shape);
  return body as Record<string, unknown>;
}

// Overload (security.md J6): refuse new work fast, before reading the body or touching storage;
// streams already open go on. The heap is sampled at most every 100 ms.
let heapSample = { at: 0, mb: 0 };
function shedIfOverloaded(ctx: RelayContext): void {
  const { maxOpenStreams, maxHeapMb } = ctx.config.server;
  if (maxOpenStreams > 0 && ctx.metrics.openStreams() >= maxOpenStreams) throw overloaded(`This gateway instance is at its limit of ${maxOpenStreams} open streams; retry shortly`, 1);
  if (maxHeapMb > 0) {
    const now = Date.now();
    if (now - heapSample.at > 100) heapSample = { at: now, mb: process.memoryUsage().heapUsed / 1_048_576 };
    if (heapSample.mb > maxHeapMb) throw overloaded("This gateway instance is short of memory; retry shortly", 1);
  }
}

function asksForUsage(body: Record<string, unknown>): boolean {
  return (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
}

// Sticky key: the client's own session id when it sends one, else its user id, else the prompt prefix.
function sessionOf(event: H3Event, info: { userId: string | undefined; sessionSeed: string | undefined }): string | undefined {
  const header = event.req.headers.get("session_id") ?? event.req.headers.get("x-session-id");
  const seed = header ? `h:${header}` : info.userId ? `u:${info.userId}` : info.sessionSeed ? `p:${info.sessionSeed}` : undefined;
  return seed ? sessionKey(seed) : undefined;
}

// Only protocol headers travel upstream; never the client's credentials, cookies or host.
const FORWARDED = ["anthropic-beta", "anthropic-version", "openai-beta"];
function forwardableHeaders(event: H3Event): Headers {
  const out = new Headers();
  for (const name of FORWARDED) {
    const value = event.req.headers.get(name);
    if (value) out.set(name, value);
  }
  return out;
}
