// Claude Code's `~/.claude/.credentials.json` (protocols.md §11): read once, checked, never echoed.
import { badRequest, registerSecret } from "switchyard";
import type { AccountProfile } from "./token.ts";

/** The parts of a credentials file the gateway keeps. */
export interface ImportedCredentials {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms; `undefined` when the file did not say (the first use refreshes). */
  expiresAt: number | undefined;
  scopes?: string[];
  profile: AccountProfile;
}

/**
 * Parse the file's text. Unknown keys are ignored; a file that is not JSON, has no
 * `claudeAiOauth` object, or lacks the tokens is a 400 that names the field, never the content.
 */
export function parseCredentialsFile(content: string): ImportedCredentials {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw badRequest("import", "expected the JSON text of Claude Code's .credentials.json (this is not JSON)");
  }
  const oauth = isObject(json) ? json.claudeAiOauth : undefined;
  if (!isObject(oauth)) throw badRequest("import", 'expected a Claude Code .credentials.json with a "claudeAiOauth" object');
  const { accessToken, refreshToken, expiresAt, scopes, subscriptionType, rateLimitTier } = oauth;
  if (!isToken(accessToken)) throw badRequest("import", "claudeAiOauth.accessToken is missing or not a token");
  if (!isToken(refreshToken)) throw badRequest("import", "claudeAiOauth.refreshToken is missing or not a token");
  registerSecret(accessToken);
  registerSecret(refreshToken);
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== "number" || !Number.isFinite(expiresAt) || expiresAt <= 0)) {
    throw badRequest("import", "claudeAiOauth.expiresAt must be epoch milliseconds");
  }
  if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((s) => typeof s !== "string"))) throw badRequest("import", "claudeAiOauth.scopes must be a list of strings");
  const profile: AccountProfile = {};
  if (typeof subscriptionType === "string" && subscriptionType !== "") profile.subscriptionType = subscriptionType.slice(0, 100);
  if (typeof rateLimitTier === "string" && rateLimitTier !== "") profile.rateLimitTier = rateLimitTier.slice(0, 100);
  const account = isObject(json) && isObject(json.account) ? json.account : undefined;
  const email = account?.emailAddress ?? account?.email_address ?? account?.email;
  if (typeof email === "string" && email.includes("@")) profile.email = email.slice(0, 200);
  return {
    accessToken,
    refreshToken,
    // The format is milliseconds; a value that can only be seconds (before 1973 in ms) is read as seconds.
    expiresAt: typeof expiresAt === "number" ? (expiresAt < 1e11 ? expiresAt * 1000 : expiresAt) : undefined,
    ...(Array.isArray(scopes) && scopes.length > 0 ? { scopes: scopes as string[] } : {}),
    profile,
  };
}

// --- internal ---

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isToken(value: unknown): value is string {
  return typeof value === "string" && /^[\x21-\x7e]{8,4096}$/.test(value);
}
