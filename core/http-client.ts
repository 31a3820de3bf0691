import { Agent, Pool, ProxyAgent, Socks5ProxyAgent, buildConnector, type Dispatcher, fetch as undiciFetch } from "undici";
import { PROXY_EXPECTED, type ProxyParts, splitProxyUrl } from "./proxy-url.ts";
import { registerSecret } from "./redact.ts";

/** Per-phase limits of outbound calls, in ms. */
export interface HttpClientOptions {
  /** TCP (and TLS) connect; through a proxy also the CONNECT answer. Default 10 s. */
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
  /**
   * Send the request through this proxy: `http://`, `https://`, `socks5://` or `socks5h://`
   * `[user:pass@]host:port` (validate operator input with {@link parseProxyUrl}). Credentials
   * go to the proxy only; errors name the proxy as `protocol//host:port`.
   */
  proxy?: string;
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
  const limits: Limits = {
    connect: options.connectTimeoutMs ?? 10_000,
    headers: options.headersTimeoutMs ?? 60_000,
    body: options.idleReadTimeoutMs ?? 300_000,
  };
  const dispatcher = new Agent({ connectTimeout: limits.connect, headersTimeout: limits.headers, bodyTimeout: limits.body, keepAliveTimeout: KEEP_ALIVE_MS });
  // One dispatcher (and so one connection pool) per distinct proxy URL, least recently used evicted.
  const proxied = new Map<string, Dispatcher>();
  let closed = false;
  const proxyDispatcher = (proxy: ProxyParts): Dispatcher => {
    const found = proxied.get(proxy.url);
    proxied.delete(proxy.url);
    const chosen = found ?? createProxyDispatcher(proxy, limits);
    proxied.set(proxy.url, chosen);
    if (proxied.size > MAX_PROXY_DISPATCHERS) {
      const [oldestUrl, oldest] = proxied.entries().next().value!;
      proxied.delete(oldestUrl);
      void oldest.close().catch(() => {}); // lets requests in flight finish
    }
    return chosen;
  };
  return {
    async fetch(url, init = {}) {
      assertHeaderValues(init.headers);
      // "error" rather than "manual": undici clones and tees every request it might have to
      // replay for a redirect, which cost ~20% of the relay's CPU (docs/guide/benchmarks.md).
      if (init.proxy === undefined) {
        const response = await undiciFetch(url, { ...init, redirect: "error", dispatcher } as Parameters<typeof undiciFetch>[1]);
        return response as unknown as Response;
      }
      const { proxy, ...rest } = init;
      const parts = splitProxyUrl(proxy);
      if ("got" in parts) throw new TypeError(`fetch failed: invalid proxy: expected ${parts.expected ?? PROXY_EXPECTED}, got ${parts.got}`);
      if (closed) throw new TypeError(`fetch failed through proxy ${parts.display}: the HTTP client is closed`);
      try {
        const response = await undiciFetch(url, { ...rest, redirect: "error", dispatcher: proxyDispatcher(parts) } as Parameters<typeof undiciFetch>[1]);
        return response as unknown as Response;
      } catch (error) {
        if (rest.signal?.aborted) throw error;
        throw proxyFailure(error, parts);
      }
    },
    async close() {
      closed = true;
      const all = [dispatcher, ...proxied.values()];
      proxied.clear();
      await Promise.all(all.map((d) => d.close()));
    },
  };
}

// --- internal ---

const KEEP_ALIVE_MS = 10_000;
const MAX_PROXY_DISPATCHERS = 256;

/**
 * CR, LF or NUL in a header value could split the request (header injection). undici refuses
 * them too, but quotes the value in its error (a key, a token) and silently trims them at the
 * ends; this refuses them anywhere and names only the header.
 */
const UNSAFE_IN_HEADER = /[\r\n\0]/;
function assertHeaderValues(headers: HeadersInit | undefined): void {
  if (headers === undefined) return;
  // Headers (any implementation) and arrays iterate as pairs; a plain record does not.
  const entries = Symbol.iterator in headers ? headers : Object.entries(headers);
  for (const [name, value] of entries as Iterable<[string, string]>) {
    if (UNSAFE_IN_HEADER.test(String(value))) throw new TypeError(`fetch failed: the value of header ${JSON.stringify(name)} holds a CR, LF or NUL character`);
  }
}

