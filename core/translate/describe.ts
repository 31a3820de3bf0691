import { Buffer } from "node:buffer";
import type { Dialect } from "../types/provider.ts";
import { type JsonObject, isRecord, list, str } from "./canonical.ts";

/** What the relay needs to know about a client request before translating it. */
export interface RequestInfo {
  model: string | undefined;
  stream: boolean;
  /** System prompt plus the first user message text, for sticky-session hashing. */
  sessionSeed: string | undefined;
  /** Anthropic `metadata.user_id`, OpenAI `user`. */
  userId: string | undefined;
}

/** Tokens counted per image by {@link countTokensEstimate}. */
export const ESTIMATED_IMAGE_TOKENS = 1600;

/**
 * Read model, stream flag, user id and session seed from a request body. Never throws: a
 * malformed body just yields fewer fields. The seed is the system prompt and the first user
 * message's text joined by a newline; `undefined` when both are empty.
 */
export function describeRequest(body: JsonObject, dialect: Dialect): RequestInfo {
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  const userId = dialect === "anthropic-messages" ? str(metadata.user_id) : str(body.user);
  const seed = [systemText(body, dialect), firstUserText(body, dialect)].filter((s) => s !== "").join("\n");
  return { model: str(body.model), stream: body.stream === true, sessionSeed: seed === "" ? undefined : seed, userId };
}

/**
 * A rough input token count for upstreams without a count endpoint: the UTF-8 bytes of the
 * prompt fields (system, instructions, messages or input, tools, tool_choice) serialized as
 * JSON, divided by 4 and rounded up, plus {@link ESTIMATED_IMAGE_TOKENS} per image (image
 * bytes are not counted). Typically within ±30% of a real tokenizer for English text.
 */
export function countTokensEstimate(body: JsonObject, dialect: Dialect): number {
  let images = 0;
  const fields = dialect === "openai-responses" ? ["instructions", "input", "tools", "tool_choice"] : ["system", "messages", "tools", "tool_choice"];
  const prompt: JsonObject = {};
  for (const field of fields) if (body[field] !== undefined) prompt[field] = body[field];
  const json = JSON.stringify(prompt, (_key, value: unknown) => {
    if (isRecord(value) && (value.type === "image" || value.type === "image_url" || value.type === "input_image")) {
      images++;
      return undefined;
    }
    return value;
  });
  return Math.ceil(Buffer.byteLength(json, "utf8") / 4) + images * ESTIMATED_IMAGE_TOKENS;
}

// --- internal ---

function systemText(body: JsonObject, dialect: Dialect): string {
  if (dialect === "anthropic-messages") return textOf(body.system);
  const leading: string[] = dialect === "openai-responses" && typeof body.instructions === "string" ? [body.instructions] : [];
  for (const message of list(dialect === "openai-chat" ? body.messages : body.input)) {
    if (!isRecord(message) || (message.role !== "system" && message.role !== "developer")) break;
    leading.push(textOf(message.content));
  }
  return leading.filter((s) => s !== "").join("\n");
}

function firstUserText(body: JsonObject, dialect: Dialect): string {
  if (dialect === "openai-responses" && typeof body.input === "string") return body.input;
  const first = list(dialect === "openai-responses" ? body.input : body.messages).find((m) => isRecord(m) && m.role === "user");
  return isRecord(first) ? textOf(first.content) : "";
}

// The text of a string or of the text parts of a content array, joined by newlines.
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return list(content)
    .map((part) => (isRecord(part) && typeof part.text === "string" && (part.type === "text" || part.type === "input_text") ? part.text : ""))
    .filter((s) => s !== "")
    .join("\n");
}
