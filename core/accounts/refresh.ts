// Token refresh for OAuth accounts: ahead of expiry and after a rejection, single-flight per
// account across every instance (a storage lock; waiters re-read the record), the rotated
// refresh token persisted before the new access token is handed out, and no retry storm
// after a failure (permanent → needs_reauth; transient → backoff recorded on the account).
import { setTimeout as sleep } from "node:timers/promises";
import type { PluginContext } from "../types/plugin.ts";
import type { AccountChange, AccountStore, ManagedAccount } from "./store.ts";

/** Thrown by a provider's refresh call. `permanent`: the grant is gone (re-login needed). */
export class TokenRefreshError extends Error {
  override name = "TokenRefreshError";
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { permanent: boolean; retryAfterMs?: number }) {
    super(message);
    this.permanent = options.permanent;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The account cannot be used now (needs re-login, disabled, or refresh backing off). */
export class AccountUnavailableError extends Error {
  override name = "AccountUnavailableError";
}

/** What a provider's refresh call returns: the new credentials and what else changed. */
export interface Refreshed<C, M extends object> {
  credentials: C;
  /** Epoch ms when the new access token expires. */
  expiresAt: number;
  change?: AccountChange<C, M>;
}

export interface TokenRefresherOptions<C, M extends object> {
  store: AccountStore<C, M>;
  /** Refresh this long before expiry. Default 60 s. */
  aheadMs?: number;
  /** Tries per refresh for transient failures, with backoff (250 ms doubling). Default 1. */
  attempts?: number;
  /** The access token inside the credentials. */
  accessToken(credentials: C): string;
  /** Call the token endpoint (through the account's proxy); throw `TokenRefreshError` on failure. */
  refresh(input: { account: ManagedAccount<M>; credentials: C; proxy: string | undefined }): Promise<Refreshed<C, M>>;
}

export interface TokenRefresher<C> {
  /** Credentials with an access token valid for at least `aheadMs`, refreshing if needed. */
  fresh(id: string): Promise<C>;
  /** The upstream refused `rejectedToken`: refresh unless someone already did. True when a newer token exists. */
  afterRejection(id: string, rejectedToken: string): Promise<boolean>;
  /** Refresh now, whatever the expiry (operator action). */
  now(id: string): Promise<C>;
}

/** Build the refresher of one provider plugin. */
export function createTokenRefresher<C, M extends object>(ctx: PluginContext, options: TokenRefresherOptions<C, M>): TokenRefresher<C> {
  const { store } = options;
  const aheadMs = options.aheadMs ?? 60_000;
  const inflight = new Map<string, Promise<C>>();

  // One caller per instance and account talks to storage; the others share its promise.
  function once(id: string, tag: string, needs: Needs<C, M>): Promise<C> {
    const slot = `${id}\u0000${tag}`;
    const running = inflight.get(slot);
    if (running) return running;
    const promise = ensure(id, needs).finally(() => inflight.delete(slot));
    inflight.set(slot, promise);
    return promise;
  }

  async function ensure(id: string, needs: Needs<C, M>): Promise<C> {
    const deadline = ctx.now() + WAIT_MS;
    for (;;) {
      const account = await store.require(id);
      usable(account);
      const credentials = await store.credentials(id);
      if (!needs(account, credentials)) return credentials;
      backingOff(account);
      const lock = `refresh:${id}`;
      const owner = await ctx.storage.acquire(lock, LOCK_MS);
      if (owner) {
        try {
          // Someone may have refreshed between our read and the lock.
          const current = await store.require(id);
          usable(current);
          const latest = await store.credentials(id);
          if (!needs(current, latest)) return latest;
          return await refreshLocked(current, latest);
        } finally {
          await ctx.storage.release(lock, owner);
        }
      }
      if (ctx.now() > deadline) throw new AccountUnavailableError(`account ${id}: another instance's token refresh did not finish in time`);
      await sleep(POLL_MS);
    }
  }

  async function refreshLocked(account: ManagedAccount<M>, credentials: C): Promise<C> {
    const proxy = await store.proxy(account.id);
    const attempts = Math.max(1, options.attempts ?? 1);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await options.refresh({ account, credentials, proxy });
        // Persist first: a rotated refresh token lost here would log the account out for good.
        await store.update(account.id, () => ({
          ...result.change,
          credentials: result.credentials,
          expiresAt: result.expiresAt,
          lastRefreshAt: ctx.now(),
          lastError: undefined,
          status: "active",
          meta: withoutBackoff({ ...account.meta, ...result.change?.meta }) as M,
        }));
        ctx.logger.info(`account ${account.id}: token refreshed`);
        return result.credentials;
      } catch (error) {
        const failure = error instanceof TokenRefreshError ? error : new TokenRefreshError(`token refresh failed: ${(error as Error).message}`, { permanent: false });
        if (!failure.permanent && attempt < attempts) {
          await sleep(Math.min(250 * 2 ** (attempt - 1), 4000));
          continue;
        }
        await recordFailure(account, failure);
        throw new AccountUnavailableError(`account ${account.id}: ${failure.message}`);
      }
    }
  }

  async function recordFailure(account: ManagedAccount<M>, failure: TokenRefreshError): Promise<void> {
    if (failure.permanent) {
      ctx.logger.warn(`account ${account.id} needs a new login: ${failure.message}`);
      await store.update(account.id, () => ({ status: "needs_reauth", lastError: failure.message }));
      return;
    }
    const backoff = Math.min(Math.max(failure.retryAfterMs ?? BACKOFF_MS, 5_000), 300_000);
    ctx.logger.warn(`account ${account.id}: token refresh failed, next try in ${Math.round(backoff / 1000)} s: ${failure.message}`);
    // The old refresh token stays: a transient failure must not log the account out.
    await store.update(account.id, (current) => ({ lastError: failure.message, meta: { ...current.meta, refreshBackoffUntil: ctx.now() + backoff } as M }));
  }

  function backingOff(account: ManagedAccount<M>): void {
    const until = (account.meta as { refreshBackoffUntil?: number }).refreshBackoffUntil;
    if (until !== undefined && until > ctx.now()) throw new AccountUnavailableError(`account ${account.id}: token refresh backing off after "${account.lastError ?? "an error"}"`);
  }

  const expiring: Needs<C, M> = (account) => account.expiresAt !== undefined && account.expiresAt - aheadMs <= ctx.now();
  return {
    fresh: (id) => once(id, "fresh", expiring),
    afterRejection: async (id, rejectedToken) => {
      const credentials = await once(id, `rejected:${rejectedToken}`, (_, c) => options.accessToken(c) === rejectedToken);
      return options.accessToken(credentials) !== rejectedToken;
    },
    now: async (id) => {
      // "Someone refreshed since we asked" is a newer lastRefreshAt, not any write (uses write too).
      const before = await store.require(id);
      return once(id, "now", (account) => account.lastRefreshAt === before.lastRefreshAt);
    },
  };
}

// --- internal ---

type Needs<C, M extends object> = (account: ManagedAccount<M>, credentials: C) => boolean;

const LOCK_MS = 30_000;
const WAIT_MS = 35_000;
const POLL_MS = 100;
const BACKOFF_MS = 30_000;

function withoutBackoff(meta: object): object {
  const { refreshBackoffUntil: _, ...rest } = meta as { refreshBackoffUntil?: number };
  return rest;
}

function usable(account: ManagedAccount<object>): void {
  if (account.status === "needs_reauth") throw new AccountUnavailableError(`account ${account.id} needs a new login: ${account.lastError ?? "refresh failed"}`);
  if (account.status === "disabled") throw new AccountUnavailableError(`account ${account.id} is disabled`);
}
