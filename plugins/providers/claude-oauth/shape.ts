// What a Messages request needs before a subscription token may carry it (protocols.md §2.6):
// the Claude Code headers and beta flags, and a body whose system prompt starts with the
// Claude Code identity. Pure functions over plain data.
import type { ResolvedClaudeOAuthOptions } from "./options.ts";

/** The line every OAuth request's system prompt must start with. */
export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";
/** `anthropic-version` of every call. */
export const ANTHROPIC_VERSION = "2023-06-01";

type ShapeOptions = Pick<ResolvedClaudeOAuthOptions, "maxTokens" | "stripCacheControlTtl" | "systemPrompt">;

/**
 * The body as sent upstream. `system` becomes a list of text blocks: the identity line (kept
 * where the client already starts with it), then the operator's `systemPrompt`, then the
 * client's own system blocks unchanged, minus any `x-anthropic-billing-header:` element.
 * `cache_control.ttl` is removed when asked; `max_tokens` is lowered to the model's cap.
 * The input is never modified.
 */
export function shapeBody(body: Record<string, unknown>, options: ShapeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, system: shapeSystem(body.system, options.systemPrompt) };
  if (options.stripCacheControlTtl) {
    out.system = (out.system as unknown[]).map(withoutTtl);
    if (Array.isArray(body.messages)) out.messages = body.messages.map((m) => (isObject(m) && Array.isArray(m.content) ? { ...m, content: m.content.map(withoutTtl) } : m));
    if (Array.isArray(body.tools)) out.tools = body.tools.map(withoutTtl);
  }
  const cap = typeof body.model === "string" ? options.maxTokens.find((c) => c.pattern.test(body.model as string))?.cap : undefined;
  if (cap !== undefined && typeof body.max_tokens === "number" && body.max_tokens > cap) out.max_tokens = cap;
  return out;
}

/** Headers of an API call with `accessToken`; the client's `anthropic-beta` flags are merged in. */
export function upstreamHeaders(input: { accessToken: string; client: Headers; stream: boolean; options: Pick<ResolvedClaudeOAuthOptions, "betas" | "userAgent"> }): Headers {
  const betas = [...input.options.betas];
  for (const beta of (input.client.get("anthropic-beta") ?? "").split(",")) {
    const flag = beta.trim();
    if (flag !== "" && /^[\x21-\x7e]+$/.test(flag) && !betas.includes(flag)) betas.push(flag);
  }
  const headers = new Headers({
    authorization: `Bearer ${input.accessToken}`,
    "anthropic-version": ANTHROPIC_VERSION,
    "anthropic-dangerous-direct-browser-access": "true",
    "x-app": "cli",
    "user-agent": input.options.userAgent,
    "content-type": "application/json",
    accept: input.stream ? "text/event-stream" : "application/json",
    "accept-encoding": "identity",
  });
  if (betas.length > 0) headers.set("anthropic-beta", betas.join(","));
  return headers;
}

// --- internal ---

const BILLING_HEADER = "x-anthropic-billing-header:";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeSystem(system: unknown, operatorPrompt: string | undefined): unknown[] {
  const client: unknown[] = typeof system === "string" ? (system === "" ? [] : [{ type: "text", text: system }]) : Array.isArray(system) ? [...system] : [];
  const kept = client.filter((block) => !(isObject(block) && typeof block.text === "string" && block.text.trimStart().startsWith(BILLING_HEADER)));
  const first = kept[0];
  const startsRight = isObject(first) && first.type === "text" && typeof first.text === "string" && first.text.startsWith(CLAUDE_CODE_IDENTITY);
  const head = startsRight ? [first] : [{ type: "text", text: CLAUDE_CODE_IDENTITY }];
  const rest = startsRight ? kept.slice(1) : kept;
  return [...head, ...(operatorPrompt === undefined ? [] : [{ type: "text", text: operatorPrompt }]), ...rest];
}

/** A block without `cache_control.ttl` (the rest of `cache_control` stays). */
function withoutTtl(block: unknown): unknown {
  if (!isObject(block) || !isObject(block.cache_control) || !("ttl" in block.cache_control)) return block;
  const { ttl: _ttl, ...cacheControl } = block.cache_control;
  return { ...block, cache_control: cacheControl };
}
