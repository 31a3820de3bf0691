// The OpenAI auth server: code exchange (form, §4.3), refresh (JSON, §4.5) and the id_token
// claims (§4.4). Answers are checked field by field; nothing from them is logged or echoed
// except OAuth error codes.
import { decodeJwt } from "jose";
import { HTTPError, type PluginContext, TokenRefreshError, badRequest, clampExpiresIn, redactString, registerSecret } from "switchyard";
import type { ResolvedCodexOptions } from "./options.ts";

/** What is sealed per account. */
export interface CodexCredentials {
  accessToken: string;
  refreshToken: string;
  idToken?: string;
}

/** Non-secret facts from the id_token, kept as account meta. */
export interface CodexIdentity {
  /** The `ChatGPT-Account-Id` header value (workspace id). */
  chatgptAccountId: string;
  planType?: string;
  email?: string;
  organizations?: Array<{ id: string; title?: string; role?: string; isDefault?: boolean }>;
}

/** A successful token answer, checked. */
export interface TokenGrant {
  credentials: CodexCredentials;
  /** Epoch ms. */
  expiresAt: number;
  /** Present when the answer carried a readable id_token. */
  identity?: CodexIdentity;
}

/** Outbound call through the account's proxy when it has one. */
export function fetchVia(ctx: PluginContext, url: string, init: Parameters<PluginContext["http"]["fetch"]>[1], proxy: string | undefined): Promise<Response> {
  return ctx.http.fetch(url, proxy ? { ...init, proxy } : init);
}

/** Read the OpenAI claims of an id_token (payload only; no signature check). Throws a plain Error naming what is missing. */
export function readIdentity(idToken: string, accountIdHint?: string): CodexIdentity {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(idToken) as Record<string, unknown>;
  } catch {
    throw new Error("the id_token is not a readable JWT");
  }
  const auth = isRecord(claims[AUTH_CLAIM]) ? claims[AUTH_CLAIM] : {};
  const chatgptAccountId = text(auth.chatgpt_account_id) ?? accountIdHint;
  if (!chatgptAccountId) throw new Error("the id_token has no chatgpt_account_id claim");
  const identity: CodexIdentity = { chatgptAccountId };
  const plan = text(auth.chatgpt_plan_type);
  if (plan) identity.planType = plan;
  const email = text(claims.email);
  if (email) identity.email = email;
  if (Array.isArray(auth.organizations)) {
    identity.organizations = auth.organizations.filter(isRecord).flatMap((o) => {
      const id = text(o.id);
      if (!id) return [];
      return [{ id, ...(text(o.title) ? { title: text(o.title)! } : {}), ...(text(o.role) ? { role: text(o.role)! } : {}), ...(typeof o.is_default === "boolean" ? { isDefault: o.is_default } : {}) }];
    });
  }
  return identity;
}

