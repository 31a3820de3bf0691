import { badRequest } from "../errors.ts";
import type { Dialect } from "../types/provider.ts";
import {
  type CanonicalImage,
  type CanonicalMessage,
  type CanonicalPart,
  type CanonicalRequest,
  type CanonicalText,
  type CanonicalTool,
  type CanonicalToolChoice,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  type JsonObject,
  argumentsObject,
  isRecord,
  list,
  malformed,
  num,
  str,
  unsupported,
} from "./canonical.ts";

/** Anthropic request fields the translator reads; other fields are ruled on or dropped. */
export const ANTHROPIC_REQUEST_FIELDS: readonly string[] = [
  "model", "max_tokens", "messages", "system", "stream", "metadata", "stop_sequences", "temperature", "top_p", "tools", "tool_choice",
];

/** Read an Anthropic Messages request (protocols.md §1.3) into the pivot. */
export function decodeAnthropicRequest(body: JsonObject, target: Dialect): CanonicalRequest {
  const out: CanonicalRequest = { model: str(body.model), system: decodeSystem(body.system, target), messages: [], stream: body.stream === true, openai: {} };
  if (!Array.isArray(body.messages)) throw malformed("messages", "an array");
  body.messages.forEach((message, i) => out.messages.push(decodeMessage(message, `messages[${i}]`, target)));
  out.maxTokens = num(body.max_tokens);
  out.temperature = num(body.temperature);
  out.topP = num(body.top_p);
  const stop = list(body.stop_sequences).filter((s): s is string => typeof s === "string");
  if (stop.length) out.stop = stop;
  if (isRecord(body.metadata) && typeof body.metadata.user_id === "string") out.user = body.metadata.user_id;
  if (Array.isArray(body.tools)) out.tools = body.tools.map((tool, i) => decodeTool(tool, `tools[${i}]`, target));
  if (isRecord(body.tool_choice)) {
    const choice = body.tool_choice;
    const type = str(choice.type);
    if (type === "auto" || type === "any" || type === "none") out.toolChoice = { type };
    else if (type === "tool" && typeof choice.name === "string") out.toolChoice = { type: "tool", name: choice.name };
    else throw malformed("tool_choice", 'a {type: "auto" | "any" | "none" | "tool"} object');
    if (choice.disable_parallel_tool_use === true) out.parallelToolCalls = false;
  }
  return out;
}

/** Write the pivot as an Anthropic Messages request. */
export function encodeAnthropicRequest(c: CanonicalRequest): JsonObject {
  const out: JsonObject = {};
  if (c.model !== undefined) out.model = c.model;
  out.max_tokens = c.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS;
  if (c.system.length === 1) out.system = c.system[0];
  else if (c.system.length > 1) out.system = c.system.map((text) => ({ type: "text", text }));
  out.messages = encodeMessages(c.messages);
  if (c.temperature !== undefined) {
    if (c.temperature < 0 || c.temperature > 1) throw badRequest("temperature", "must be between 0 and 1 when calling an anthropic-messages upstream");
    out.temperature = c.temperature;
  }
  if (c.topP !== undefined) out.top_p = c.topP;
  if (c.stop?.length) out.stop_sequences = c.stop;
  if (c.stream) out.stream = true;
  if (c.user !== undefined) out.metadata = { user_id: c.user };
  const hasTools = (c.tools?.length ?? 0) > 0;
  if (hasTools) out.tools = c.tools!.map(encodeTool);
  if (hasTools && (c.toolChoice || c.parallelToolCalls === false)) out.tool_choice = encodeToolChoice(c.toolChoice, c.parallelToolCalls);
  return out;
}

// --- internal ---

function decodeSystem(system: unknown, target: Dialect): string[] {
  if (system === undefined || system === null) return [];
  if (typeof system === "string") return system === "" ? [] : [system];
  if (!Array.isArray(system)) throw malformed("system", "a string or an array of text blocks");
  return system.map((block, i) => {
    if (!isRecord(block) || block.type !== "text" || typeof block.text !== "string") throw unsupported(`system[${i}]`, target, "a system block other than text");
    return block.text;
  });
}

function decodeMessage(message: unknown, at: string, target: Dialect): CanonicalMessage {
  if (!isRecord(message)) throw malformed(at, "an object");
  const role = message.role;
  if (role !== "user" && role !== "assistant" && role !== "system") throw malformed(`${at}.role`, '"user" or "assistant"');
  const content = message.content;
  if (typeof content === "string") return { role, parts: [{ type: "text", text: content, at: `${at}.content` }], at };
  if (!Array.isArray(content)) throw malformed(`${at}.content`, "a string or an array of blocks");
  const parts: CanonicalPart[] = [];
  content.forEach((block, j) => {
    const part = decodeBlock(block, `${at}.content[${j}]`, target);
    if (part) parts.push(part);
  });
  return { role, parts, at };
}

