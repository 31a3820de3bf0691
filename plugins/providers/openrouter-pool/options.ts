// Options of the openrouter-pool provider: what an operator writes, and the validated form.
import { type KeyAccount, type KeyInput, OptionProblems, checkKnownOptions, parseBaseURL, parseKeys, parseModels, registerSecret } from "switchyard";

/** How the pool chooses among its active keys for a new request. */
export type Selection = "random" | "round-robin" | "least-used";

/** When OpenRouter resets a key's credit limit (midnight UTC; weeks run Monday–Sunday). */
export type LimitReset = "daily" | "weekly" | "monthly";

/** Scheduled key rotation (needs `managementKey`). */
export interface RotationOptions {
  /** Create a fresh key, move traffic to it and delete the previous one this often (ms, at least 1000). */
  everyMs: number;
  /** Credit limit of each rotated key in USD. Default none (unlimited). */
  creditLimitUsd?: number;
  /** When that limit resets. Default `null` (never). */
  limitReset?: LimitReset | null;
}

/** Options of the `openrouter-pool` provider. */
export interface OpenRouterPoolOptions {
  /** API base including `/api/v1`. Default `https://openrouter.ai/api/v1`. */
  baseURL?: string;
  /**
   * Inference keys (`sk-or-v1-…`); each is one account (`key-1`, `key-2`, … unless given an
   * `id`). May be empty or absent when a `managementKey` creates keys or an operator adds them.
   * `undefined` entries are allowed by the type so `process.env.X` fits, and refused at start.
   */
  keys?: Array<KeyInput | undefined>;
  /** A management ("provisioning") key: lets the pool create, list, delete and rotate keys. */
  managementKey?: string;
  /** How a new request picks among active keys. Default `least-used`. */
  selection?: Selection;
  /** Your app's URL, sent as `HTTP-Referer` (OpenRouter attribution). Default none. */
  referer?: string;
  /** Your app's name, sent as `X-Title` and `X-OpenRouter-Title`. Default none. */
  title?: string;
  /** Model ids this provider serves (what `/v1/models` lists). Default {@link DEFAULT_OPENROUTER_MODELS}. */
  models?: string[];
  /** Scheduled rotation through the management API. Default off. */
  rotation?: RotationOptions;
  /** How often a key taken out by a 402 (no credits) is checked again with `GET /key`. Default 10 min. */
  outOfCreditsRecheckMs?: number;
  /** Allow a plain-http `baseURL` to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

/** Model ids listed when `models` is not set; any OpenRouter id can be routed to the pool. */
export const DEFAULT_OPENROUTER_MODELS: readonly string[] = [
  "anthropic/claude-sonnet-4.5",
  "anthropic/claude-haiku-4.5",
  "openai/gpt-4o",
  "openai/gpt-4o-mini",
  "google/gemini-2.5-flash",
];

/** The options after validation. */
export interface ResolvedPoolOptions {
  baseURL: string;
  keys: KeyAccount[];
  managementKey: string | undefined;
  selection: Selection;
  /** Attribution headers, in order. */
  attribution: Array<[string, string]>;
  models: string[];
  rotation: { everyMs: number; creditLimitUsd: number | undefined; limitReset: LimitReset | null } | undefined;
  recheckMs: number;
}

/** Validate every option at once; throws one `[switchyard] [plugin:<name>]` error listing all problems. */
export function resolvePoolOptions(name: string, options: OpenRouterPoolOptions): ResolvedPoolOptions {
  const problems = new OptionProblems();
  checkKnownOptions(options, KNOWN_OPTIONS, problems);
  const baseURL = parseBaseURL(options.baseURL ?? DEFAULT_BASE_URL, options.allowInsecureHttp, problems);
  const keys = options.keys === undefined || (Array.isArray(options.keys) && options.keys.length === 0) ? [] : parseKeys(options.keys, problems);
  for (const [index, entry] of (Array.isArray(options.keys) ? options.keys : []).entries()) {
    if (typeof entry === "object" && entry !== null && entry.priority !== undefined) {
      problems.addText(`keys[${index}].priority`, "no priority (the pool orders its keys by `selection`)", "a priority");
    }
  }
  const managementKey = parseManagementKey(options.managementKey, keys, problems);
  const selection = options.selection ?? "least-used";
  if (!SELECTIONS.includes(selection)) problems.add("selection", `one of ${SELECTIONS.map((s) => JSON.stringify(s)).join(", ")}`, selection);
  const attribution: Array<[string, string]> = [];
  for (const [field, headers] of [["referer", ["HTTP-Referer"]], ["title", ["X-Title", "X-OpenRouter-Title"]]] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || value.trim() === "" || !HEADER_VALUE.test(value)) problems.add(field, "a non-empty string without line breaks, control or non-Latin-1 characters", value);
    else for (const header of headers) attribution.push([header, value.trim()]);
  }
  const models = parseModels(options.models, DEFAULT_OPENROUTER_MODELS, problems);
  const rotation = parseRotation(options.rotation, managementKey, problems);
  const recheckMs = options.outOfCreditsRecheckMs ?? DEFAULT_RECHECK_MS;
  if (typeof recheckMs !== "number" || !Number.isInteger(recheckMs) || recheckMs < 1000) problems.add("outOfCreditsRecheckMs", "an integer number of ms, at least 1000", recheckMs);
  problems.throwIfAny(name);
  return { baseURL, keys, managementKey, selection, attribution, models, rotation, recheckMs };
}

