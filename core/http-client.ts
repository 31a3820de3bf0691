import { Agent, fetch as undiciFetch } from "undici";

/** Per-phase limits of outbound calls, in ms. */
export interface HttpClientOptions {
  /** TCP (and TLS) connect. Default 10 s. */
  connectTimeoutMs?: number;
  /** From request sent to response headers received. Default 60 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default 300 s. */
  idleReadTimeoutMs?: number;
}

/** Options of one outbound request (a subset of `RequestInit`). */
export interface HttpRequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array | null;
  signal?: AbortSignal;
}

/**
 * The one client every outbound call goes through (relay, token refresh, remote APIs):
 * pooled keep-alive connections, per-phase timeouts, redirects never followed: a 3xx answer
 * rejects the call like a network error, so credentials never travel to another origin.
 */
export interface HttpClient {
  fetch(url: string | URL, init?: HttpRequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Build the gateway's outbound client. */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const dispatcher = new Agent({
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.idleReadTimeoutMs ?? 300_000,
    keepAliveTimeout: 10_000,
  });
  return {
    async fetch(url, init = {}) {
      // "error" rather than "manual": undici clones and tees every request it might have to
      // replay for a redirect, which cost ~20% of the relay's CPU (docs/guide/benchmarks.md).
      const response = await undiciFetch(url, { ...init, redirect: "error", dispatcher } as Parameters<typeof undiciFetch>[1]);
      return response as unknown as Response;
    },
    close: () => dispatcher.close(),
  };
}
