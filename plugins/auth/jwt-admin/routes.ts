// Routes under /auth: login, self-service registration (when enabled), password change, and a
// JWT for someone already logged in with the cookie (e.g. after the second factor).
import type { H3Event } from "h3";
import { type AttemptLimiter, HTTPError, type PluginContext, type RateLimiter, type User, badRequest, forbidden, publicUser, readJsonObject, unauthorized } from "switchyard";
import type { LocalAccounts } from "./accounts.ts";
import { USERNAME, normalizeUsername } from "./options.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import type { TokenIssuer } from "./tokens.ts";
import type { PasswordRecord, ResolvedJwtAdminOptions } from "./types.ts";

export interface RouteDeps {
  ctx: PluginContext;
  options: ResolvedJwtAdminOptions;
  accounts: LocalAccounts;
  tokens: TokenIssuer;
  /** Failed logins and password changes per username (or user). */
  throttle: AttemptLimiter;
  /** Registrations per client address. */
  registrations: RateLimiter;
  /** Resolves once the config admins exist (retried on each call until it worked). */
  ready(): Promise<void>;
}

/** Password rules for new passwords: 8 to 1024 characters. */
export const PASSWORD_LENGTH = { min: 8, max: 1024 } as const;
/** A client-derived key: 32 to 512 characters of base64, base64url or hex. */
export const DERIVED_KEY = /^[A-Za-z0-9+/=_-]{32,512}$/;

export function addRoutes({ ctx, options, accounts, tokens, throttle, registrations, ready }: RouteDeps): void {
  const add = (method: "POST", path: string, access: "public" | "user", handler: (event: H3Event) => unknown) => ctx.routes.add({ method, path, access, mount: "auth", handler });

  // Log in: the same 401 for an unknown user, a wrong secret or the wrong field.
  add("POST", "/login", "public", async (event) => {
    const body = await readJsonObject(event, ["username", "password", "derived_key"]);
    const username = readUsername(body.username);
    const { kind, value } = readSecret(body, undefined);
    await ready();
    const id = accounts.throttleId(username);
    await throttle.check(id);
    const user = await accounts.check(username, kind, value);
    if (!user) {
      await throttle.fail(id);
      throw unauthorized("Wrong username or password");
    }
    await throttle.reset(id);
    return answerLogin(event, user);
  });

  if (options.registration.enabled) {
    add("POST", "/register", "public", async (event) => {
      const body = await readJsonObject(event, ["username", "password", "derived_key"]);
      const username = readUsername(body.username);
      const { kind, value } = readSecret(body, options.registration.derivedKey ? "derived_key" : "password");
      checkNewSecret(kind, value, kind);
      await registrations.take(ctx.secrets.hash(event.context.clientIp ?? "unknown", "register-ip").slice(0, 32));
      await ready();
      const { user, created } = await ctx.users.findOrCreate({ identity: accounts.identity(username), name: accounts.displayName(username), role: "user" });
      if (!created) throw new HTTPError({ status: 409, message: "username: already taken", data: { param: "username" } });
      await accounts.replace(user.id, null, { hash: await hashPassword(value), kind, source: "register", updatedAt: ctx.now() });
      ctx.logger.info(`registered local user ${user.id}`);
      event.res.status = 201;
      return answerLogin(event, user);
    });
  }

  add("POST", "/password", "user", async (event) => {
    const body = await readJsonObject(event, ["current", "next"]);
    const user = await ctx.users.require(event.context.principal!.id);
    const record = await accounts.record(user.id);
    if (!record) throw forbidden("This account has no local password");
    if (record.source === "config") throw forbidden("This password is set in gateway.config.ts (admins); change it there");
    if (typeof body.current !== "string" || body.current.length > PASSWORD_LENGTH.max) throw badRequest("current", "expected the current password");
    if (typeof body.next !== "string") throw badRequest("next", "expected the new password");
    checkNewSecret(record.kind, body.next, "next");
    const id = `user:${user.id}`;
    await throttle.check(id);
    if (!(await verifyPassword(record.hash, body.current))) {
      await throttle.fail(id);
      throw forbidden("The current password is wrong");
    }
    await throttle.reset(id);
    if (body.next === body.current) throw badRequest("next", "must differ from the current password");
    const next: PasswordRecord = { hash: await hashPassword(body.next), kind: record.kind, source: "user", updatedAt: ctx.now() };
    if (!(await accounts.replace(user.id, record, next))) throw new HTTPError({ status: 409, message: "The password changed meanwhile; try again" });
    // Every session and JWT of the user ends, this one included: log in again.
    await ctx.users.revokeSessions(user.id);
    return { ok: true };
  });

  add("POST", "/jwt", "user", async (event) => {
    const principal = event.context.principal!;
    if (principal.strategy === ctx.name) throw forbidden("A token cannot be exchanged for another; log in again");
    const user = await ctx.users.get(principal.id);
    if (!user) throw forbidden("Only people get tokens");
    const { token, expiresAt } = await tokens.sign(user);
    event.res.headers.set("cache-control", "no-store");
    return { token, tokenExpiresAt: expiresAt };
  });

  async function answerLogin(event: H3Event, user: User): Promise<Record<string, unknown>> {
    if (user.status === "banned") throw forbidden("This account is banned");
    const result = await ctx.users.login(event, user);
    event.res.headers.set("cache-control", "no-store");
    if (result.status !== "ok") return result;
    const { token, expiresAt } = await tokens.sign(result.user);
    return { status: "ok", user: publicUser(result.user), expiresAt: result.expiresAt, token, tokenExpiresAt: expiresAt };
  }
}

// --- internal ---

function readUsername(value: unknown): string {
  const username = typeof value === "string" ? normalizeUsername(value) : "";
  if (!USERNAME.test(username)) throw badRequest("username", "expected 1 to 64 of a-z 0-9 . _ @ + -, starting with a letter or digit");
  return username;
}

/** Exactly one of `password` and `derived_key`; `only` names the one this route takes. */
function readSecret(body: Record<string, unknown>, only: PasswordRecord["kind"] | undefined): { kind: PasswordRecord["kind"]; value: string } {
  const present = (["password", "derived_key"] as const).filter((k) => body[k] !== undefined);
  if (present.length !== 1) throw badRequest("password", "send either password or derived_key");
  const kind = present[0]!;
  if (only !== undefined && kind !== only) {
    throw badRequest(kind, only === "derived_key" ? "this gateway takes derived_key (a key derived on the client), not password" : "this gateway takes password, not derived_key");
  }
  const value = body[kind];
  if (typeof value !== "string" || value === "" || value.length > PASSWORD_LENGTH.max) throw badRequest(kind, `expected a string of 1 to ${PASSWORD_LENGTH.max} characters`);
  return { kind, value };
}

function checkNewSecret(kind: PasswordRecord["kind"], value: string, param: string): void {
  if (kind === "derived_key" && !DERIVED_KEY.test(value)) throw badRequest(param, "expected a derived key: 32 to 512 characters of base64, base64url or hex");
  const length = [...value].length;
  if (kind === "password" && (length < PASSWORD_LENGTH.min || value.length > PASSWORD_LENGTH.max)) {
    throw badRequest(param, `expected a password of ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`);
  }
}
