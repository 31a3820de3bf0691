import type { Dialect } from "../types/provider.ts";
import {
  type CanonicalImage,
  type CanonicalMessage,
  type CanonicalPart,
  type CanonicalRequest,
  type CanonicalText,
  type CanonicalTool,
  type JsonObject,
  appendPart,
  imageSourceFromUrl,
  imageSourceToUrl,
  isRecord,
  malformed,
  num,
  str,
  unsupported,
} from "./canonical.ts";

/** Same-named OpenAI fields that Chat and Responses both accept and that pass through. */
export const OPENAI_SHARED_FIELDS: readonly string[] = ["metadata", "store", "service_tier", "prompt_cache_key", "prompt_cache_retention", "safety_identifier"];

/** Chat Completions request fields the translator reads; other fields are ruled on or dropped. */
export const CHAT_REQUEST_FIELDS: readonly string[] = [
  "model", "messages", "stream", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "tools", "tool_choice",
  "parallel_tool_calls", "user", "response_format", "reasoning_effort", "verbosity", ...OPENAI_SHARED_FIELDS,
];

/** Read an OpenAI Chat Completions request (protocols.md §3.1) into the pivot. */
export function decodeChatRequest(body: JsonObject, target: Dialect): CanonicalRequest {
  const out: CanonicalRequest = { model: str(body.model), system: [], messages: [], stream: body.stream === true, openai: {} };
  if (!Array.isArray(body.messages)) throw malformed("messages", "an array");
  body.messages.forEach((message, i) => decodeMessage(message, `messages[${i}]`, target, out));
  out.maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  out.temperature = num(body.temperature);
  out.topP = num(body.top_p);
  if (typeof body.stop === "string") out.stop = [body.stop];
  else if (Array.isArray(body.stop)) out.stop = body.stop.filter((s): s is string => typeof s === "string");
  if (typeof body.user === "string") out.user = body.user;
  if (Array.isArray(body.tools)) out.tools = body.tools.map((tool, i) => decodeTool(tool, `tools[${i}]`, target));
  if (body.tool_choice !== undefined && body.tool_choice !== null) out.toolChoice = decodeToolChoice(body.tool_choice, target);
  if (typeof body.parallel_tool_calls === "boolean") out.parallelToolCalls = body.parallel_tool_calls;
  const format = body.response_format;
  if (isRecord(format)) {
    const schema = isRecord(format.json_schema) ? format.json_schema : {};
    out.responseFormat = format.type === "json_schema" ? { type: "json_schema", ...schema } : { type: format.type };
  }
  if (typeof body.reasoning_effort === "string") out.reasoningEffort = body.reasoning_effort;
  if (typeof body.verbosity === "string") out.verbosity = body.verbosity;
  for (const key of OPENAI_SHARED_FIELDS) if (body[key] !== undefined && body[key] !== null) out.openai[key] = body[key];
  return out;
}

