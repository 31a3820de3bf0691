// The new-api admin API (protocols.md §7): one user lookup and the atomic quota increment.
// Every call carries the admin's access token (`Authorization: Bearer …`) and `New-Api-User`.
import { HTTPError, type PluginContext, redactString } from "switchyard";
import type { ResolvedOptions } from "./options.ts";

/** The parts of a new-api user the plugin reads; never the user's `access_token`. */
export interface NewApiUser {
  id: number;
  username: string;
  displayName: string;
  /** `""` when the user never linked LinuxDO. */
  linuxDoId: string;
  /** 1 enabled, 2 disabled. */
  status: number;
}

/**
 * What an `add_quota` call did: `credited` (new-api said success), `refused` (it answered and
 * did not apply, or the request never left), `unknown` (it may have applied: a timeout after
 * sending, a reset, an answer that is not new-api's envelope).
 */
export type CreditOutcome = { kind: "credited" } | { kind: "refused"; reason: string } | { kind: "unknown"; reason: string };

export interface NewApiClient {
  /** The user, or `null` when new-api does not know the id; a 502/504 `HTTPError` when it cannot tell. */
  getUser(id: number): Promise<NewApiUser | null>;
  /** `POST /api/user/manage {id, action: "add_quota", mode: "add", value}`; never throws. */
  addQuota(id: number, value: number): Promise<CreditOutcome>;
}

export function createNewApiClient(ctx: PluginContext, options: ResolvedOptions): NewApiClient {
  const headers = (json: boolean): Record<string, string> => ({
    authorization: `Bearer ${options.adminToken}`,
    "new-api-user": String(options.adminUserId),
    accept: "application/json",
    ...(json ? { "content-type": "application/json" } : {}),
  });

  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: Envelope | undefined }> {
    const response = await ctx.http.fetch(`${options.baseURL}${path}`, {
      method,
      headers: headers(body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const text = await response.text();
    return { status: response.status, json: parseEnvelope(text) };
  }

  return {
    async getUser(id) {
      let answer: Awaited<ReturnType<typeof call>>;
      try {
        answer = await call("GET", `/api/user/${id}`);
      } catch (error) {
        const timedOut = isTimeout(error);
        ctx.logger.warn(`new-api user lookup failed: ${timedOut ? "timed out" : describe(error)}`);
        throw new HTTPError({ status: timedOut ? 504 : 502, message: timedOut ? "new-api did not answer in time" : "Could not reach new-api" });
      }
      const { status, json } = answer;
      if (status === 404) return null;
      if (status === 401 || status === 403) {
        ctx.logger.error(`new-api refused the admin credentials (HTTP ${status}); check adminToken and adminUserId`);
        throw new HTTPError({ status: 502, message: "new-api refused the gateway's credentials" });
      }
      if (!json) throw new HTTPError({ status: 502, message: `new-api answered HTTP ${status} without its JSON envelope` });
      if (!json.success) {
        if (NOT_FOUND.test(json.message)) return null;
        ctx.logger.warn(`new-api user lookup refused: ${json.message}`);
        throw new HTTPError({ status: 502, message: "new-api refused the user lookup" });
      }
      const user = toUser(json.data);
      if (!user || user.id !== id) throw new HTTPError({ status: 502, message: "new-api answered with an unexpected user object" });
      return user;
    },
    async addQuota(id, value) {
      let answer: Awaited<ReturnType<typeof call>>;
      try {
        answer = await call("POST", "/api/user/manage", { id, action: "add_quota", mode: "add", value });
      } catch (error) {
        if (notSent(error)) return { kind: "refused", reason: `could not connect to new-api (${describe(error)})` };
        return { kind: "unknown", reason: isTimeout(error) ? `no answer within ${options.requestTimeoutMs} ms` : `the call failed after sending (${describe(error)})` };
      }
      const { status, json } = answer;
      if (status === 401 || status === 403) return { kind: "refused", reason: `new-api refused the admin credentials (HTTP ${status})` };
      if (!json) return { kind: "unknown", reason: `HTTP ${status} without new-api's JSON envelope` };
      if (json.success) return { kind: "credited" };
      return { kind: "refused", reason: `new-api said: ${json.message || "no message"}` };
    },
  };
}

// --- internal ---

interface Envelope {
  success: boolean;
  message: string;
  data: unknown;
}

const NOT_FOUND = /record not found|not found|不存在/i;
// Errors that mean the request never reached new-api: nothing can have been applied.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function parseEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || typeof (value as Envelope).success !== "boolean") return undefined;
  const { success, message, data } = value as Record<string, unknown>;
  return { success: success as boolean, message: typeof message === "string" ? redactString(message).slice(0, 200) : "", data };
}

function toUser(data: unknown): NewApiUser | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  if (typeof d.id !== "number" || !Number.isSafeInteger(d.id)) return undefined;
  const linux = d.linux_do_id;
  return {
    id: d.id,
    username: typeof d.username === "string" ? d.username.slice(0, 100) : "",
    displayName: typeof d.display_name === "string" ? d.display_name.slice(0, 100) : "",
    linuxDoId: typeof linux === "string" ? linux : typeof linux === "number" ? String(linux) : "",
    status: typeof d.status === "number" ? d.status : 1,
  };
}

function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function notSent(error: unknown): boolean {
  const code = causeCode(error);
  return code !== undefined && NOT_SENT.has(code);
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown })?.name === "TimeoutError";
}

function describe(error: unknown): string {
  const code = causeCode(error);
  return redactString(code ?? (error as Error)?.message ?? String(error)).slice(0, 120);
}
