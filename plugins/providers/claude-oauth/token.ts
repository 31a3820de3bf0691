// Calls to the Claude token endpoint (protocols.md §2.3, §2.4): the code exchange and refreshes,
// JSON bodies, through the account's proxy; answers read defensively and never echoed.
import { HTTPError, type PluginContext, TokenRefreshError, clampExpiresIn, redactString, registerSecret } from "switchyard";
import type { ResolvedClaudeOAuthOptions } from "./options.ts";

/** What a successful token answer carried. `refreshToken` is absent when the endpoint kept the old one. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms, clamped to sane bounds. */
  expiresAt: number;
  scopes?: string[];
  /** Non-secret facts about who logged in. */
  profile: AccountProfile;
}

/** Who an account belongs to, as far as the token answer or a credentials file says. */
export interface AccountProfile {
  email?: string;
  accountUuid?: string;
  organizationId?: string;
  organizationName?: string;
  /** e.g. `max`, `pro` (credentials file `subscriptionType`). */
  subscriptionType?: string;
  /** e.g. `default_claude_max_20x` (`rate_limit_tier`). */
  rateLimitTier?: string;
}

/** The token endpoint of one plugin. */
export interface TokenClient {
  /** Trade an authorization code for tokens; a refusal is a 400, an outage a 502. */
  exchange(input: { code: string; verifier: string; state: string; proxy: string | undefined }): Promise<TokenAnswer>;
  /** Refresh; failures are `TokenRefreshError`s (permanent when the grant is gone). */
  refresh(input: { refreshToken: string; proxy: string | undefined }): Promise<TokenAnswer>;
}

/** Bounds of a token lifetime: long enough that `refreshAheadMs` never means "refresh every call". */
export function expiryBounds(aheadMs: number): { fallbackSeconds: number; minSeconds: number; maxSeconds: number } {
  const minSeconds = Math.max(300, Math.ceil(aheadMs / 1000) + 60);
  return { fallbackSeconds: Math.max(3600, minSeconds), minSeconds, maxSeconds: 365 * 24 * 3600 };
}

