import { HTTPError } from "h3";
import { clientClosed, rateLimited, upstreamFailed, upstreamTimeout } from "../errors.ts";
import { redactString } from "../redact.ts";
import type { Principal } from "../types/auth.ts";
import type { RelayOptions } from "../types/config.ts";
import type { AccountSummary, Provider, UpstreamFailure, UpstreamRequest } from "../types/provider.ts";
import { readResetMs } from "./reset-headers.ts";
import type { Scheduler } from "./scheduler.ts";

/** An upstream answer worth giving to the client (2xx, or a 4xx that is the request's fault). */
export interface UpstreamAttempt {
  response: Response;
  accountId: string | undefined;
}

/** Inputs of {@link sendWithFailover}. */
export interface FailoverInput {
  providerName: string;
  provider: Provider;
  principal: Principal;
  session: string | undefined;
  request: Omit<UpstreamRequest, "accountId">;
  scheduler: Scheduler;
  relay: RelayOptions;
  onAttempt?(accountId: string | undefined): void;
}

/**
 * Send to one account after another until one answers, within `maxAccountsPerRequest`
 * accounts. Only called before any byte reached the client, so retrying is always safe.
 * 429: the account cools until the upstream's reset (else exponential backoff). 529 /
 * overloaded: a short cooldown. 401/403: the provider may refresh once, then the next
 * account. 5xx and network errors: the next account. Any other 4xx is the request's own
 * fault and goes back to the client. Pool exhausted by rate limits: 429 with `retry-after`
 * set to the soonest return.
 */
export async function sendWithFailover(input: FailoverInput): Promise<UpstreamAttempt> {
  const { provider, providerName, scheduler, request } = input;
  const accounts: AccountSummary[] = provider.accounts ? await provider.accounts.list() : [{ id: DEFAULT_ACCOUNT, name: "default", status: "active" }];
  const tried = new Set<string>();
  const reauthed = new Set<string>();
  let last: "rate_limited" | "server" | "timeout" | undefined;
  let lastStatus = 0;
  while (tried.size < input.relay.maxAccountsPerRequest) {
    const account = await scheduler.pick({ provider: providerName, accounts, dedicated: input.principal.accounts, session: input.session, exclude: tried });
    if (!account) break;
    const accountId = account.id === DEFAULT_ACCOUNT && !provider.accounts ? undefined : account.id;
    input.onAttempt?.(accountId);
    let response: Response;
    try {
      response = await provider.send({ ...request, ...(accountId ? { accountId } : {}) });
    } catch (error) {
      // The client left while we waited: not an upstream failure, and nothing to retry.
      if (request.signal.aborted) throw clientClosed();
      // A provider refusing the request itself (a 4xx HTTPError) speaks for the client: no failover.
      if (HTTPError.isError(error) && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) throw error;
      tried.add(account.id);
      last = isTimeout(error) ? "timeout" : "server";
      continue;
    }
    if (response.ok) {
      if (input.session && accountId) await scheduler.stick(providerName, input.session, accountId);
      return { response, accountId };
    }
    const failure = provider.classify?.(response, accountId) ?? classify(response);
    if (failure.kind === "fatal") return { response, accountId };
    void response.body?.cancel().catch(() => {});
    lastStatus = response.status;
    if (failure.kind === "auth" && provider.accounts?.onAuthFailure && accountId && !reauthed.has(accountId)) {
      reauthed.add(accountId);
      if (await provider.accounts.onAuthFailure(accountId, response.status)) continue; // refreshed: same account again
    }
    tried.add(account.id);
    if (failure.kind === "rate_limited") {
      await scheduler.coolDown(providerName, account.id, failure.retryAfterMs ?? readResetMs(response.headers), `upstream ${response.status}`);
      last = "rate_limited";
    } else if (failure.kind === "overloaded") {
      await scheduler.coolDown(providerName, account.id, input.relay.overloadCooldownMs, "upstream overloaded");
      last = "server";
    } else {
      last = "server";
    }
  }
  if (last === "timeout") throw upstreamTimeout(providerName);
  if (last === "server") throw upstreamFailed(providerName, lastStatus);
  const back = await scheduler.soonestReturn(providerName, accounts);
  const seconds = back ? (back - Date.now()) / 1000 : 1;
  throw rateLimited(`every ${providerName} account is rate limited or unavailable`, seconds);
}

/** The default reading of a non-2xx upstream answer. */
export function classify(response: Response): UpstreamFailure {
  const { status } = response;
  if (status === 429) return { kind: "rate_limited" };
  if (status === 529 || status === 503) return { kind: "overloaded" };
  if (status === 401 || status === 403) return { kind: "auth" };
  if (status >= 500 || status === 408) return { kind: "server" };
  return { kind: "fatal" };
}

/** Turn an upstream 4xx the client caused into an HTTPError with a sanitised message. */
export async function toClientError(response: Response): Promise<HTTPError> {
  let message = `The upstream refused the request (status ${response.status})`;
  try {
    const body = (await response.json()) as { error?: { message?: unknown } | string; message?: unknown };
    const found = typeof body.error === "object" ? body.error?.message : (body.message ?? body.error);
    if (typeof found === "string" && found.trim()) message = redactString(found.slice(0, 500));
  } catch {
    // not JSON: keep the generic message
  }
  return new HTTPError({ status: response.status, message });
}

// --- internal ---

const DEFAULT_ACCOUNT = "default";

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || (error as Error).name === "TimeoutError";
}
