// Pending logins: the OAuth `state` (in the authorize URL) and a nonce (in a cookie of the
// browser that started the login). Storage holds only keyed hashes of both, the redirect
// path and the redirect URI sent to LinuxDO. A state works once, for 10 minutes, and only
// together with its cookie.
import { randomBytes } from "node:crypto";
import { HTTPError, type PluginContext, badRequest } from "switchyard";

/** How long a started login may take: 10 minutes. */
export const STATE_TTL_MS = 10 * 60_000;

/** What a login remembers between `/login` and `/callback`. */
export interface PendingLogin {
  /** Same-site path to go to afterwards. */
  redirect: string;
  /** The `redirect_uri` sent to LinuxDO (the code exchange must repeat it). */
  redirectURI: string;
}

export interface LoginStates {
  /** A new pending login: `state` goes into the authorize URL, `nonce` into the cookie. */
  start(pending: PendingLogin): Promise<{ state: string; nonce: string }>;
  /**
   * Take the pending login of `state`: it is deleted first, so it works once even when the
   * rest fails. Missing, malformed, unknown, used or expired states, and a missing or
   * different cookie nonce, are 400s.
   */
  take(state: unknown, nonce: string | undefined): Promise<PendingLogin>;
}

export function createLoginStates(ctx: PluginContext): LoginStates {
  const key = (state: string) => `states:${ctx.secrets.hash(state, STATE_PURPOSE)}`;
  return {
    async start(pending) {
      const state = randomBytes(32).toString("base64url");
      const nonce = randomBytes(32).toString("base64url");
      const record: StoredState = { ...pending, nonceHash: ctx.secrets.hash(nonce, NONCE_PURPOSE), expiresAt: ctx.now() + STATE_TTL_MS };
      // Storage expiry is only the backstop; the check against `ctx.now()` decides.
      await ctx.storage.set(key(state), record, { ttlMs: STATE_TTL_MS + 60_000 });
      return { state, nonce };
    },
    async take(state, nonce) {
      if (typeof state !== "string" || state === "") throw badRequest("state", "missing; start the login again");
      if (!TOKEN.test(state)) throw badRequest("state", "malformed; start the login again");
      const stored = await ctx.storage.get<StoredState>(key(state));
      if (!stored || !(await ctx.storage.cas(key(state), stored, null))) throw badRequest("state", "unknown or already used; start the login again");
      if (stored.expiresAt <= ctx.now()) throw badRequest("state", "expired (a login must finish within 10 minutes); start the login again");
      if (nonce === undefined) throw badRequest("state", "the login cookie is missing (cookies blocked, or the login was started in another browser); start the login again");
      if (!TOKEN.test(nonce) || !ctx.secrets.verifyHash(nonce, NONCE_PURPOSE, stored.nonceHash)) {
        throw badRequest("state", "this login was started in another browser; start the login again");
      }
      if (typeof stored.redirect !== "string" || typeof stored.redirectURI !== "string") throw new HTTPError({ status: 500, message: "corrupt login state" });
      return { redirect: stored.redirect, redirectURI: stored.redirectURI };
    },
  };
}

// --- internal ---

const STATE_PURPOSE = "linuxdo-state";
const NONCE_PURPOSE = "linuxdo-state-cookie";
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

interface StoredState extends PendingLogin {
  nonceHash: string;
  expiresAt: number;
}
