// Helpers for providers whose accounts are static API keys (anthropic-api, openai-compatible,
// third-party ones): option parsing and the account pool over the plugin's storage.
import { ConfigIssues, describeValue } from "./config/issues.ts";
import { overloaded } from "./errors.ts";
import { registerSecret } from "./redact.ts";
import { storageKey } from "./storage.ts";
import type { PluginContext } from "./types/plugin.ts";
import type { AccountPool, AccountSummary } from "./types/provider.ts";

/** One upstream API key as an operator writes it: the key, or the key with details. */
export type KeyInput =
  | string
  | {
      /** Account id shown to operators and used by the scheduler; default `key-<n>` (1-based). */
      id?: string;
      /** Display name; defaults to the id. */
      name?: string;
      /** The API key. */
      key: string;
      /** Scheduling priority (lower is tried first). */
      priority?: number;
    };

/** A validated key account. `key` never leaves the plugin except in the upstream header. */
export interface KeyAccount {
  id: string;
  name: string;
  key: string;
  priority?: number;
}

/** The accounts of an API-key provider. */
export interface KeyAccounts {
  /** `list` and `onAuthFailure` for the provider's `accounts`. */
  pool: Required<Omit<AccountPool, "admin">>;
  /** The scheduler's account, or without one the first active account in config order. */
  pick(accountId: string | undefined): Promise<KeyAccount>;
}

/**
 * A plugin's option problems: the core's `ConfigIssues` (same `path: expected …, got …` lines),
 * thrown once as `[switchyard] [plugin:<name>] …` with a fix hint.
 */
export class OptionProblems extends ConfigIssues {
  /** Throw one error listing every problem, if there is any. */
  override throwIfAny(plugin = "unknown"): void {
    if (this.lines.length === 0) return;
    const list = this.lines.map((line) => `  ${line}`).join("\n");
    throw new Error(`[switchyard] [plugin:${plugin}] ${this.lines.length} problem(s) in the options:\n${list}\nFix them where the provider is listed in gateway.config.ts.`);
  }
}

/** Report option keys that are not in `known` (a typo such as `baseUrl` must not fall back to a default). */
export function checkKnownOptions(options: object, known: readonly string[], problems: OptionProblems): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) problems.addText(key, `one of ${known.join(", ")}`, "an unknown option");
  }
}

/** Validate `keys` into accounts and register every key with the redactor. */
export function parseKeys(value: unknown, problems: OptionProblems): KeyAccount[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.addText("keys", "a non-empty array of API keys", Array.isArray(value) ? "an empty array" : describeValue(value));
    return [];
  }
  const accounts: KeyAccount[] = [];
  const seen = new Map<string, number>();
  for (const [index, entry] of value.entries()) {
    const path = `keys[${index}]`;
    const item: Record<string, unknown> = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>) : { key: entry };
    const keyPath = typeof entry === "object" && entry !== null ? `${path}.key` : path;
    const key = item.key;
    if (typeof key !== "string" || key === "") {
      problems.addText(keyPath, "a non-empty API key", key === undefined ? "nothing (is the environment variable set?)" : key === "" ? "an empty string" : describeValue(key, true));
      continue;
    }
    registerSecret(key);
    if (/[\s\p{Cc}]/u.test(key)) {
      problems.addText(keyPath, "a key without spaces, line breaks or control characters", "a string with some (value hidden)");
      continue;
    }
    const id = item.id ?? `key-${index + 1}`;
    if (typeof id !== "string" || !ID_RE.test(id)) problems.addText(`${path}.id`, "letters, digits, '.', '_' or '-' (at most 64)", describeValue(id));
    if (item.name !== undefined && (typeof item.name !== "string" || item.name === "")) problems.addText(`${path}.name`, "a non-empty string", describeValue(item.name));
    if (item.priority !== undefined && (typeof item.priority !== "number" || !Number.isFinite(item.priority))) {
      problems.addText(`${path}.priority`, "a finite number", describeValue(item.priority));
    }
    const first = seen.get(key);
    if (first !== undefined) problems.addText(keyPath, "each key once", `the same key as keys[${first}]`);
    seen.set(key, index);
    if (accounts.some((a) => a.id === String(id))) problems.addText(`${path}.id`, "a unique account id", `${describeValue(id)} again`);
    const priority = typeof item.priority === "number" ? { priority: item.priority } : {};
    accounts.push({ id: String(id), name: typeof item.name === "string" ? item.name : String(id), key, ...priority });
  }
  return accounts;
}

/** How {@link parseHttpUrl} checks one URL option. */
export interface HttpUrlOptions {
  /** The option's name in problem lines. Default `"baseURL"`. */
  name?: string;
  /** Allow plain http to a host that is not loopback (only `true` does). Default false. */
  allowInsecureHttp?: unknown;
  /** Allow a query (e.g. an authorize page's fixed parameters); never echoed. Default false. */
  allowQuery?: boolean;
}

