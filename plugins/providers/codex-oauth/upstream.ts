// The Codex backend call (protocols.md §4.6–4.7): headers of the Codex CLI, the body rules
// the backend enforces, and a session id per conversation.
import { randomUUID } from "node:crypto";
import type { PluginContext, UpstreamRequest } from "switchyard";
import type { ResolvedCodexOptions } from "./options.ts";

/** Body fields the Codex backend refuses (§4.7): removed before sending. */
export const REMOVED_FIELDS: readonly string[] = [
  "temperature", "top_p", "max_output_tokens", "user", "truncation", "text", "service_tier",
  "prompt_cache_retention", "safety_identifier", "previous_response_id", "stream_options",
];

/** A Responses body as the backend takes it: streamed, not stored, with instructions, without the refused fields. */
export function shapeBody(body: Record<string, unknown>, options: Pick<ResolvedCodexOptions, "instructions">): Record<string, unknown> {
  // fromEntries defines own properties: a client's "__proto__" key stays a plain field.
  const shaped: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([key]) => !REMOVED_FIELDS.includes(key)));
  if (typeof shaped.instructions !== "string") shaped.instructions = options.instructions;
  // The backend takes a list of items only.
  if (typeof shaped.input === "string") shaped.input = [{ type: "message", role: "user", content: [{ type: "input_text", text: shaped.input }] }];
  shaped.stream = true;
  shaped.store = false;
  return shaped;
}

/** Headers of one backend call. */
export function codexHeaders(input: { options: ResolvedCodexOptions; accessToken: string; chatgptAccountId: string; sessionId: string; openaiBeta?: string | null }): Headers {
  const headers = new Headers({
    "content-type": "application/json",
    accept: "text/event-stream",
    authorization: `Bearer ${input.accessToken}`,
    "chatgpt-account-id": input.chatgptAccountId,
    originator: input.options.originator,
    "user-agent": input.options.userAgent,
    session_id: input.sessionId,
  });
  if (input.openaiBeta) headers.set("openai-beta", input.openaiBeta);
  return headers;
}

/**
 * The `session_id` of a request: stable per conversation when the client names one (a
 * `session_id`/`x-session-id` header the relay forwards, `prompt_cache_key`, which Codex
 * clients set to their conversation id, or the end-user id, e.g. Anthropic `metadata.user_id`),
 * else random. Derived with a keyed hash, so the client's value never reaches the upstream
 * as such. `seeded` says whether it is stable.
 */
export function sessionIdFor(ctx: PluginContext, request: Pick<UpstreamRequest, "headers" | "body">): { id: string; seeded: boolean } {
  const { body, headers } = request;
  const seed = headers.get("session_id") ?? headers.get("x-session-id") ?? text(body.prompt_cache_key) ?? text(body.user);
  if (!seed) return { id: randomUUID(), seeded: false };
  return { id: asUuid(ctx.secrets.hash(`codex-session:${seed}`, "codex-oauth-session")), seeded: true };
}

/** The tiny request that proves an account works: one short input, read until the first event. */
export function validationBody(options: ResolvedCodexOptions): Record<string, unknown> {
  return shapeBody({ model: options.models[0] ?? "gpt-5", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "ping" }] }] }, options);
}

// --- internal ---

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

// Any digest → a version-4-shaped UUID (the backend expects that form).
function asUuid(digest: string): string {
  const hex = Buffer.from(digest, /^[0-9a-f]+$/i.test(digest) ? "hex" : "base64url").toString("hex").padEnd(32, "0").slice(0, 32);
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
