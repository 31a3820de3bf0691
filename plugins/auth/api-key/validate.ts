import { type ClientLimits, badRequest, parseCidr } from "switchyard";
import type { CreateKeyInput, UpdateKeyInput } from "./types.ts";

/**
 * Check a create request strictly: unknown fields, wrong types, negative or non-finite limits
 * and past expiry times are refused with a 400 naming the field. Returns a normalized copy.
 */
export function validateCreate(input: unknown, now: number): CreateKeyInput {
  const body = asObject(input, "body");
  checkFields(body, FIELDS, "");
  if (body.name === undefined) throw badRequest("name", "is required");
  const out: CreateKeyInput = { name: text(body.name, "name", 100) };
  if (body.enabled !== undefined) out.enabled = bool(body.enabled, "enabled");
  if (body.expiresAt !== undefined) {
    out.expiresAt = time(body.expiresAt, "expiresAt");
    if (Date.parse(out.expiresAt) <= now) throw badRequest("expiresAt", "must be in the future");
  }
  if (body.models !== undefined) out.models = list(body.models, "models", identifier);
  if (body.ips !== undefined) out.ips = list(body.ips, "ips", cidr);
  if (body.limits !== undefined) out.limits = limits(body.limits, false) as ClientLimits;
  if (body.accounts !== undefined) out.accounts = list(body.accounts, "accounts", identifier);
  if (body.owner !== undefined) out.owner = identifier(body.owner, "owner");
  return out;
}

/**
 * Check an update (JSON merge patch) strictly, like `validateCreate`; `null` removes an
 * optional field. An expiry in the past is allowed here: it expires the key at once.
 */
export function validatePatch(input: unknown): UpdateKeyInput {
  const body = asObject(input, "body");
  checkFields(body, FIELDS, "");
  const out: UpdateKeyInput = {};
  if (body.name !== undefined) out.name = text(body.name, "name", 100);
  if (body.enabled !== undefined) out.enabled = bool(body.enabled, "enabled");
  if (body.expiresAt !== undefined) out.expiresAt = body.expiresAt === null ? null : time(body.expiresAt, "expiresAt");
  if (body.models !== undefined) out.models = body.models === null ? null : list(body.models, "models", identifier);
  if (body.ips !== undefined) out.ips = body.ips === null ? null : list(body.ips, "ips", cidr);
  if (body.limits !== undefined) out.limits = body.limits === null ? null : limits(body.limits, true);
  if (body.accounts !== undefined) out.accounts = body.accounts === null ? null : list(body.accounts, "accounts", identifier);
  if (body.owner !== undefined) out.owner = body.owner === null ? null : identifier(body.owner, "owner");
  return out;
}

/** Names of the limits a key may carry, with whether each must be a whole number. */
export const LIMIT_FIELDS: Record<keyof ClientLimits, "integer" | "usd"> = {
  concurrency: "integer",
  rpm: "integer",
  tpm: "integer",
  dailyUsd: "usd",
  budgetUsd: "usd",
};

// --- internal ---

const FIELDS = ["name", "enabled", "expiresAt", "models", "ips", "limits", "accounts", "owner"];
const MAX_ITEMS = 100;
const MAX_LIMIT = 1e12;
// Printable ASCII without spaces: model ids, account ids and user ids all fit.
const TOKEN = /^[\x21-\x7e]+$/;

function asObject(value: unknown, param: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest(param, "expected a JSON object");
  return value as Record<string, unknown>;
}

function checkFields(body: Record<string, unknown>, known: readonly string[], path: string): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw badRequest(`${path}${key}`.slice(0, 100), `unknown field (expected one of ${known.join(", ")})`);
  }
}

function text(value: unknown, param: string, max: number): string {
  if (typeof value !== "string") throw badRequest(param, "expected a string");
  const trimmed = value.trim();
  if (trimmed === "" || trimmed.length > max || /\p{Cc}/u.test(trimmed)) throw badRequest(param, `expected 1 to ${max} printable characters`);
  return trimmed;
}

function bool(value: unknown, param: string): boolean {
  if (typeof value !== "boolean") throw badRequest(param, "expected true or false");
  return value;
}

function time(value: unknown, param: string): string {
  const ms = typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw badRequest(param, "expected an ISO 8601 date-time such as 2030-01-31T00:00:00Z");
  return new Date(ms).toISOString();
}

function list(value: unknown, param: string, item: (v: unknown, p: string) => string): string[] {
  if (!Array.isArray(value)) throw badRequest(param, "expected an array of strings");
  if (value.length === 0) throw badRequest(param, "must not be empty (omit it, or send null in an update, to remove the restriction)");
  if (value.length > MAX_ITEMS) throw badRequest(param, `at most ${MAX_ITEMS} entries`);
  return [...new Set(value.map((v, i) => item(v, `${param}[${i}]`)))];
}

function identifier(value: unknown, param: string): string {
  if (typeof value !== "string" || value.length > 200 || !TOKEN.test(value)) throw badRequest(param, "expected 1 to 200 printable characters without spaces");
  return value;
}

function cidr(value: unknown, param: string): string {
  const parsed = typeof value === "string" ? parseCidr(value) : "expected a string";
  if (typeof parsed === "string") throw badRequest(param, `expected a CIDR range such as 10.0.0.0/8 or ::1/128: ${parsed}`);
  return value as string;
}

function limits(value: unknown, patch: boolean): Record<string, number | null> {
  const body = asObject(value, "limits");
  checkFields(body, Object.keys(LIMIT_FIELDS), "limits.");
  const out: Record<string, number | null> = {};
  for (const [name, kind] of Object.entries(LIMIT_FIELDS)) {
    const v = body[name];
    const param = `limits.${name}`;
    if (v === undefined) continue;
    if (v === null && patch) {
      out[name] = null;
      continue;
    }
    const ok = typeof v === "number" && Number.isFinite(v) && v <= MAX_LIMIT && (kind === "integer" ? Number.isInteger(v) && v >= 1 : v >= 0);
    if (!ok) throw badRequest(param, kind === "integer" ? "expected a whole number of at least 1" : "expected a number of USD, 0 or more");
    out[name] = v as number;
  }
  return out;
}