/**
 * Validate one URL option: http(s), no credentials, fragment or (unless `allowQuery`) query;
 * plain http only to a loopback host unless `allowInsecureHttp`. Problems name `name` and never
 * echo the userinfo, query or fragment. Returns the normalized URL (`""` when it does not parse).
 *
 * @example tokenURL: parseHttpUrl(options.tokenURL ?? DEFAULT_TOKEN_URL, { name: "tokenURL", allowInsecureHttp }, problems)
 */
export function parseHttpUrl(value: unknown, options: HttpUrlOptions, problems: OptionProblems): string {
  const { name = "baseURL", allowInsecureHttp, allowQuery = false } = options;
  const expected = `an http(s) URL without credentials${allowQuery ? "" : ", query"} or fragment`;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    problems.addText(name, expected, typeof value === "string" ? "a string that is not a URL" : describeValue(value));
    return "";
  }
  // Never echo a query, fragment or userinfo: they may carry a key.
  const shown = JSON.stringify(`${url.protocol}//${url.host}${url.pathname}`);
  if (typeof value !== "string" || !["http:", "https:"].includes(url.protocol)) {
    problems.addText(name, expected, typeof value === "string" ? `a URL with protocol ${url.protocol}` : describeValue(value));
  } else if (url.username || url.password || url.hash || (url.search && !allowQuery)) {
    problems.addText(name, expected, `${shown} with credentials, a query or a fragment (hidden)`);
  } else if (url.protocol === "http:" && !LOOPBACK.test(url.hostname) && allowInsecureHttp !== true) {
    problems.addText(name, "https (plain http only to a loopback host, or with allowInsecureHttp: true)", shown);
  }
  return url.href;
}

/**
 * Validate a base URL option (see {@link parseHttpUrl}; no query) and `allowInsecureHttp`
 * (a boolean when set). Returns it without trailing slashes. `name` defaults to `"baseURL"`.
 */
export function parseBaseURL(value: unknown, allowInsecureHttp: unknown, problems: OptionProblems, name = "baseURL"): string {
  const url = parseHttpUrl(value, { name, allowInsecureHttp }, problems);
  if (allowInsecureHttp !== undefined && typeof allowInsecureHttp !== "boolean") problems.addText("allowInsecureHttp", "a boolean", describeValue(allowInsecureHttp));
  return url.replace(/\/+$/, "");
}

/** Validate an optional list of model ids. */
export function parseModels(value: unknown, fallback: readonly string[], problems: OptionProblems): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.some((m) => typeof m !== "string" || m === "")) {
    problems.addText("models", "an array of model ids", describeValue(value));
    return [];
  }
  return [...(value as string[])];
}

/**
 * Account pool over validated keys. An account is `active` unless an auth failure disabled
 * it; the state lives in `ctx.storage` with a keyed hash of the key, so replacing a key in the
 * config brings its account back. API keys cannot refresh: `onAuthFailure` always resolves false.
 */
export function createKeyAccounts(ctx: PluginContext, accounts: readonly KeyAccount[]): KeyAccounts {
  const fingerprint = (account: KeyAccount) => ctx.secrets.hash(account.key, "api-key-account");
  let cache: { at: number; list: AccountSummary[] } | undefined;

  async function list(): Promise<AccountSummary[]> {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache.list.map((a) => ({ ...a }));
    const states = await Promise.all(accounts.map((a) => ctx.storage.get<StoredState>(storageKey("accounts", a.id))));
    const summaries = accounts.map((account, i): AccountSummary => {
      const state = states[i];
      const current = state && state.keyHash === fingerprint(account) ? state : undefined;
      return {
        id: account.id,
        name: account.name,
        status: current?.status ?? "active",
        ...(account.priority === undefined ? {} : { priority: account.priority }),
        ...(current ? { lastError: current.lastError } : {}),
      };
    });
    cache = { at: Date.now(), list: summaries };
    return summaries.map((a) => ({ ...a }));
  }

  async function onAuthFailure(accountId: string, status: number): Promise<boolean> {
    const account = accounts.find((a) => a.id === accountId);
    if (!account) return false;
    const lastError = `upstream refused the key (${status})`;
    const state: StoredState = { status: "disabled", lastError, keyHash: fingerprint(account), at: Date.now() };
    await ctx.storage.set(storageKey("accounts", account.id), state);
    cache = undefined;
    ctx.logger.warn(`account ${account.id} disabled: ${lastError}; replace the key in the config to enable it again`);
    return false;
  }

  async function pick(accountId: string | undefined): Promise<KeyAccount> {
    if (accountId !== undefined) {
      const account = accounts.find((a) => a.id === accountId);
      if (!account) throw new Error(`[switchyard] [plugin:${ctx.name}] unknown account ${JSON.stringify(accountId)}`);
      return account;
    }
    const active = (await list()).find((a) => a.status === "active");
    const account = active && accounts.find((a) => a.id === active.id);
    if (!account) throw overloaded(`${ctx.name}: every API key is disabled`, 60);
    return account;
  }

  return { pool: { list, onAuthFailure }, pick };
}

// --- internal ---

interface StoredState {
  status: AccountSummary["status"];
  lastError: string;
  /** Keyed hash of the key the state belongs to. */
  keyHash: string;
  at: number;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
// Another instance's auth failure shows here within this long; our own at once.
const CACHE_MS = 1000;