/** Write the pivot as an OpenAI Chat Completions request. */
export function encodeChatRequest(c: CanonicalRequest): JsonObject {
  const out: JsonObject = {};
  if (c.model !== undefined) out.model = c.model;
  const messages: JsonObject[] = [];
  if (c.system.length) messages.push({ role: "system", content: c.system.length === 1 ? c.system[0] : c.system.map((text) => ({ type: "text", text })) });
  for (const message of c.messages) messages.push(...encodeMessage(message));
  out.messages = messages;
  if (c.maxTokens !== undefined) out.max_completion_tokens = c.maxTokens;
  if (c.temperature !== undefined) out.temperature = c.temperature;
  if (c.topP !== undefined) out.top_p = c.topP;
  if (c.stop?.length) out.stop = c.stop;
  if (c.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (c.user !== undefined) out.user = c.user;
  if (c.tools?.length) {
    out.tools = c.tools.map(encodeTool);
    if (c.toolChoice) out.tool_choice = encodeToolChoice(c.toolChoice);
    if (c.parallelToolCalls !== undefined) out.parallel_tool_calls = c.parallelToolCalls;
  }
  if (c.responseFormat) {
    const { type, ...schema } = c.responseFormat;
    out.response_format = type === "json_schema" ? { type, json_schema: schema } : { type };
  }
  if (c.reasoningEffort !== undefined) out.reasoning_effort = c.reasoningEffort;
  if (c.verbosity !== undefined) out.verbosity = c.verbosity;
  Object.assign(out, c.openai);
  return out;
}

// --- internal ---

function decodeMessage(message: unknown, at: string, target: Dialect, out: CanonicalRequest): void {
  if (!isRecord(message)) throw malformed(at, "an object");
  const role = message.role;
  if (role === "system" || role === "developer") {
    const texts = textParts(message.content, at, target);
    if (out.messages.length === 0) out.system.push(...texts.map((t) => t.text));
    else out.messages.push({ role: "system", parts: texts, at });
  } else if (role === "user") {
    out.messages.push({ role: "user", parts: userParts(message.content, at, target), at });
  } else if (role === "assistant") {
    if (message.function_call != null) throw unsupported(`${at}.function_call`, target);
    const parts: CanonicalPart[] = message.content == null ? [] : textParts(message.content, at, target, true);
    if (typeof message.refusal === "string" && message.refusal !== "") parts.push({ type: "text", text: message.refusal, at: `${at}.refusal` });
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call, k) => {
        const where = `${at}.tool_calls[${k}]`;
        if (!isRecord(call) || (call.type !== undefined && call.type !== "function") || !isRecord(call.function)) throw unsupported(where, target, "a tool call other than a function call");
        parts.push({ type: "tool_call", id: str(call.id) ?? "", name: str(call.function.name) ?? "", arguments: str(call.function.arguments) ?? "", at: where });
      });
    }
    out.messages.push({ role: "assistant", parts, at });
  } else if (role === "tool") {
    const content = textParts(message.content, at, target);
    appendPart(out.messages, "user", { type: "tool_result", callId: str(message.tool_call_id) ?? "", content, isError: false, at }, at);
  } else {
    throw unsupported(`${at}.role`, target, `role ${JSON.stringify(role)}`);
  }
}

function textParts(content: unknown, at: string, target: Dialect, allowRefusal = false): CanonicalText[] {
  if (typeof content === "string") return [{ type: "text", text: content, at: `${at}.content` }];
  if (content == null) return [];
  if (!Array.isArray(content)) throw malformed(`${at}.content`, "a string or an array of parts");
  return content.map((part, j) => textPart(part, `${at}.content[${j}]`, target, allowRefusal));
}

function textPart(part: unknown, at: string, target: Dialect, allowRefusal = false): CanonicalText {
  if (isRecord(part) && part.type === "text") return { type: "text", text: str(part.text) ?? "", at };
  if (allowRefusal && isRecord(part) && part.type === "refusal") return { type: "text", text: str(part.refusal) ?? "", at };
  throw unsupported(`${at}.type`, target, `content part type ${JSON.stringify(isRecord(part) ? part.type : part)}`);
}

function userParts(content: unknown, at: string, target: Dialect): Array<CanonicalText | CanonicalImage> {
  if (!Array.isArray(content)) return textParts(content, at, target);
  return content.map((part, j) => {
    const where = `${at}.content[${j}]`;
    if (!isRecord(part) || part.type !== "image_url") return textPart(part, where, target);
    const image = isRecord(part.image_url) ? part.image_url : { url: part.image_url };
    if (typeof image.url !== "string") throw malformed(`${where}.image_url.url`, "a string");
    const out: CanonicalImage = { type: "image", source: imageSourceFromUrl(image.url), at: where };
    if (typeof image.detail === "string") out.detail = image.detail;
    return out;
  });
}

