import { type AuthRequest, type Principal, createAttemptLimiter, createRateLimiter, defineAuth, unauthorized, userPrincipal } from "switchyard";
import { AdminConflictError, createLocalAccounts } from "./accounts.ts";
import { adminCommand } from "./commands.ts";
import { resolveOptions } from "./options.ts";
import { addRoutes } from "./routes.ts";
import { JWT_SHAPE, createTokenIssuer } from "./tokens.ts";
import type { JwtAdminOptions, JwtAdminStrategy } from "./types.ts";

export type * from "./types.ts";
export { JWT_ADMIN_DEFAULTS } from "./options.ts";
export { SCRYPT_COST, hashPassword, parsePasswordHash, verifyPassword } from "./password.ts";

/**
 * Local logins with username and password (scrypt), for admins from config or
 * `switchyard admin create` and, when enabled, self-registered API users. A login starts the
 * core session (cookie) and also returns a short-lived HS256 JWT that authenticates as
 * `Authorization: Bearer <JWT>` on every route the person may use.
 *
 * @example
 * // gateway.config.ts, with `jwtAdmin` imported from `switchyard/plugins/auth/jwt-admin`
 * export default defineGatewayConfig({
 *   auth: [jwtAdmin({ admins: [{ username: "ops", passwordHash: process.env.OPS_PASSWORD_HASH }] })],
 * });
 */
export const jwtAdmin = defineAuth<JwtAdminOptions>({
  name: "jwt-admin",
  async setup(ctx, input): Promise<JwtAdminStrategy> {
    const options = resolveOptions(ctx.name, input);
    const accounts = createLocalAccounts(ctx, options);
    const tokens = createTokenIssuer(ctx, options.jwt);
    // `max` failures within the window pause the id for the window (right passwords too).
    const throttle = createAttemptLimiter(ctx.storage, { name: "throttle", limit: "failed logins", max: options.throttle.maxFailures, windowMs: options.throttle.windowSeconds * 1000, now: () => ctx.now() });
    const registrations = createRateLimiter(ctx.storage, { name: "register", limit: "registrations per address per hour", max: options.registration.perIpPerHour, windowMs: 3_600_000 });

    // Config admins are written at start; when storage is down then, on the first login instead.
    let synced: Promise<void> | undefined;
    const ready = () => {
      synced ??= accounts.syncConfigAdmins().catch((error: unknown) => {
        synced = undefined;
        throw error;
      });
      return synced;
    };
    try {
      await ready();
    } catch (error) {
      if (error instanceof AdminConflictError) throw error;
      ctx.logger.warn(`could not write the config admins yet; retrying at the first login (${(error as Error).message})`);
    }

    addRoutes({ ctx, options, accounts, tokens, throttle, registrations, ready });
    ctx.commands.add(adminCommand(ctx, accounts, ready));

    return {
      login: [{ id: "password", kind: "password", url: "/auth/login", label: "Username and password", ...(options.registration.enabled ? { registerUrl: "/auth/register" } : {}) }],
      async authenticate(request: AuthRequest): Promise<Principal | undefined> {
        const bearer = /^bearer[ \t]+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
        // Not JWT-shaped: another strategy's credential (API key, personal token, admin token).
        if (bearer === undefined || !JWT_SHAPE.test(bearer)) return undefined;
        const claims = await tokens.verify(bearer);
        const user = claims && (await ctx.users.get(claims.sub));
        if (!claims || !user || user.sessionEpoch !== claims.epoch) throw unauthorized(INVALID_TOKEN);
        return userPrincipal(user, ctx.name);
      },
    };
  },
});

export default jwtAdmin;

// --- internal ---

const INVALID_TOKEN = "Invalid or expired token";
