import type { AccountAdmin } from "./accounts.ts";

/** Wire dialects the relay speaks, to clients and to upstreams. */
export type Dialect = "anthropic-messages" | "openai-chat" | "openai-responses";

/** A model a provider can serve. */
export interface ModelInfo {
  id: string;
  displayName?: string;
  /** Unix seconds. */
  createdAt?: number;
  contextWindow?: number;
}

/** Operator-visible state of one upstream account. */
export type AccountStatus = "active" | "cooling" | "needs_reauth" | "disabled" | "error";

/** What an operator sees of an account: never a secret. */
export interface AccountSummary {
  id: string;
  name: string;
  status: AccountStatus;
  /** Epoch ms when a `cooling` account comes back. */
  coolingUntil?: number;
  priority?: number;
  lastUsedAt?: number;
  lastError?: string;
  /** Subscription tier or plan, when the upstream tells (`max`, `plus`, …). */
  tier?: string;
  scopes?: string[];
  /** Epoch ms when the current access token expires. */
  expiresAt?: number;
  /** Epoch ms of the last successful token refresh. */
  lastRefreshAt?: number;
  /** The account's proxy without credentials (`socks5://host:port`). */
  proxy?: string;
  /** User id of whoever donated the account. */
  donor?: string;
  createdAt?: number;
  /** Provider-specific facts safe to show (email, workspace id, …); never secrets. */
  details?: Record<string, string | number | boolean>;
}

/** The accounts behind a provider, for scheduling and the admin API. */
export interface AccountPool {
  /** Every account with its current status; the scheduler picks among `active` ones. */
  list(): Promise<AccountSummary[]>;
  /**
   * The upstream refused the account's credentials (401/403). Refresh them if the provider
   * can and resolve `true` to retry once; otherwise mark the account (e.g. `needs_reauth`
   * with a reason) and resolve `false`.
   */
  onAuthFailure?(accountId: string, status: number): Promise<boolean>;
  /** Operator actions (admin API and CLI); absent when accounts come only from config. */
  admin?: AccountAdmin;
}

/** One upstream call, as the relay hands it to a provider. */
export interface UpstreamRequest {
  requestId: string;
  /** Dialect of `body`; one of the provider's `dialects`. */
  dialect: Dialect;
  model: string;
  body: Record<string, unknown>;
  stream: boolean;
  /** Account chosen by the scheduler, for pooled providers. */
  accountId?: string;
  /** Client headers the relay forwards (already filtered; no client credentials). */
  headers: Headers;
  /** Aborted when the client goes away or a timeout fires. */
  signal: AbortSignal;
}

/** How the relay should treat a failed upstream answer before the first byte. */
export type UpstreamFailure =
  | { kind: "rate_limited"; retryAfterMs?: number }
  | { kind: "auth" }
  | { kind: "overloaded" }
  | { kind: "server" }
  | { kind: "fatal" };

/**
 * Capability object returned by a provider plugin's `setup`.
 * @experimental the relay issue drives it and may extend it.
 */
export interface Provider {
  /** Request dialects the upstream accepts natively, preferred first. */
  dialects: readonly Dialect[];
  /** Models this provider serves. */
  models(): Promise<ModelInfo[]> | ModelInfo[];
  /** Present on providers that schedule among several accounts. */
  accounts?: AccountPool;
  /**
   * Make the upstream call through `ctx.http` and return the response unread (streams stay
   * streams). `request.body` is already in `request.dialect`; add credentials and send.
   */
  send(request: UpstreamRequest): Promise<Response>;
  /** Anthropic `count_tokens` for a body in `anthropic-messages`; absent when the upstream has none. */
  countTokens?(request: UpstreamRequest): Promise<Response>;
  /** Classify a non-2xx answer; the relay's default applies when absent. */
  classify?(response: Response, accountId?: string): UpstreamFailure | undefined;
}
