import { defineAuth } from "switchyard";
import { demoteRemovedAdmins } from "./accounts.ts";
import { type LinuxDoConnectOptions, resolveOptions } from "./options.ts";
import { addLoginRoutes } from "./routes.ts";

export { type LinuxDoConnectOptions, type ResolvedLinuxDoOptions, LINUXDO_DEFAULTS, resolveOptions } from "./options.ts";
export { type LinuxDoMeta, IDENTITY_PROVIDER, nextRole } from "./accounts.ts";
export { isSafePath, safeRedirect } from "./redirect.ts";
export { STATE_TTL_MS } from "./state.ts";
export { CALLBACK_PATH } from "./routes.ts";

/**
 * Log people in with Linux DO Connect (OAuth 2 authorization code, protocols.md §6):
 * `GET /auth/linuxdo/login[?redirect=/path]` sends the browser to LinuxDO with a single-use
 * state bound to a cookie; `GET /auth/linuxdo/callback` checks it, exchanges the code, reads
 * the user, finds or creates the core user `(linuxdo, <id>)` and starts the session (or the
 * second-factor step). Ids in `admins` get the `admin` role.
 *
 * @example
 * // gateway.config.ts, with `linuxdoConnect` imported from the subpath `switchyard/plugins/auth/linuxdo-connect`
 * auth: [linuxdoConnect({ clientId: process.env.LINUXDO_CLIENT_ID!, clientSecret: process.env.LINUXDO_CLIENT_SECRET!, admins: [1] })]
 */
export const linuxdoConnect = defineAuth<LinuxDoConnectOptions>({
  name: "linuxdo-connect",
  async setup(ctx, input) {
    const options = resolveOptions(ctx.name, input);
    addLoginRoutes(ctx, options);
    // An id removed from `admins` loses the role it got from the list now, not at its next login.
    await demoteRemovedAdmins(ctx, options.admins).catch((error: unknown) => {
      ctx.logger.warn(`could not check admins removed from the list at start (retried at each login): ${(error as Error).message}`);
    });
    return { login: [{ id: "linuxdo", kind: "redirect", url: "/auth/linuxdo/login", label: "LinuxDO" }] };
  },
});

export default linuxdoConnect;
