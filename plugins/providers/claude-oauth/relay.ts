// The hot path: pick the account, make sure its token is fresh, shape the request the way
// Claude Code sends it, and recognise the organization-level refusals (protocols.md §2.6).
import {
  AccountUnavailableError,
  type ManagedAccount,
  type PluginContext,
  type TokenRefresher,
  type UpstreamFailure,
  type UpstreamRequest,
  overloaded,
  redactString,
  registerSecret,
} from "switchyard";
import type { ClaudeCredentials, ClaudeMeta, ClaudeStore } from "./accounts.ts";
import type { ResolvedClaudeOAuthOptions } from "./options.ts";
import { shapeBody, upstreamHeaders } from "./shape.ts";

/** What the provider object needs from the relay side. */
export interface ClaudeRelay {
  send(request: UpstreamRequest): Promise<Response>;
  countTokens(request: UpstreamRequest): Promise<Response>;
  classify(response: Response): UpstreamFailure | undefined;
  onAuthFailure(accountId: string, status: number): Promise<boolean>;
}

export function createClaudeRelay(input: { ctx: PluginContext; options: ResolvedClaudeOAuthOptions; store: ClaudeStore; refresher: TokenRefresher<ClaudeCredentials> }): ClaudeRelay {
  const { ctx, options, store, refresher } = input;
  // The access token last sent per account: a 401 refreshes only if it is still the stored one.
  const lastSent = new Map<string, string>();
  // Answers already recognised as an organization-level refusal (see `inspect`).
  const refusals = new WeakSet<Response>();

  async function pick(accountId: string | undefined): Promise<ManagedAccount<ClaudeMeta>> {
    if (accountId !== undefined) {
      const account = await store.require(accountId);
      if (account.status !== "active") throw new AccountUnavailableError(`account ${account.id} is ${account.status}`);
      return account;
    }
    const account = (await store.list()).find((a) => a.status === "active");
    if (!account) throw new AccountUnavailableError(`${ctx.name}: no active account`);
    return account;
  }

  async function post(path: string, request: UpstreamRequest, body: Record<string, unknown>): Promise<Response> {
    if (request.dialect !== "anthropic-messages") {
      throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider speaks anthropic-messages`);
    }
    const account = await pick(request.accountId);
    const credentials = await refresher.fresh(account.id);
    registerSecret(credentials.accessToken);
    lastSent.set(account.id, credentials.accessToken);
    const proxy = await store.proxy(account.id);
    const response = await ctx.http.fetch(`${options.apiBaseURL}${path}?beta=true`, {
      method: "POST",
      headers: upstreamHeaders({ accessToken: credentials.accessToken, client: request.headers, stream: request.stream, options }),
      body: JSON.stringify(shapeBody(body, options)),
      signal: request.signal,
      ...(proxy ? { proxy } : {}),
    });
    store.touch(account.id);
    return response.status === 400 || response.status === 403 ? inspect(account.id, response) : response;
  }

  /** Read a 400/403 body (small) to spot a banned organization; hand back an unread copy. */
  async function inspect(accountId: string, response: Response): Promise<Response> {
    const text = await response.text().catch(() => "");
    const copy = new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    const message = errorMessage(text);
    const lower = message.toLowerCase();
    if (ORG_REFUSALS.some((fragment) => lower.includes(fragment))) {
      refusals.add(copy);
      const reason = `organization refused by the upstream (${response.status}): ${redactString(message.slice(0, 200))}`;
      ctx.logger.warn(`account ${accountId}: ${reason}; it is taken out of rotation until an operator enables it`);
      await store.update(accountId, () => ({ status: "error", lastError: reason })).catch(() => {});
    } else if (lower.includes("only authorized for use with claude code")) {
      ctx.logger.warn(`account ${accountId}: the upstream did not take the request as Claude Code traffic (check userAgent, betas and the system prompt)`);
    }
    return copy;
  }

  return {
    send: (request) => post("/v1/messages", request, request.body),
    async countTokens(request) {
      try {
        // count_tokens takes the create fields minus max_tokens and stream (protocols.md §1.8).
        const { max_tokens: _m, stream: _s, ...body } = request.body;
        return await post("/v1/messages/count_tokens", request, body);
      } catch (error) {
        if (error instanceof AccountUnavailableError) throw overloaded(`${ctx.name}: ${error.message}`, 5);
        throw error;
      }
    },
    // A banned organization is not the request's fault and no refresh helps: next account.
    classify: (response) => (refusals.has(response) ? { kind: "server" } : undefined),
    async onAuthFailure(accountId, status) {
      // 403 is a permission answer (the org cases are caught above): a refresh would not change
      // it, and refreshing on every such request would be a storm. Move on to the next account.
      if (status !== 401) return false;
      try {
        const rejected = lastSent.get(accountId) ?? (await store.credentials(accountId)).accessToken;
        const renewed = await refresher.afterRejection(accountId, rejected);
        if (!renewed) await store.update(accountId, () => ({ status: "needs_reauth", lastError: `upstream refused a fresh token (${status})` }));
        return renewed;
      } catch (error) {
        if (error instanceof AccountUnavailableError) return false;
        throw error;
      }
    },
  };
}

// --- internal ---

// protocols.md §2.6: the organization behind the account is banned or may not use OAuth.
const ORG_REFUSALS = ["organization has been disabled", "oauth authentication is currently not allowed for this organization"];

function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof body.error?.message === "string" ? body.error.message : "";
  } catch {
    return "";
  }
}