/** Epoch ms of a JWT's `exp`, or undefined. */
export function jwtExpiry(token: string): number | undefined {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Exchange an authorization code (form-encoded, §4.3). 400 when refused, 502 when the endpoint fails. */
export async function exchangeCode(ctx: PluginContext, options: ResolvedCodexOptions, input: { code: string; verifier: string; proxy: string | undefined }): Promise<TokenGrant> {
  const body = new URLSearchParams({ grant_type: "authorization_code", code: input.code, redirect_uri: options.redirectURI, client_id: options.clientId, code_verifier: input.verifier });
  const answer = await post(ctx, options, input.proxy, "application/x-www-form-urlencoded", body.toString()).catch((error: unknown) => {
    throw new HTTPError({ status: 502, message: `could not reach the token endpoint: ${redactString((error as Error).message)}` });
  });
  if (answer.status >= 400 && answer.status < 500) throw badRequest("code", `the token endpoint refused the code (${answer.status} ${errorCode(answer.json) ?? "no error code"}); start a new flow`);
  if (answer.status !== 200 || !answer.json) throw new HTTPError({ status: 502, message: `the token endpoint answered ${answer.status}${answer.json ? "" : " without JSON"}` });
  const grant = readGrant(ctx, options, answer.json, undefined);
  // A login without a ChatGPT workspace cannot use the Codex backend: the operator's problem, not the endpoint's.
  if (typeof grant === "string" && grant.includes("id_token")) throw badRequest("code", `this login cannot be used: ${grant}; sign in with a ChatGPT account`);
  if (typeof grant === "string") throw new HTTPError({ status: 502, message: `the token endpoint's answer is unusable: ${grant}` });
  if (!grant.credentials.idToken) throw new HTTPError({ status: 502, message: "the token endpoint's answer has no id_token" });
  return grant;
}

/** Refresh (JSON body, §4.5). Throws `TokenRefreshError`, permanent for the re-login codes. */
export async function refreshTokens(ctx: PluginContext, options: ResolvedCodexOptions, credentials: CodexCredentials, proxy: string | undefined): Promise<TokenGrant> {
  registerSecret(credentials.refreshToken);
  const body = JSON.stringify({ client_id: options.clientId, grant_type: "refresh_token", refresh_token: credentials.refreshToken });
  let answer: Answer;
  try {
    answer = await post(ctx, options, proxy, "application/json", body);
  } catch (error) {
    throw new TokenRefreshError(`token endpoint unreachable: ${redactString((error as Error).message)}`, { permanent: false });
  }
  const code = errorCode(answer.json);
  if (answer.status !== 200) {
    const permanent = code !== undefined && PERMANENT.has(code);
    const retry = Number(answer.headers.get("retry-after"));
    throw new TokenRefreshError(`token endpoint answered ${answer.status}${code ? ` ${code}` : ""}${permanent ? "; sign in again" : ""}`, {
      permanent,
      ...(Number.isFinite(retry) && retry > 0 ? { retryAfterMs: retry * 1000 } : {}),
    });
  }
  if (!answer.json) throw new TokenRefreshError("token endpoint answered 200 without JSON", { permanent: false });
  const grant = readGrant(ctx, options, answer.json, credentials);
  if (typeof grant === "string") throw new TokenRefreshError(`token endpoint answer unusable: ${grant}`, { permanent: false });
  return grant;
}

/**
 * Expiry (epoch ms) of a fresh grant: `expires_in` when given, else the access token's own
 * `exp`, else an hour; never sooner than a minute past the refresh-ahead window, so a broken
 * `expires_in` (0, negative) costs at most one refresh a minute, never one per request.
 */
export function expiryOf(ctx: PluginContext, options: Pick<ResolvedCodexOptions, "refreshAheadMs">, expiresIn: unknown, accessToken: string): number {
  const now = ctx.now();
  const bounds = { fallbackSeconds: FALLBACK_EXPIRES_S, minSeconds: Math.ceil(options.refreshAheadMs / 1000) + 60 };
  if (expiresIn !== undefined && expiresIn !== null) return now + clampExpiresIn(expiresIn, bounds);
  const exp = jwtExpiry(accessToken);
  return now + clampExpiresIn(exp === undefined ? FALLBACK_EXPIRES_S : Math.floor((exp - now) / 1000), bounds);
}

// --- internal ---

const AUTH_CLAIM = "https://api.openai.com/auth";
const PERMANENT = new Set(["refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated", "invalid_grant"]);
const FALLBACK_EXPIRES_S = 3600;

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | undefined;
}

async function post(ctx: PluginContext, options: ResolvedCodexOptions, proxy: string | undefined, contentType: string, body: string): Promise<Answer> {
  const response = await fetchVia(ctx, options.tokenURL, {
    method: "POST",
    headers: { "content-type": contentType, accept: "application/json", "user-agent": options.userAgent, originator: options.originator },
    body,
    signal: AbortSignal.timeout(30_000),
  }, proxy);
  const raw = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) json = parsed;
  } catch {
    // HTML or nothing: reported by status, the text is never echoed
  }
  return { status: response.status, headers: response.headers, json };
}

// The answer's tokens; a missing refresh_token keeps the old one, a missing id_token the old one.
function readGrant(ctx: PluginContext, options: ResolvedCodexOptions, json: Record<string, unknown>, previous: CodexCredentials | undefined): TokenGrant | string {
  const accessToken = text(json.access_token);
  if (!accessToken) return "no access_token";
  const refreshToken = text(json.refresh_token) ?? previous?.refreshToken;
  if (!refreshToken) return "no refresh_token";
  const newIdToken = text(json.id_token);
  const idToken = newIdToken ?? previous?.idToken;
  for (const secret of [accessToken, refreshToken, idToken]) registerSecret(secret);
  let identity: CodexIdentity | undefined;
  if (newIdToken) {
    try {
      identity = readIdentity(newIdToken);
    } catch (error) {
      if (!previous) return (error as Error).message;
    }
  }
  const credentials: CodexCredentials = { accessToken, refreshToken, ...(idToken ? { idToken } : {}) };
  return { credentials, expiresAt: expiryOf(ctx, options, json.expires_in, accessToken), ...(identity ? { identity } : {}) };
}

function errorCode(json: Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  const raw = isRecord(json.error) ? (json.error.code ?? json.error.type) : json.error;
  return typeof raw === "string" && /^[a-z0-9_.-]{1,64}$/i.test(raw) ? raw : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
