import { OptionProblems, checkKnownOptions, parseHttpUrl } from "switchyard";

/** Options of the `claude-oauth` provider. Every upstream URL is an option with the real default. */
export interface ClaudeOAuthOptions {
  /** Page the operator opens to authorize. Default `https://claude.ai/oauth/authorize`. */
  authorizeURL?: string;
  /** Token endpoint for the code exchange and refreshes. Default `https://platform.claude.com/v1/oauth/token`. */
  tokenURL?: string;
  /** Messages API origin (and optional path prefix). Default `https://api.anthropic.com`. */
  apiBaseURL?: string;
  /** OAuth client id. Default Claude Code's (`9d1c250a-…`). */
  clientId?: string;
  /** Redirect URI registered for the client. Default `https://platform.claude.com/oauth/code/callback` (manual copy flow). */
  redirectURI?: string;
  /** Scopes asked for at authorize time. Default the Claude Code browser-flow list. */
  scopes?: string[];
  /** `User-Agent` of token and API calls. Default {@link DEFAULT_USER_AGENT}. */
  userAgent?: string;
  /** `anthropic-beta` flags every API call carries (the client's own are merged in). Default {@link DEFAULT_BETAS}. */
  betas?: string[];
  /** Refresh an access token this long before it expires. Default 60 000 (60 s). */
  refreshAheadMs?: number;
  /** Highest `max_tokens` per model (glob keys such as `claude-3-5-haiku*`); larger values are lowered. Default none. */
  maxTokens?: Record<string, number>;
  /** Remove `cache_control.ttl` from system, message and tool blocks. Default true. */
  stripCacheControlTtl?: boolean;
  /** An operator prompt sent right after the required Claude Code identity line. Default none. */
  systemPrompt?: string;
  /** Model ids this provider serves. Default {@link DEFAULT_CLAUDE_OAUTH_MODELS}. */
  models?: string[];
  /** Allow plain-http token and API URLs to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

/** The options after validation, defaults applied. */
export interface ResolvedClaudeOAuthOptions {
  authorizeURL: string;
  tokenURL: string;
  apiBaseURL: string;
  clientId: string;
  redirectURI: string;
  scopes: string[];
  userAgent: string;
  betas: string[];
  refreshAheadMs: number;
  maxTokens: Array<{ pattern: RegExp; cap: number }>;
  stripCacheControlTtl: boolean;
  systemPrompt: string | undefined;
  models: string[];
  insecure: boolean;
}

/** `User-Agent` sent when `userAgent` is not set (the form Claude Code uses, protocols.md §2.3). */
export const DEFAULT_USER_AGENT = "claude-cli/1.0.56 (external, cli)";
/** Beta flags every call carries unless `betas` says otherwise (protocols.md §2.6). */
export const DEFAULT_BETAS: readonly string[] = ["claude-code-20250219", "oauth-2025-04-20", "interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"];
/** Scopes of the browser flow (protocols.md §2.1). */
export const DEFAULT_SCOPES: readonly string[] = ["org:create_api_key", "user:profile", "user:inference", "user:sessions:claude_code", "user:mcp_servers", "user:file_upload"];
/** Model ids served when `models` is not set. */
export const DEFAULT_CLAUDE_OAUTH_MODELS: readonly string[] = [
  "claude-opus-4-5",
  "claude-sonnet-4-5",
  "claude-haiku-4-5",
  "claude-opus-4-1",
  "claude-opus-4-0",
  "claude-sonnet-4-0",
  "claude-3-7-sonnet-latest",
  "claude-3-5-haiku-latest",
];
/** Real endpoints and the Claude Code client (protocols.md §2.1). */
export const CLAUDE_OAUTH_DEFAULTS = {
  authorizeURL: "https://claude.ai/oauth/authorize",
  tokenURL: "https://platform.claude.com/v1/oauth/token",
  apiBaseURL: "https://api.anthropic.com",
  clientId: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
  redirectURI: "https://platform.claude.com/oauth/code/callback",
} as const;

/** Validate every option at once; throws one `[switchyard] [plugin:<name>]` error listing the problems. */
export function resolveOptions(name: string, options: ClaudeOAuthOptions): ResolvedClaudeOAuthOptions {
  const problems = new OptionProblems();
  checkKnownOptions(options, KNOWN_OPTIONS, problems);
  const insecure = options.allowInsecureHttp ?? false;
  if (typeof insecure !== "boolean") problems.addText("allowInsecureHttp", "a boolean", JSON.stringify(insecure) ?? typeof insecure);
  const d = CLAUDE_OAUTH_DEFAULTS;
  const resolved: ResolvedClaudeOAuthOptions = {
    // The authorize page and the redirect are opened by the operator's browser, never fetched here.
    authorizeURL: parseHttpUrl(options.authorizeURL ?? d.authorizeURL, { name: "authorizeURL", allowInsecureHttp: true, allowQuery: true }, problems),
    redirectURI: parseHttpUrl(options.redirectURI ?? d.redirectURI, { name: "redirectURI", allowInsecureHttp: true }, problems),
    tokenURL: parseHttpUrl(options.tokenURL ?? d.tokenURL, { name: "tokenURL", allowInsecureHttp: insecure }, problems),
    apiBaseURL: parseHttpUrl(options.apiBaseURL ?? d.apiBaseURL, { name: "apiBaseURL", allowInsecureHttp: insecure }, problems).replace(/\/+$/, ""),
    clientId: token("clientId", options.clientId ?? d.clientId, problems),
    scopes: tokens("scopes", options.scopes ?? DEFAULT_SCOPES, problems),
    userAgent: printable("userAgent", options.userAgent ?? DEFAULT_USER_AGENT, problems),
    betas: tokens("betas", options.betas ?? DEFAULT_BETAS, problems, true),
    refreshAheadMs: count("refreshAheadMs", options.refreshAheadMs ?? 60_000, problems, 0, 24 * 3600_000),
    maxTokens: caps(options.maxTokens, problems),
    stripCacheControlTtl: flag("stripCacheControlTtl", options.stripCacheControlTtl ?? true, problems),
    systemPrompt: options.systemPrompt === undefined ? undefined : text("systemPrompt", options.systemPrompt, problems),
    models: models(options.models, problems),
    insecure: insecure === true,
  };
  problems.throwIfAny(name);
  return resolved;
}

// --- internal ---

const KNOWN_OPTIONS = [
  "authorizeURL", "tokenURL", "apiBaseURL", "clientId", "redirectURI", "scopes", "userAgent", "betas",
  "refreshAheadMs", "maxTokens", "stripCacheControlTtl", "systemPrompt", "models", "allowInsecureHttp",
] as const;
const TOKEN = /^[\x21-\x7e]+$/;

const shown = (value: unknown) => (typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : (JSON.stringify(value) ?? typeof value));

function token(path: string, value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || !TOKEN.test(value)) problems.addText(path, "a non-empty string without spaces", shown(value));
  return String(value);
}

