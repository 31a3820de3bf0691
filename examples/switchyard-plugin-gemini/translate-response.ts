// A Gemini answer → an OpenAI Chat Completions answer: JSON bodies, usage, finish reasons, errors.
import { formatErrorBody, redactString } from "switchyard";

/** What every translated answer repeats: the id, the model the client asked for, the time. */
export interface ChatMeta {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
}

/** A `GenerateContentResponse` → a `chat.completion` (first candidate only). */
export function toChatCompletion(gemini: Record<string, unknown>, meta: ChatMeta): Record<string, unknown> {
  const candidate = firstCandidate(gemini);
  const { text, toolCalls } = readParts(candidate?.content, meta.id);
  const message: Record<string, unknown> = { role: "assistant", content: toolCalls.length > 0 && text === "" ? null : text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(gemini, toolCalls.length > 0) }],
    usage: chatUsage(gemini.usageMetadata),
  };
}

/** Text and function calls of a Gemini `Content`; thought parts are left out. */
export function readParts(content: unknown, id: string, firstCall = 0): { text: string; toolCalls: Array<Record<string, unknown>> } {
  let text = "";
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const part of isRecord(content) && Array.isArray(content.parts) ? content.parts : []) {
    if (!isRecord(part) || part.thought === true) continue;
    if (typeof part.text === "string") text += part.text;
    else if (isRecord(part.functionCall) && typeof part.functionCall.name === "string") {
      const call = part.functionCall;
      const callId = typeof call.id === "string" && call.id !== "" ? call.id : `call_${id.replace(/^chatcmpl-/, "")}_${firstCall + toolCalls.length}`;
      toolCalls.push({ id: callId, type: "function", function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } });
    }
  }
  return { text, toolCalls };
}

/** The Chat `finish_reason` of an answer, or `null` while a stream has not finished. */
export function finishReason(gemini: Record<string, unknown>, calledTools: boolean): string | null {
  const reason = firstCandidate(gemini)?.finishReason;
  if (reason === undefined || reason === null) {
    const blocked = isRecord(gemini.promptFeedback) && gemini.promptFeedback.blockReason !== undefined;
    return blocked ? "content_filter" : null;
  }
  if (reason === "MAX_TOKENS") return "length";
  if (typeof reason === "string" && FILTERED.has(reason)) return "content_filter";
  return calledTools ? "tool_calls" : "stop";
}

/**
 * `usageMetadata` → Chat `usage`. Gemini counts thinking apart from the answer; OpenAI counts
 * reasoning inside `completion_tokens`, so both are added. Cached tokens are part of the prompt in both.
 */
export function chatUsage(usage: unknown): Record<string, unknown> {
  const u = isRecord(usage) ? usage : {};
  const prompt = count(u.promptTokenCount) + count(u.toolUsePromptTokenCount);
  const thoughts = count(u.thoughtsTokenCount);
  const completion = count(u.candidatesTokenCount) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(u.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/**
 * A Gemini error answer (`{ error: { code, message, status } }`) → the same status with an
 * OpenAI error body. A key Gemini calls invalid (400 `API_KEY_INVALID`) becomes 401, so the
 * relay disables that account instead of blaming the client. The message never carries a key.
 */
export async function toChatError(response: Response, requestId: string): Promise<Response> {
  const error = await readError(response);
  const keyInvalid = error.details.some((d) => isRecord(d) && d.reason === "API_KEY_INVALID");
  const status = keyInvalid ? 401 : response.status;
  const message = redactString(error.message ?? `Gemini answered ${response.status}`).slice(0, 1000);
  const headers = new Headers({ "content-type": "application/json" });
  const retryAfter = response.headers.get("retry-after") ?? retryDelaySeconds(error.details);
  if (retryAfter !== undefined) headers.set("retry-after", retryAfter);
  return new Response(JSON.stringify(formatErrorBody("openai", status, message, null, requestId)), { status, headers });
}

/** A Chat error answer made by the plugin itself (a request it cannot translate, a broken upstream body). */
export function chatError(status: number, message: string, param: string | null, requestId: string): Response {
  return Response.json(formatErrorBody("openai", status, message, param, requestId), { status });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// --- internal ---

const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]);

function firstCandidate(gemini: Record<string, unknown>): Record<string, unknown> | undefined {
  const first: unknown = Array.isArray(gemini.candidates) ? gemini.candidates[0] : undefined;
  return isRecord(first) ? first : undefined;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

async function readError(response: Response): Promise<{ message: string | undefined; details: unknown[] }> {
  try {
    const body = (await response.json()) as unknown;
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    return { message: typeof error.message === "string" ? error.message : undefined, details: Array.isArray(error.details) ? error.details : [] };
  } catch {
    return { message: undefined, details: [] };
  }
}

// google.rpc.RetryInfo: `"retryDelay": "37s"` (or "1.5s") → whole seconds, rounded up.
function retryDelaySeconds(details: unknown[]): string | undefined {
  for (const d of details) {
    const match = isRecord(d) && typeof d.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
    if (match) return String(Math.max(1, Math.ceil(Number(match[1]))));
  }
  return undefined;
}
