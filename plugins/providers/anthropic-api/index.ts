import { checkKnownOptions, createKeyAccounts, defineProvider, type KeyAccounts, type KeyInput, OptionProblems, parseBaseURL, parseKeys, parseModels, type PluginContext, type Provider, type UpstreamRequest } from "switchyard";

export type { KeyInput } from "switchyard";

/** Options of the `anthropic-api` provider. */
export interface AnthropicApiOptions {
  /**
   * Console API keys; each is one account (`key-1`, `key-2`, … unless given an `id`).
   * `undefined` entries are allowed by the type so `process.env.X` fits, and refused at start.
   */
  keys: Array<KeyInput | undefined>;
  /** API origin (and optional path prefix). Default `https://api.anthropic.com`. */
  baseURL?: string;
  /** `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string;
  /** Model ids this provider serves. Default {@link DEFAULT_ANTHROPIC_MODELS}. */
  models?: string[];
  /** Allow a plain-http `baseURL` to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

/** Model ids served when `models` is not set (the SDK's current model aliases). */
export const DEFAULT_ANTHROPIC_MODELS: readonly string[] = [
  "claude-opus-5-5",
  "claude-sonnet-5-5",
  "claude-haiku-5-5",
  "claude-opus-5",
  "claude-sonnet-5",
  "claude-opus-4-8",
  "claude-opus-4-7",
  "claude-opus-4-6",
  "claude-sonnet-4-6",
  "claude-opus-4-5",
  "claude-sonnet-4-5",
  "claude-haiku-4-5",
];

/**
 * Anthropic Messages API with console API keys (`x-api-key`): `/v1/messages` (JSON and SSE)
 * and `/v1/messages/count_tokens`. Bodies pass through unchanged; only `anthropic-beta` is
 * forwarded from the client. A key the upstream refuses (401/403) disables its account.
 *
 * @example
 * providers: [anthropicApi({ keys: [process.env.ANTHROPIC_API_KEY] })]
 */
export const anthropicApi = defineProvider<AnthropicApiOptions>({
  name: "anthropic-api",
  setup(ctx, options) {
    const problems = new OptionProblems();
    checkKnownOptions(options, KNOWN_OPTIONS, problems);
    const keys = parseKeys(options.keys, problems);
    const baseURL = parseBaseURL(options.baseURL ?? DEFAULT_BASE_URL, options.allowInsecureHttp, problems);
    const version = options.anthropicVersion ?? DEFAULT_VERSION;
    if (typeof version !== "string" || !/^[\x21-\x7e]+$/.test(version)) problems.addText("anthropicVersion", 'a version such as "2023-06-01"', JSON.stringify(version));
    const models = parseModels(options.models, DEFAULT_ANTHROPIC_MODELS, problems);
    problems.throwIfAny(ctx.name);
    if (options.allowInsecureHttp && baseURL.startsWith("http:")) ctx.logger.warn(`sending API keys over plain http to ${baseURL} (allowInsecureHttp)`);

    const accounts = createKeyAccounts(ctx, keys);
    const post = (path: string, request: UpstreamRequest, body: Record<string, unknown>) =>
      postUpstream({ ctx, accounts, url: `${baseURL}${path}`, version, request, body });
    return {
      dialects: ["anthropic-messages"],
      models: () => models.map((id) => ({ id })),
      accounts: accounts.pool,
      send: (request) => post("/v1/messages", request, request.body),
      // count_tokens takes the create fields minus max_tokens and stream (protocols.md §1.8).
      countTokens: (request) => post("/v1/messages/count_tokens", request, omit(request.body, ["max_tokens", "stream"])),
    } satisfies Provider;
  },
});

export default anthropicApi;

// --- internal ---

const DEFAULT_BASE_URL = "https://api.anthropic.com";
const DEFAULT_VERSION = "2023-06-01";
const KNOWN_OPTIONS = ["keys", "baseURL", "anthropicVersion", "models", "allowInsecureHttp"] as const;
// The only client headers that reach Anthropic: they change what the API does, carry no identity.
const FORWARDED = ["anthropic-beta"] as const;

interface PostInput {
  ctx: PluginContext;
  accounts: KeyAccounts;
  url: string;
  version: string;
  request: UpstreamRequest;
  body: Record<string, unknown>;
}

async function postUpstream({ ctx, accounts, url, version, request, body }: PostInput): Promise<Response> {
  if (request.dialect !== "anthropic-messages") {
    throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider speaks anthropic-messages`);
  }
  const account = await accounts.pick(request.accountId);
  const headers = new Headers({ "content-type": "application/json", "anthropic-version": version });
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  headers.set("x-api-key", account.key);
  return ctx.http.fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: request.signal });
}

function omit(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !fields.includes(key)));
}
