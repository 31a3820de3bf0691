import type { Principal } from "./auth.ts";

declare module "h3" {
  interface H3EventContext {
    /** Set on every request; echoed as `x-request-id`. */
    requestId?: string;
    /** `performance.now()` when the request arrived, for the `response` hook's duration. */
    startedAt?: number;
    /** The client's address after the trusted-proxy rules (`server.trustedProxies`). */
    clientIp?: string;
    /** `x-forwarded-proto` when the socket is a trusted proxy (secure cookies behind TLS termination). */
    forwardedProto?: string;
    /** Set when an auth strategy recognised the caller. */
    principal?: Principal;
  }
}

export {};
