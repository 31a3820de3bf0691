// Keys over time: creation through the management API, scheduled rotation (new key in,
// old key out of rotation, deleted once its requests have finished), and the periodic
// re-check that brings keys back once they have credits again.
import { type PluginContext, registerSecret } from "switchyard";
import type { ManagementApi } from "./management.ts";
import type { ResolvedPoolOptions } from "./options.ts";
import type { KeyPool, PoolEntry } from "./pool.ts";
import type { UseTracker } from "./select.ts";

/** What a rotation did. */
export interface RotationResult {
  rotated: boolean;
  /** The new key's account id. */
  created?: string;
  /** Account ids taken out of rotation (deleted once drained). */
  retiring: string[];
}

export interface Lifecycle {
  /** Create a key at OpenRouter and add it to the pool. */
  create(input: { name?: string; limitUsd?: number; limitReset?: string | null; origin: "rotation" | "operator" }): Promise<PoolEntry>;
  /** One rotation now (skipped when another instance is rotating). */
  rotate(): Promise<RotationResult>;
  /** Take a key out of rotation and delete it (at OpenRouter too when managed) once its requests finished. */
  retire(id: string): Promise<void>;
  /** Check every out-of-credits key with `GET /key`; finish retirements left behind. */
  recheck(): Promise<{ checked: number; restored: string[] }>;
  /** Stop waiting for drains (gateway close); unfinished ones are picked up later. */
  close(): void;
}

export function createLifecycle(input: { ctx: PluginContext; options: ResolvedPoolOptions; pool: KeyPool; tracker: UseTracker; api: ManagementApi }): Lifecycle {
  const { ctx, options, pool, tracker, api } = input;
  const draining = new Map<string, Promise<void>>();
  let closed = false;

  async function remove(id: string): Promise<void> {
    const entry = await pool.find(id);
    if (!entry) return;
    if (entry.source === "managed") {
      const { hash } = await pool.material(id);
      if (hash && options.managementKey) await api.remove(hash);
      else ctx.logger.warn(`key ${id} was created through the management API but cannot be deleted there (no managementKey): delete it at openrouter.ai`);
    }
    await pool.drop(id);
    tracker.forget(id);
    ctx.logger.info(`key ${id} removed from the pool${entry.source === "managed" ? " and deleted at OpenRouter" : ""}`);
  }

  // Wait until other instances have re-read the pool (grace) and no request runs on the key.
  async function drain(id: string): Promise<void> {
    const since = (await pool.find(id))?.retiringSince ?? ctx.now();
    for (;;) {
      if (closed) return;
      const elapsed = ctx.now() - since;
      if (elapsed >= GRACE_MS && (elapsed >= DRAIN_MAX_MS || (await tracker.inflight(id)) <= 0)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
    }
    await remove(id);
  }
  const startDrain = (id: string): Promise<void> => {
    const running = draining.get(id);
    if (running) return running;
    const started = drain(id).finally(() => draining.delete(id));
    draining.set(id, started);
    return started;
  };

  const lifecycle: Lifecycle = {
    async create({ name, limitUsd, limitReset, origin }) {
      const label = name ?? `${ctx.name} ${origin === "rotation" ? "rotation" : "key"} ${new Date(ctx.now()).toISOString()}`;
      const { key, info } = await api.create({ name: label, limitUsd, limitReset });
      registerSecret(key);
      registerSecret(info.hash);
      try {
        const entry = await pool.add({ key, name: label, source: "managed", origin, hash: info.hash, limitUsd: info.limitUsd, limitReset: info.limitReset });
        ctx.logger.info(`key ${entry.id} created through the management API (${origin})`);
        return entry;
      } catch (error) {
        // Not in the pool: do not leave an orphan with credit behind.
        await api.remove(info.hash).catch(() => {});
        throw error;
      }
    },
    async rotate() {
      const owner = await ctx.storage.acquire("rotation", LOCK_MS);
      if (!owner) return { rotated: false, retiring: [] };
      try {
        const created = await lifecycle.create({ origin: "rotation", limitUsd: options.rotation?.creditLimitUsd, limitReset: options.rotation?.limitReset });
        const previous = (await pool.entries()).filter((e) => e.source === "managed" && e.origin === "rotation" && e.id !== created.id && e.retiringSince === undefined);
        // The new key is active before any old one leaves: there is always a key to send to.
        for (const entry of previous) await pool.change(entry.id, { kind: "retiring" });
        for (const entry of previous) void startDrain(entry.id).catch((error: unknown) => ctx.logger.warn(`could not delete rotated key ${entry.id} yet (retried later): ${(error as Error).message}`));
        ctx.logger.info(`rotated: key ${created.id} in${previous.length ? `, ${previous.map((e) => e.id).join(", ")} out` : ""}`);
        return { rotated: true, created: created.id, retiring: previous.map((e) => e.id) };
      } finally {
        await ctx.storage.release("rotation", owner).catch(() => {});
      }
    },
    async retire(id) {
      await pool.change(id, { kind: "retiring" });
      await startDrain(id);
    },
    async recheck() {
      const entries = await pool.entries();
      const restored: string[] = [];
      const out = entries.filter((e) => e.status === "error" && e.outOfCreditsSince !== undefined);
      for (const entry of out) {
        const material = await pool.material(entry.id).catch(() => undefined);
        if (!material) continue;
        const result = await api.check(material.key, material.proxy).catch((error: unknown) => {
          ctx.logger.warn(`could not re-check key ${entry.id}: ${(error as Error).message}`);
          return undefined;
        });
        if (!result) continue;
        if (result.ok && (result.limitRemainingUsd === null || result.limitRemainingUsd > 0)) {
          await pool.change(entry.id, { kind: "restored" });
          restored.push(entry.id);
          ctx.logger.info(`key ${entry.id} has credits again: back in rotation`);
        } else if (!result.ok && result.status === 401) {
          await pool.change(entry.id, { kind: "refused", status: 401 });
          ctx.logger.warn(`key ${entry.id} disabled: OpenRouter refused it on the credit re-check (401)`);
        } else {
          await pool.change(entry.id, { kind: "checked" });
        }
      }
      // Retirements another instance (or a restart) left unfinished.
      for (const entry of entries) if (entry.retiringSince !== undefined) void startDrain(entry.id).catch((error: unknown) => ctx.logger.warn(`could not delete retired key ${entry.id} yet: ${(error as Error).message}`));
      return { checked: out.length, restored };
    },
    close() {
      closed = true;
    },
  };
  return lifecycle;
}

// --- internal ---

// Longer than every cache of the pool (1 s), so other instances have stopped picking the key.
const GRACE_MS = 1500;
// A request still counted after this long is a counter left behind by a crashed instance.
const DRAIN_MAX_MS = 15 * 60_000;
const POLL_MS = 100;
const LOCK_MS = 60_000;
