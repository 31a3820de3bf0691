import type { H3Event } from "h3";

/** Name of the session cookie. */
export const SESSION_COOKIE = "sy_session";

/** Set the session cookie: HttpOnly, SameSite=Lax, Secure when the request came over https. */
export function setSessionCookie(event: H3Event, token: string, expiresAt: number): void {
  const maxAge = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
  event.res.headers.append("set-cookie", `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${isHttps(event) ? "; Secure" : ""}`);
  event.res.headers.set("cache-control", "no-store");
}

/** Clear the session cookie. */
export function clearSessionCookie(event: H3Event): void {
  event.res.headers.append("set-cookie", `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${isHttps(event) ? "; Secure" : ""}`);
}

/** The session token in a `Cookie` header, if any. */
export function readSessionCookie(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// --- internal ---

// `event.context.forwardedProto` is set by the gateway only when the socket is a trusted proxy.
function isHttps(event: H3Event): boolean {
  return event.url.protocol === "https:" || event.context.forwardedProto === "https";
}
