// Per-key use counts, last use and requests in flight, and the selection strategies that turn
// them into the order the core scheduler picks in (the account `priority`, 0 = next).
import { type PluginContext, storageKey } from "switchyard";
import type { Selection } from "./options.ts";

export interface UseTracker {
  /** A request starts on `id`: counted in memory at once, in storage without waiting. */
  began(id: string): void;
  /** That request's response ended (or failed). */
  ended(id: string): void;
  /** Requests the key served (this instance's count, raised to the shared count as seen). */
  uses(id: string): number;
  lastUsedAt(id: string): number | undefined;
  /** Requests in flight on the key across instances (at least this instance's own). */
  inflight(id: string): Promise<number>;
  /** Ranks for the active keys, given in listing order: 0 is the key the next request should use. */
  rank(active: readonly string[]): Map<string, number>;
  forget(id: string): void;
}

export function createUseTracker(ctx: PluginContext, selection: Selection): UseTracker {
  const keys = new Map<string, KeyUse>();
  let sequence = 0;
  let cursor = 0;
  const state = (id: string) => {
    let found = keys.get(id);
    if (!found) {
      found = { uses: 0, seq: 0, inflight: 0, lastUsedAt: undefined, syncedAt: 0 };
      keys.set(id, found);
    }
    return found;
  };
  const quietly = (what: string) => (error: unknown) => ctx.logger.debug(`could not ${what}: ${(error as Error).message}`);
  // Other instances' uses show up in the shared counter; read it now and then.
  const sync = (id: string, use: KeyUse) => {
    const now = Date.now();
    if (now - use.syncedAt < SYNC_MS) return;
    use.syncedAt = now;
    void ctx.storage.counter(storageKey("uses", id)).then((shared) => void (use.uses = Math.max(use.uses, shared)), quietly(`read the use count of ${id}`));
  };

  return {
    began(id) {
      const use = state(id);
      use.uses++;
      use.inflight++;
      use.seq = ++sequence;
      use.lastUsedAt = ctx.now();
      void ctx.storage.incr(storageKey("uses", id)).then((shared) => void (use.uses = Math.max(use.uses, shared)), quietly(`count a use of ${id}`));
      void ctx.storage.incr(storageKey("inflight", id)).catch(quietly(`count a request of ${id}`));
    },
    ended(id) {
      const use = state(id);
      use.inflight = Math.max(0, use.inflight - 1);
      void ctx.storage.incr(storageKey("inflight", id), -1).catch(quietly(`end a request of ${id}`));
    },
    uses: (id) => keys.get(id)?.uses ?? 0,
    lastUsedAt: (id) => keys.get(id)?.lastUsedAt,
    async inflight(id) {
      const local = keys.get(id)?.inflight ?? 0;
      const shared = await ctx.storage.counter(storageKey("inflight", id)).catch(() => 0);
      return Math.max(local, shared);
    },
    rank(active) {
      const n = active.length;
      const order = active.map((id, index) => ({ id, index, use: state(id) }));
      for (const { id, use } of order) sync(id, use);
      if (selection === "round-robin") {
        // Each scheduling round starts one key further (concurrent requests spread too).
        const start = n === 0 ? 0 : cursor++ % n;
        return new Map(order.map(({ id, index }) => [id, (index - start + n) % n]));
      }
      if (selection === "least-used") order.sort((a, b) => a.use.uses - b.use.uses || a.use.seq - b.use.seq || a.index - b.index);
      else shuffle(order);
      return new Map(order.map(({ id }, rank) => [id, rank]));
    },
    forget: (id) => void keys.delete(id),
  };
}

// --- internal ---

const SYNC_MS = 5000;

interface KeyUse {
  uses: number;
  /** Order of the last use (0 = never), the tie-break of least-used. */
  seq: number;
  inflight: number;
  lastUsedAt: number | undefined;
  syncedAt: number;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
