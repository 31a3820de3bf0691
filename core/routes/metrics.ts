// GET /metrics for Prometheus. Admin-only like every operator route; for scrapers that cannot
// log in, `SWITCHYARD_METRICS_TOKEN` is a bearer token good for this one path and nothing else.
import { createHash, timingSafeEqual } from "node:crypto";
import type { NamedAuthStrategy } from "../auth.ts";
import type { AccountsService } from "../admin/accounts.ts";
import type { Metrics } from "../metrics.ts";
import { registerSecret } from "../redact.ts";
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

/** The scrape token's strategy (it only ever answers for `GET /metrics`), or undefined. */
export function metricsTokenStrategy(token: string | undefined): NamedAuthStrategy | undefined {
  if (!token) return undefined;
  if (token.length < 32) throw new Error("[switchyard] [metrics] SWITCHYARD_METRICS_TOKEN must be at least 32 characters (try: openssl rand -base64 32)");
  registerSecret(token);
  const expected = digest(token);
  return {
    name: "metrics-token",
    strategy: {
      authenticate(request) {
        if (request.url.pathname !== "/metrics" || request.method !== "GET") return undefined;
        const bearer = /^bearer[ \t]+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
        if (bearer === undefined || !timingSafeEqual(digest(bearer), expected)) return undefined;
        return { kind: "user", id: "metrics-token", name: "metrics scraper", role: "admin", strategy: "metrics-token", service: true };
      },
    },
  };
}

// --- internal ---

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