// Thinking blocks from earlier turns are dropped: no OpenAI dialect accepts them back.
function decodeBlock(block: unknown, at: string, target: Dialect): CanonicalPart | undefined {
  if (!isRecord(block)) throw malformed(at, "a content block object");
  switch (block.type) {
    case "text":
      return { type: "text", text: str(block.text) ?? "", at };
    case "image":
      return decodeImage(block, at, target);
    case "tool_use":
      return { type: "tool_call", id: str(block.id) ?? "", name: str(block.name) ?? "", arguments: JSON.stringify(isRecord(block.input) ? block.input : {}), at };
    case "tool_result":
      return { type: "tool_result", callId: str(block.tool_use_id) ?? "", content: decodeResultContent(block.content, at, target), isError: block.is_error === true, at };
    case "thinking":
    case "redacted_thinking":
      return undefined;
    default:
      throw unsupported(`${at}.type`, target, `content block type ${JSON.stringify(block.type)}`);
  }
}

function decodeImage(block: JsonObject, at: string, target: Dialect): CanonicalImage {
  const source = isRecord(block.source) ? block.source : {};
  if (source.type === "base64" && typeof source.data === "string") {
    return { type: "image", source: { kind: "base64", mediaType: str(source.media_type) ?? "image/png", data: source.data }, at };
  }
  if (source.type === "url" && typeof source.url === "string") return { type: "image", source: { kind: "url", url: source.url }, at };
  throw unsupported(`${at}.source`, target, `image source type ${JSON.stringify(source.type)}`);
}

function decodeResultContent(content: unknown, at: string, target: Dialect): Array<CanonicalText | CanonicalImage> {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return [{ type: "text", text: content, at: `${at}.content` }];
  if (!Array.isArray(content)) throw malformed(`${at}.content`, "a string or an array of blocks");
  return content.map((block, k) => {
    const where = `${at}.content[${k}]`;
    if (isRecord(block) && block.type === "text") return { type: "text", text: str(block.text) ?? "", at: where };
    if (isRecord(block) && block.type === "image") return decodeImage(block, where, target);
    throw unsupported(`${where}.type`, target, `tool result block type ${JSON.stringify(isRecord(block) ? block.type : block)}`);
  });
}

function decodeTool(tool: unknown, at: string, target: Dialect): CanonicalTool {
  if (!isRecord(tool)) throw malformed(at, "a tool object");
  if (tool.type !== undefined && tool.type !== "custom") throw unsupported(`${at}.type`, target, `server tool ${JSON.stringify(tool.type)}`);
  if (typeof tool.name !== "string") throw malformed(`${at}.name`, "a string");
  const out: CanonicalTool = { name: tool.name, parameters: isRecord(tool.input_schema) ? tool.input_schema : { type: "object", properties: {} } };
  if (typeof tool.description === "string") out.description = tool.description;
  if (typeof tool.strict === "boolean") out.strict = tool.strict;
  return out;
}

// Consecutive user turns are merged (Anthropic merges them anyway): this is where OpenAI's
// separate `tool` messages join one user turn. Assistant turns stay apart, keeping their order.
function encodeMessages(messages: CanonicalMessage[]): JsonObject[] {
  const out: Array<{ role: string; content: JsonObject[] }> = [];
  for (const message of messages) {
    if (message.role === "system") throw unsupported(message.at, "anthropic-messages", "a system message after the first turn");
    const blocks = message.parts.map((part) => encodePart(part, message.role));
    const last = out.at(-1);
    if (last && last.role === "user" && message.role === "user") last.content.push(...blocks);
    else out.push({ role: message.role, content: blocks });
  }
  return out.map((m) => (m.content.length === 1 && m.content[0]!.type === "text" ? { role: m.role, content: m.content[0]!.text } : m));
}

function encodePart(part: CanonicalPart, role: string): JsonObject {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      if (role !== "user") throw unsupported(part.at, "anthropic-messages", "an image in an assistant turn");
      return encodeImage(part);
    case "tool_call":
      return { type: "tool_use", id: part.id, name: part.name, input: argumentsObject(part.arguments) };
    case "tool_result": {
      const out: JsonObject = { type: "tool_result", tool_use_id: part.callId };
      const only = part.content[0];
      if (part.content.length === 1 && only?.type === "text") out.content = only.text;
      else if (part.content.length > 0) out.content = part.content.map((c) => (c.type === "text" ? { type: "text", text: c.text } : encodeImage(c)));
      if (part.isError) out.is_error = true;
      return out;
    }
  }
}

function encodeImage(image: CanonicalImage): JsonObject {
  const source = image.source.kind === "base64"
    ? { type: "base64", media_type: image.source.mediaType, data: image.source.data }
    : { type: "url", url: image.source.url };
  return { type: "image", source };
}

function encodeTool(tool: CanonicalTool): JsonObject {
  const out: JsonObject = { name: tool.name };
  if (tool.description !== undefined) out.description = tool.description;
  out.input_schema = tool.parameters;
  return out;
}

function encodeToolChoice(choice: CanonicalToolChoice | undefined, parallel: boolean | undefined): JsonObject {
  const out: JsonObject = choice ? { ...choice } : { type: "auto" };
  if (parallel === false && out.type !== "none") out.disable_parallel_tool_use = true;
  return out;
}
