import type { H3 } from "h3";
import type { Hookable } from "hookable";
import { type NamedAuthStrategy, guardRoute } from "../auth.ts";
import type { GatewayHooks } from "../types/hooks.ts";
import type { PluginRoute, RouteAccess, RouteMethod } from "../types/plugin.ts";

/** The parts of a gateway a guarded route needs. */
export interface RouteHost {
  app: H3;
  auth: NamedAuthStrategy[];
  hooks: Hookable<GatewayHooks>;
  routes: Array<{ method: RouteMethod; path: string; access: RouteAccess; owner: string }>;
}

/**
 * Mount a route behind its access guard and list it for enumeration. Core and plugin routes
 * both come through here, so no route can skip the guard.
 */
export function addGuardedRoute(host: RouteHost, route: PluginRoute, owner: string): void {
  const { access, handler } = route;
  host.app.on(route.method, route.path, async function guarded(event) {
    const known = event.context.principal;
    await guardRoute(event, access, host.auth);
    const principal = event.context.principal;
    if (principal && !known) await host.hooks.callHook("auth:resolved", { requestId: event.context.requestId ?? "unknown", principal });
    return handler(event);
  });
  host.routes.push({ method: route.method, path: route.path, access, owner });
}
