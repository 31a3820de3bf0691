// An OpenAI Chat Completions request body → a Gemini `generateContent` request body.

/** A request the plugin cannot express for Gemini; `send` answers it with a 400 of its own. */
export class UnsupportedRequest extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(`${param}: ${message}`);
    this.name = "UnsupportedRequest";
    this.param = param;
  }
}

/**
 * Translate a Chat Completions body (the relay's `openai-chat` dialect) into a Gemini
 * `GenerateContentRequest`. System and developer messages become `systemInstruction`; user and
 * assistant turns become `contents` with roles `user` and `model` (adjacent turns of one role
 * are merged); tool calls and tool results become `functionCall` and `functionResponse` parts.
 * Fields with no Gemini meaning (`user`, `metadata`, `store`, …) are dropped; fields whose
 * meaning would be lost (`n > 1`, `logprobs`, audio, …) throw {@link UnsupportedRequest}.
 */
export function toGeminiRequest(body: Record<string, unknown>): Record<string, unknown> {
  for (const param of REFUSED) {
    if (![undefined, null, false, 0].includes(body[param] as never)) throw new UnsupportedRequest(param, "is not supported by the Gemini API");
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw new UnsupportedRequest("n", "only 1 choice is supported by this provider");
  if (!Array.isArray(body.messages)) throw new UnsupportedRequest("messages", "must be an array");
  const out: Record<string, unknown> = { contents: translateMessages(body.messages) };
  const system = body.messages.flatMap((m, i) => (isRecord(m) && (m.role === "system" || m.role === "developer") ? textParts(m.content, `messages[${i}]`) : []));
  if (system.length > 0) out.systemInstruction = { parts: system };
  if (Array.isArray(body.tools) && body.tools.length > 0) out.tools = [{ functionDeclarations: body.tools.map(declaration) }];
  if (body.tool_choice !== undefined && body.tool_choice !== null) out.toolConfig = { functionCallingConfig: callingConfig(body.tool_choice) };
  const config = generationConfig(body);
  if (Object.keys(config).length > 0) out.generationConfig = config;
  return out;
}

// --- internal ---

type Part = Record<string, unknown>;
interface Content {
  role: "user" | "model";
  parts: Part[];
}

// OpenAI-only features whose answer this provider could not give back faithfully.
const REFUSED = ["logprobs", "top_logprobs", "audio", "prediction", "functions", "function_call", "web_search_options"] as const;

function translateMessages(messages: unknown[]): Content[] {
  const contents: Content[] = [];
  const callNames = new Map<string, string>(); // tool_call_id → function name, for functionResponse
  const push = (role: Content["role"], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (!isRecord(message)) throw new UnsupportedRequest(at, "must be an object");
    if (message.role === "system" || message.role === "developer") return; // → systemInstruction
    if (message.role === "user") return push("user", userParts(message.content, at));
    if (message.role === "assistant") {
      const parts: Part[] = textParts(message.content, at);
      for (const [k, call] of (Array.isArray(message.tool_calls) ? message.tool_calls : []).entries()) {
        const where = `${at}.tool_calls[${k}]`;
        if (!isRecord(call) || !isRecord(call.function) || typeof call.function.name !== "string") throw new UnsupportedRequest(where, "must be a function call with a name");
        if (typeof call.id === "string") callNames.set(call.id, call.function.name);
        parts.push({ functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${where}.function.arguments`) } });
      }
      return push("model", parts);
    }
    if (message.role === "tool") {
      const name = typeof message.tool_call_id === "string" ? callNames.get(message.tool_call_id) : undefined;
      if (name === undefined) throw new UnsupportedRequest(`${at}.tool_call_id`, "must name a tool call of an earlier assistant message");
      const output = textParts(message.content, at).map((p) => p.text).join("");
      return push("user", [{ functionResponse: { name, response: { output } } }]);
    }
    throw new UnsupportedRequest(`${at}.role`, `role ${JSON.stringify(message.role)} is not supported`);
  });
  return contents;
}

/** Text parts of a message: a string, or an array of `text` parts; empty texts are left out. */
function textParts(content: unknown, at: string): Array<{ text: string }> {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw new UnsupportedRequest(`${at}.content`, "must be a string or an array of parts");
  return content.flatMap((part, j) => textPart(part, `${at}.content[${j}]`));
}

function textPart(part: unknown, at: string): Array<{ text: string }> {
  if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") throw new UnsupportedRequest(at, "only text parts are supported here");
  return part.text === "" ? [] : [{ text: part.text }];
}

/** User content: text, and images given as base64 `data:` URLs (Gemini fetches no other URLs). */
function userParts(content: unknown, at: string): Part[] {
  if (!Array.isArray(content)) return textParts(content, at);
  return content.flatMap((part, j): Part[] => {
    const where = `${at}.content[${j}]`;
    if (!isRecord(part) || part.type !== "image_url") return textPart(part, where);
    const url = isRecord(part.image_url) ? part.image_url.url : part.image_url;
    const data = typeof url === "string" ? /^data:([^;,]+);base64,(.+)$/s.exec(url) : null;
    if (!data) throw new UnsupportedRequest(`${where}.image_url`, "only base64 data: URLs are supported");
    return [{ inlineData: { mimeType: data[1], data: data[2] } }];
  });
}

function parseArguments(value: unknown, at: string): Record<string, unknown> {
  if (value === undefined || value === null || value === "") return {};
  let parsed: unknown;
  try {
    parsed = typeof value === "string" ? JSON.parse(value) : value;
  } catch {
    throw new UnsupportedRequest(at, "must be a JSON object");
  }
  if (!isRecord(parsed)) throw new UnsupportedRequest(at, "must be a JSON object");
  return parsed;
}

function declaration(tool: unknown, i: number): Record<string, unknown> {
  if (!isRecord(tool) || tool.type !== "function" || !isRecord(tool.function) || typeof tool.function.name !== "string") {
    throw new UnsupportedRequest(`tools[${i}]`, "only function tools with a name are supported");
  }
  const fn = tool.function;
  return {
    name: fn.name,
    ...(typeof fn.description === "string" ? { description: fn.description } : {}),
    // JSON Schema as OpenAI takes it; `parameters` would take only Gemini's OpenAPI subset.
    ...(isRecord(fn.parameters) ? { parametersJsonSchema: fn.parameters } : {}),
  };
}

function callingConfig(choice: unknown): Record<string, unknown> {
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "none") return { mode: "NONE" };
  if (choice === "required") return { mode: "ANY" };
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === "string") return { mode: "ANY", allowedFunctionNames: [choice.function.name] };
  throw new UnsupportedRequest("tool_choice", "must be auto, none, required or a function");
}

function generationConfig(body: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (typeof value === "number") config[key] = value;
  };
  set("maxOutputTokens", body.max_completion_tokens ?? body.max_tokens);
  set("temperature", body.temperature);
  set("topP", body.top_p);
  set("seed", body.seed);
  set("presencePenalty", body.presence_penalty);
  set("frequencyPenalty", body.frequency_penalty);
  if (typeof body.stop === "string") config.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) config.stopSequences = body.stop.filter((s) => typeof s === "string");
  const format = body.response_format;
  if (isRecord(format) && (format.type === "json_object" || format.type === "json_schema")) {
    config.responseMimeType = "application/json";
    if (format.type === "json_schema" && isRecord(format.json_schema) && isRecord(format.json_schema.schema)) config.responseJsonSchema = format.json_schema.schema;
  }
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
