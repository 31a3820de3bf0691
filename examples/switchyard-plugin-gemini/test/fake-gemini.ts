// A fake Gemini API on 127.0.0.1 for this plugin's tests. The HTTP server and its scriptable
// faults (`upstream.script({ status, chunkDelayMs, … })`) are the main repository's fake-upstream
// server, which the provider conformance suite drives; this file is the Gemini wire format.
import {
  type DialectRequest,
  type FakeUpstream,
  type Reply,
  type SseRecord,
  defaultErrorHeaders,
  fakeInputTokens,
  isRecord,
  pieces,
  startFakeServer,
} from "../../../test/fixtures/upstreams/_server.ts";

export type { FakeUpstream, RecordedRequest } from "../../../test/fixtures/upstreams/_server.ts";

/** Options of {@link startFakeGemini}. */
export interface FakeGeminiOptions {
  /** Accepted `x-goog-api-key` values. Default `[FAKE_GEMINI_KEY]`. */
  keys?: string[];
  /** Model ids served; any other answers 404. Default: any model. */
  models?: string[];
  /** Reported as `thoughtsTokenCount`, with one thought part before the answer. Default 0. */
  thoughtsTokens?: number;
  /** Reported as `cachedContentTokenCount` (counted inside `promptTokenCount`, as Gemini does). Default 0. */
  cachedTokens?: number;
}

export const FAKE_GEMINI_KEY = "fake-gemini-key-0001";

/**
 * Start a fake Gemini API: `POST /v1beta/models/{model}:generateContent` (JSON) and
 * `:streamGenerateContent?alt=sse` (SSE of `GenerateContentResponse` chunks), keys in
 * `x-goog-api-key`, Google error bodies (`{ error: { code, message, status } }`), and Gemini's
 * strictness about unknown fields and malformed `contents`.
 *
 * The reply echoes the last user text (`echo: <text>`). With tools and "use tool" in that text it
 * calls the first function with `{ "text": <text> }`; after a `functionResponse` it answers
 * `tool said: <response JSON>`. `generationConfig.maxOutputTokens` cuts the reply (one token per
 * code point) with `MAX_TOKENS`. Usage: prompt `round(bodyBytes / 4)` plus the cached tokens;
 * candidates = code points of the reply (or of the arguments JSON).
 */
