import type { H3 } from "h3";
import { overloaded } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { GatewayStorage } from "../types/storage.ts";

/** What `/ready` depends on. */
export interface ReadinessOptions {
  storage: GatewayStorage;
  /** Budget of the storage round trip, in ms. */
  readyTimeoutMs: number;
  /** Further checks that must pass once storage answers (e.g. the secret key id). */
  checks: (() => Promise<void>)[];
  logger: Logger;
}

/**
 * `GET /health`: the process answers (liveness). `GET /ready`: storage answered a round trip
 * within its budget and every check passed (readiness), else 503 so a load balancer stops
 * sending traffic. The reason goes to the log, not to the caller.
 */
export function registerHealthRoutes(app: H3, options: ReadinessOptions): void {
  app.get("/health", function health() {
    return { status: "ok" };
  });
  app.get("/ready", async function ready() {
    try {
      await options.storage.ping(options.readyTimeoutMs);
      for (const check of options.checks) await check();
    } catch (error) {
      options.logger.warn(`not ready: ${(error as Error).message}`);
      throw overloaded("Not ready (the gateway log says why)", 1);
    }
    return { status: "ready" };
  });
}
