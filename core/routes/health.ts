import type { H3 } from "h3";
import { overloaded } from "../errors.ts";
import type { GatewayStorage } from "../types/storage.ts";

/**
 * `GET /health`: the process answers (liveness). `GET /ready`: storage answered a round trip
 * within its budget (readiness), else 503 so a load balancer stops sending traffic.
 */
export function registerHealthRoutes(app: H3, storage: GatewayStorage, readyTimeoutMs: number): void {
  app.get("/health", function health() {
    return { status: "ok" };
  });
  app.get("/ready", async function ready() {
    try {
      await storage.ping(readyTimeoutMs);
    } catch {
      throw overloaded("Storage did not answer in time", 1);
    }
    return { status: "ready" };
  });
}