export function createTokenClient(ctx: PluginContext, options: ResolvedClaudeOAuthOptions): TokenClient {
  const bounds = expiryBounds(options.refreshAheadMs);
  async function post(body: Record<string, unknown>, proxy: string | undefined): Promise<{ status: number; headers: Headers; json: unknown }> {
    const response = await ctx.http.fetch(options.tokenURL, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/plain, */*", "user-agent": options.userAgent },
      body: JSON.stringify(body),
      ...(proxy ? { proxy } : {}),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined; // HTML from a CDN, an empty body, …: never echoed
    }
    return { status: response.status, headers: response.headers, json };
  }
  return {
    async exchange({ code, verifier, state, proxy }) {
      const body = { grant_type: "authorization_code", code, redirect_uri: options.redirectURI, client_id: options.clientId, code_verifier: verifier, state };
      let answer: Awaited<ReturnType<typeof post>>;
      try {
        answer = await post(body, proxy);
      } catch (error) {
        throw new HTTPError({ status: 502, message: `The token endpoint could not be reached: ${redactString((error as Error).message)}` });
      }
      if (answer.status >= 200 && answer.status < 300) {
        const parsed = readTokens(answer.json, ctx.now(), bounds);
        if (parsed) return parsed;
        throw new HTTPError({ status: 502, message: "The token endpoint answered without an access token" });
      }
      const reason = describeError(answer.json);
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        throw new HTTPError({ status: 400, message: `code: the token endpoint refused the code (${answer.status}${reason}); start a new flow`, data: { param: "code" } });
      }
      throw new HTTPError({ status: 502, message: `The token endpoint failed (${answer.status}${reason}); try again` });
    },
    async refresh({ refreshToken, proxy }) {
      let answer: Awaited<ReturnType<typeof post>>;
      try {
        answer = await post({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: options.clientId }, proxy);
      } catch (error) {
        throw new TokenRefreshError(`token endpoint unreachable: ${redactString((error as Error).message)}`, { permanent: false });
      }
      const reason = describeError(answer.json);
      if (answer.status >= 200 && answer.status < 300) {
        const parsed = readTokens(answer.json, ctx.now(), bounds);
        if (parsed) return parsed;
        throw new TokenRefreshError(`token endpoint answered ${answer.status} without an access token`, { permanent: false });
      }
      if (answer.status === 429) {
        throw new TokenRefreshError(`token endpoint rate limited the refresh (429${reason})`, { permanent: false, retryAfterMs: retryAfterMs(answer.headers) });
      }
      const code = isObject(answer.json) && typeof answer.json.error === "string" ? answer.json.error : undefined;
      const permanent = answer.status >= 400 && answer.status < 500 && (PERMANENT.has(code ?? "") || /revoked/i.test(reason));
      throw new TokenRefreshError(`token endpoint refused the refresh (${answer.status}${reason})`, { permanent });
    },
  };
}

/** Retry-After / Retry-After-Ms of a 429, clamped to 5 s – 5 min. */
export function retryAfterMs(headers: Headers): number {
  const ms = Number(headers.get("retry-after-ms"));
  const seconds = headers.get("retry-after");
  let wait = Number.isFinite(ms) && ms > 0 ? ms : 30_000;
  if (!(ms > 0) && seconds) {
    const asNumber = Number(seconds);
    const asDate = Date.parse(seconds);
    if (Number.isFinite(asNumber)) wait = asNumber * 1000;
    else if (Number.isFinite(asDate)) wait = asDate - Date.now();
  }
  return Math.min(Math.max(wait, 5_000), 300_000);
}

// --- internal ---

// Grants that will never work again: the operator has to log in anew.
const PERMANENT = new Set(["invalid_grant", "unauthorized_client", "access_denied"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `: invalid_grant (description)` from an OAuth error body; short, redacted, never the raw body. */
function describeError(json: unknown): string {
  if (!isObject(json)) return "";
  const nested = isObject(json.error) ? json.error : undefined;
  const code = typeof json.error === "string" ? json.error : typeof nested?.type === "string" ? nested.type : undefined;
  const description = typeof json.error_description === "string" ? json.error_description : typeof nested?.message === "string" ? nested.message : undefined;
  if (!code && !description) return "";
  const clean = (s: string) => redactString(s.replace(/[\r\n]+/g, " ").slice(0, 200));
  return `: ${[code && clean(code), description && `(${clean(description)})`].filter(Boolean).join(" ")}`;
}

function readTokens(json: unknown, now: number, bounds: ReturnType<typeof expiryBounds>): TokenAnswer | undefined {
  if (!isObject(json) || typeof json.access_token !== "string" || !/^[\x21-\x7e]{8,}$/.test(json.access_token)) return undefined;
  registerSecret(json.access_token);
  const refresh = typeof json.refresh_token === "string" && /^[\x21-\x7e]{8,}$/.test(json.refresh_token) ? json.refresh_token : undefined;
  if (refresh) registerSecret(refresh);
  const org = isObject(json.organization) ? json.organization : {};
  const account = isObject(json.account) ? json.account : {};
  const str = (value: unknown) => (typeof value === "string" && value !== "" ? value.slice(0, 200) : undefined);
  const profile: AccountProfile = {};
  const set = (field: keyof AccountProfile, value: unknown) => {
    const s = str(value);
    if (s !== undefined) profile[field] = s;
  };
  set("email", account.email_address ?? account.email);
  set("accountUuid", account.uuid);
  set("organizationId", org.uuid);
  set("organizationName", org.name);
  set("rateLimitTier", org.rate_limit_tier ?? account.rate_limit_tier);
  set("subscriptionType", account.subscription_type ?? org.subscription_type ?? org.organization_type);
  const scopes = typeof json.scope === "string" ? json.scope.split(/\s+/).filter(Boolean) : undefined;
  return {
    accessToken: json.access_token,
    ...(refresh ? { refreshToken: refresh } : {}),
    expiresAt: now + clampExpiresIn(json.expires_in, bounds),
    ...(scopes && scopes.length > 0 ? { scopes } : {}),
    profile,
  };
}
