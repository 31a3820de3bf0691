import { OptionProblems, checkKnownOptions, parseBaseURL, registerSecret } from "switchyard";

/** Options of the `new-api-binding` plugin. */
export interface NewApiBindingOptions {
  /** Origin of the new-api server (e.g. `https://newapi.example.com`); https unless loopback. */
  baseURL: string;
  /** System access token of a new-api admin or root user (`GET /api/user/token`); read it from the environment. */
  adminToken: string;
  /** Numeric new-api id of the user who owns `adminToken` (sent as `New-Api-User`). */
  adminUserId: number | string;
  /** Give up on a new-api call after this long. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** Identity provider whose subject is the LinuxDO user id. Default `linuxdo`. */
  linuxdoProvider?: string;
  /**
   * Confirms the new-api server supports `POST /api/user/manage` with `action: "add_quota"`
   * (an atomic increment). Required (`true`) when `donation` is set: older servers silently
   * rewrite the whole user row for an unknown action. Default false.
   */
  addQuota?: boolean;
  /** Turn on donations of upstream accounts for new-api quota. Default off. */
  donation?: {
    /** Quota credited per validated donation, in new-api units (500,000 = 1 USD). */
    quotaAmount: number;
    /** Providers users may donate accounts of. Default `["claude-oauth", "codex-oauth"]`. */
    providers?: string[];
  };
  /** Allow plain http to a host that is not loopback. Default false. */
  allowInsecureHttp?: boolean;
}

/** The options after validation, defaults applied. */
export interface ResolvedOptions {
  baseURL: string;
  adminToken: string;
  adminUserId: number;
  requestTimeoutMs: number;
  linuxdoProvider: string;
  donation: { quotaAmount: number; providers: string[] } | undefined;
}

/** Default of `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default of `donation.providers`. */
export const DEFAULT_DONATION_PROVIDERS: readonly string[] = ["claude-oauth", "codex-oauth"];
/** Largest `donation.quotaAmount` accepted: 1,000,000 USD. */
export const MAX_QUOTA_AMOUNT = 500_000 * 1_000_000;

/** Validate every option at once; throws one `[switchyard] [plugin:<name>]` error listing the problems. */
export function resolveOptions(name: string, options: NewApiBindingOptions): ResolvedOptions {
  const problems = new OptionProblems();
  const input = (options ?? {}) as NewApiBindingOptions;
  checkKnownOptions(input, KNOWN, problems);
  const baseURL = input.baseURL === undefined ? missing(problems, "baseURL", "the new-api origin, e.g. https://newapi.example.com") : parseBaseURL(input.baseURL, input.allowInsecureHttp, problems);
  const resolved: ResolvedOptions = {
    baseURL,
    adminToken: adminToken(input.adminToken, problems),
    adminUserId: userId(input.adminUserId, problems),
    requestTimeoutMs: integer(problems, "requestTimeoutMs", input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 100, 120_000),
    linuxdoProvider: provider(problems, "linuxdoProvider", input.linuxdoProvider ?? "linuxdo"),
    donation: donation(input, problems),
  };
  problems.throwIfAny(name);
  return resolved;
}

// --- internal ---

const KNOWN = ["baseURL", "adminToken", "adminUserId", "requestTimeoutMs", "linuxdoProvider", "addQuota", "donation", "allowInsecureHttp"] as const;
const PLACEHOLDER = /change[-_ ]?(me|this)|your[-_ ]|placeholder|example|^x+$/i;

function missing(problems: OptionProblems, path: string, expected: string): string {
  problems.addText(path, expected, "nothing (is the environment variable set?)");
  return "";
}

function adminToken(value: unknown, problems: OptionProblems): string {
  if (value === undefined || value === "") return missing(problems, "adminToken", "the new-api admin's system access token");
  if (typeof value !== "string") {
    problems.add("adminToken", "a string", value, { secret: true });
    return "";
  }
  registerSecret(value);
  registerSecret(value.replace(/^Bearer\s+/i, ""));
  const token = value.replace(/^Bearer\s+/i, "");
  if (token.length < 16 || /[\s\p{Cc}]/u.test(token) || PLACEHOLDER.test(token)) {
    problems.addText("adminToken", "the real access token (at least 16 characters, no spaces, not a placeholder)", "a string that is not one (value hidden)");
  }
  return token;
}

function userId(value: unknown, problems: OptionProblems): number {
  const n = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    problems.add("adminUserId", "the admin's numeric new-api user id (a positive integer)", value);
    return 0;
  }
  return n;
}

function integer(problems: OptionProblems, path: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) problems.add(path, `an integer from ${min} to ${max}`, value);
  return Number(value);
}

function provider(problems: OptionProblems, path: string, value: unknown): string {
  if (typeof value !== "string" || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(value)) problems.add(path, "a provider name (lowercase letters, digits and dashes)", value);
  return String(value);
}

function donation(input: NewApiBindingOptions, problems: OptionProblems): ResolvedOptions["donation"] {
  if (input.addQuota !== undefined && typeof input.addQuota !== "boolean") problems.add("addQuota", "a boolean", input.addQuota);
  const value: unknown = input.donation;
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.add("donation", "an object like { quotaAmount: 500000 }", value);
    return undefined;
  }
  const d = value as Record<string, unknown>;
  for (const key of Object.keys(d)) if (key !== "quotaAmount" && key !== "providers") problems.addText(`donation.${key}`, "one of quotaAmount, providers", "an unknown option");
  if (input.addQuota !== true) {
    problems.add("addQuota", "true when donation is set (confirm your new-api supports POST /api/user/manage add_quota; older servers silently rewrite the user row)", input.addQuota);
  }
  const quotaAmount = integer(problems, "donation.quotaAmount", d.quotaAmount, 1, MAX_QUOTA_AMOUNT);
  const list = d.providers ?? DEFAULT_DONATION_PROVIDERS;
  if (!Array.isArray(list) || list.length === 0 || list.some((p) => typeof p !== "string" || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(p))) {
    problems.add("donation.providers", "a non-empty array of provider names", list);
    return { quotaAmount, providers: [] };
  }
  return { quotaAmount, providers: [...new Set(list as string[])] };
}
