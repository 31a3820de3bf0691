// OAuth 2.0 + PKCE onboarding pieces every OAuth provider plugin shares: the verifier pair,
// pending flows in storage (single use, sealed), reading what an operator pastes back,
// and sane token lifetimes.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { badRequest } from "./errors.ts";
import { storageKey } from "./storage.ts";
import type { PluginContext } from "./types/plugin.ts";

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: "S256";
}

/** A fresh verifier of `bytes` random bytes (base64url) and its challenge. */
export function createPkce(bytes = 32): PkcePair {
  const verifier = randomBytes(bytes).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url"), method: "S256" };
}

/** A random `state` value: 32 bytes, base64url. */
export function createOAuthState(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Read what an operator pasted after authorizing: a full callback URL (`?code=…&state=…`),
 * `CODE#STATE` as claude.ai shows it, or the bare code. Anything after `&` in a raw string is
 * dropped. Throws a 400 when no code can be found.
 */
export function parseAuthorizationInput(input: unknown): { code: string; state?: string } {
  if (typeof input !== "string" || input.trim() === "") throw badRequest("code", "expected the authorization code or the callback URL");
  const text = input.trim();
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw badRequest("code", "the callback URL is not a valid URL");
    }
    const params = url.searchParams.has("code") ? url.searchParams : new URLSearchParams(url.hash.slice(1));
    const code = params.get("code");
    if (!code) throw badRequest("code", "the callback URL has no code parameter");
    const state = params.get("state");
    return state ? { code, state } : { code };
  }
  const [code = "", state] = text.split("&", 1)[0]!.split("#", 2);
  if (!/^[\x21-\x7e]+$/.test(code)) throw badRequest("code", "expected the authorization code or the callback URL");
  return state ? { code, state } : { code };
}

/** Bounds for a token lifetime, in seconds. */
export interface ExpiryBounds {
  /** Used when `expires_in` is missing or not a number. */
  fallbackSeconds: number;
  /** Default 60 s: shorter would make every request refresh. */
  minSeconds?: number;
  /** Default one year: longer is a broken answer, not a gift. */
  maxSeconds?: number;
}

/** `expires_in` from a token response, clamped to sane bounds, in milliseconds. */
export function clampExpiresIn(value: unknown, bounds: ExpiryBounds): number {
  const min = bounds.minSeconds ?? 60;
  const max = bounds.maxSeconds ?? 365 * 24 * 3600;
  const seconds = typeof value === "number" && Number.isFinite(value) ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : bounds.fallbackSeconds;
  return Math.min(Math.max(seconds, min), max) * 1000;
}

/** Pending OAuth flows of one plugin. */
export interface OAuthFlows<T> {
  /** Store `data` (sealed: it holds the verifier) for `ttlMs`; returns the flow id. */
  start(data: T & { state: string }): Promise<string>;
  /**
   * Take the flow for an exchange: it is deleted whether the exchange then succeeds or not.
   * Unknown, used or expired flows and a `state` that does not match are 400s.
   */
  redeem(input: { flowId: unknown; code: unknown }): Promise<{ flow: T & { state: string }; code: string }>;
}

/** Default lifetime of a pending flow: 10 minutes. */
export const OAUTH_FLOW_TTL_MS = 10 * 60_000;

/** Pending flows in the plugin's storage under `oauth:flows:<id>`, timed by `ctx.now()`. */
export function createOAuthFlows<T extends object>(ctx: PluginContext, options: { ttlMs?: number } = {}): OAuthFlows<T> {
  const ttlMs = options.ttlMs ?? OAUTH_FLOW_TTL_MS;
  const key = (id: string) => `oauth:flows:${storageKey(id)}`;
  const aad = (id: string) => ({ type: "oauth-flow", id });
  return {
    async start(data) {
      const id = `flow_${randomUUID()}`;
      const record: StoredFlow = { sealed: ctx.secrets.seal(JSON.stringify(data), aad(id)), expiresAt: ctx.now() + ttlMs };
      // Storage expiry is only the backstop; the check against `ctx.now()` decides.
      await ctx.storage.set(key(id), record, { ttlMs: ttlMs + 60_000 });
      return id;
    },
    async redeem({ flowId, code }) {
      if (typeof flowId !== "string" || !/^flow_[0-9a-f-]{36}$/.test(flowId)) throw badRequest("flowId", "expected the id returned by the start call");
      const stored = await ctx.storage.get<StoredFlow>(key(flowId));
      // Delete before anything else can fail: a flow is single-use even when the exchange is not.
      if (!stored || !(await ctx.storage.cas(key(flowId), stored, null))) throw badRequest("flowId", "this OAuth flow is unknown or was already used; start a new one");
      if (stored.expiresAt <= ctx.now()) throw badRequest("flowId", "this OAuth flow expired (flows last 10 minutes); start a new one");
      const flow = JSON.parse(ctx.secrets.open(stored.sealed, aad(flowId))) as T & { state: string };
      const parsed = parseAuthorizationInput(code);
      if (parsed.state !== undefined && parsed.state !== flow.state) throw badRequest("code", "the state in the pasted code does not match this flow; start a new one");
      return { flow, code: parsed.code };
    },
  };
}

// --- internal ---

interface StoredFlow {
  sealed: string;
  expiresAt: number;
}
