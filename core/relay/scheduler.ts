import { createHash } from "node:crypto";
import { storageKey } from "../storage.ts";
import type { RelayOptions } from "../types/config.ts";
import type { AccountSummary } from "../types/provider.ts";
import type { GatewayStorage } from "../types/storage.ts";

/** What the scheduler needs to pick an account for one request. */
export interface PickInput {
  provider: string;
  accounts: AccountSummary[];
  /** The key's dedicated accounts, tried before the pool. */
  dedicated?: string[];
  /** Sticky-session key (already a stable string); absent → no stickiness. */
  session?: string;
  /** Accounts already tried for this request. */
  exclude: Set<string>;
}

/** Picks accounts and keeps the shared state that guides picking (cooldowns, sticky sessions). */
export interface Scheduler {
  pick(input: PickInput): Promise<AccountSummary | undefined>;
  /** Cool an account (shared with every instance) for `ms`, or for an exponential backoff when undefined. */
  coolDown(provider: string, accountId: string, ms: number | undefined, reason: string): Promise<number>;
  /** Epoch ms until which the account cools, or 0 (cached for up to 1 s). */
  coolingUntil(provider: string, accountId: string): Promise<number>;
  /** Epoch ms when the soonest cooling account of `accounts` comes back. */
  soonestReturn(provider: string, accounts: AccountSummary[]): Promise<number | undefined>;
  /** Remember that `session` uses `accountId` (renewed on use). */
  stick(provider: string, session: string, accountId: string): Promise<void>;
}

/**
 * Order of preference: the key's dedicated accounts (when one is healthy), then the
 * session's sticky account (so upstream prompt caches stay warm), then lowest `priority`,
 * then least recently used. Healthy = `active` and not cooling. Cooldowns and sticky
 * mappings live in shared storage; each instance caches cooldowns for up to 1 s, so a
 * cooldown set elsewhere is seen within a second.
 */
export function createScheduler(storage: GatewayStorage, relay: RelayOptions): Scheduler {
  const lastUsed = new Map<string, number>();
  const cooling = new Map<string, { until: number; checkedAt: number }>();
  // Sticky mappings read in the last second: a busy session costs no storage read per request.
  const stickyCache = new Map<string, { mapping: { accountId: string; at: number } | null; checkedAt: number }>();
  async function readSticky(key: string, now: number): Promise<{ accountId: string; at: number } | null> {
    const cached = stickyCache.get(key);
    if (cached && now - cached.checkedAt < CACHE_MS) return cached.mapping;
    const mapping = await storage.get<{ accountId: string; at: number }>(key);
    if (stickyCache.size > 10_000) stickyCache.clear();
    stickyCache.set(key, { mapping, checkedAt: now });
    return mapping;
  }

  const coolKey = (provider: string, id: string) => `relay:cool:${storageKey(provider)}:${storageKey(id)}`;
  async function coolingUntil(provider: string, id: string, now: number): Promise<number> {
    const key = coolKey(provider, id);
    const cached = cooling.get(key);
    if (cached && now - cached.checkedAt < CACHE_MS) return cached.until;
    const stored = await storage.get<{ until: number }>(key);
    const until = stored?.until ?? 0;
    cooling.set(key, { until, checkedAt: now });
    return until;
  }
  async function healthy(provider: string, accounts: AccountSummary[], exclude: Set<string>, now: number): Promise<AccountSummary[]> {
    const out: AccountSummary[] = [];
    for (const account of accounts) {
      if (account.status !== "active" || exclude.has(account.id)) continue;
      if ((await coolingUntil(provider, account.id, now)) > now) continue;
      out.push(account);
    }
    return out;
  }
  const byPreference = (provider: string) => (a: AccountSummary, b: AccountSummary) =>
    (a.priority ?? DEFAULT_PRIORITY) - (b.priority ?? DEFAULT_PRIORITY) ||
    (lastUsed.get(`${provider}\u0000${a.id}`) ?? 0) - (lastUsed.get(`${provider}\u0000${b.id}`) ?? 0);
  const chosen = (provider: string, account: AccountSummary, now: number) => {
    lastUsed.set(`${provider}\u0000${account.id}`, now);
    return account;
  };

  return {
    async pick({ provider, accounts, dedicated, session, exclude }) {
      const now = Date.now();
      const candidates = await healthy(provider, accounts, exclude, now);
      if (candidates.length === 0) return undefined;
      const own = dedicated?.length ? candidates.filter((a) => dedicated.includes(a.id)) : [];
      if (own.length) return chosen(provider, own.sort(byPreference(provider))[0]!, now);
      if (session) {
        const sticky = await readSticky(stickyKey(provider, session), now);
        const match = sticky && candidates.find((a) => a.id === sticky.accountId);
        if (match) return chosen(provider, match, now);
      }
      return chosen(provider, candidates.sort(byPreference(provider))[0]!, now);
    },
    async coolDown(provider, accountId, ms, reason) {
      const key = coolKey(provider, accountId);
      let duration = ms;
      if (duration === undefined) {
        const strikes = await storage.incr(`relay:strikes:${storageKey(provider)}:${storageKey(accountId)}`, 1, relay.cooldownMaxMs * 2);
        duration = Math.min(relay.cooldownBaseMs * 2 ** (strikes - 1), relay.cooldownMaxMs);
      }
      const until = Date.now() + duration;
      await storage.set(key, { until, reason }, { ttlMs: duration });
      cooling.set(key, { until, checkedAt: Date.now() });
      return until;
    },
    coolingUntil: (provider, accountId) => coolingUntil(provider, accountId, Date.now()),
    async soonestReturn(provider, accounts) {
      const now = Date.now();
      let soonest: number | undefined;
      for (const account of accounts) {
        const until = await coolingUntil(provider, account.id, now);
        if (until > now && (soonest === undefined || until < soonest)) soonest = until;
      }
      return soonest;
    },
    async stick(provider, session, accountId) {
      const key = stickyKey(provider, session);
      const now = Date.now();
      const current = await readSticky(key, now);
      // Renew at most once a minute: a sticky hit should not cost a write per request.
      if (current?.accountId === accountId && now - current.at < 60_000) return;
      if (relay.stickySessionTtlMs <= 0) return;
      const mapping = { accountId, at: now };
      await storage.set(key, mapping, { ttlMs: relay.stickySessionTtlMs });
      stickyCache.set(key, { mapping, checkedAt: now });
    },
  };
}

/** Hash a session seed (user id, session header, or prompt prefix) into a sticky key. */
export function sessionKey(seed: string): string {
  return createHash("sha256").update(seed).digest("base64url").slice(0, 32);
}

// --- internal ---

const CACHE_MS = 1000;
const DEFAULT_PRIORITY = 50;

function stickyKey(provider: string, session: string): string {
  return `relay:sticky:${storageKey(provider)}:${storageKey(session)}`;
}
