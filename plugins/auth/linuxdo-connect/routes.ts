// GET /auth/linuxdo/login and GET /auth/linuxdo/callback: the browser side of the OAuth flow.
import { HTTPError, type PluginContext, badRequest, createRateLimiter, forbidden, formatErrorBody } from "switchyard";
import { upsertUser } from "./accounts.ts";
import type { ResolvedLinuxDoOptions } from "./options.ts";
import { type RouteEvent, clearStateCookie, readStateCookie, requestOrigin, safeRedirect, setStateCookie } from "./redirect.ts";
import { STATE_TTL_MS, createLoginStates } from "./state.ts";
import { type LinuxDoClient, type LinuxDoUser, createLinuxDoClient } from "./upstream.ts";

/** Path of the callback under the gateway's origin (what `redirectURI` defaults to). */
export const CALLBACK_PATH = "/auth/linuxdo/callback";

export function addLoginRoutes(ctx: PluginContext, options: ResolvedLinuxDoOptions): void {
  const states = createLoginStates(ctx);
  const client: LinuxDoClient = createLinuxDoClient(ctx, options);
  const perMinute = options.loginsPerMinute;
  // Minutes of the clock: a refusal says how long is left of the current one.
  const logins = perMinute === 0 ? undefined : createRateLimiter(ctx.storage, { name: "rate", limit: `${perMinute} LinuxDO logins per minute from one address`, max: perMinute, windowMs: 60_000, clock: () => ctx.now() });

  ctx.routes.add({
    method: "GET",
    path: "/linuxdo/login",
    mount: "auth",
    access: "public",
    handler: (event) => answer(event, false, async () => {
      const ip = event.context.clientIp;
      if (logins && ip) await logins.take(ip);
      const redirect = safeRedirect(event.url.searchParams.get("redirect"), options.afterLogin);
      const redirectURI = options.redirectURI ?? `${requestOrigin(event)}${CALLBACK_PATH}`;
      const { state, nonce } = await states.start({ redirect, redirectURI });
      const url = new URL(options.authorizeURL);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("client_id", options.clientId);
      url.searchParams.set("redirect_uri", redirectURI);
      url.searchParams.set("state", state);
      if (options.scope !== "") url.searchParams.set("scope", options.scope);
      event.res.headers.append("set-cookie", setStateCookie(event, nonce, STATE_TTL_MS / 1000));
      return redirectTo(url.href);
    }),
  });

  ctx.routes.add({
    method: "GET",
    path: "/linuxdo/callback",
    mount: "auth",
    access: "public",
    handler: (event) => answer(event, true, async () => {
      const query = event.url.searchParams;
      // Every state check comes before any outbound call or user record.
      const pending = await states.take(query.get("state") ?? undefined, readStateCookie(event));
      const error = query.get("error");
      if (error !== null) throw badRequest("error", `Linux DO Connect did not authorize the login (${/^[\w.-]{1,64}$/.test(error) ? error : "unknown reason"}); try again`);
      const code = query.get("code");
      if (!code || code.length > 2000 || !/^[\x21-\x7e]+$/.test(code)) throw badRequest("code", "missing or malformed; start the login again");
      const profile = await client.user(await client.exchange(code, pending.redirectURI));
      checkProfile(ctx, profile, options);
      const user = await upsertUser(ctx, profile, options.admins);
      if (user.status === "banned") throw forbidden("This account is banned");
      const result = await ctx.users.login(event, user);
      event.res.headers.append("set-cookie", clearStateCookie(event));
      ctx.logger.info(`LinuxDO user ${profile.id} signed in as ${user.id} (${user.role})${result.status === "2fa_required" ? ", second factor pending" : ""}`);
      if (result.status === "ok") return redirectTo(safeRedirect(pending.redirect, options.afterLogin));
      // The ticket goes in the fragment: browsers never send it to a server or in a Referer.
      const fragment = new URLSearchParams({ ticket: result.ticket, factors: result.factors.join(","), redirect: pending.redirect });
      return redirectTo(`${options.afterLogin}#${fragment.toString()}`);
    }),
  });
}

// --- internal ---

function redirectTo(location: string): Response {
  return new Response(null, { status: 302, headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}

function checkProfile(ctx: PluginContext, profile: LinuxDoUser, options: ResolvedLinuxDoOptions): void {
  let reason: string | undefined;
  if (options.refuseInactive && !profile.active) reason = "Your LinuxDO account is not active";
  else if (options.refuseSilenced && profile.silenced) reason = "Your LinuxDO account is silenced";
  else if (profile.trustLevel < options.minTrustLevel) reason = `This site requires LinuxDO trust level ${options.minTrustLevel} or higher; yours is ${profile.trustLevel}`;
  if (reason === undefined) return;
  ctx.logger.info(`refused LinuxDO user ${profile.id}: ${reason.toLowerCase()}`);
  throw forbidden(reason);
}

/**
 * Run a handler; turn its `HTTPError`s into an answer the browser can show: an HTML page when
 * it accepts HTML, else the gateway's JSON error. The callback also clears the state cookie.
 */
async function answer(event: RouteEvent, clearCookie: boolean, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (!HTTPError.isError(error) || error.unhandled) throw error;
    const requestId = event.context.requestId ?? "unknown";
    const headers = new Headers(error.headers);
    headers.set("cache-control", "no-store");
    headers.set("referrer-policy", "no-referrer");
    headers.set("x-request-id", requestId);
    if (clearCookie) headers.append("set-cookie", clearStateCookie(event));
    if ((event.req.headers.get("accept") ?? "").includes("text/html")) {
      headers.set("content-type", "text/html; charset=utf-8");
      headers.set("content-security-policy", "default-src 'none'");
      return new Response(errorPage(error.status, error.message, requestId), { status: error.status, headers });
    }
    headers.set("content-type", "application/json; charset=utf-8");
    const param = (error.data as { param?: string } | undefined)?.param ?? null;
    return new Response(JSON.stringify(formatErrorBody("gateway", error.status, error.message, param, requestId)), { status: error.status, headers });
  }
}

function errorPage(status: number, message: string, requestId: string): string {
  const title = status === 403 ? "Login refused" : status >= 500 ? "Linux DO Connect is not answering" : "Login failed";
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1><p>${escape(message)}</p><p><a href="/auth/linuxdo/login">Log in with LinuxDO again</a></p><p><small>Request ${escape(requestId)}</small></p></body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
