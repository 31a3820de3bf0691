import { AccountUnavailableError, defineProvider, type PluginContext, type Provider, type UpstreamRequest } from "switchyard";
import { type CodexAccounts, createCodexAccounts } from "./accounts.ts";
import { createAccountAdmin } from "./admin.ts";
import { collectAnswer, streamAnswer } from "./answer.ts";
import { type CodexUsage, failures, limitRetryMs, usageFromHeaders } from "./limits.ts";
import { type CodexOAuthOptions, type ResolvedCodexOptions, resolveOptions } from "./options.ts";
import { fetchVia } from "./tokens.ts";
import { codexHeaders, sessionIdFor, shapeBody } from "./upstream.ts";

export { CODEX_OAUTH_DEFAULTS, DEFAULT_CODEX_MODELS, DEFAULT_SCOPES, type CodexOAuthOptions } from "./options.ts";

/**
 * ChatGPT subscription accounts (Plus, Pro, Team, …) through the Codex backend, the way the
 * Codex CLI reaches it: PKCE sign-in (or an imported `~/.codex/auth.json`), tokens sealed and
 * refreshed single-flight, `POST <baseURL>/responses` with the CLI's headers and body rules.
 * Clients of every dialect reach it through the relay's translation; non-streaming calls are
 * answered from the stream. Usage limits cool the account until the upstream's reset.
 *
 * @example
 * providers: [codexOAuth()]
 * routes: [{ models: "gpt-5*", provider: "codex-oauth" }]
 */
export const codexOAuth = defineProvider<CodexOAuthOptions>({
  name: "codex-oauth",
  setup(ctx, rawOptions) {
    const options = resolveOptions(ctx.name, rawOptions);
    if (options.insecure) {
      const plain = [options.authorizeURL, options.tokenURL, options.baseURL].filter((u) => u.startsWith("http:"));
      if (plain.length) ctx.logger.warn(`sending tokens over plain http to ${plain.join(", ")} (allowInsecureHttp)`);
    }
    const accounts = createCodexAccounts(ctx, options);
    const admin = createAccountAdmin(ctx, options, accounts);
    ctx.jobs.every("refresh", options.refreshSweepMs, () => sweep(ctx, accounts));
    return {
      dialects: ["openai-responses"],
      models: () => options.models.map((id) => ({ id })),
      accounts: { list: accounts.list, onAuthFailure: accounts.onAuthFailure, admin },
      send: (request) => send(ctx, options, accounts, request),
      classify: (response) => failures.get(response),
    } satisfies Provider;
  },
});

export default codexOAuth;

// --- internal ---

async function send(ctx: PluginContext, options: ResolvedCodexOptions, accounts: CodexAccounts, request: UpstreamRequest): Promise<Response> {
  if (request.dialect !== "openai-responses") throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider speaks openai-responses`);
  const account = await accounts.use(request.accountId);
  const session = sessionIdFor(ctx, request);
  const headers = codexHeaders({
    options,
    accessToken: account.credentials.accessToken,
    chatgptAccountId: account.chatgptAccountId,
    sessionId: session.id,
    openaiBeta: request.headers.get("openai-beta"),
  });
  const shaped = shapeBody(request.body, options);
  // Like the Codex CLI: the conversation's cache key is its session id.
  if (session.seeded && shaped.prompt_cache_key === undefined) shaped.prompt_cache_key = session.id;
  const body = JSON.stringify(shaped);
  const upstream = await fetchVia(ctx, `${options.baseURL}/responses`, { method: "POST", headers, body, signal: request.signal }, account.proxy);
  const usage = usageFromHeaders(upstream.headers, ctx.now());
  if (usage) accounts.usage.set(account.id, usage);
  const answerCtx = { now: ctx.now, onUsage: (u: CodexUsage) => accounts.usage.set(account.id, { ...accounts.usage.get(account.id), ...u }) };
  if (upstream.status === 429) return rateLimitAnswer(upstream, ctx.now());
  if (!upstream.ok) return upstream;
  return request.stream ? streamAnswer(upstream, answerCtx) : collectAnswer(upstream, answerCtx);
}

// A 429 read once: the body says when the limit resets; the relay gets an unread copy.
async function rateLimitAnswer(upstream: Response, now: number): Promise<Response> {
  const text = await upstream.text();
  let json: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) json = value as Record<string, unknown>;
  } catch {
    // not JSON: the headers may still tell
  }
  const headers = new Headers(upstream.headers);
  for (const name of ["content-length", "content-encoding", "transfer-encoding"]) headers.delete(name);
  const copy = new Response(text, { status: 429, statusText: upstream.statusText, headers });
  const retryAfterMs = limitRetryMs(json, upstream.headers, now);
  failures.set(copy, retryAfterMs === undefined ? { kind: "rate_limited" } : { kind: "rate_limited", retryAfterMs });
  return copy;
}

// The background job: refresh every active account whose token expires within the window.
async function sweep(ctx: PluginContext, accounts: CodexAccounts): Promise<void> {
  const due = (await accounts.store.list()).filter((a) => a.status === "active" && a.expiresAt !== undefined && a.expiresAt - accounts.sweepWindowMs <= ctx.now());
  for (const account of due) {
    try {
      await accounts.sweeper.fresh(account.id);
    } catch (error) {
      // Recorded on the account by the refresher (needs_reauth or backoff); go on with the next.
      if (!(error instanceof AccountUnavailableError)) ctx.logger.warn(`account ${account.id}: background refresh failed: ${(error as Error).message}`);
    }
  }
}
