// Routes under /auth/2fa for the logged-in user: status, setup, enable, disable, new backup codes.
import type { H3Event } from "h3";
import { generateSecret, generateURI } from "otplib";
import { type AttemptLimiter, HTTPError, type PluginContext, type User, badRequest, readJsonObject, unauthorized } from "switchyard";
import { renderSVG } from "uqr";
import type { Codes } from "./codes.ts";
import type { StateStore } from "./store.ts";
import type { ResolvedTotpOptions, TotpState } from "./types.ts";

export interface TotpDeps {
  ctx: PluginContext;
  options: ResolvedTotpOptions;
  store: StateStore;
  codes: Codes;
  /** Wrong codes per user; its 429 also ends a pending login. */
  lockout: AttemptLimiter;
}

/**
 * Check a code for `user` under the lockout: TOTP for `state`'s secret (or the pending one),
 * then, when `backup`, a backup code. Every miss counts; the miss that reaches the limit and
 * every try while locked get 429.
 */
export async function checkCode({ codes, lockout, store }: TotpDeps, user: User, state: TotpState, code: string, use: { pending?: boolean; backup?: boolean }): Promise<boolean> {
  await lockout.check(user.id);
  const sealed = use.pending ? state.pending : state.secret;
  const secret = sealed === undefined ? undefined : store.open(user.id, use.pending ? "pending" : "secret", sealed);
  const ok = (secret !== undefined && (await codes.checkTotp(user.id, secret, code))) || (use.backup === true && (await codes.consumeBackup(user.id, state.batch, code)));
  if (ok) await lockout.reset(user.id);
  else await lockout.fail(user.id);
  return ok;
}

export function addRoutes(deps: TotpDeps): void {
  const { ctx, options, store, codes, lockout } = deps;
  const add = (method: "GET" | "POST", path: string, handler: (event: H3Event, user: User) => unknown) =>
    ctx.routes.add({ method, path, access: "user", mount: "auth", handler: async (event) => handler(event, await ctx.users.require(event.context.principal!.id)) });

  add("GET", "/2fa/status", async (_event, user) => {
    const state = await store.get(user.id);
    const until = await lockout.lockedUntil(user.id);
    return {
      enabled: state?.enabled === true,
      pending: state?.pending !== undefined,
      backupCodesRemaining: state?.enabled ? await codes.remainingBackup(user.id, state.batch) : 0,
      locked: until !== undefined,
      ...(until === undefined ? {} : { retryAfterSeconds: Math.max(1, Math.ceil((until - ctx.now()) / 1000)) }),
    };
  });

  add("POST", "/2fa/setup", async (event, user) => {
    await readJsonObject(event, []);
    const state = await store.get(user.id);
    if (state?.enabled) throw conflict("Two-factor login is already enabled; disable it first");
    const secret = generateSecret();
    await store.replace(user.id, state, { ...state, enabled: false, pending: store.seal(user.id, "pending", secret), updatedAt: ctx.now() });
    const uri = generateURI({ issuer: options.issuer, label: user.name, secret, algorithm: "sha1", digits: options.digits, period: options.period });
    event.res.headers.set("cache-control", "no-store");
    return { secret, uri, qrSvg: renderSVG(uri, { ecc: "M", border: 2, pixelSize: 6 }) };
  });

  add("POST", "/2fa/enable", async (event, user) => {
    const code = await readCode(event);
    const state = await store.get(user.id);
    if (state?.enabled) throw conflict("Two-factor login is already enabled");
    if (!state?.pending) throw conflict("Start with POST /auth/2fa/setup");
    if (!(await checkCode(deps, user, state, code, { pending: true }))) throw unauthorized("Invalid code");
    const secret = store.open(user.id, "pending", state.pending);
    const { batch, codes: backupCodes } = await codes.createBackup(user.id);
    const { pending: _, ...rest } = state;
    await store.replace(user.id, state, { ...rest, enabled: true, secret: store.seal(user.id, "secret", secret), batch, enabledAt: ctx.now(), updatedAt: ctx.now() });
    await codes.dropBackup(user.id, batch);
    // Sessions and JWTs from before 2FA end here, this one too: the client logs in again.
    await ctx.users.revokeSessions(user.id);
    ctx.logger.info(`two-factor login enabled for ${user.id}`);
    event.res.headers.set("cache-control", "no-store");
    return { enabled: true, backupCodes };
  });

  add("POST", "/2fa/disable", async (event, user) => {
    const code = await readCode(event);
    const state = await enabledState(user);
    if (!(await checkCode(deps, user, state, code, { backup: true }))) throw unauthorized("Invalid code");
    await store.replace(user.id, state, null);
    await codes.dropBackup(user.id);
    await ctx.users.revokeSessions(user.id);
    ctx.logger.info(`two-factor login disabled for ${user.id}`);
    return { enabled: false };
  });

  add("POST", "/2fa/backup-codes", async (event, user) => {
    const code = await readCode(event);
    const state = await enabledState(user);
    if (!(await checkCode(deps, user, state, code, {}))) throw unauthorized("Invalid code");
    const { batch, codes: backupCodes } = await codes.createBackup(user.id);
    await store.replace(user.id, state, { ...state, batch, updatedAt: ctx.now() });
    await codes.dropBackup(user.id, batch);
    event.res.headers.set("cache-control", "no-store");
    return { backupCodes };
  });

  async function enabledState(user: User): Promise<TotpState> {
    const state = await store.get(user.id);
    if (!state?.enabled) throw conflict("Two-factor login is not enabled");
    return state;
  }
}

// --- internal ---

async function readCode(event: H3Event): Promise<string> {
  const body = await readJsonObject(event, ["code"]);
  if (typeof body.code !== "string" || body.code.length > 32) throw badRequest("code", "expected the code from the authenticator app (or a backup code)");
  return body.code;
}

function conflict(message: string): HTTPError {
  return new HTTPError({ status: 409, message });
}
