// The pool's keys from every source: config keys (in memory; their state in storage) and
// run-time keys (added by an operator or created through the management API; sealed in the
// account store). One view for listing, one set of state changes for all of them.
import { createHash } from "node:crypto";
import { type AccountStore, type KeyAccount, type PluginContext, createAccountStore, registerSecret, storageKey } from "switchyard";
import { type StateChange, applyChange, createConfigStates, optional } from "./state.ts";

export type { StateChange } from "./state.ts";

/** Where a key came from. */
export type KeySource = "config" | "added" | "managed";

/** Sealed per run-time key. `hash` is OpenRouter's id of a managed key (management calls only). */
export interface KeyCredentials {
  key: string;
  hash?: string;
}

/** Non-secret facts kept with a run-time key. */
export interface KeyMeta {
  source: "added" | "managed";
  /** Keyed HMAC of the key: finds duplicates; its first 8 chars are the fingerprint shown. */
  keyHash: string;
  /** Managed keys: created by the rotation job or by an operator. */
  origin?: "rotation" | "operator";
  limitUsd?: number | null;
  limitReset?: string | null;
  outOfCreditsSince?: number;
  checkedAt?: number;
  /** Set when the key left rotation and waits for its requests to finish before deletion. */
  retiringSince?: number;
}

/** One key as the pool sees it (never the key itself). */
export interface PoolEntry {
  id: string;
  name: string;
  source: KeySource;
  status: "active" | "disabled" | "error";
  lastError?: string;
  createdAt?: number;
  lastUsedAt?: number;
  proxy?: string;
  keyHash: string;
  origin?: KeyMeta["origin"];
  limitUsd?: number | null;
  limitReset?: string | null;
  outOfCreditsSince?: number;
  retiringSince?: number;
}

/** What a request needs to use a key. */
export interface KeyMaterial {
  key: string;
  proxy?: string;
  hash?: string;
}

/** Input of `add`. */
export interface NewKey {
  key: string;
  name: string;
  source: "added" | "managed";
  origin?: KeyMeta["origin"];
  hash?: string;
  proxy?: { url: string; display: string };
  limitUsd?: number | null;
  limitReset?: string | null;
  outOfCredits?: string;
}

export interface KeyPool {
  readonly store: AccountStore<KeyCredentials, KeyMeta>;
  /** Every key, config keys first (read at most once a second per instance). */
  entries(): Promise<PoolEntry[]>;
  find(id: string): Promise<PoolEntry | undefined>;
  /** The key (and proxy) of an account; a 404 `HTTPError` when it is gone. */
  material(id: string): Promise<KeyMaterial>;
  /** Keyed HMAC of a key (compare with `PoolEntry.keyHash`). */
  hashOf(key: string): string;
  add(input: NewKey): Promise<PoolEntry>;
  change(id: string, change: StateChange): Promise<PoolEntry | undefined>;
  /** Drop a run-time key's record and everything cached about it. */
  drop(id: string): Promise<void>;
  /** Every secret value an upstream text might echo: keys, their SHA-256 and OpenRouter hashes. */
  sensitive(): Iterable<string>;
  /** Forget cached material (after a proxy change). */
  forget(id: string): void;
  /** Record a use of a run-time key in its record (`lastUsedAt`, at most once a minute; not awaited). */
  touch(id: string): void;
}

