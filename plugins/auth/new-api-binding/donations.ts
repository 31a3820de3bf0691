// Donations and their credit on new-api, exactly once per donation id. new-api's add_quota
// has no idempotency key, so the guarantee is ours: the record moves pending/failed →
// crediting → credited | credit_unknown | failed only through compare-and-set, under a
// per-donation lock, and a call whose outcome is unknown is never re-sent without an admin.
import { HTTPError, type PluginContext, notFound, storageKey } from "switchyard";
import type { NewApiClient } from "./new-api.ts";
import type { BindingStore, Donation, DonationStore } from "./types.ts";

export function createDonations(ctx: PluginContext, deps: { client: NewApiClient; bindings: BindingStore; amount: number; requestTimeoutMs: number }): DonationStore {
  const { client, bindings, amount } = deps;
  const key = (id: string) => `donations:${storageKey(id)}`;
  const indexKey = (userId: string, id: string) => `by-user:${storageKey(userId)}:${storageKey(id)}`;
  const lockKey = (id: string) => `credit:${storageKey(id)}`;
  // Long enough for a lookup and the add_quota call; the state machine, not the lock, is what
  // stops a second call, so a lock that expires early costs nothing but a skipped attempt.
  const lockMs = deps.requestTimeoutMs * 2 + 5000;

  const get = (id: string) => (ID.test(id) ? ctx.storage.get<Donation>(key(id)) : Promise.resolve(null));
  const read = async (ids: string[]) => (await Promise.all(ids.map(get))).filter((d): d is Donation => d !== null).sort((a, b) => b.createdAt - a.createdAt);

  /** Write `next` over `current`; false when someone else changed it first. */
  const swap = (current: Donation, next: Donation) => ctx.storage.cas(key(current.id), current, next);

  async function settle(sending: Donation, next: Donation): Promise<Donation> {
    // Only the holder of `crediting` writes here, so the swap succeeds unless an admin settled a stale attempt.
    if (await swap(sending, next)) return next;
    return (await get(sending.id)) ?? next;
  }

  async function attempt(id: string): Promise<Donation> {
    const d = await get(id);
    if (!d) throw notFound(`No donation ${JSON.stringify(id.slice(0, 80))}`);
    if (d.status !== "pending" && d.status !== "failed") return d;
    const account = await accountStatus(d);
    if (account !== "active" && account !== "cooling") {
      const waiting = { ...d, status: "pending" as const, lastError: `the account is ${account}; it is credited once it validates` };
      return (await swap(d, waiting)) ? waiting : ((await get(id)) ?? d);
    }
    let matches: boolean;
    try {
      matches = await bindings.stillMatches(d);
    } catch (error) {
      const failed = { ...d, status: "failed" as const, lastError: `new-api lookup failed: ${(error as Error).message}` };
      return (await swap(d, failed)) ? failed : ((await get(id)) ?? d);
    }
    if (!matches) {
      const failed = { ...d, status: "failed" as const, lastError: "the new-api user is no longer linked to the donor's LinuxDO account (or is disabled)" };
      return (await swap(d, failed)) ? failed : ((await get(id)) ?? d);
    }
    const sending: Donation = { ...withoutError(d), status: "crediting", attempts: d.attempts + 1, lastAttemptAt: ctx.now() };
    if (!(await swap(d, sending))) return (await get(id)) ?? d;
    const outcome = await client.addQuota(d.newApiUserId, d.amount);
    if (outcome.kind === "credited") {
      const done = await settle(sending, { ...sending, status: "credited", creditedAt: ctx.now() });
      logDonation(ctx, "credited", done);
      return done;
    }
    const status = outcome.kind === "refused" ? ("failed" as const) : ("credit_unknown" as const);
    const next = await settle(sending, { ...sending, status, lastError: outcome.reason });
    logDonation(ctx, status, next, outcome.reason);
    return next;
  }

  async function accountStatus(d: Donation): Promise<string> {
    try {
      return (await ctx.accounts.find(d.accountId, d.provider)).status;
    } catch {
      return "missing";
    }
  }

  async function locked<T>(id: string, busy: () => Promise<T>, run: () => Promise<T>): Promise<T> {
    const owner = await ctx.storage.acquire(lockKey(id), lockMs);
    if (owner === null) return busy();
    try {
      return await run();
    } finally {
      await ctx.storage.release(lockKey(id), owner);
    }
  }

  const store: DonationStore = {
    get,
    async listByUser(userId) {
      const prefix = `by-user:${storageKey(userId)}:`;
      return read((await ctx.storage.keys(`by-user:${storageKey(userId)}`)).map((k) => k.slice(prefix.length)));
    },
    async listAll() {
      return read((await ctx.storage.keys("donations")).map((k) => k.slice("donations:".length)));
    },
    async create({ id, binding, provider, accountId }) {
      const donation: Donation = { id, userId: binding.userId, newApiUserId: binding.newApiUserId, linuxdoId: binding.linuxdoId, provider, accountId, amount, status: "pending", createdAt: ctx.now(), attempts: 0 };
      if (!(await ctx.storage.cas(key(id), null, donation))) throw new HTTPError({ status: 409, message: "Donation id already used" });
      await ctx.storage.set(indexKey(binding.userId, id), 1);
      logDonation(ctx, "created", donation);
      return donation;
    },
    credit: (id) => locked(id, async () => (await get(id)) ?? Promise.reject(notFound("No such donation")), () => attempt(id)),
    async resolve(id, credited, by) {
      const settled = await locked(
        id,
        () => Promise.reject(new HTTPError({ status: 409, message: "A credit attempt for this donation is in progress; try again shortly" })),
        async () => {
          const d = await get(id);
          if (!d) throw notFound(`No donation ${JSON.stringify(id.slice(0, 80))}`);
          // A `crediting` record with a free lock is an attempt whose instance died mid-call.
          const stale = d.status === "crediting" && (d.lastAttemptAt ?? 0) + lockMs < ctx.now();
          if (d.status !== "credit_unknown" && !stale) throw new HTTPError({ status: 409, message: `The donation is ${d.status}; only a donation whose credit is unknown can be resolved` });
          const base = { ...withoutError(d), resolvedBy: by, resolvedAt: ctx.now() };
          const next: Donation = credited ? { ...base, status: "credited", creditedAt: ctx.now() } : { ...base, status: "failed", lastError: "an admin found the earlier call was not applied" };
          if (!(await swap(d, next))) throw new HTTPError({ status: 409, message: "The donation changed meanwhile; reload and try again" });
          logDonation(ctx, credited ? "credited" : "resolved_not_applied", next, `resolved by ${by}`);
          return next;
        },
      );
      return credited ? settled : store.credit(id);
    },
  };
  return store;
}

/** One parseable log line per donation event: ISO time, ids, provider, amount, never a secret. */
export function logDonation(ctx: PluginContext, event: string, d: Donation, reason?: string): void {
  const line = {
    at: new Date(ctx.now()).toISOString(),
    event,
    donationId: d.id,
    userId: d.userId,
    newApiUserId: d.newApiUserId,
    provider: d.provider,
    accountId: d.accountId,
    amount: d.amount,
    status: d.status,
    ...(reason ? { reason: reason.slice(0, 200) } : {}),
  };
  ctx.logger.info(`donation ${JSON.stringify(line)}`);
}

// --- internal ---

const ID = /^don_[0-9a-f]{24}$/;

function withoutError(d: Donation): Donation {
  const { lastError: _, ...rest } = d;
  return rest;
}