interface Limits {
  connect: number;
  headers: number;
  body: number;
}

/**
 * undici's proxy agents with the direct agent's limits. Neither gets a URL with credentials:
 * HTTP proxies get a `Proxy-Authorization` token, SOCKS5 the RFC 1929 user name and password.
 */
function createProxyDispatcher(proxy: ProxyParts, limits: Limits): Dispatcher {
  if (proxy.password) registerSecret(proxy.password);
  // Per-request limits: undici builds some of the inner pools itself, without our options.
  const withLimits: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
    dispatch({ ...opts, headersTimeout: limits.headers, bodyTimeout: limits.body }, handler);
  if (proxy.scheme.startsWith("socks5")) {
    // socks5h: is socks5: here: undici always hands host names to the proxy to resolve.
    const credentials = proxy.username ? { username: proxy.username, password: proxy.password } : {};
    return new Socks5ProxyAgent(`socks5://${proxy.host}:${proxy.port}`, { ...credentials, connect: buildConnector({ timeout: limits.connect }) }).compose(withLimits);
  }
  const token = proxy.username ? { token: `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString("base64")}` } : {};
  return new ProxyAgent({
    uri: `${proxy.scheme}://${proxy.host}:${proxy.port}`,
    ...token,
    // http:// targets through an http:// proxy go as absolute-form requests (any proxy takes
    // them; many refuse CONNECT to port 80); https:// targets are always CONNECT-tunnelled.
    proxyTunnel: false,
    headersTimeout: limits.headers,
    bodyTimeout: limits.body,
    keepAliveTimeout: KEEP_ALIVE_MS,
    proxyTls: { timeout: limits.connect },
    requestTls: { timeout: limits.connect },
    clientFactory: (origin, opts) => tunnelClient(origin, opts, limits.connect),
  }).compose(withLimits);
}

/**
 * The pool that sends CONNECT to an HTTP proxy; the answer must come within the connect
 * limit. undici 7.30 treats a proxy that closes the socket before answering CONNECT as a
 * recoverable socket error and reconnects in a tight loop forever: report it as a reset.
 */
function tunnelClient(origin: URL, opts: object, connectMs: number): Dispatcher {
  const pool = new Pool(origin, { ...opts, headersTimeout: connectMs });
  const connect = pool.connect.bind(pool) as (options: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
  const guarded = async (options: Dispatcher.ConnectOptions) => {
    try {
      return await connect(options);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "UND_ERR_SOCKET" && code !== "UND_ERR_INFO") throw error;
      const reset = new Error(`proxy closed the connection before answering CONNECT (${(error as Error).message})`);
      throw Object.assign(reset, { code: "ECONNRESET" });
    }
  };
  return Object.assign(pool, { connect: guarded as Pool["connect"] });
}

/** `fetch failed through proxy <display>: <root cause>`, the cause chain kept with its codes. */
function proxyFailure(error: unknown, proxy: ProxyParts): Error {
  const clean = (text: string) => proxy.secrets.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
  let root: unknown = error;
  for (let depth = 0; depth < 8 && isErrorLike((root as { cause?: unknown }).cause); depth++) root = (root as { cause: unknown }).cause;
  const detail = isErrorLike(root) ? root.message : String(root);
  const cause = isErrorLike(error) && error.cause !== undefined ? error.cause : error;
  return new TypeError(`fetch failed through proxy ${proxy.display}: ${clean(detail)}`, { cause: scrubChain(cause, clean, 0) });
}

/** The chain as-is when no message or stack holds a secret; otherwise cleaned copies. */
function scrubChain(value: unknown, clean: (text: string) => string, depth: number): unknown {
  if (!isErrorLike(value) || depth > 8) return value;
  const cause = scrubChain(value.cause, clean, depth + 1);
  const message = clean(value.message);
  const stack = value.stack === undefined ? undefined : clean(value.stack);
  if (message === value.message && stack === value.stack && cause === value.cause) return value;
  const copy = new Error(message, cause === undefined ? undefined : { cause });
  copy.name = value.name;
  copy.stack = stack;
  const code = (value as { code?: unknown }).code;
  return code === undefined ? copy : Object.assign(copy, { code });
}

function isErrorLike(value: unknown): value is Error {
  return typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string";
}
