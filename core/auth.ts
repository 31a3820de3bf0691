import { type H3Event, getRequestIP, getRequestURL } from "h3";
import { forbidden, unauthorized } from "./errors.ts";
import type { AuthRequest, AuthStrategy, Principal, Role } from "./types/auth.ts";
import type { RouteAccess } from "./types/plugin.ts";
import "./types/context.ts";

/** An auth plugin's strategy with the plugin's name. */
export interface NamedAuthStrategy {
  name: string;
  strategy: AuthStrategy;
}

/**
 * Ask each strategy in config order; the first that recognises the credentials wins.
 * A strategy that throws an `HTTPError` refuses the request outright; any other throw is
 * a bug in that plugin and becomes a 500 (never a silent pass).
 */
export async function authenticate(strategies: NamedAuthStrategy[], request: AuthRequest, want?: Principal["kind"]): Promise<Principal | undefined> {
  for (const { name, strategy } of strategies) {
    if (!strategy.authenticate) continue;
    const principal = await strategy.authenticate(request);
    // A route for gateway keys looks past a session cookie the same browser also sends.
    if (principal && want !== undefined && principal.kind !== want) continue;
    if (principal) return { ...principal, strategy: name };
  }
  return undefined;
}

/** The plain request view auth strategies get. */
export function toAuthRequest(event: H3Event): AuthRequest {
  return {
    method: event.req.method,
    url: getRequestURL(event),
    headers: event.req.headers,
    ip: event.context.clientIp ?? getRequestIP(event),
  };
}

/**
 * Enforce a route's access level, setting `event.context.principal`. A route asks only for its
 * kind of credential: a gateway key is no login on people's routes, a session no key on the
 * relay (security.md A5), so either is simply missing there: 401. Callers of the right kind
 * without the role get 403.
 */
export async function guardRoute(event: H3Event, access: RouteAccess, strategies: NamedAuthStrategy[]): Promise<void> {
  if (access === "public") return;
  const principal = event.context.principal ?? (await authenticate(strategies, toAuthRequest(event), access === "client" ? "client" : "user"));
  if (!principal) throw unauthorized(access === "client" ? undefined : "Login required");
  event.context.principal = principal;
  if (!isAllowed(principal, access)) {
    throw forbidden(principal.service && access === "user" ? "This route is for a logged-in person, not a service token" : `This route requires ${access === "client" ? "a gateway API key" : `the ${access} role`}`);
  }
}

/** Whether a principal meets an access level. */
export function isAllowed(principal: Principal, access: RouteAccess): boolean {
  if (access === "public") return true;
  if (access === "client") return principal.kind === "client";
  if (access === "user" && principal.service) return false;
  return principal.kind === "user" && roleRank(principal.role) >= roleRank(access);
}


// --- internal ---

function roleRank(role: Role | undefined): number {
  return role === "root" ? 3 : role === "admin" ? 2 : role === "user" ? 1 : 0;
}