function decodeTool(tool: unknown, at: string, target: Dialect): CanonicalTool {
  if (!isRecord(tool) || tool.type !== "function" || !isRecord(tool.function)) {
    throw unsupported(`${at}.type`, target, `tool type ${JSON.stringify(isRecord(tool) ? tool.type : tool)}`);
  }
  const fn = tool.function;
  if (typeof fn.name !== "string") throw malformed(`${at}.function.name`, "a string");
  const out: CanonicalTool = { name: fn.name, parameters: isRecord(fn.parameters) ? fn.parameters : { type: "object", properties: {} } };
  if (typeof fn.description === "string") out.description = fn.description;
  if (typeof fn.strict === "boolean") out.strict = fn.strict;
  return out;
}

function decodeToolChoice(choice: unknown, target: Dialect): CanonicalRequest["toolChoice"] {
  if (choice === "auto" || choice === "none") return { type: choice };
  if (choice === "required") return { type: "any" };
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function) && typeof choice.function.name === "string") {
    return { type: "tool", name: choice.function.name };
  }
  throw unsupported("tool_choice", target, `tool_choice ${JSON.stringify(isRecord(choice) ? choice.type : choice)}`);
}

// One canonical turn can become several Chat messages: each tool result is its own `tool`
// message, in order, between the user content around it.
function encodeMessage(message: CanonicalMessage): JsonObject[] {
  if (message.role === "system") return [{ role: "system", content: joinTexts(message.parts) }];
  if (message.role === "assistant") return message.parts.length ? [encodeAssistant(message)] : [];
  const out: JsonObject[] = [];
  let pending: JsonObject[] = [];
  const flush = () => {
    if (!pending.length) return;
    const only = pending[0]!;
    out.push({ role: "user", content: pending.length === 1 && only.type === "text" ? only.text : pending });
    pending = [];
  };
  for (const part of message.parts) {
    if (part.type === "tool_result") {
      flush();
      out.push({ role: "tool", tool_call_id: part.callId, content: toolContent(part.content) });
    } else if (part.type === "text") pending.push({ type: "text", text: part.text });
    else if (part.type === "image") {
      const image: JsonObject = { url: imageSourceToUrl(part.source) };
      if (part.detail !== undefined) image.detail = part.detail;
      pending.push({ type: "image_url", image_url: image });
    } else throw unsupported(part.at, "openai-chat", "a tool call in a user turn");
  }
  flush();
  return out;
}

function encodeAssistant(message: CanonicalMessage): JsonObject {
  const texts: string[] = [];
  const calls: JsonObject[] = [];
  for (const part of message.parts) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "tool_call") calls.push({ id: part.id, type: "function", function: { name: part.name, arguments: part.arguments } });
    else throw unsupported(part.at, "openai-chat", `${part.type === "image" ? "an image" : "a tool result"} in an assistant turn`);
  }
  const content = texts.length === 0 ? null : texts.length === 1 ? texts[0] : texts.map((text) => ({ type: "text", text }));
  return calls.length ? { role: "assistant", content, tool_calls: calls } : { role: "assistant", content };
}

function toolContent(content: Array<CanonicalText | CanonicalImage>): string | JsonObject[] {
  for (const part of content) if (part.type === "image") throw unsupported(part.at, "openai-chat", "an image in a tool result");
  return content.length === 1 ? (content[0] as CanonicalText).text : content.length === 0 ? "" : content.map((p) => ({ type: "text", text: (p as CanonicalText).text }));
}

function joinTexts(parts: CanonicalPart[]): string | JsonObject[] {
  const texts = parts.map((p) => (p.type === "text" ? p.text : ""));
  return texts.length === 1 ? texts[0]! : texts.map((text) => ({ type: "text", text }));
}

function encodeTool(tool: { name: string; description?: string; parameters: JsonObject; strict?: boolean }): JsonObject {
  const fn: JsonObject = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  fn.parameters = tool.parameters;
  if (tool.strict !== undefined) fn.strict = tool.strict;
  return { type: "function", function: fn };
}

function encodeToolChoice(choice: NonNullable<CanonicalRequest["toolChoice"]>): unknown {
  if (choice.type === "tool") return { type: "function", function: { name: choice.name } };
  return choice.type === "any" ? "required" : choice.type;
}
