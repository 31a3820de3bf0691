// GET /metrics for Prometheus. Admin-only like every operator route; for scrapers that cannot
// log in, `SWITCHYARD_METRICS_TOKEN` (core/admin/token.ts) is good for this one path only.
import type { AccountsService } from "../admin/accounts.ts";
import type { Metrics } from "../metrics.ts";
import { type RouteHost, addGuardedRoute } from "./guarded.ts";

export function registerMetricsRoute(host: RouteHost, metrics: Metrics, accounts: AccountsService): void {
  addGuardedRoute(
    host,
    {
      method: "GET",
      path: "/metrics",
      access: "admin",
      async handler(event) {
        const list = await accounts.list().catch(() => []);
        event.res.headers.set("content-type", "text/plain; version=0.0.4; charset=utf-8");
        return metrics.render(list);
      },
    },
    "core",
  );
}
