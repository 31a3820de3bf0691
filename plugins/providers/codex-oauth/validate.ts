// Proof that a new account works: one tiny Responses request to the Codex backend, read to
// its terminal event. A usage limit still proves the credentials.
import { randomUUID } from "node:crypto";
import { type PluginContext, createSSEParser, redactString } from "switchyard";
import { eventJson, eventType } from "./answer.ts";
import { type CodexUsage, limitRetryMs, usageFromHeaders } from "./limits.ts";
import type { ResolvedCodexOptions } from "./options.ts";
import { type CodexCredentials, fetchVia } from "./tokens.ts";
import { codexHeaders, validationBody } from "./upstream.ts";

/** The probe's verdict: `note` on success says what else was seen (a usage limit). */
export type ProbeResult = { ok: true; note?: string } | { ok: false; reason: string };

/** Send the validation request for one account. */
export async function probeAccount(
  ctx: PluginContext,
  options: ResolvedCodexOptions,
  input: { credentials: CodexCredentials; chatgptAccountId: string; proxy: string | undefined; onUsage(usage: CodexUsage): void },
): Promise<ProbeResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const headers = codexHeaders({ options, accessToken: input.credentials.accessToken, chatgptAccountId: input.chatgptAccountId, sessionId: randomUUID() });
    const response = await fetchVia(ctx, `${options.baseURL}/responses`, { method: "POST", headers, body: JSON.stringify(validationBody(options)), signal: controller.signal }, input.proxy);
    const usage = usageFromHeaders(response.headers, ctx.now());
    if (usage) input.onUsage(usage);
    if (response.status === 429) {
      const retry = limitRetryMs(await readJson(response), response.headers, ctx.now());
      return { ok: true, note: `usage limit reached at validation${retry === undefined ? "" : `; resets in ${Math.ceil(retry / 60_000)} min`}` };
    }
    if (!response.ok) {
      const error = errorOf(await readJson(response));
      return { ok: false, reason: `the Codex backend answered ${response.status}${error.code ? ` ${error.code}` : ""}${error.message ? `: ${error.message}` : ""}` };
    }
    return await readAnswer(response);
  } catch (error) {
    const timedOut = controller.signal.aborted;
    return { ok: false, reason: timedOut ? `the Codex backend did not answer within ${TIMEOUT_MS / 1000} s` : `could not reach the Codex backend: ${redactString((error as Error).message).slice(0, 200)}` };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

// --- internal ---

const TIMEOUT_MS = 30_000;

// Read the answer to its end (it is tiny): a terminal event proves the whole path works.
async function readAnswer(response: Response): Promise<ProbeResult> {
  const reader = response.body!.getReader();
  const parser = createSSEParser(); // 1 MiB a line: the answer is tiny
  let verdict: ProbeResult | undefined;
  try {
    for (;;) {
      const chunk = await reader.read();
      const events = chunk.done ? parser.end() : parser.push(chunk.value);
      for (const event of events) {
        if (verdict) break;
        const type = eventType(event);
        if (type === "response.completed" || type === "response.incomplete") verdict = { ok: true };
        if (type === "response.failed" || type === "error") {
          const json = eventJson(event) ?? {};
          const error = errorOf(isRecord(json.response) ? json.response : json);
          if (error.code && LIMIT_CODES.has(error.code)) verdict = { ok: true, note: `usage limit reached at validation (${error.code})` };
          else verdict = { ok: false, reason: `the Codex backend failed the request${error.code ? ` (${error.code})` : ""}${error.message ? `: ${error.message}` : ""}` };
        }
      }
      if (chunk.done) return verdict ?? { ok: false, reason: "the Codex backend's stream ended before response.completed" };
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

const LIMIT_CODES = new Set(["rate_limit_exceeded", "usage_limit_reached", "insufficient_quota", "usage_not_included"]);

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await response.text());
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

// An upstream error's code and message, safe to show to an operator (redacted, bounded).
function errorOf(body: Record<string, unknown> | undefined): { code?: string; message?: string } {
  const error = body && isRecord(body.error) ? body.error : {};
  const raw = typeof error.code === "string" ? error.code : typeof error.type === "string" ? error.type : undefined;
  const out: { code?: string; message?: string } = {};
  if (raw && /^[a-z0-9_.-]{1,64}$/i.test(raw)) out.code = raw;
  if (typeof error.message === "string" && error.message.trim()) out.message = redactString(error.message.trim()).slice(0, 200);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
