// Opt-in service tokens from the environment: `SWITCHYARD_ADMIN_TOKEN` (root on the admin
// routes, for automation) and `SWITCHYARD_METRICS_TOKEN` (a scraper on `GET /metrics`). Both are
// compared in constant time on digests, so neither length nor content leaks, and both act as
// service principals: never on the routes about "me".
import { createHash, timingSafeEqual } from "node:crypto";
import type { NamedAuthStrategy } from "../auth.ts";
import { registerSecret } from "../redact.ts";
import type { AuthRequest, Role } from "../types/auth.ts";

/** Shortest token accepted: a guessable service token is worse than none. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** The admin token's strategy, or undefined when none is configured. Throws when it is too short. */
export function adminTokenStrategy(token: string | undefined): NamedAuthStrategy | undefined {
  return serviceTokenStrategy(token, { variable: "SWITCHYARD_ADMIN_TOKEN", id: "admin-token", label: "admin token", role: "root" });
}

/** The scrape token's strategy (it only ever answers for `GET /metrics`), or undefined. */
export function metricsTokenStrategy(token: string | undefined): NamedAuthStrategy | undefined {
  return serviceTokenStrategy(token, {
    variable: "SWITCHYARD_METRICS_TOKEN", id: "metrics-token", label: "metrics scraper", role: "admin",
    accepts: (request) => request.url.pathname === "/metrics" && request.method === "GET",
  });
}

// --- internal ---

interface ServiceToken {
  variable: string;
  /** Principal id and strategy name. */
  id: string;
  label: string;
  role: Role;
  /** Requests the token may authenticate; default every request. */
  accepts?(request: AuthRequest): boolean;
}

function serviceTokenStrategy(token: string | undefined, service: ServiceToken): NamedAuthStrategy | undefined {
  if (token === undefined || token === "") return undefined;
  if (token.length < ADMIN_TOKEN_MIN_LENGTH || /\s/.test(token)) {
    throw new Error(`[switchyard] [auth] ${service.variable} must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters without spaces (try: openssl rand -base64 32)`);
  }
  registerSecret(token);
  const expected = digest(token);
  return {
    name: service.id,
    strategy: {
      authenticate(request) {
        if (service.accepts && !service.accepts(request)) return undefined;
        const bearer = /^bearer[ \t]+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
        if (bearer === undefined || !timingSafeEqual(digest(bearer), expected)) return undefined;
        return { kind: "user", id: service.id, name: service.label, role: service.role, strategy: service.id, service: true };
      },
    },
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
