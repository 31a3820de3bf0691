// Import of the Codex CLI's `~/.codex/auth.json` (protocols.md §11). The file is a secret:
// it is read once, and no error ever repeats any part of it.
import { type PluginContext, badRequest, registerSecret } from "switchyard";
import { type CodexCredentials, type CodexIdentity, jwtExpiry, readIdentity } from "./tokens.ts";

/** What an auth.json yields. */
export interface ImportedAuth {
  credentials: CodexCredentials;
  identity: CodexIdentity;
  /** Epoch ms: the access token's `exp`, else `last_refresh` + 8 days, else now (refresh at first use). */
  expiresAt: number;
}

/** Parse an auth.json's text; a 400 naming the field that is wrong (never its value) otherwise. */
export function parseAuthFile(ctx: PluginContext, content: string): ImportedAuth {
  if (content.length > MAX_BYTES) throw refuse(`the file is larger than ${MAX_BYTES / 1024} KiB`);
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    // JSON.parse messages quote the input: never pass them on.
    throw refuse("the file is not JSON");
  }
  if (!isRecord(json)) throw refuse("the file is not a JSON object");
  const tokens = json.tokens;
  if (!isRecord(tokens)) throw refuse("no tokens object (is this an API-key login? only ChatGPT logins can be imported)");
  const accessToken = token(tokens.access_token, "tokens.access_token");
  const refreshToken = token(tokens.refresh_token, "tokens.refresh_token");
  const idToken = tokens.id_token === undefined || tokens.id_token === null ? undefined : token(tokens.id_token, "tokens.id_token");
  const hint = tokens.account_id;
  if (hint !== undefined && hint !== null && (typeof hint !== "string" || !/^[\x21-\x7e]{1,200}$/.test(hint))) throw refuse("tokens.account_id is not an account id");
  const accountId = typeof hint === "string" ? hint : undefined;
  for (const secret of [accessToken, refreshToken, idToken]) registerSecret(secret);

  let identity: CodexIdentity;
  if (idToken) {
    try {
      identity = readIdentity(idToken, accountId);
    } catch (error) {
      throw refuse((error as Error).message);
    }
    // The file's own account id wins: it is what the Codex CLI sends.
    if (accountId) identity.chatgptAccountId = accountId;
  } else if (accountId) {
    identity = { chatgptAccountId: accountId };
  } else {
    throw refuse("neither tokens.account_id nor an id_token with a chatgpt_account_id claim");
  }

  const lastRefresh = typeof json.last_refresh === "string" ? Date.parse(json.last_refresh) : Number.NaN;
  const expiresAt = jwtExpiry(accessToken) ?? (Number.isFinite(lastRefresh) ? lastRefresh + CODEX_REFRESH_INTERVAL_MS : ctx.now());
  return { credentials: { accessToken, refreshToken, ...(idToken ? { idToken } : {}) }, identity, expiresAt };
}

// --- internal ---

const MAX_BYTES = 256 * 1024;
// The Codex CLI refreshes a login 8 days after the last refresh (protocols.md §4.5).
const CODEX_REFRESH_INTERVAL_MS = 8 * 24 * 3600 * 1000;

function refuse(reason: string) {
  return badRequest("import", `not a usable Codex auth.json: ${reason}`);
}

function token(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw refuse(`${field} is missing`);
  if (!/^[\x21-\x7e]+$/.test(value) || value.length > 20_000) throw refuse(`${field} is not a token`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