function printable(path: string, value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || !/^[\x20-\x7e]+$/.test(value)) problems.addText(path, "a non-empty printable ASCII string", shown(value));
  return String(value);
}

function text(path: string, value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || value.trim() === "") problems.addText(path, "a non-empty string", shown(value));
  return String(value);
}

function tokens(path: string, value: unknown, problems: OptionProblems, allowEmpty = false): string[] {
  const ok = Array.isArray(value) && (allowEmpty || value.length > 0) && value.every((v) => typeof v === "string" && /^[\x21-\x2b\x2d-\x7e]+$/.test(v));
  if (!ok) problems.addText(path, `${allowEmpty ? "an" : "a non-empty"} array of strings without spaces or commas`, shown(value));
  return ok ? [...new Set(value as string[])] : [];
}

function count(path: string, value: unknown, problems: OptionProblems, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) problems.addText(path, `an integer from ${min} to ${max}`, shown(value));
  return Number(value);
}

function flag(path: string, value: unknown, problems: OptionProblems): boolean {
  if (typeof value !== "boolean") problems.addText(path, "a boolean", shown(value));
  return value === true;
}

function models(value: unknown, problems: OptionProblems): string[] {
  if (value === undefined) return [...DEFAULT_CLAUDE_OAUTH_MODELS];
  if (!Array.isArray(value) || value.length === 0 || value.some((m) => typeof m !== "string" || m === "")) {
    problems.addText("models", "a non-empty array of model ids", shown(value));
    return [];
  }
  return [...(value as string[])];
}

/** Glob keys (`*` any run, `?` one character) to caps; the first matching key in order wins. */
function caps(value: unknown, problems: OptionProblems): Array<{ pattern: RegExp; cap: number }> {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.addText("maxTokens", "an object of model globs to positive integers", shown(value));
    return [];
  }
  const out: Array<{ pattern: RegExp; cap: number }> = [];
  for (const [glob, cap] of Object.entries(value)) {
    if (typeof cap !== "number" || !Number.isInteger(cap) || cap < 1) {
      problems.addText(`maxTokens.${glob}`, "a positive integer", shown(cap));
      continue;
    }
    const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    out.push({ pattern: new RegExp(`^${source}$`), cap });
  }
  return out;
}
