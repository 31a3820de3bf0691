// OpenRouter error bodies can name the key that failed (its value, masked label or hash).
// Every non-2xx answer is rebuilt from its message and a few safe fields, scrubbed.
import { redactString } from "switchyard";

/** An upstream error, rebuilt: the response to hand on, and what was in it. */
export interface RewrittenError {
  response: Response;
  /** The scrubbed message. */
  message: string;
  /** OpenRouter's `metadata.limit_source` on a 402, when present. */
  limitSource: string | undefined;
  /** A moderation answer (`metadata.reasons` / `flagged_input`). */
  moderation: boolean;
}

/** Replace keys, their labels, their hashes and anything key-shaped in `text`. */
export function scrubText(text: string, sensitive: Iterable<string>): string {
  let out = text;
  for (const value of sensitive) if (value.length >= 8 && out.includes(value)) out = out.split(value).join(REDACTED);
  return redactString(out.replace(LABEL, REDACTED).replace(HEX, REDACTED));
}

/** Read an error answer (at most 64 KB) and rebuild it as `{"error":{"code","message","metadata"?}}`. */
export async function rewriteError(response: Response, sensitive: Iterable<string>): Promise<RewrittenError> {
  const text = await readCapped(response, MAX_ERROR_BYTES).catch(() => "");
  let error: Record<string, unknown> = {};
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "object" && body.error !== null) error = body.error as Record<string, unknown>;
    else if (typeof body.message === "string") error = { message: body.message };
  } catch {
    // not JSON: the generic message below
  }
  const raw = typeof error.message === "string" && error.message.trim() !== "" ? error.message.slice(0, 1000) : `OpenRouter answered ${response.status}`;
  const message = scrubText(raw, sensitive);
  const source = typeof error.metadata === "object" && error.metadata !== null ? (error.metadata as Record<string, unknown>) : {};
  const metadata: Record<string, unknown> = {};
  for (const field of SAFE_METADATA) {
    const value = source[field];
    if (typeof value === "string") metadata[field] = scrubText(value.slice(0, 200), sensitive);
    else if (Array.isArray(value)) metadata[field] = value.filter((v) => typeof v === "string").slice(0, 20).map((v) => scrubText(String(v).slice(0, 200), sensitive));
  }
  const headers = new Headers({ "content-type": "application/json" });
  for (const [name, value] of response.headers) if (KEPT_HEADERS.test(name)) headers.set(name, value);
  const body = { error: { code: response.status, message, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) } };
  return {
    response: new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers }),
    message,
    limitSource: typeof metadata.limit_source === "string" ? metadata.limit_source : undefined,
    moderation: source.reasons !== undefined || source.flagged_input !== undefined,
  };
}

// --- internal ---

const REDACTED = "[redacted]";
const MAX_ERROR_BYTES = 64 * 1024;
// OpenRouter keys and their masked labels (`sk-or-v1-0e6…1c96`, `sk-or-v1-au7...890`).
const LABEL = /sk-or-[\w-]*(?:(?:…|\.{2,3})[\w-]*)?/gi;
// Key hashes (hex digests) and other long hex ids.
const HEX = /(?<![0-9a-f])[0-9a-f]{32,}(?![0-9a-f])/gi;
// Fields that say what went wrong without naming a key (flagged_input is the client's own text; dropped anyway).
const SAFE_METADATA = ["limit_source", "reasons", "provider_name", "model_slug"] as const;
const KEPT_HEADERS = /^(retry-after|retry-after-ms|x-ratelimit-[\w-]+)$/i;

async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}
