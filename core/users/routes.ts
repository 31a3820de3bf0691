// Core routes for people: who am I, logout, the second login step, personal access tokens,
// and the admin's user list with role and ban changes.
import type { H3Event } from "h3";
import { badRequest, forbidden, unauthorized } from "../errors.ts";
import { readJsonObject } from "../routes/body.ts";
import { type RouteHost, addGuardedRoute } from "../routes/guarded.ts";
import type { Role } from "../types/auth.ts";
import type { RouteAccess, RouteMethod } from "../types/plugin.ts";
import type { User } from "../types/users.ts";
import { clearSessionCookie, readSessionCookie } from "./cookie.ts";
import type { UserCore } from "./directory.ts";

/** What a user record looks like in an answer. */
export function publicUser(user: User): Record<string, unknown> {
  const { id, name, role, status, identities, createdAt, meta } = user;
  return { id, name, role, status, identities, createdAt, meta };
}

export function registerUserRoutes(host: RouteHost, users: UserCore): void {
  const add = (method: RouteMethod, path: string, access: RouteAccess, handler: (event: H3Event) => unknown) => addGuardedRoute(host, { method, path, access, handler }, "core");
  const me = (event: H3Event) => users.require(event.context.principal!.id);

  add("GET", "/auth/me", "user", async (event) => ({ user: publicUser(await me(event)) }));
  // Public: login pages ask what to offer. Names and URLs only, nothing about anyone.
  add("GET", "/auth/methods", "public", () => ({
    methods: host.auth.flatMap((a) => a.strategy.login ?? []),
    secondFactors: users.factors.map((f) => f.name),
  }));
  add("POST", "/auth/logout", "user", async (event) => {
    const token = readSessionCookie(event.req.headers.get("cookie"));
    if (token) await users.sessions.revoke(token);
    clearSessionCookie(event);
    return { ok: true };
  });
  add("POST", "/auth/logout-all", "user", async (event) => {
    await users.revokeSessions((await me(event)).id);
    clearSessionCookie(event);
    return { ok: true };
  });
  add("POST", "/auth/login/2fa", "public", async (event) => {
    const body = await readJsonObject(event, ["ticket", "code"]);
    if (typeof body.ticket !== "string" || typeof body.code !== "string") throw badRequest("ticket", "expected the ticket from the login answer and the code");
    const pending = await users.sessions.readPending(body.ticket);
    const user = pending && (await users.get(pending.userId));
    if (!pending || !user || user.sessionEpoch !== pending.epoch) throw unauthorized("This login expired; log in again");
    if (user.status === "banned") throw forbidden("This account is banned");
    let passed = false;
    try {
      for (const factor of users.factors) {
        if ((await factor.required(user)) && (await factor.verify(user, body.code))) passed = true;
      }
    } catch (error) {
      // A factor that refuses outright (locked out) ends this pending login too (security.md B5).
      await users.sessions.consumePending(body.ticket);
      throw error;
    }
    if (!passed) throw unauthorized("Invalid code");
    if (!(await users.sessions.consumePending(body.ticket))) throw unauthorized("This login was already completed");
    const { expiresAt } = await users.startSession(event, user);
    return { status: "ok", user: publicUser(user), expiresAt };
  });

  add("GET", "/auth/tokens", "user", async (event) => ({ data: await users.sessions.tokens.list(event.context.principal!.id) }));
  add("POST", "/auth/tokens", "user", async (event) => {
    const body = await readJsonObject(event, ["name"]);
    if (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 100) throw badRequest("name", "expected a name of 1 to 100 characters");
    const created = await users.sessions.tokens.create(await me(event), body.name.trim());
    event.res.status = 201;
    event.res.headers.set("cache-control", "no-store");
    return created;
  });
  add("DELETE", "/auth/tokens/:id", "user", async (event) => {
    const id = event.context.params?.id ?? "";
    await users.sessions.tokens.revoke(event.context.principal!.id, id);
    return { id, deleted: true };
  });

  add("GET", "/admin/users", "admin", async () => ({ data: (await users.list()).map(publicUser) }));
  add("GET", "/admin/users/:id", "admin", async (event) => publicUser(await users.require(event.context.params?.id ?? "")));
  add("PATCH", "/admin/users/:id", "admin", async (event) => {
    const body = await readJsonObject(event, ["name", "role", "status"]);
    const actor = event.context.principal!;
    const target = await users.require(event.context.params?.id ?? "");
    const patch = toPatch(body);
    checkAuthority(actor.role, actor.id, target, patch);
    return publicUser(await users.update(target.id, () => patch));
  });
  add("POST", "/admin/users/:id/revoke-sessions", "admin", async (event) => {
    const target = await users.require(event.context.params?.id ?? "");
    checkAuthority(event.context.principal!.role, event.context.principal!.id, target, {});
    await users.revokeSessions(target.id);
    return { id: target.id, revoked: true };
  });
}

// --- internal ---

const RANK: Record<Role, number> = { user: 1, admin: 2, root: 3 };

// Admins manage users below them; only root grants admin or root; nobody demotes or bans themself.
function checkAuthority(actorRole: Role | undefined, actorId: string, target: User, patch: Partial<User>): void {
  const rank = RANK[actorRole ?? "user"];
  if (target.id === actorId && (patch.role !== undefined || patch.status !== undefined)) throw forbidden("You cannot change your own role or status");
  if (actorRole !== "root" && RANK[target.role] >= rank) throw forbidden(`Only root can change a user with the ${target.role} role`);
  if (patch.role !== undefined && patch.role !== "user" && actorRole !== "root") throw forbidden("Only root can grant the admin or root role");
}

function toPatch(body: Record<string, unknown>): Partial<User> {
  const patch: Partial<User> = {};
  if (body.name !== undefined) {
    if (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 100) throw badRequest("name", "expected 1 to 100 characters");
    patch.name = body.name.trim();
  }
  if (body.role !== undefined) {
    if (body.role !== "user" && body.role !== "admin" && body.role !== "root") throw badRequest("role", 'expected "user", "admin" or "root"');
    patch.role = body.role;
  }
  if (body.status !== undefined) {
    if (body.status !== "active" && body.status !== "banned") throw badRequest("status", 'expected "active" or "banned"');
    patch.status = body.status;
  }
  if (Object.keys(patch).length === 0) throw badRequest("body", "expected at least one of name, role, status");
  return patch;
}