export function createKeyPool(ctx: PluginContext, config: readonly KeyAccount[], managementKey: string | undefined): KeyPool {
  const store = createAccountStore<KeyCredentials, KeyMeta>(ctx);
  const hashOf = (key: string) => ctx.secrets.hash(key, "openrouter-key");
  const configHash = new Map(config.map((k) => [k.id, hashOf(k.key)]));
  const material = new Map<string, KeyMaterial>(config.map((k) => [k.id, { key: k.key }]));
  const sensitive = new Set<string>();
  const remember = (m: KeyMaterial) => {
    for (const value of [m.key, sha256(m.key), m.hash]) if (value) {
      sensitive.add(value);
      registerSecret(value);
    }
  };
  for (const m of material.values()) remember(m);
  if (managementKey) remember({ key: managementKey });
  const states = createConfigStates(ctx, configHash);

  async function entries(): Promise<PoolEntry[]> {
    const [map, records] = await Promise.all([states.read(), store.list()]);
    const fromConfig = config.map((k): PoolEntry => {
      const state = map.get(k.id);
      return { id: k.id, name: k.name, source: "config", status: state?.status ?? "active", keyHash: configHash.get(k.id)!, ...optional({ lastError: state?.lastError, outOfCreditsSince: state?.outOfCreditsSince }) };
    });
    const fromStore = records.map((a): PoolEntry => ({
      id: a.id, name: a.name, source: a.meta.source, status: a.status === "needs_reauth" ? "disabled" : a.status, keyHash: a.meta.keyHash, createdAt: a.createdAt,
      ...optional({
        lastError: a.lastError, lastUsedAt: a.lastUsedAt, proxy: a.proxyDisplay, origin: a.meta.origin, limitUsd: a.meta.limitUsd,
        limitReset: a.meta.limitReset, outOfCreditsSince: a.meta.outOfCreditsSince, retiringSince: a.meta.retiringSince,
      }),
    }));
    return [...fromConfig, ...fromStore];
  }

  const pool: KeyPool = {
    store,
    entries,
    async find(id) {
      return (await entries()).find((e) => e.id === id);
    },
    async material(id) {
      const known = material.get(id);
      if (known) return known;
      const [credentials, proxy] = await Promise.all([store.credentials(id), store.proxy(id)]);
      const loaded: KeyMaterial = { key: credentials.key, ...optional({ hash: credentials.hash, proxy }) };
      remember(loaded);
      material.set(id, loaded);
      return loaded;
    },
    hashOf,
    async add(input) {
      const now = ctx.now();
      const meta: KeyMeta = { source: input.source, keyHash: hashOf(input.key), ...optional({ origin: input.origin, limitUsd: input.limitUsd, limitReset: input.limitReset }) };
      if (input.outOfCredits) meta.outOfCreditsSince = now;
      const account = await store.create({
        name: input.name,
        credentials: { key: input.key, ...optional({ hash: input.hash }) },
        ...(input.proxy ? { proxy: input.proxy } : {}),
        ...(input.outOfCredits ? { status: "error" as const, lastError: input.outOfCredits } : {}),
        meta,
      });
      const loaded = { key: input.key, ...optional({ hash: input.hash, proxy: input.proxy?.url }) };
      remember(loaded);
      material.set(account.id, loaded);
      return (await pool.find(account.id))!;
    },
    async change(id, change) {
      if (configHash.has(id)) {
        await states.change(id, change);
        return pool.find(id);
      }
      const updated = await store.update(id, (current) => applyChange(current, change, ctx.now())).catch((error: unknown) => {
        if ((error as { status?: number }).status === 404) return undefined; // removed meanwhile
        throw error;
      });
      return updated && pool.find(id);
    },
    async drop(id) {
      if (configHash.has(id)) throw new Error(`[switchyard] [plugin:${ctx.name}] ${id} comes from the config`);
      await store.remove(id).catch((error: unknown) => {
        if ((error as { status?: number }).status !== 404) throw error;
      });
      material.delete(id);
      // Counters have no delete: let them expire.
      await Promise.all(["uses", "inflight"].map((name) => ctx.storage.incr(storageKey(name, id), 0, 1000))).catch(() => {});
    },
    sensitive: () => sensitive,
    forget(id) {
      if (!configHash.has(id)) material.delete(id);
    },
    touch(id) {
      if (!configHash.has(id)) store.touch(id);
    },
  };

  return pool;
}

/** SHA-256 hex of a key: what OpenRouter-style hashes look like, scrubbed from upstream texts. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
