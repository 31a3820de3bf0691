import { createAttemptLimiter, defineAuth } from "switchyard";
import { createCodes } from "./codes.ts";
import { totpCommand } from "./commands.ts";
import { resolveOptions } from "./options.ts";
import { addRoutes, checkCode } from "./routes.ts";
import { createStateStore } from "./store.ts";
import type { TotpOptions, TotpStrategy } from "./types.ts";

export type * from "./types.ts";
export { TOTP_DEFAULTS } from "./options.ts";
export { BACKUP_ALPHABET, normalizeBackupCode } from "./codes.ts";

/**
 * Two-factor login with authenticator apps (RFC 6238 TOTP, via otplib) and single-use backup
 * codes, for every login that ends in core's `ctx.users.login` (password, LinuxDO, …). A user
 * with 2FA on gets a pending login after the first factor; `POST /auth/login/2fa` completes it.
 *
 * @example
 * // gateway.config.ts, with `totp` imported from `switchyard/plugins/auth/totp`
 * export default defineGatewayConfig({ auth: [jwtAdmin({ admins }), totp({ issuer: "Acme gateway" })] });
 */
export const totp = defineAuth<TotpOptions>({
  name: "totp",
  setup(ctx, input): TotpStrategy {
    const options = resolveOptions(ctx.name, input);
    const store = createStateStore(ctx);
    const codes = createCodes(ctx, options);
    const lockout = createAttemptLimiter(ctx.storage, { name: "lockout", limit: "wrong two-factor codes", max: options.maxFailures, windowMs: options.lockoutSeconds * 1000, now: () => ctx.now() });
    const deps = { ctx, options, store, codes, lockout };
    ctx.users.addSecondFactor({
      name: "totp",
      required: async (user) => (await store.get(user.id))?.enabled === true,
      async verify(user, code) {
        const state = await store.get(user.id);
        return state?.enabled === true && (await checkCode(deps, user, state, code, { backup: true }));
      },
    });
    addRoutes(deps);
    ctx.commands.add(totpCommand(ctx, store, codes));
    return {};
  },
});

export default totp;
