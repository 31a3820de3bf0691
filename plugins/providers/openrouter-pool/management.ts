// OpenRouter's key management API (protocols.md §5.3) and `GET /key` (§5.4). Answers are
// reduced to what the pool needs; errors never carry a key, label or hash.
import { HTTPError, type PluginContext } from "switchyard";
import { scrubText } from "./scrub.ts";

/** A key as the management API lists it (the hash stays inside the plugin). */
export interface ManagedKeyInfo {
  hash: string;
  name: string;
  disabled: boolean;
  limitUsd: number | null;
  limitRemainingUsd: number | null;
  limitReset: string | null;
  usageUsd: number;
  createdAt: string | undefined;
}

/** What `GET /key` says about the calling key. */
export type KeyCheck =
  | { ok: true; limitRemainingUsd: number | null; limitUsd: number | null; management: boolean }
  | { ok: false; status: number; message: string };

export interface ManagementApi {
  create(input: { name: string; limitUsd?: number | undefined; limitReset?: string | null | undefined }): Promise<{ key: string; info: ManagedKeyInfo }>;
  list(): Promise<ManagedKeyInfo[]>;
  /** Delete by hash; false when OpenRouter no longer knows it. */
  remove(hash: string): Promise<boolean>;
  /** `GET /key` with `key` itself (no management key needed). */
  check(key: string, proxy?: string): Promise<KeyCheck>;
}

export function createManagementApi(input: { ctx: PluginContext; baseURL: string; managementKey: string | undefined; sensitive: () => Iterable<string> }): ManagementApi {
  const { ctx, baseURL, managementKey, sensitive } = input;
  const call = async (method: string, path: string, body?: unknown, key = managementKey, proxy?: string): Promise<Response> => {
    if (key === undefined) throw new HTTPError({ status: 400, message: `${ctx.name} has no managementKey: key management is off` });
    const headers = new Headers({ authorization: `Bearer ${key}`, accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    try {
      return await ctx.http.fetch(`${baseURL}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(TIMEOUT_MS), ...(proxy ? { proxy } : {}) });
    } catch (error) {
      throw new HTTPError({ status: 502, message: `Could not reach OpenRouter (${method} ${path.replace(HASH_PATH, "/keys/…")}): ${scrubText((error as Error).message, sensitive())}` });
    }
  };
  const fail = async (response: Response, what: string) => {
    const message = await errorMessage(response, sensitive());
    return new HTTPError({ status: 502, message: `OpenRouter refused to ${what} (${response.status}): ${message}`, data: { upstreamStatus: response.status } });
  };
  return {
    async create({ name, limitUsd, limitReset }) {
      const response = await call("POST", "/keys", { name, ...(limitUsd === undefined ? {} : { limit: limitUsd }), ...(limitReset === undefined ? {} : { limit_reset: limitReset }) });
      if (!response.ok) throw await fail(response, "create a key");
      const body = (await response.json().catch(() => ({}))) as { data?: unknown; key?: unknown };
      if (typeof body.key !== "string" || body.key === "" || !isInfo(body.data)) throw new HTTPError({ status: 502, message: "OpenRouter created a key but its answer had no key or hash" });
      return { key: body.key, info: toInfo(body.data) };
    },
    async list() {
      const out: ManagedKeyInfo[] = [];
      for (let offset = 0; offset < MAX_KEYS; offset += PAGE) {
        const response = await call("GET", `/keys?include_disabled=true&offset=${offset}`);
        if (!response.ok) throw await fail(response, "list keys");
        const body = (await response.json().catch(() => ({}))) as { data?: unknown };
        const page = Array.isArray(body.data) ? body.data.filter(isInfo).map(toInfo) : [];
        out.push(...page);
        if (page.length < PAGE) break;
      }
      return out;
    },
    async remove(hash) {
      const response = await call("DELETE", `/keys/${encodeURIComponent(hash)}`);
      if (response.status === 404) {
        await response.body?.cancel();
        return false;
      }
      if (!response.ok) throw await fail(response, "delete a key");
      await response.body?.cancel();
      return true;
    },
    async check(key, proxy) {
      const response = await call("GET", "/key", undefined, key, proxy);
      if (!response.ok) return { ok: false, status: response.status, message: await errorMessage(response, sensitive()) };
      const body = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown> };
      const data = body.data ?? {};
      return {
        ok: true,
        limitRemainingUsd: typeof data.limit_remaining === "number" ? data.limit_remaining : null,
        limitUsd: typeof data.limit === "number" ? data.limit : null,
        management: data.is_management_key === true || data.is_provisioning_key === true,
      };
    },
  };
}

// --- internal ---

const TIMEOUT_MS = 30_000;
const PAGE = 100;
const MAX_KEYS = 10_000;
const HASH_PATH = /\/keys\/[^/?]+/;

function isInfo(value: unknown): value is Record<string, unknown> & { hash: string } {
  return typeof value === "object" && value !== null && typeof (value as { hash?: unknown }).hash === "string" && (value as { hash: string }).hash !== "";
}

function toInfo(data: Record<string, unknown> & { hash: string }): ManagedKeyInfo {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    hash: data.hash,
    name: typeof data.name === "string" ? data.name : "",
    disabled: data.disabled === true,
    limitUsd: num(data.limit),
    limitRemainingUsd: num(data.limit_remaining),
    limitReset: typeof data.limit_reset === "string" ? data.limit_reset : null,
    usageUsd: num(data.usage) ?? 0,
    createdAt: typeof data.created_at === "string" ? data.created_at : undefined,
  };
}

async function errorMessage(response: Response, sensitive: Iterable<string>): Promise<string> {
  const text = await response.text().catch(() => "");
  let message = "";
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // not JSON
  }
  return message ? scrubText(message.slice(0, 300), sensitive) : `status ${response.status}`;
}
