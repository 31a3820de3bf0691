import { OptionProblems, checkKnownOptions, parseHttpUrl, registerSecret } from "switchyard";
import { isSafePath } from "./redirect.ts";

/** Options of the `linuxdo-connect` auth plugin. Every LinuxDO URL is an option with the real default. */
export interface LinuxDoConnectOptions {
  /** Client id of the application registered at Linux DO Connect. Required. */
  clientId: string;
  /** Client secret of that application (from the environment). Required; never logged. */
  clientSecret: string;
  /** Page the browser is sent to. Default `https://connect.linux.do/oauth2/authorize`. */
  authorizeURL?: string;
  /** Token endpoint of the code exchange. Default `https://connect.linux.do/oauth2/token`. */
  tokenURL?: string;
  /** User info endpoint. Default `https://connect.linux.do/api/user`. */
  userURL?: string;
  /**
   * The callback URL registered at Linux DO Connect, e.g. `https://gw.example.com/auth/linuxdo/callback`.
   * Default: the request's origin + `/auth/linuxdo/callback`. Set it behind a proxy that rewrites `Host`.
   */
  redirectURI?: string;
  /** Scope asked for; `""` leaves the parameter out. Default `"user"`. */
  scope?: string;
  /** How the token request authenticates the client: form fields or HTTP Basic. Default `"body"`. */
  clientAuth?: "body" | "basic";
  /** Refuse LinuxDO users below this trust level (0–4). Default 0. */
  minTrustLevel?: number;
  /** LinuxDO user ids (numbers or digit strings) who get the `admin` role. Default none. */
  admins?: Array<number | string>;
  /** Refuse LinuxDO users whose account is not active. Default true. */
  refuseInactive?: boolean;
  /** Refuse LinuxDO users who are silenced. Default false. */
  refuseSilenced?: boolean;
  /** Where a login without (or with an unsafe) `redirect` ends: a same-site path. Default `"/portal"`. */
  afterLogin?: string;
  /** Logins started per minute from one client address; 0 turns the limit off. Default 30. */
  loginsPerMinute?: number;
  /** Allow plain-http LinuxDO URLs to a host that is not loopback. Default false. */
  allowInsecureHttp?: boolean;
}

/** The options after validation, defaults applied. */
export interface ResolvedLinuxDoOptions {
  clientId: string;
  clientSecret: string;
  authorizeURL: string;
  tokenURL: string;
  userURL: string;
  redirectURI: string | undefined;
  scope: string;
  clientAuth: "body" | "basic";
  minTrustLevel: number;
  /** Admin LinuxDO ids as decimal strings. */
  admins: ReadonlySet<string>;
  refuseInactive: boolean;
  refuseSilenced: boolean;
  afterLogin: string;
  loginsPerMinute: number;
}

/** Real Linux DO Connect endpoints (protocols.md §6). */
export const LINUXDO_DEFAULTS = {
  authorizeURL: "https://connect.linux.do/oauth2/authorize",
  tokenURL: "https://connect.linux.do/oauth2/token",
  userURL: "https://connect.linux.do/api/user",
  scope: "user",
  clientAuth: "body",
  minTrustLevel: 0,
  refuseInactive: true,
  refuseSilenced: false,
  afterLogin: "/portal",
  loginsPerMinute: 30,
} as const;

