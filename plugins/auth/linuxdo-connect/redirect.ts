// Where a finished login may send the browser (same-site paths only), and the state cookie
// that binds a login to the browser that started it.
import type { PluginRoute } from "switchyard";

/** The request event a route handler gets. */
export type RouteEvent = Parameters<PluginRoute["handler"]>[0];

/**
 * True for a path on this site: a single leading `/`, then printable ASCII without `\`
 * (browsers read `\` as `/`, so `/\evil.test` is `//evil.test`), at most 2000 characters.
 * `//host`, schemes (`https:`, `javascript:`), spaces and control characters (which browsers
 * strip, joining `/<TAB>/host` into `//host`) are all refused.
 */
export function isSafePath(value: unknown): value is string {
  return typeof value === "string" && value.length <= 2000 && /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(value);
}

/** `value` when it is a safe same-site path, else `fallback`. */
export function safeRedirect(value: unknown, fallback: string): string {
  return isSafePath(value) ? value : fallback;
}

/** Whether the browser reached us over https (directly, or through a trusted TLS-terminating proxy). */
export function isHttps(event: RouteEvent): boolean {
  return event.url.protocol === "https:" || event.context.forwardedProto === "https";
}

/** `https://host[:port]` of the request as the browser saw it. */
export function requestOrigin(event: RouteEvent): string {
  return `${isHttps(event) ? "https:" : "http:"}//${event.url.host}`;
}

/**
 * The state cookie. Over https it is `__Host-sy_oauth_state` (Secure, Path=/, no Domain: a
 * sibling subdomain or a plain-http page cannot plant it); over plain http (local use) it is
 * `sy_oauth_state` with Path=/auth/linuxdo. HttpOnly, SameSite=Lax, 10 minutes.
 */
export function stateCookie(event: RouteEvent): { name: string; attributes: string } {
  return isHttps(event)
    ? { name: "__Host-sy_oauth_state", attributes: "Path=/; HttpOnly; SameSite=Lax; Secure" }
    : { name: "sy_oauth_state", attributes: "Path=/auth/linuxdo; HttpOnly; SameSite=Lax" };
}

/** `Set-Cookie` value that stores `nonce` for `maxAgeSeconds`. */
export function setStateCookie(event: RouteEvent, nonce: string, maxAgeSeconds: number): string {
  const { name, attributes } = stateCookie(event);
  return `${name}=${nonce}; Max-Age=${maxAgeSeconds}; ${attributes}`;
}

/** `Set-Cookie` value that removes the state cookie. */
export function clearStateCookie(event: RouteEvent): string {
  const { name, attributes } = stateCookie(event);
  return `${name}=; Max-Age=0; ${attributes}`;
}

/** The state nonce the browser sent, if any (only the cookie name that fits the scheme counts). */
export function readStateCookie(event: RouteEvent): string | undefined {
  const { name } = stateCookie(event);
  const header = event.req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
