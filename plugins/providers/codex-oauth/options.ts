import { arch, release, type } from "node:os";
import { OptionProblems, checkKnownOptions, parseBaseURL, parseModels } from "switchyard";

/** Options of the `codex-oauth` provider. Every upstream URL is an option with the real default. */
export interface CodexOAuthOptions {
  /** OpenAI's auth origin; `authorizeURL` and `tokenURL` default to paths under it. Default `https://auth.openai.com`. */
  issuer?: string;
  /** Page the operator opens to sign in. Default `<issuer>/oauth/authorize`. */
  authorizeURL?: string;
  /** Token endpoint for the code exchange and refreshes. Default `<issuer>/oauth/token`. */
  tokenURL?: string;
  /** Codex backend (Responses API) base. Default `https://chatgpt.com/backend-api/codex`. */
  baseURL?: string;
  /** OAuth client id. Default the Codex CLI's (`app_EMoamEEZ73f0CkXaXp7hrann`). */
  clientId?: string;
  /** Redirect URI registered for the client. Default `http://localhost:1455/auth/callback`. */
  redirectURI?: string;
  /** Scopes asked for at authorize time. Default {@link DEFAULT_SCOPES} (the Codex CLI's). */
  scopes?: string[];
  /** `originator` header and authorize parameter. Default `codex_cli_rs`. */
  originator?: string;
  /** `User-Agent` of token and backend calls. Default `codex_cli_rs/<version> (<os> <release>; <arch>) switchyard`. */
  userAgent?: string;
  /** Refresh an access token this long before it expires. Default 300 000 (5 min). */
  refreshAheadMs?: number;
  /** Interval of the background job that refreshes tokens expiring within the next 5 minutes. Default 300 000. */
  refreshSweepMs?: number;
  /** `instructions` sent when the client sends none (the backend requires the field). Default `""`. */
  instructions?: string;
  /** Model ids this provider serves. Default {@link DEFAULT_CODEX_MODELS}. */
  models?: string[];
  /** Allow plain-http URLs to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

/** The options after validation, defaults applied. */
export interface ResolvedCodexOptions {
  authorizeURL: string;
  tokenURL: string;
  baseURL: string;
  clientId: string;
  redirectURI: string;
  scopes: string[];
  originator: string;
  userAgent: string;
  refreshAheadMs: number;
  refreshSweepMs: number;
  instructions: string;
  models: string[];
  insecure: boolean;
}

/** Real endpoints and the Codex CLI client (protocols.md §4.1). */
export const CODEX_OAUTH_DEFAULTS = {
  issuer: "https://auth.openai.com",
  baseURL: "https://chatgpt.com/backend-api/codex",
  clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
  redirectURI: "http://localhost:1455/auth/callback",
  originator: "codex_cli_rs",
} as const;

/** Scopes of the current Codex CLI (protocols.md §4.1). */
export const DEFAULT_SCOPES: readonly string[] = ["openid", "profile", "email", "offline_access", "api.connectors.read", "api.connectors.invoke"];

/** Model ids served when `models` is not set (the GPT-5 family the Codex backend answers). */
export const DEFAULT_CODEX_MODELS: readonly string[] = [
  "gpt-5",
  "gpt-5-codex",
  "gpt-5-codex-mini",
  "gpt-5.1",
  "gpt-5.1-codex",
  "gpt-5.1-codex-mini",
  "gpt-5.1-codex-max",
  "gpt-5.2",
  "gpt-5.2-codex",
];

/** Codex CLI version named in the default `User-Agent`. */
export const CODEX_CLI_VERSION = "0.46.0";

/** Validate every option at once; throws one `[switchyard] [plugin:<name>]` error listing the problems. */
export function resolveOptions(name: string, options: CodexOAuthOptions): ResolvedCodexOptions {
  const problems = new OptionProblems();
  checkKnownOptions(options, KNOWN_OPTIONS, problems);
  const insecure = options.allowInsecureHttp === true;
  // A broken issuer is reported once; the URLs derived from it fall back to the real one.
  const issuer = parseBaseURL(options.issuer ?? CODEX_OAUTH_DEFAULTS.issuer, insecure, problems, "issuer") || CODEX_OAUTH_DEFAULTS.issuer;
  const resolved: ResolvedCodexOptions = {
    authorizeURL: parseBaseURL(options.authorizeURL ?? `${issuer}/oauth/authorize`, insecure, problems, "authorizeURL"),
    tokenURL: parseBaseURL(options.tokenURL ?? `${issuer}/oauth/token`, insecure, problems, "tokenURL"),
    baseURL: parseBaseURL(options.baseURL ?? CODEX_OAUTH_DEFAULTS.baseURL, options.allowInsecureHttp, problems),
    clientId: token(problems, "clientId", options.clientId ?? CODEX_OAUTH_DEFAULTS.clientId),
    redirectURI: parseBaseURL(options.redirectURI ?? CODEX_OAUTH_DEFAULTS.redirectURI, true, problems, "redirectURI"),
    scopes: scopes(problems, options.scopes),
    originator: token(problems, "originator", options.originator ?? CODEX_OAUTH_DEFAULTS.originator),
    userAgent: headerText(problems, "userAgent", options.userAgent ?? defaultUserAgent()),
    refreshAheadMs: duration(problems, "refreshAheadMs", options.refreshAheadMs, 300_000, 0),
    refreshSweepMs: duration(problems, "refreshSweepMs", options.refreshSweepMs, 300_000, 1000),
    instructions: typeof options.instructions === "string" ? options.instructions : "",
    models: parseModels(options.models, DEFAULT_CODEX_MODELS, problems),
    insecure,
  };
  if (options.instructions !== undefined && typeof options.instructions !== "string") problems.add("instructions", "a string (may be empty)", options.instructions);
  problems.throwIfAny(name);
  return resolved;
}

// --- internal ---

const KNOWN_OPTIONS = [
  "issuer", "authorizeURL", "tokenURL", "baseURL", "clientId", "redirectURI", "scopes", "originator",
  "userAgent", "refreshAheadMs", "refreshSweepMs", "instructions", "models", "allowInsecureHttp",
] as const;

function defaultUserAgent(): string {
  const clean = (text: string) => text.replace(/[^\x20-\x7e]/g, "").replace(/[();]/g, "") || "unknown";
  return `codex_cli_rs/${CODEX_CLI_VERSION} (${clean(type())} ${clean(release())}; ${clean(arch())}) switchyard`;
}

function token(problems: OptionProblems, option: string, value: unknown): string {
  if (typeof value !== "string" || !/^[\x21-\x7e]{1,200}$/.test(value)) problems.add(option, "a non-empty string without spaces", value);
  return String(value);
}

function headerText(problems: OptionProblems, option: string, value: unknown): string {
  if (typeof value !== "string" || !/^[\x20-\x7e]{1,500}$/.test(value) || value.trim() === "") problems.add(option, "non-empty printable ASCII text", value);
  return String(value);
}

function scopes(problems: OptionProblems, value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_SCOPES];
  if (!Array.isArray(value) || value.length === 0 || value.some((s) => typeof s !== "string" || !/^[\x21-\x7e]+$/.test(s))) {
    problems.add("scopes", "a non-empty array of scope names", value);
    return [];
  }
  return [...(value as string[])];
}

function duration(problems: OptionProblems, option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) problems.add(option, `a number of milliseconds >= ${min}`, value);
  return Number(value);
}
