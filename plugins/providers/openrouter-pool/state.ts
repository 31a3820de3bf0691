// Key states and their changes, shared by config keys and run-time keys: which change applies
// to which state, and the stored state of config keys (the keys themselves stay in memory).
import { type PluginContext, storageKey } from "switchyard";

/** A state change; each applies only where it makes sense (see `applyChange`). */
export type StateChange =
  | { kind: "out_of_credits"; reason: string }
  | { kind: "refused"; status: number }
  | { kind: "restored" }
  | { kind: "enabled"; enabled: boolean }
  | { kind: "retiring" }
  | { kind: "checked" };

/** The stored state of a config key; absent = active. */
export interface ConfigState {
  /** Keyed HMAC of the key the state belongs to: a replaced key starts active again. */
  keyHash: string;
  status: "disabled" | "error";
  lastError: string;
  outOfCreditsSince?: number;
  checkedAt?: number;
  at: number;
}

export interface ConfigStates {
  /** The states that apply (read at most once a second per instance). */
  read(): Promise<Map<string, ConfigState>>;
  /** Apply `change` to a config key's state (compare-and-set, retried). */
  change(id: string, change: StateChange): Promise<void>;
}

/** States of the config keys (`id` → keyed HMAC of its key) under `config:<id>`. */
export function createConfigStates(ctx: PluginContext, hashes: ReadonlyMap<string, string>): ConfigStates {
  const stateKey = (id: string) => storageKey("config", id);
  let cache: { at: number; map: Map<string, ConfigState> } | undefined;
  return {
    async read() {
      if (cache && Date.now() - cache.at < CACHE_MS) return cache.map;
      const ids = [...hashes.keys()];
      const read = await Promise.all(ids.map((id) => ctx.storage.get<ConfigState>(stateKey(id))));
      const map = new Map<string, ConfigState>();
      read.forEach((state, i) => {
        if (state && state.keyHash === hashes.get(ids[i]!)) map.set(ids[i]!, state);
      });
      cache = { at: Date.now(), map };
      return map;
    },
    async change(id, change) {
      const key = stateKey(id);
      const keyHash = hashes.get(id)!;
      for (let attempt = 0; attempt < 20; attempt++) {
        const stored = await ctx.storage.get<ConfigState>(key);
        const current = stored && stored.keyHash === keyHash ? stored : null;
        const view = { status: current?.status ?? ("active" as const), lastError: current?.lastError, meta: { outOfCreditsSince: current?.outOfCreditsSince, checkedAt: current?.checkedAt } };
        const patch = applyChange(view, change, ctx.now());
        if (!patch) return;
        const status = patch.status ?? view.status;
        const meta = { ...view.meta, ...patch.meta };
        const next: ConfigState | null =
          status === "active" ? null : { keyHash, status, lastError: ("lastError" in patch ? patch.lastError : view.lastError) ?? "", at: ctx.now(), ...optional({ outOfCreditsSince: meta.outOfCreditsSince, checkedAt: meta.checkedAt }) };
        if (await ctx.storage.cas(key, stored, next)) {
          cache = undefined;
          return;
        }
      }
      throw new Error(`[switchyard] [plugin:${ctx.name}] ${id} changed too often to update`);
    },
  };
}

/** The record change for `change`, or undefined when it does not apply (no write). */
export function applyChange<V extends StateView>(current: V, change: StateChange, now: number): (Patch & { meta: V["meta"] }) | undefined {
  const retiring = current.meta.retiringSince !== undefined;
  const cleared = { ...current.meta, outOfCreditsSince: undefined, checkedAt: undefined };
  switch (change.kind) {
    case "out_of_credits":
      if (current.status !== "active" || retiring) return undefined;
      return { status: "error", lastError: change.reason, meta: { ...current.meta, outOfCreditsSince: now, checkedAt: now } };
    case "refused":
      if (current.status === "disabled") return undefined;
      return { status: "disabled", lastError: `OpenRouter refused the key (${change.status}); enable it again after fixing it`, meta: cleared };
    case "restored":
      if (current.meta.outOfCreditsSince === undefined || current.status !== "error") return undefined;
      return { status: "active", lastError: undefined, meta: cleared };
    case "enabled":
      if (retiring) return undefined;
      if (change.enabled) return { status: "active", lastError: undefined, meta: cleared };
      return { status: "disabled", lastError: "disabled by an operator", meta: cleared };
    case "retiring":
      if (retiring) return undefined;
      return { status: "disabled", lastError: "rotated out: deleted once its requests finish", meta: { ...cleared, retiringSince: now } };
    case "checked":
      return { meta: { ...current.meta, checkedAt: now } };
  }
}

/** `value` without its undefined fields (stored records never carry `undefined`). */
export function optional<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

// --- internal ---

const CACHE_MS = 1000;

interface StateView {
  status: "active" | "disabled" | "error" | "needs_reauth";
  lastError?: string | undefined;
  meta: { outOfCreditsSince?: number | undefined; checkedAt?: number | undefined; retiringSince?: number | undefined };
}

type Patch = { status?: "active" | "disabled" | "error"; lastError?: string | undefined; meta: StateView["meta"] & Record<string, unknown> };
