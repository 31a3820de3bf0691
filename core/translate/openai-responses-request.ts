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
import { OPENAI_SHARED_FIELDS } from "./openai-chat-request.ts";

/** Responses request fields the translator reads; other fields are ruled on or dropped. */
export const RESPONSES_REQUEST_FIELDS: readonly string[] = [
  "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p",
  "stream", "user", "text", "reasoning", ...OPENAI_SHARED_FIELDS,
];

/** Read an OpenAI Responses request (protocols.md §3.5) into the pivot. */
export function decodeResponsesRequest(body: JsonObject, target: Dialect): CanonicalRequest {
  const out: CanonicalRequest = { model: str(body.model), system: [], messages: [], stream: body.stream === true, openai: {} };
  if (typeof body.instructions === "string" && body.instructions !== "") out.system.push(body.instructions);
  if (typeof body.input === "string") out.messages.push({ role: "user", parts: [{ type: "text", text: body.input, at: "input" }], at: "input" });
  else if (Array.isArray(body.input)) body.input.forEach((item, i) => decodeItem(item, `input[${i}]`, target, out));
  else if (body.input != null) throw malformed("input", "a string or an array of items");
  out.maxTokens = num(body.max_output_tokens);
  out.temperature = num(body.temperature);
  out.topP = num(body.top_p);
  if (typeof body.user === "string") out.user = body.user;
  if (Array.isArray(body.tools)) out.tools = body.tools.map((tool, i) => decodeTool(tool, `tools[${i}]`, target));
  const choice = body.tool_choice;
  if (choice === "auto" || choice === "none") out.toolChoice = { type: choice };
  else if (choice === "required") out.toolChoice = { type: "any" };
  else if (isRecord(choice) && choice.type === "function" && typeof choice.name === "string") out.toolChoice = { type: "tool", name: choice.name };
  else if (choice != null) throw unsupported("tool_choice", target, `tool_choice ${JSON.stringify(isRecord(choice) ? choice.type : choice)}`);
  if (typeof body.parallel_tool_calls === "boolean") out.parallelToolCalls = body.parallel_tool_calls;
  if (isRecord(body.text)) {
    if (isRecord(body.text.format)) out.responseFormat = body.text.format;
    if (typeof body.text.verbosity === "string") out.verbosity = body.text.verbosity;
  }
  if (isRecord(body.reasoning) && typeof body.reasoning.effort === "string") out.reasoningEffort = body.reasoning.effort;
  for (const key of OPENAI_SHARED_FIELDS) if (body[key] !== undefined && body[key] !== null) out.openai[key] = body[key];
  return out;
}

/**
 * Write the pivot as an OpenAI Responses request. The system prompt becomes `instructions`
 * (segments joined by a blank line); `store` is `false` unless the client's request said
 * otherwise, since neither Anthropic nor Chat Completions keep responses by default.
 */
export function encodeResponsesRequest(c: CanonicalRequest): JsonObject {
  const out: JsonObject = {};
  if (c.model !== undefined) out.model = c.model;
  if (c.system.length) out.instructions = c.system.join("\n\n");
  const input: JsonObject[] = [];
  for (const message of c.messages) input.push(...encodeMessage(message));
  out.input = input;
  if (c.maxTokens !== undefined) out.max_output_tokens = c.maxTokens;
  if (c.temperature !== undefined) out.temperature = c.temperature;
  if (c.topP !== undefined) out.top_p = c.topP;
  if (c.stream) out.stream = true;
  if (c.user !== undefined) out.user = c.user;
  if (c.tools?.length) {
    out.tools = c.tools.map(encodeTool);
    if (c.toolChoice) {
      const t = c.toolChoice;
      out.tool_choice = t.type === "tool" ? { type: "function", name: t.name } : t.type === "any" ? "required" : t.type;
    }
    if (c.parallelToolCalls !== undefined) out.parallel_tool_calls = c.parallelToolCalls;
  }
  if (c.responseFormat || c.verbosity !== undefined) {
    const text: JsonObject = {};
    if (c.responseFormat) text.format = c.responseFormat;
    if (c.verbosity !== undefined) text.verbosity = c.verbosity;
    out.text = text;
  }
  if (c.reasoningEffort !== undefined) out.reasoning = { effort: c.reasoningEffort };
  Object.assign(out, c.openai);
  out.store ??= false;
  return out;
}

// --- internal ---

