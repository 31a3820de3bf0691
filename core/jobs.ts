// Periodic background work of plugins (token refresh sweeps, key rotation): one instance
// runs each tick. The tick's lock is held for most of the interval and never released early,
// so instances whose timers fire a little later in the same interval skip it.
import type { GatewayStorage } from "./types/storage.ts";
import type { Logger } from "./logger.ts";

/** A registered job. */
export interface PluginJob {
  /** Run once now on this instance, lock or not (operator action, tests). */
  run(): Promise<void>;
}

/** `ctx.jobs` of a plugin. */
export interface PluginJobs {
  /** Run `task` every `intervalMs` on one instance of the cluster; errors are logged, never thrown. */
  every(name: string, intervalMs: number, task: () => Promise<void>): PluginJob;
}

/** Jobs of one plugin over its storage; `stop` clears every timer (gateway close). */
export function createPluginJobs(storage: GatewayStorage, logger: Logger): PluginJobs & { stop(): void } {
  const timers = new Set<NodeJS.Timeout>();
  return {
    every(name, intervalMs, task) {
      if (!/^[a-z0-9-]+$/.test(name) || !(intervalMs >= 1000)) throw new Error(`[switchyard] [jobs] job "${name}": a lowercase name and an interval of at least 1000 ms`);
      const run = async () => {
        try {
          await task();
        } catch (error) {
          logger.warn(`job ${name} failed: ${(error as Error).message}`);
        }
      };
      const timer = setInterval(() => {
        void storage
          .acquire(`jobs:${name}`, Math.max(intervalMs - 500, 500))
          .then((owner) => (owner ? run() : undefined))
          .catch((error: unknown) => logger.warn(`job ${name} skipped: ${(error as Error).message}`));
      }, intervalMs);
      timer.unref();
      timers.add(timer);
      return { run };
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
    },
  };
}
