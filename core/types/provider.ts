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
}

/** The accounts behind a pooled provider, for scheduling and the admin API. */
export interface AccountPool {
  list(): Promise<AccountSummary[]>;
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
  /** Make the upstream call and return its response unread (streams stay streams). */
  send(request: UpstreamRequest): Promise<Response>;
  /** Classify a non-2xx answer; the relay's default applies when absent. */
  classify?(response: Response): UpstreamFailure | undefined;
}