function decodeItem(item: unknown, at: string, target: Dialect, out: CanonicalRequest): void {
  if (!isRecord(item)) throw malformed(at, "an input item object");
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  if (type === "message") {
    const role = item.role;
    if (role === "system" || role === "developer") {
      const parts = contentParts(item.content, at, target).filter((p): p is CanonicalText => p.type === "text");
      if (out.messages.length === 0) out.system.push(...parts.map((p) => p.text));
      else out.messages.push({ role: "system", parts, at });
    } else if (role === "user" || role === "assistant") {
      out.messages.push({ role, parts: contentParts(item.content, at, target), at });
    } else throw malformed(`${at}.role`, '"user", "assistant", "system" or "developer"');
  } else if (type === "function_call") {
    const part: CanonicalPart = { type: "tool_call", id: str(item.call_id) ?? "", name: str(item.name) ?? "", arguments: str(item.arguments) ?? "", at };
    appendPart(out.messages, "assistant", part, at);
  } else if (type === "function_call_output") {
    const content = typeof item.output === "string" ? [{ type: "text" as const, text: item.output, at: `${at}.output` }] : contentParts(item.output, `${at}`, target, "output");
    appendPart(out.messages, "user", { type: "tool_result", callId: str(item.call_id) ?? "", content, isError: false, at }, at);
  } else if (type !== "reasoning") {
    throw unsupported(`${at}.type`, target, `input item type ${JSON.stringify(type)}`);
  }
}

function contentParts(content: unknown, at: string, target: Dialect, field = "content"): Array<CanonicalText | CanonicalImage> {
  if (typeof content === "string") return [{ type: "text", text: content, at: `${at}.${field}` }];
  if (content == null) return [];
  if (!Array.isArray(content)) throw malformed(`${at}.${field}`, "a string or an array of content parts");
  return content.map((part, j) => {
    const where = `${at}.${field}[${j}]`;
    if (!isRecord(part)) throw malformed(where, "a content part object");
    if (part.type === "input_text" || part.type === "output_text") return { type: "text", text: str(part.text) ?? "", at: where };
    if (part.type === "refusal") return { type: "text", text: str(part.refusal) ?? "", at: where };
    if (part.type === "input_image" && typeof part.image_url === "string") {
      const image: CanonicalImage = { type: "image", source: imageSourceFromUrl(part.image_url), at: where };
      if (typeof part.detail === "string" && part.detail !== "auto") image.detail = part.detail;
      return image;
    }
    throw unsupported(`${where}.type`, target, `content part type ${JSON.stringify(part.type)}${part.type === "input_image" ? " with a file_id" : ""}`);
  });
}

function decodeTool(tool: unknown, at: string, target: Dialect): CanonicalTool {
  if (!isRecord(tool) || tool.type !== "function") throw unsupported(`${at}.type`, target, `tool type ${JSON.stringify(isRecord(tool) ? tool.type : tool)}`);
  if (typeof tool.name !== "string") throw malformed(`${at}.name`, "a string");
  const out: CanonicalTool = { name: tool.name, parameters: isRecord(tool.parameters) ? tool.parameters : { type: "object", properties: {} } };
  if (typeof tool.description === "string") out.description = tool.description;
  if (typeof tool.strict === "boolean") out.strict = tool.strict;
  return out;
}

// Text and images group into message items; each tool call and tool result is its own item.
function encodeMessage(message: CanonicalMessage): JsonObject[] {
  const out: JsonObject[] = [];
  const textType = message.role === "assistant" ? "output_text" : "input_text";
  let pending: JsonObject[] = [];
  const flush = () => {
    if (pending.length) out.push({ type: "message", role: message.role, content: pending });
    pending = [];
  };
  for (const part of message.parts) {
    if (part.type === "text") pending.push({ type: textType, text: part.text });
    else if (part.type === "image") {
      if (message.role === "assistant") throw unsupported(part.at, "openai-responses", "an image in an assistant turn");
      pending.push(encodeImage(part));
    } else if (part.type === "tool_call") {
      flush();
      out.push({ type: "function_call", call_id: part.id, name: part.name, arguments: part.arguments });
    } else {
      flush();
      const only = part.content[0];
      const output = part.content.length === 0 ? "" : part.content.length === 1 && only?.type === "text" ? only.text
        : part.content.map((c) => (c.type === "text" ? { type: "input_text", text: c.text } : encodeImage(c)));
      out.push({ type: "function_call_output", call_id: part.callId, output });
    }
  }
  flush();
  return out;
}

function encodeImage(image: CanonicalImage): JsonObject {
  return { type: "input_image", image_url: imageSourceToUrl(image.source), detail: image.detail ?? "auto" };
}

function encodeTool(tool: CanonicalTool): JsonObject {
  const out: JsonObject = { type: "function", name: tool.name };
  if (tool.description !== undefined) out.description = tool.description;
  out.parameters = tool.parameters;
  out.strict = tool.strict ?? false; // Responses tools are strict unless told otherwise; the others are not
  return out;
}