// --- internal ---

const DEFAULT_BASE_URL = "https://openrouter.ai/api/v1";
const DEFAULT_RECHECK_MS = 600_000;
const SELECTIONS: readonly Selection[] = ["random", "round-robin", "least-used"];
const LIMIT_RESETS: ReadonlyArray<LimitReset | null> = ["daily", "weekly", "monthly", null];
const KNOWN_OPTIONS = ["baseURL", "keys", "managementKey", "selection", "referer", "title", "models", "rotation", "outOfCreditsRecheckMs", "allowInsecureHttp"] as const;
const ROTATION_KEYS = ["everyMs", "creditLimitUsd", "limitReset"];
// Latin-1 printable (what a Headers value may hold), tabs allowed.
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]+$/;

function parseManagementKey(value: unknown, keys: readonly KeyAccount[], problems: OptionProblems): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    problems.add("managementKey", "a non-empty management key", value, { secret: true });
    return undefined;
  }
  registerSecret(value);
  if (/[\s\p{Cc}]/u.test(value)) problems.addText("managementKey", "a key without spaces, line breaks or control characters", "a string with some (value hidden)");
  const same = keys.findIndex((k) => k.key === value);
  if (same >= 0) problems.addText("managementKey", "a key that is not also in `keys` (management keys cannot call completions)", `the same key as keys[${same}]`);
  return value;
}

function parseRotation(value: unknown, managementKey: string | undefined, problems: OptionProblems): ResolvedPoolOptions["rotation"] {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.add("rotation", "an object such as { everyMs: 86_400_000 }", value);
    return undefined;
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!ROTATION_KEYS.includes(key)) problems.addText(`rotation.${key}`, `one of ${ROTATION_KEYS.join(", ")}`, "an unknown option");
  if (managementKey === undefined) problems.addText("rotation", "a managementKey next to it (rotation creates and deletes keys)", "no managementKey");
  const { everyMs, creditLimitUsd, limitReset = null } = input;
  if (typeof everyMs !== "number" || !Number.isInteger(everyMs) || everyMs < 1000) problems.add("rotation.everyMs", "an integer number of ms, at least 1000", everyMs);
  if (creditLimitUsd !== undefined && (typeof creditLimitUsd !== "number" || !Number.isFinite(creditLimitUsd) || creditLimitUsd <= 0)) {
    problems.add("rotation.creditLimitUsd", "a positive number of USD", creditLimitUsd);
  }
  if (!LIMIT_RESETS.includes(limitReset as LimitReset | null)) problems.add("rotation.limitReset", '"daily", "weekly", "monthly" or null', limitReset);
  return {
    everyMs: everyMs as number,
    creditLimitUsd: creditLimitUsd as number | undefined,
    limitReset: (limitReset ?? null) as LimitReset | null,
  };
}