/** Validate every option at once; throws one `[switchyard] [plugin:<name>]` error listing the problems. */
export function resolveOptions(name: string, input: LinuxDoConnectOptions): ResolvedLinuxDoOptions {
  const options = (input ?? {}) as Partial<LinuxDoConnectOptions>;
  const problems = new OptionProblems();
  checkKnownOptions(options, KNOWN_OPTIONS, problems);
  const insecure = options.allowInsecureHttp ?? false;
  if (typeof insecure !== "boolean") problems.addText("allowInsecureHttp", "a boolean", shown(insecure));
  const allowInsecureHttp = insecure === true;
  const d = LINUXDO_DEFAULTS;
  const resolved: ResolvedLinuxDoOptions = {
    clientId: clientId(options.clientId, problems),
    clientSecret: clientSecret(options.clientSecret, problems),
    authorizeURL: parseHttpUrl(options.authorizeURL ?? d.authorizeURL, { name: "authorizeURL", allowInsecureHttp, allowQuery: true }, problems),
    tokenURL: parseHttpUrl(options.tokenURL ?? d.tokenURL, { name: "tokenURL", allowInsecureHttp }, problems),
    userURL: parseHttpUrl(options.userURL ?? d.userURL, { name: "userURL", allowInsecureHttp }, problems),
    redirectURI: options.redirectURI === undefined ? undefined : parseHttpUrl(options.redirectURI, { name: "redirectURI", allowInsecureHttp }, problems),
    scope: scope(options.scope ?? d.scope, problems),
    clientAuth: oneOf("clientAuth", options.clientAuth ?? d.clientAuth, ["body", "basic"] as const, problems),
    minTrustLevel: integer("minTrustLevel", options.minTrustLevel ?? d.minTrustLevel, 0, 4, problems),
    admins: admins(options.admins, problems),
    refuseInactive: flag("refuseInactive", options.refuseInactive ?? d.refuseInactive, problems),
    refuseSilenced: flag("refuseSilenced", options.refuseSilenced ?? d.refuseSilenced, problems),
    afterLogin: path("afterLogin", options.afterLogin ?? d.afterLogin, problems),
    loginsPerMinute: integer("loginsPerMinute", options.loginsPerMinute ?? d.loginsPerMinute, 0, 1_000_000, problems),
  };
  problems.throwIfAny(name);
  return resolved;
}

// --- internal ---

const KNOWN_OPTIONS = [
  "clientId", "clientSecret", "authorizeURL", "tokenURL", "userURL", "redirectURI", "scope", "clientAuth",
  "minTrustLevel", "admins", "refuseInactive", "refuseSilenced", "afterLogin", "loginsPerMinute", "allowInsecureHttp",
] as const;
const TOKEN = /^[\x21-\x7e]{1,200}$/;

const shown = (value: unknown) => (typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : (JSON.stringify(value) ?? typeof value));

function clientId(value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || !TOKEN.test(value)) {
    problems.addText("clientId", "the client id from Linux DO Connect (1 to 200 characters, no spaces)", value === undefined ? "nothing (is the environment variable set?)" : shown(value));
  }
  return String(value);
}

// The secret is registered with the redactor before anything else, and never echoed.
function clientSecret(value: unknown, problems: OptionProblems): string {
  registerSecret(value);
  if (typeof value !== "string" || !TOKEN.test(value)) {
    const got = value === undefined ? "nothing (is the environment variable set?)" : typeof value === "string" ? (value === "" ? "an empty string" : "a string with spaces or control characters (value hidden)") : `a ${typeof value} (value hidden)`;
    problems.addText("clientSecret", "the client secret from Linux DO Connect (1 to 200 characters, no spaces)", got);
  }
  return typeof value === "string" ? value : "";
}

function scope(value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || !/^([\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*)?$/.test(value)) {
    problems.addText("scope", 'space-separated scope names, or "" to leave the parameter out', shown(value));
    return "";
  }
  return value;
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], problems: OptionProblems): T {
  if (!allowed.includes(value as T)) problems.addText(key, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, shown(value));
  return allowed.includes(value as T) ? (value as T) : allowed[0]!;
}

function integer(key: string, value: unknown, min: number, max: number, problems: OptionProblems): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) problems.addText(key, `an integer from ${min} to ${max}`, shown(value));
  return Number(value);
}

function flag(key: string, value: unknown, problems: OptionProblems): boolean {
  if (typeof value !== "boolean") problems.addText(key, "a boolean", shown(value));
  return value === true;
}

function path(key: string, value: unknown, problems: OptionProblems): string {
  if (typeof value !== "string" || !isSafePath(value) || value.includes("#")) problems.addText(key, 'a same-site path starting with a single "/" (no scheme, host, fragment, backslash or control characters)', shown(value));
  return String(value);
}

function admins(value: unknown, problems: OptionProblems): Set<string> {
  const out = new Set<string>();
  if (value === undefined) return out;
  if (!Array.isArray(value)) {
    problems.addText("admins", "an array of LinuxDO user ids (numbers or digit strings)", shown(value));
    return out;
  }
  for (const [index, id] of value.entries()) {
    const text = typeof id === "number" && Number.isSafeInteger(id) && id >= 0 ? String(id) : typeof id === "string" && /^\d{1,15}$/.test(id) ? String(Number(id)) : undefined;
    if (text === undefined) problems.addText(`admins[${index}]`, "a LinuxDO user id (a whole number, or a string of digits)", shown(id));
    else out.add(text);
  }
  return out;
}
