import { checkKnownOptions, createKeyAccounts, defineProvider, type Dialect, type GatewayPlugin, type KeyAccounts, type KeyInput, OptionProblems, parseBaseURL, parseKeys, parseModels, type PluginContext, type Provider, type UpstreamRequest } from "switchyard";

export type { KeyInput } from "switchyard";

/** Wire dialects an OpenAI-compatible upstream can speak. */
export type OpenAICompatibleDialect = Extract<Dialect, "openai-chat" | "openai-responses">;

/** Options of an `openai-compatible` provider. */
export interface OpenAICompatibleOptions {
  /** Plugin name, so several upstreams can be configured (`openrouter`, `deepseek`, …). Default `openai-compatible`. */
  name?: string;
  /** API base including the version path, e.g. `https://api.openai.com/v1` or `https://openrouter.ai/api/v1`. */
  baseURL: string;
  /**
   * API keys sent as `Authorization: Bearer`; each is one account (`key-1`, `key-2`, … unless
   * given an `id`). `undefined` entries are allowed by the type so `process.env.X` fits, and refused at start.
   */
  keys: Array<KeyInput | undefined>;
  /** Model ids this provider serves. Default none (route to it with `routes`). */
  models?: string[];
  /** Endpoints the upstream has: `openai-chat` → `/chat/completions`, `openai-responses` → `/responses`. Default `["openai-chat"]`. */
  dialects?: OpenAICompatibleDialect[];
  /** Static headers sent on every call, e.g. OpenRouter's `HTTP-Referer` and `X-Title`. */
  headers?: Record<string, string>;
  /** Allow a plain-http `baseURL` to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

/** The provider under its default name; {@link openaiCompatible} applies the `name` option. */
export const openaiCompatibleProvider = defineProvider<OpenAICompatibleOptions>({
  name: "openai-compatible",
  setup(ctx, options) {
    const problems = new OptionProblems();
    checkKnownOptions(options, KNOWN_OPTIONS, problems);
    if (options.baseURL === undefined) problems.addText("baseURL", "the API base URL, e.g. https://api.openai.com/v1", "nothing");
    const baseURL = options.baseURL === undefined ? "" : parseBaseURL(options.baseURL, options.allowInsecureHttp, problems);
    const keys = parseKeys(options.keys, problems);
    const models = parseModels(options.models, [], problems);
    const dialects = parseDialects(options.dialects, problems);
    const headers = parseHeaders(options.headers, problems);
    problems.throwIfAny(ctx.name);
    if (options.allowInsecureHttp && baseURL.startsWith("http:")) ctx.logger.warn(`sending API keys over plain http to ${baseURL} (allowInsecureHttp)`);

    const accounts = createKeyAccounts(ctx, keys);
    const send = (request: UpstreamRequest) => postUpstream({ ctx, accounts, baseURL, dialects, headers, request });
    return { dialects, models: () => models.map((id) => ({ id })), accounts: accounts.pool, send } satisfies Provider;
  },
});

/**
 * An OpenAI-compatible upstream (OpenAI, OpenRouter, DeepSeek, vLLM, …) with API keys.
 * Call it once per upstream; `name` keeps their storage, logs and routes apart.
 *
 * @example
 * providers: [openaiCompatible({ name: "openrouter", baseURL: "https://openrouter.ai/api/v1", keys: [process.env.OPENROUTER_API_KEY] })]
 */
export function openaiCompatible(options: OpenAICompatibleOptions): GatewayPlugin<"provider"> {
  const plugin = openaiCompatibleProvider(options);
  return options.name === undefined ? plugin : { ...plugin, name: options.name };
}

export default openaiCompatible;

// --- internal ---

const KNOWN_OPTIONS = ["name", "baseURL", "keys", "models", "dialects", "headers", "allowInsecureHttp"] as const;
const PATHS: Record<OpenAICompatibleDialect, string> = { "openai-chat": "/chat/completions", "openai-responses": "/responses" };
// Set by the provider itself (credentials, framing); a static header may not replace them.
const RESERVED = new Set(["authorization", "proxy-authorization", "x-api-key", "cookie", "host", "content-type", "content-length", "transfer-encoding", "connection"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseDialects(value: unknown, problems: OptionProblems): OpenAICompatibleDialect[] {
  if (value === undefined) return ["openai-chat"];
  const valid = Array.isArray(value) && value.length > 0 && value.every((d) => Object.hasOwn(PATHS, d)) && new Set(value).size === value.length;
  if (!valid) problems.addText("dialects", 'a non-empty list of "openai-chat" and/or "openai-responses", each once', JSON.stringify(value) ?? String(value));
  return valid ? (value as OpenAICompatibleDialect[]) : [];
}

function parseHeaders(value: unknown, problems: OptionProblems): Array<[string, string]> {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.addText("headers", "an object of header names to string values", Array.isArray(value) ? "an array" : typeof value);
    return [];
  }
  const out: Array<[string, string]> = [];
  for (const [name, text] of Object.entries(value)) {
    if (!TOKEN.test(name)) problems.addText(`headers.${name}`, "a valid header name", "an invalid one");
    else if (RESERVED.has(name.toLowerCase())) problems.addText(`headers.${name}`, "a header the provider does not set itself", "a reserved header");
    // Values are not echoed: a static header may carry a secret.
    else if (typeof text !== "string" || !/^[\t\x20-\x7e\x80-\xff]*$/.test(text)) problems.addText(`headers.${name}`, "a string without line breaks or control characters", "something else (value hidden)");
    else out.push([name, text]);
  }
  return out;
}

interface PostInput {
  ctx: PluginContext;
  accounts: KeyAccounts;
  baseURL: string;
  dialects: readonly OpenAICompatibleDialect[];
  headers: ReadonlyArray<[string, string]>;
  request: UpstreamRequest;
}

async function postUpstream({ ctx, accounts, baseURL, dialects, headers: fixed, request }: PostInput): Promise<Response> {
  const dialect = request.dialect as OpenAICompatibleDialect;
  if (!dialects.includes(dialect)) {
    throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider is configured for ${dialects.join(", ")}`);
  }
  const account = await accounts.pick(request.accountId);
  // No client header is forwarded: OpenAI-Organization/-Project belong to the operator's key.
  const headers = new Headers(fixed as Array<[string, string]>);
  headers.set("content-type", "application/json");
  headers.set("authorization", `Bearer ${account.key}`);
  return ctx.http.fetch(`${baseURL}${PATHS[dialect]}`, { method: "POST", headers, body: JSON.stringify(request.body), signal: request.signal });
}
