// A key form's text fields to and from the api-key plugin's bodies.
import { list } from "../../shared/format.ts";
import type { KeyLimits, KeyRecord } from "../../shared/types.ts";

/** A key form's fields, as typed (empty = not set; number inputs give numbers). */
export interface KeyDraft {
  name: string;
  models: string;
  rpm: string | number;
  tpm: string | number;
  concurrency: string | number;
  dailyUsd: string | number;
  budgetUsd: string | number;
  expiresAt: string;
}

const LIMITS = ["rpm", "tpm", "concurrency", "dailyUsd", "budgetUsd"] as const;

export function emptyDraft(): KeyDraft {
  return { name: "", models: "", rpm: "", tpm: "", concurrency: "", dailyUsd: "", budgetUsd: "", expiresAt: "" };
}

export function draftOf(record: KeyRecord): KeyDraft {
  const text = (n: number | undefined) => (n === undefined ? "" : String(n));
  return {
    name: record.name,
    models: (record.models ?? []).join(", "),
    rpm: text(record.limits.rpm), tpm: text(record.limits.tpm), concurrency: text(record.limits.concurrency),
    dailyUsd: text(record.limits.dailyUsd), budgetUsd: text(record.limits.budgetUsd),
    expiresAt: record.expiresAt ? toLocalInput(record.expiresAt) : "",
  };
}

/** The body of `POST /keys`: only what is filled in. */
export function createBody(d: KeyDraft): Record<string, unknown> {
  const limits: KeyLimits = {};
  for (const name of LIMITS) if (text(d[name]) !== "") limits[name] = Number(d[name]);
  const models = list(d.models);
  return {
    name: d.name.trim(),
    ...(models ? { models } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(d.expiresAt ? { expiresAt: new Date(d.expiresAt).toISOString() } : {}),
  };
}

/** The merge patch of `PATCH /keys/:id`: emptied fields become null (removed). */
export function patchBody(d: KeyDraft): Record<string, unknown> {
  const limits: Record<string, number | null> = {};
  for (const name of LIMITS) limits[name] = text(d[name]) === "" ? null : Number(d[name]);
  return { name: d.name.trim(), models: list(d.models) ?? null, limits, expiresAt: d.expiresAt ? new Date(d.expiresAt).toISOString() : null };
}

// --- internal ---

// Vue's v-model hands number inputs back as numbers; empty ones stay "".
function text(value: string | number): string {
  return String(value).trim();
}

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
