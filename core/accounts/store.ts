// Accounts a provider plugin onboards at run time (OAuth accounts, keys added by an admin):
// one record per account in the plugin's storage, credentials and proxy sealed, every
// read-modify-write through `cas` so instances never overwrite each other's changes.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { notFound } from "../errors.ts";
import { storageKey } from "../storage.ts";
import type { PluginContext } from "../types/plugin.ts";
import type { AccountStatus, AccountSummary } from "../types/provider.ts";

/** An account as stored, without its sealed parts. */
export interface ManagedAccount<M extends object = Record<string, unknown>> {
  id: string;
  name: string;
  /** `cooling` is the scheduler's business and never stored here. */
  status: Exclude<AccountStatus, "cooling">;
  priority?: number;
  tier?: string;
  scopes?: string[];
  /** Epoch ms when the access token expires. */
  expiresAt?: number;
  lastUsedAt?: number;
  lastRefreshAt?: number;
  lastError?: string;
  /** Proxy URL without credentials, for display. */
  proxyDisplay?: string;
  donor?: string;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every write; lets a waiter see that someone else refreshed. */
  revision: number;
  /** Non-secret provider facts (workspace id, email, plan, …). */
  meta: M;
}

/** What `create` takes. */
export interface NewAccount<C, M extends object> extends Partial<Omit<ManagedAccount<M>, "id" | "createdAt" | "updatedAt" | "revision" | "proxyDisplay">> {
  name: string;
  credentials: C;
  /** Full proxy URL (may hold credentials: sealed). */
  proxy?: { url: string; display: string };
  meta: M;
}

/** The change a `update` callback returns; `credentials`/`proxy` replace the sealed parts. */
export type AccountChange<C, M extends object> = Partial<Omit<ManagedAccount<M>, "id" | "createdAt" | "revision">> & {
  credentials?: C;
  proxy?: { url: string; display: string } | null;
};

/** The run-time accounts of one provider plugin. */
export interface AccountStore<C, M extends object> {
  create(input: NewAccount<C, M>): Promise<ManagedAccount<M>>;
  get(id: string): Promise<ManagedAccount<M> | null>;
  /** Like `get`, but a 404 `HTTPError` when missing. */
  require(id: string): Promise<ManagedAccount<M>>;
  /** Every account, read at most once a second per instance (the relay asks per request). */
  list(): Promise<ManagedAccount<M>[]>;
  credentials(id: string): Promise<C>;
  /** The full proxy URL, opened, or undefined. */
  proxy(id: string): Promise<string | undefined>;
  /** Apply `change(current)` atomically (retried on a concurrent write); `undefined` = no write. */
  update(id: string, change: (current: ManagedAccount<M>) => AccountChange<C, M> | undefined): Promise<ManagedAccount<M>>;
  remove(id: string): Promise<void>;
  /** Record a use (at most one write per account per minute; never blocks the caller). */
  touch(id: string): void;
  /** The operator's view. */
  summary(account: ManagedAccount<M>, details?: AccountSummary["details"]): AccountSummary;
}

