import type { Principal } from "./auth.ts";

/** Timing and outcome of one request, passed to the `response` hook. */
export interface ResponseInfo {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

/**
 * Every hook the core calls, `namespace:event`. Handlers receive plain data, already
 * redacted of credentials; `hooks.hook()` returns a function that unregisters.
 */
export interface GatewayHooks {
  /** All plugins are set up and routes registered. */
  ready: () => void | Promise<void>;
  /** A request arrived (before authentication). */
  request: (info: { requestId: string; method: string; path: string }) => void | Promise<void>;
  /** An auth strategy recognised the caller. */
  "auth:resolved": (info: { requestId: string; principal: Principal }) => void | Promise<void>;
  /** The relay is about to call an upstream. */
  "upstream:request": (info: { requestId: string; provider: string; model: string; accountId?: string }) => void | Promise<void>;
  /** An upstream answered (headers received). */
  "upstream:response": (info: { requestId: string; provider: string; status: number; durationMs: number }) => void | Promise<void>;
  /** A response was sent. */
  response: (info: ResponseInfo) => void | Promise<void>;
  /** A request failed; `error` has already been turned into the client's error body. */
  error: (info: { requestId?: string; status: number; error: unknown }) => void | Promise<void>;
  /** The gateway is shutting down. */
  close: () => void | Promise<void>;
}
