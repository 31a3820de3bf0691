import {
  OptionProblems,
  checkKnownOptions,
  createKeyAccounts,
  defineProvider,
  parseBaseURL,
  parseKeys,
  parseModels,
  type KeyAccounts,
  type KeyInput,
  type PluginContext,
  type Provider,
  type UpstreamRequest,
} from "switchyard";
import { toChatStream } from "./stream.ts";
import { UnsupportedRequest, toGeminiRequest } from "./translate-request.ts";
import { chatError, isRecord, toChatCompletion, toChatError } from "./translate-response.ts";

export type { KeyInput } from "switchyard";

/** Options of the `gemini` provider. */
export interface GeminiOptions {
  /**
   * Gemini API keys (Google AI Studio), sent as `x-goog-api-key`; each is one account (`key-1`,
   * `key-2`, … unless given an `id`). `undefined` entries are allowed by the type so
   * `process.env.GEMINI_API_KEY` fits, and refused at start.
   */
  keys: Array<KeyInput | undefined>;
  /** API origin, without the version path. Default `https://generativelanguage.googleapis.com`. */
  baseURL?: string;
  /** Model ids this provider serves (route them to it with `routes`). Default {@link DEFAULT_MODELS}. */
  models?: string[];
  /** Allow a plain-http `baseURL` to a host that is not loopback (logged). Default false. */
  allowInsecureHttp?: boolean;
}

export const DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";
export const DEFAULT_MODELS: readonly string[] = ["gemini-2.5-pro", "gemini-2.5-flash"];

/**
 * Google Gemini with API keys, through its native `generateContent` API. The relay has no
 * Gemini dialect, so the provider speaks `openai-chat` to the relay and translates inside:
 * clients of every dialect reach Gemini (the relay turns Messages and Responses into Chat).
 *
 * @example
 * providers: [["switchyard-plugin-gemini", { keys: [process.env.GEMINI_API_KEY] }]],
 * routes: [{ models: "gemini-*", provider: "gemini" }],
 */
export const gemini = defineProvider<GeminiOptions>({
  name: "gemini",
  compat: "^0.1.0",
  setup(ctx, options) {
    const problems = new OptionProblems();
    checkKnownOptions(options, KNOWN_OPTIONS, problems);
    const baseURL = parseBaseURL(options.baseURL ?? DEFAULT_BASE_URL, options.allowInsecureHttp, problems);
    const keys = parseKeys(options.keys, problems);
    const models = parseModels(options.models, DEFAULT_MODELS, problems);
    problems.throwIfAny(ctx.name);
    if (options.allowInsecureHttp && baseURL.startsWith("http:")) ctx.logger.warn(`sending API keys over plain http to ${baseURL} (allowInsecureHttp)`);

    const accounts = createKeyAccounts(ctx, keys);
    return {
      dialects: ["openai-chat"],
      models: () => models.map((id) => ({ id })),
      accounts: accounts.pool,
      send: (request) => send({ ctx, accounts, baseURL, request }),
    } satisfies Provider;
  },
});

export default gemini;

// --- internal ---

const KNOWN_OPTIONS = ["keys", "baseURL", "models", "allowInsecureHttp"] as const;

interface SendInput {
  ctx: PluginContext;
  accounts: KeyAccounts;
  baseURL: string;
  request: UpstreamRequest;
}

async function send({ ctx, accounts, baseURL, request }: SendInput): Promise<Response> {
  if (request.dialect !== "openai-chat") throw new Error(`[switchyard] [plugin:${ctx.name}] cannot send ${request.dialect}; this provider speaks openai-chat`);
  let body: Record<string, unknown>;
  try {
    body = toGeminiRequest(request.body);
  } catch (error) {
    // Answered here, not thrown: the relay reads a thrown error as a network failure.
    if (error instanceof UnsupportedRequest) return chatError(400, error.message, error.param, request.requestId);
    throw error;
  }
  const account = await accounts.pick(request.accountId);
  // The model is a path segment: encoded, so no id can reach another endpoint.
  const model = encodeURIComponent(request.model.replace(/^models\//, ""));
  const method = request.stream ? "streamGenerateContent?alt=sse" : "generateContent";
  const response = await ctx.http.fetch(`${baseURL}/v1beta/models/${model}:${method}`, {
    method: "POST",
    // No client header is forwarded: nothing a client sends means anything to Gemini.
    headers: { "content-type": "application/json", "x-goog-api-key": account.key },
    body: JSON.stringify(body),
    signal: request.signal,
  });
  if (!response.ok) return toChatError(response, request.requestId);
  const meta = { id: `chatcmpl-${request.requestId}`, model: request.model, created: Math.floor(ctx.now() / 1000) };
  if (request.stream) {
    if (!response.body) return chatError(502, "Gemini answered a stream request without a body", null, request.requestId);
    const includeUsage = isRecord(request.body.stream_options) && request.body.stream_options.include_usage === true;
    return new Response(toChatStream(response.body, { ...meta, includeUsage, signal: request.signal }), {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch {
    if (request.signal.aborted) throw request.signal.reason;
    return chatError(502, "Gemini answered with a body that is not JSON", null, request.requestId);
  }
  if (!isRecord(answer)) return chatError(502, "Gemini answered with a body that is not a JSON object", null, request.requestId);
  return Response.json(toChatCompletion(answer, meta));
}
