import { Agent, Pool, ProxyAgent, Socks5ProxyAgent, buildConnector, type Dispatcher, fetch as undiciFetch } from "undici";
import { describeValue } from "./config/issues.ts";
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

/** Result of {@link parseProxyUrl}: `display` has no credentials; `got` never echoes them. */
export type ProxyUrlCheck = { ok: true; url: string; display: string } | { ok: false; expected: string; got: string };

/**
 * Validate a proxy URL: protocol `http`, `https`, `socks5` or `socks5h`, a host, an explicit
 * port, optional `user:pass@` (percent-encoded), no path, query or fragment. `url` is the
 * normalized form to pass as `proxy`; `display` is `protocol//host:port` for operator views.
 */
export function parseProxyUrl(value: unknown): ProxyUrlCheck {
  const parts = splitProxyUrl(value);
  if ("got" in parts) return { ok: false, expected: parts.expected ?? PROXY_EXPECTED, got: parts.got };
  return { ok: true, url: parts.url, display: parts.display };
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
const PROXY_SCHEMES = ["http", "https", "socks5", "socks5h"];
const PROXY_EXPECTED = "a proxy URL (http://, https://, socks5:// or socks5h://) with [user:pass@]host:port and nothing after the port";

interface Limits {
  connect: number;
  headers: number;
  body: number;
}

interface ProxyParts {
  scheme: string;
  host: string;
  port: number;
  /** Decoded; `""` when absent. */
  username: string;
  password: string;
  /** Normalized, with percent-encoded credentials. */
  url: string;
  /** `scheme://host:port`. */
  display: string;
  /** Every form of the password that could show up in text. */
  secrets: string[];
}

function splitProxyUrl(value: unknown): ProxyParts | { got: string; expected?: string } {
  if (typeof value !== "string") return { got: describeValue(value) };
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(value);
  if (!match) return { got: "a string that is not a URL" };
  const [, rawScheme, authority, tail] = match as unknown as [string, string, string, string];
  const scheme = rawScheme.toLowerCase();
  if (!PROXY_SCHEMES.includes(scheme)) return { got: scheme.length <= 10 ? `a URL with protocol ${scheme}:` : "a URL with an unsupported protocol" };
  let url: URL;
  try {
    url = new URL(`http://${authority}`); // special-scheme parsing for every protocol: IDNA, IPv4
  } catch {
    return { got: `a ${scheme}:// URL with an invalid host, port or credentials (hidden)` };
  }
  const explicitPort = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf("@") + 1));
  const host = url.hostname;
  if (!explicitPort) return { got: `${scheme}://${host} without a port` };
  const port = url.port === "" ? 80 : Number(url.port);
  const display = `${scheme}://${host}:${port}`;
  if (port === 0) return { got: `${display} (port 0)` };
  if ((tail !== "" && tail !== "/") || url.pathname !== "/" || url.search || url.hash) return { got: `${display} with a path, query or fragment (hidden)` };
  if (scheme.startsWith("socks5") && host.startsWith("[")) {
    return { expected: "a SOCKS5 proxy with a host name or an IPv4 address (undici's SOCKS5 client cannot reach an IPv6 literal)", got: display };
  }
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return { got: `${display} with credentials that are not valid percent-encoding (hidden)` };
  }
  if (password && !username) return { got: `${display} with a password but no user name` };
  if (scheme.startsWith("socks5") && username && (!password || Buffer.byteLength(username) > 255 || Buffer.byteLength(password) > 255)) {
    return { expected: "SOCKS5 credentials with both a user name and a password of 1 to 255 bytes each", got: `${display} with other credentials (hidden)` };
  }
  const userinfo = username ? `${url.username}${url.password ? `:${url.password}` : ""}@` : "";
  const secrets = [password, url.password, encodeURIComponent(password)].filter((s) => s !== "");
  if (username) secrets.push(Buffer.from(`${username}:${password}`).toString("base64"));
  return { scheme, host, port, username, password, url: `${scheme}://${userinfo}${host}:${port}`, display, secrets: [...new Set(secrets)] };
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
