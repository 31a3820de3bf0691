import { describe, expect, it } from "vitest";
import type { Role } from "../../core/index.ts";
import type { AuthTestGateway } from "./auth.ts";

/** Callers the guard checks use: headers that authenticate as each kind of caller. */
export interface RouteCallers {
  client: Record<string, string>;
  user: Record<string, string>;
  admin: Record<string, string>;
}

/** Session cookies for a user, an admin and a client key, made on `gateway` directly. */
export async function routeCallers(gateway: AuthTestGateway, clientKey: string): Promise<RouteCallers> {
  const cookieFor = async (role: Role) => {
    const { user } = await gateway.users.findOrCreate({ identity: { provider: "route-test", subject: role }, name: role, role });
    return { cookie: `sy_session=${(await gateway.users.sessions.create(user)).token}` };
  };
  return { client: { "x-api-key": clientKey }, user: await cookieFor("user"), admin: await cookieFor("admin") };
}

/** Call a route with dummy parameters; resolves to the status. */
export async function callRoute(gateway: AuthTestGateway, method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const hasBody = method !== "GET" && method !== "DELETE";
  const response = await gateway.request(path, { method, headers: { "content-type": "application/json", ...headers }, ...(hasBody ? { body: "{}" } : {}) });
  await response.body?.cancel();
  return response.status;
}

/** A registered path with its parameters filled in. */
export function concretePath(path: string): string {
  return path.replace(/:[A-Za-z]+/g, "x1").replace(/\*\*?/g, "x1");
}

const RANK = { public: 0, client: 0, user: 1, admin: 2, root: 3 } as const;

/**
 * Check that every non-public route `owner` registered refuses anonymous callers (401) and
 * callers without its role (403); a client key on people's routes and a session on client routes
 * are the wrong kind of credential, so the right one is missing (401);
 * a lower role on admin routes.
 */
export async function expectGuarded(gateway: AuthTestGateway, callers: RouteCallers, owner?: string): Promise<number> {
  const routes = gateway.routes.filter((r) => r.access !== "public" && (owner === undefined || r.owner === owner));
  for (const route of routes) {
    const path = concretePath(route.path);
    const where = `${route.method} ${route.path} (${route.access}, ${route.owner})`;
    expect(await callRoute(gateway, route.method, path), `${where} anonymous`).toBe(401);
    if (route.access === "client") {
      // A session is no gateway key: the key is still missing.
      expect(await callRoute(gateway, route.method, path, callers.admin), `${where} admin session`).toBe(401);
      continue;
    }
    // A gateway key is no login: on people's routes it is simply missing.
    expect(await callRoute(gateway, route.method, path, callers.client), `${where} client key`).toBe(401);
    for (const role of ["user", "admin"] as const) {
      if (RANK[role] < RANK[route.access]) expect(await callRoute(gateway, route.method, path, callers[role]), `${where} ${role}`).toBe(403);
    }
  }
  return routes.length;
}

/**
 * The conformance suite for a plugin's routes: every route it registers is guarded by its
 * declared access level. `setup` returns a gateway with the plugin and the api-key plugin.
 */
export function testPluginRoutes(options: { name: string; setup: () => Promise<{ gateway: AuthTestGateway; clientKey: string }> }): void {
  describe(`${options.name} route conformance`, () => {
    it("guards every route it registers by its access level", async () => {
      const { gateway, clientKey } = await options.setup();
      const checked = await expectGuarded(gateway, await routeCallers(gateway, clientKey), options.name);
      expect(checked).toBeGreaterThan(0);
    });
  });
}
