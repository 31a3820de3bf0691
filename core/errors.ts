import { HTTPError } from "h3";

/** The error envelope a client expects: by the endpoint it called. */
export type ErrorDialect = "anthropic" | "openai" | "gateway";

/** 400: a parameter is missing or wrong; `param` names it. */
export function badRequest(param: string, reason: string): HTTPError {
  return new HTTPError({ status: 400, message: `${param}: ${reason}`, data: { param } });
}

/** 401, the same body for every reason (unknown, disabled, expired), so nothing leaks. */
export function unauthorized(message = "Invalid or missing API key"): HTTPError {
  return new HTTPError({ status: 401, message, headers: new Headers({ "www-authenticate": 'Bearer realm="switchyard"' }) });
}

/** 403: authenticated but not allowed. */
export function forbidden(message: string): HTTPError {
  return new HTTPError({ status: 403, message });
}

/** 404. */
export function notFound(message = "Not found"): HTTPError {
  return new HTTPError({ status: 404, message });
}

/** 429 naming the limit that was hit, with `retry-after` in whole seconds. */
export function rateLimited(limit: string, retryAfterSeconds: number): HTTPError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HTTPError({
    status: 429,
    message: `Rate limit exceeded: ${limit}. Retry after ${seconds}s.`,
    headers: new Headers({ "retry-after": String(seconds) }),
    data: { limit },
  });
}

/** 503: the gateway (or a backend it needs) cannot take the request now. */
export function overloaded(message: string, retryAfterSeconds = 1): HTTPError {
  return new HTTPError({ status: 503, message, headers: new Headers({ "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) }) });
}

/**
 * 503: the gateway's storage (Redis, SQLite, ...) did not answer in time, so a request that
 * needs state is refused rather than served without it (limits fail closed). The cause stays
 * in the log; the client gets a retryable answer.
 */
export function storageUnavailable(retryAfterSeconds = 1): HTTPError {
  return overloaded("The gateway's storage is not reachable; try again shortly", retryAfterSeconds);
}

/** 502: the upstream failed; its body is not passed on (it may name internals). */
export function upstreamFailed(provider: string, upstreamStatus: number): HTTPError {
  return new HTTPError({ status: 502, message: `Upstream ${provider} failed (status ${upstreamStatus})`, data: { provider, upstreamStatus } });
}

/** 504: the upstream did not answer in time. */
export function upstreamTimeout(provider: string): HTTPError {
  return new HTTPError({ status: 504, message: `Upstream ${provider} timed out`, data: { provider } });
}

/** 499: the client went away (logged; nobody reads the body). */
export function clientClosed(): HTTPError {
  return new HTTPError({ status: 499, message: "Client closed the request" });
}

/**
 * Which envelope to answer in: Anthropic for `/v1/messages*` (and `/v1/models` with an
 * `anthropic-version` header), OpenAI for the other `/v1/*` endpoints, else the gateway's own.
 */
export function errorDialectFor(path: string, headers: Headers): ErrorDialect {
  const pathname = path.split("?")[0] ?? "";
  if (/\/v1\/messages(\/|$)/.test(pathname)) return "anthropic";
  if (/\/v1\/models(\/|$)/.test(pathname)) return headers.has("anthropic-version") ? "anthropic" : "openai";
  if (/\/v1\//.test(pathname)) return "openai";
  return "gateway";
}

/**
 * Render any thrown value as a JSON `Response` in the client's dialect. Errors that are not
 * `HTTPError`s (or are marked unhandled) become a 500 whose message hides the cause.
 */
export function toErrorResponse(error: unknown, dialect: ErrorDialect, requestId: string): Response {
  const http = HTTPError.isError(error) ? error : undefined;
  const handled = http !== undefined && !http.unhandled;
  const status = handled ? http.status : 500;
  const message = handled ? http.message : `Internal error (request ${requestId})`;
  const param = handled ? ((http.data as { param?: string } | undefined)?.param ?? null) : null;
  const body = formatErrorBody(dialect, status, message, param, requestId);
  const headers = new Headers(handled ? http.headers : undefined);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("x-request-id", requestId);
  if (dialect === "anthropic") headers.set("request-id", requestId);
  return new Response(JSON.stringify(body), { status, headers });
}

/** The error body of one dialect. */
export function formatErrorBody(dialect: ErrorDialect, status: number, message: string, param: string | null, requestId: string): unknown {
  if (dialect === "anthropic") {
    return { type: "error", error: { type: anthropicType(status), message }, request_id: requestId };
  }
  const { type, code } = openaiType(status);
  return { error: { message, type, param, code }, ...(dialect === "gateway" ? { request_id: requestId } : {}) };
}

// --- internal ---

// protocols.md §1.7
function anthropicType(status: number): string {
  const types: Record<number, string> = {
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
  };
  return types[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

// protocols.md §3.4
function openaiType(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: "authentication_error", code: "invalid_api_key" };
  if (status === 403) return { type: "permission_error", code: null };
  if (status === 404) return { type: "not_found_error", code: null };
  if (status === 429) return { type: "rate_limit_error", code: "rate_limit_exceeded" };
  if (status >= 500) return { type: "server_error", code: null };
  return { type: "invalid_request_error", code: null };
}