export function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeUpstream> {
  const keys = options.keys ?? [FAKE_GEMINI_KEY];
  return startFakeServer({
    keys,
    commonHeaders: (req) => ({ "x-fake-gemini-request": String(req.n) }),
    authenticate(req) {
      const key = req.headers["x-goog-api-key"];
      if (key === undefined) return googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
      if (!keys.includes(key)) return googleError(400, "API key not valid. Please pass a valid API key.", [{ "@type": ERROR_INFO, reason: "API_KEY_INVALID", domain: "googleapis.com" }]);
      return undefined;
    },
    error: (status) => googleError(status),
    handle(req) {
      const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(req.path);
      if (req.method !== "POST" || !match) return googleError(404, `Unknown path ${req.method} ${req.path}`);
      const model = decodeURIComponent(match[1]!);
      if (options.models && !options.models.includes(model)) return googleError(404, `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
      const stream = match[2] === "streamGenerateContent";
      if (stream && new URLSearchParams(req.search).get("alt") !== "sse") return googleError(400, "this fake streams only with ?alt=sse");
      const problem = validate(req.body);
      if (problem) return googleError(400, problem);
      return answer(req, model, stream, options);
    },
  });
}

/** A Google API error reply (`google.rpc.Status` in `error`). */
export function googleError(status: number, message?: string, details?: unknown[]): Reply {
  const name = STATUS_NAMES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION");
  const retry = status === 429 ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "1s" }] : [];
  const error = { code: status, message: message ?? `fake error ${status}`, status: name, ...(details || retry.length ? { details: details ?? retry } : {}) };
  return { kind: "json", status, headers: defaultErrorHeaders(status), body: { error } };
}

// --- internal ---

const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
};
const REQUEST_FIELDS = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent"];
const CONFIG_FIELDS = ["stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed", "presencePenalty", "frequencyPenalty", "thinkingConfig"];
const PART_FIELDS = ["text", "inlineData", "functionCall", "functionResponse", "fileData"];

// Gemini refuses unknown fields and malformed contents with 400; so does the fake.
function validate(body: unknown): string | undefined {
  if (!isRecord(body)) return "Invalid JSON payload received.";
  const unknown = Object.keys(body).find((k) => !REQUEST_FIELDS.includes(k));
  if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.`;
  const config = isRecord(body.generationConfig) ? body.generationConfig : {};
  const badConfig = Object.keys(config).find((k) => !CONFIG_FIELDS.includes(k));
  if (badConfig) return `Invalid JSON payload received. Unknown name "${badConfig}" at 'generation_config': Cannot find field.`;
  if (!Array.isArray(body.contents) || body.contents.length === 0) return "* GenerateContentRequest.contents: contents is not specified";
  for (const [i, content] of [...body.contents, ...(body.systemInstruction ? [{ role: "user", ...(body.systemInstruction as object) }] : [])].entries()) {
    if (!isRecord(content) || (content.role !== "user" && content.role !== "model")) return `* GenerateContentRequest.contents[${i}].role: must be user or model`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (const part of content.parts) {
      const fields = isRecord(part) ? PART_FIELDS.filter((f) => part[f] !== undefined) : [];
      if (fields.length !== 1) return `* GenerateContentRequest.contents[${i}].parts: each part needs exactly one data field`;
      if (fields[0] === "text" && (typeof (part as { text: unknown }).text !== "string" || (part as { text: string }).text === "")) return `* GenerateContentRequest.contents[${i}].parts: empty text parameter`;
    }
  }
  return undefined;
}

type Plan = { kind: "text"; text: string; cut: boolean } | { kind: "call"; name: string; args: Record<string, unknown> };

function plan(body: Record<string, unknown>): Plan {
  const contents = body.contents as Array<{ role: string; parts: Array<Record<string, any>> }>;
  const last = contents.at(-1)!;
  const response = last.parts.find((p) => p.functionResponse)?.functionResponse;
  const userText = last.role === "user" ? last.parts.map((p) => (typeof p.text === "string" ? p.text : "")).join("") : "";
  const tool = (body.tools as Array<{ functionDeclarations?: Array<{ name: string }> }> | undefined)?.[0]?.functionDeclarations?.[0];
  if (!response && tool && userText.includes("use tool")) return { kind: "call", name: tool.name, args: { text: userText } };
  const full = response ? `tool said: ${JSON.stringify(response.response)}` : `echo: ${userText}`;
  const max = isRecord(body.generationConfig) ? body.generationConfig.maxOutputTokens : undefined;
  const chars = Array.from(full);
  const cut = typeof max === "number" && chars.length > max;
  return { kind: "text", text: cut ? chars.slice(0, max).join("") : full, cut };
}

function answer(req: DialectRequest, model: string, stream: boolean, options: FakeGeminiOptions): Reply {
  const reply = plan(req.body as Record<string, unknown>);
  const cached = options.cachedTokens ?? 0;
  const thoughts = options.thoughtsTokens ?? 0;
  const prompt = fakeInputTokens(req.bodyBytes) + cached;
  const output = reply.kind === "text" ? Array.from(reply.text).length : Array.from(JSON.stringify(reply.args)).length;
  const usageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output + thoughts,
    ...(cached ? { cachedContentTokenCount: cached } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
  };
  const head = { modelVersion: model, responseId: `fake-gemini-${req.n}` };
  const finishReason = reply.kind === "text" && reply.cut ? "MAX_TOKENS" : "STOP";
  const thought = thoughts ? [{ text: "Thinking about it.", thought: true }] : [];
  const candidate = (parts: unknown[], finish?: string) => ({ content: { role: "model", parts }, ...(finish ? { finishReason: finish } : {}), index: 0 });
  const answerParts = reply.kind === "text" ? [{ text: reply.text }] : [{ functionCall: { name: reply.name, args: reply.args } }];
  if (!stream) return { kind: "json", status: 200, body: { candidates: [candidate([...thought, ...answerParts], finishReason)], usageMetadata, ...head } };
  // Every chunk carries the usage so far; the last one has the finish reason and the full count.
  const partial = { promptTokenCount: prompt, totalTokenCount: prompt };
  const chunks: Array<{ parts: unknown[] }> = reply.kind === "text" ? pieces(reply.text).map((text) => ({ parts: [{ text }] })) : [{ parts: answerParts }];
  if (thought.length) chunks.unshift({ parts: thought });
  const records: SseRecord[] = chunks.map((c, i) => {
    const lastChunk = i === chunks.length - 1;
    return { data: JSON.stringify({ candidates: [candidate(c.parts, lastChunk ? finishReason : undefined)], usageMetadata: lastChunk ? usageMetadata : partial, ...head }) };
  });
  return { kind: "sse", records };
}
