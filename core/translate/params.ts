import type { Dialect } from "../types/provider.ts";
import { type JsonObject, isRecord, unsupported } from "./canonical.ts";

/**
 * What happens to a top-level request parameter that the target dialect cannot express:
 * `drop` (removed; the answer keeps its shape), `reject` (400 naming the parameter), or a
 * function of the value choosing one of the two. `null` values are always dropped.
 */
export type ParameterRule = "drop" | "reject" | ((value: unknown) => "drop" | "reject");

// OpenAI account-side settings (billing tier, storage, caching, safety) with no Anthropic meaning.
const OPENAI_ACCOUNT_FIELDS = {
  service_tier: toAnthropic("drop"),
  store: toAnthropic("drop"),
  metadata: toAnthropic("drop"),
  prompt_cache_key: toAnthropic("drop"),
  prompt_cache_retention: toAnthropic("drop"),
  safety_identifier: toAnthropic("drop"),
};

/**
 * Per client dialect, per parameter, per upstream dialect: the parameters that do not map.
 * Parameters not listed here are either translated (see docs/guide/translation.md) or, when
 * unknown, dropped. Keep docs/guide/translation.md in step: a test checks every name is there.
 */
export const PARAMETER_RULES: Readonly<Record<Dialect, Readonly<Record<string, Partial<Record<Dialect, ParameterRule>>>>>> = {
  "anthropic-messages": {
    top_k: toOpenAI("drop"),
    thinking: toOpenAI("drop"),
    service_tier: toOpenAI("drop"),
    cache_control: toOpenAI("drop"),
    output_config: toOpenAI((v) => (isRecord(v) && v.format != null ? "reject" : "drop")),
    container: toOpenAI("reject"),
    mcp_servers: toOpenAI("reject"),
    inference_geo: toOpenAI("reject"),
    stop_sequences: { "openai-responses": nonEmptyList },
  },
  "openai-chat": {
    stream_options: { "anthropic-messages": "drop", "openai-responses": "drop" },
    n: notChat((v) => (typeof v === "number" && v > 1 ? "reject" : "drop")),
    logprobs: notChat((v) => (v === true ? "reject" : "drop")),
    top_logprobs: notChat((v) => (typeof v === "number" && v > 0 ? "reject" : "drop")),
    logit_bias: notChat((v) => (isRecord(v) && Object.keys(v).length > 0 ? "reject" : "drop")),
    presence_penalty: notChat("drop"),
    frequency_penalty: notChat("drop"),
    seed: notChat("drop"),
    modalities: notChat((v) => (Array.isArray(v) && v.some((m) => m !== "text") ? "reject" : "drop")),
    audio: notChat("reject"),
    prediction: notChat("drop"),
    web_search_options: notChat("reject"),
    functions: notChat("reject"),
    function_call: notChat("reject"),
    stop: { "openai-responses": nonEmptyList },
    response_format: { "anthropic-messages": (v) => (isRecord(v) && v.type !== "text" ? "reject" : "drop") },
    reasoning_effort: toAnthropic("drop"),
    verbosity: toAnthropic("drop"),
    ...OPENAI_ACCOUNT_FIELDS,
  },
  "openai-responses": {
    previous_response_id: notResponses("reject"),
    conversation: notResponses("reject"),
    prompt: notResponses("reject"),
    background: notResponses((v) => (v === true ? "reject" : "drop")),
    include: notResponses((v) => (Array.isArray(v) && v.includes("message.output_text.logprobs") ? "reject" : "drop")),
    top_logprobs: notResponses((v) => (typeof v === "number" && v > 0 ? "reject" : "drop")),
    truncation: notResponses("drop"),
    max_tool_calls: notResponses("drop"),
    stream_options: notResponses("drop"),
    text: { "anthropic-messages": (v) => (isRecord(v) && isRecord(v.format) && v.format.type !== "text" ? "reject" : "drop") },
    reasoning: toAnthropic("drop"),
    ...OPENAI_ACCOUNT_FIELDS,
  },
};

/**
 * Apply {@link PARAMETER_RULES}: throw for a rejected parameter, return the body without the
 * dropped ones (a copy only when something was dropped), reporting each through `onDrop`.
 */
export function applyParameterRules(body: JsonObject, from: Dialect, to: Dialect, onDrop?: (param: string) => void): JsonObject {
  let out = body;
  for (const [param, byTarget] of Object.entries(PARAMETER_RULES[from])) {
    const rule = byTarget[to];
    if (rule === undefined || !Object.hasOwn(body, param)) continue;
    const value = body[param];
    const action = value === null || value === undefined ? "drop" : typeof rule === "function" ? rule(value) : rule;
    if (action === "reject") throw unsupported(param, to);
    if (out === body) out = { ...body };
    delete out[param];
    onDrop?.(param);
  }
  return out;
}

// --- internal ---

function toOpenAI(rule: ParameterRule): Partial<Record<Dialect, ParameterRule>> {
  return { "openai-chat": rule, "openai-responses": rule };
}

function toAnthropic(rule: ParameterRule): Partial<Record<Dialect, ParameterRule>> {
  return { "anthropic-messages": rule };
}

function notChat(rule: ParameterRule): Partial<Record<Dialect, ParameterRule>> {
  return { "anthropic-messages": rule, "openai-responses": rule };
}

function notResponses(rule: ParameterRule): Partial<Record<Dialect, ParameterRule>> {
  return { "anthropic-messages": rule, "openai-chat": rule };
}

function nonEmptyList(value: unknown): "drop" | "reject" {
  if (typeof value === "string") return value === "" ? "drop" : "reject";
  return Array.isArray(value) && value.length > 0 ? "reject" : "drop";
}
