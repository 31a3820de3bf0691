// Proxy URLs as operators and donors write them: validated, normalized, and split into the
// parts the outbound client needs, with every form of the password listed for scrubbing.
import { describeValue } from "./config/issues.ts";

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

const PROXY_SCHEMES = ["http", "https", "socks5", "socks5h"];
export const PROXY_EXPECTED = "a proxy URL (http://, https://, socks5:// or socks5h://) with [user:pass@]host:port and nothing after the port";

export interface ProxyParts {
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
export function splitProxyUrl(value: unknown): ProxyParts | { got: string; expected?: string } {
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