/** Accounts under `accounts:<id>` in the plugin's storage; ids are `acc_` + 12 random bytes. */
export function createAccountStore<C, M extends object>(ctx: PluginContext): AccountStore<C, M> {
  const key = (id: string) => `accounts:${storageKey(id)}`;
  const aad = (id: string, field: string) => ({ type: "account", id, field });
  let cache: { at: number; list: ManagedAccount<M>[] } | undefined;
  const touched = new Map<string, number>();

  async function read(id: string): Promise<StoredAccount<M> | null> {
    return ctx.storage.get<StoredAccount<M>>(key(id));
  }
  function strip(stored: StoredAccount<M>): ManagedAccount<M> {
    const { sealedCredentials: _c, sealedProxy: _p, ...account } = stored;
    return account;
  }
  async function requireStored(id: string): Promise<StoredAccount<M>> {
    const stored = typeof id === "string" && ID_RE.test(id) ? await read(id) : null;
    if (!stored) throw notFound(`No account ${JSON.stringify(String(id).slice(0, 80))} in ${ctx.name}`);
    return stored;
  }

  const store: AccountStore<C, M> = {
    async create({ credentials, proxy, ...fields }) {
      const id = `acc_${randomBytes(12).toString("hex")}`;
      const now = ctx.now();
      const stored: StoredAccount<M> = {
        status: "active",
        ...fields,
        id,
        createdAt: now,
        updatedAt: now,
        revision: 1,
        sealedCredentials: ctx.secrets.seal(JSON.stringify(credentials), aad(id, "credentials")),
        ...(proxy ? { proxyDisplay: proxy.display, sealedProxy: ctx.secrets.seal(proxy.url, aad(id, "proxy")) } : {}),
      };
      await ctx.storage.set(key(id), stored);
      cache = undefined;
      return strip(stored);
    },
    async get(id) {
      const stored = ID_RE.test(id) ? await read(id) : null;
      return stored && strip(stored);
    },
    async require(id) {
      return strip(await requireStored(id));
    },
    async list() {
      if (cache && Date.now() - cache.at < CACHE_MS) return cache.list;
      const ids = (await ctx.storage.keys("accounts")).map((k) => k.slice("accounts:".length));
      const records = await Promise.all(ids.map((id) => read(id)));
      const list = records.filter((r): r is StoredAccount<M> => r !== null).map(strip).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      cache = { at: Date.now(), list };
      return list;
    },
    async credentials(id) {
      const stored = await requireStored(id);
      return JSON.parse(ctx.secrets.open(stored.sealedCredentials, aad(id, "credentials"))) as C;
    },
    async proxy(id) {
      const stored = await requireStored(id);
      return stored.sealedProxy ? ctx.secrets.open(stored.sealedProxy, aad(id, "proxy")) : undefined;
    },
    async update(id, change) {
      for (let attempt = 0; attempt < 100; attempt++) {
        const current = await requireStored(id);
        const patch = change(strip(current));
        if (!patch) return strip(current);
        const { credentials, proxy, ...fields } = patch;
        const next: StoredAccount<M> = { ...current, ...fields, id, createdAt: current.createdAt, updatedAt: ctx.now(), revision: current.revision + 1 };
        if (credentials !== undefined) next.sealedCredentials = ctx.secrets.seal(JSON.stringify(credentials), aad(id, "credentials"));
        if (proxy === null) {
          delete next.sealedProxy;
          delete next.proxyDisplay;
        } else if (proxy) {
          next.sealedProxy = ctx.secrets.seal(proxy.url, aad(id, "proxy"));
          next.proxyDisplay = proxy.display;
        }
        for (const [field, value] of Object.entries(next)) if (value === undefined) delete (next as unknown as Record<string, unknown>)[field];
        if (await ctx.storage.cas(key(id), current, next)) {
          cache = undefined;
          return strip(next);
        }
        // Lost a race: a little random wait spreads the writers out.
        await sleep(Math.random() * Math.min(2 ** attempt, 20));
      }
      throw new Error(`[switchyard] [plugin:${ctx.name}] account ${id} changed too often to update`);
    },
    async remove(id) {
      await requireStored(id);
      await ctx.storage.remove(key(id));
      cache = undefined;
    },
    touch(id) {
      const now = ctx.now();
      if (now - (touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
      touched.set(id, now);
      void store.update(id, () => ({ lastUsedAt: now })).catch((error: unknown) => ctx.logger.debug(`could not record use of ${id}: ${(error as Error).message}`));
    },
    summary(account, details) {
      const optional = {
        priority: account.priority, tier: account.tier, scopes: account.scopes, expiresAt: account.expiresAt,
        lastUsedAt: account.lastUsedAt, lastRefreshAt: account.lastRefreshAt, lastError: account.lastError,
        proxy: account.proxyDisplay, donor: account.donor, details,
      };
      const summary: AccountSummary = { id: account.id, name: account.name, status: account.status, createdAt: account.createdAt };
      for (const [field, value] of Object.entries(optional)) if (value !== undefined) (summary as unknown as Record<string, unknown>)[field] = value;
      return summary;
    },
  };
  return store;
}

// --- internal ---

interface StoredAccount<M extends object> extends ManagedAccount<M> {
  sealedCredentials: string;
  sealedProxy?: string;
}

const ID_RE = /^acc_[0-9a-f]{24}$/;
// Another instance's change shows within this long; our own at once.
const CACHE_MS = 1000;
const TOUCH_EVERY_MS = 60_000;
