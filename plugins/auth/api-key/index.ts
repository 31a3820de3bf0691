import { type AuthRequest, type Principal, defineAuth, forbidden, ipAllowed } from "switchyard";
import { keysCommand } from "./commands.ts";
import { HASH_PURPOSE, KEY_SHAPE, type StoredKey, createKeyStore, isUsable } from "./keys.ts";
import { addAdminRoutes } from "./routes.ts";
import { addOwnKeyRoutes } from "./own-routes.ts";
import type { ApiKeyOptions, ApiKeyStrategy } from "./types.ts";

export type * from "./types.ts";

/** Default of `cacheTtlMs`. */
export const DEFAULT_CACHE_TTL_MS = 5000;

/**
 * Client API keys (`sk-sy-…`) for the relay: stored only as keyed hashes, found by digest,
 * with per-key model globs, CIDR allow-lists, limits, expiry and dedicated accounts.
 * Adds admin routes under `/plugins/api-key/keys`, self-service routes for logged-in users under
 * `/plugins/api-key/me/keys`, and the `switchyard keys` CLI command.
 *
 * @example
 * // gateway.config.ts, with `apiKey` imported from the subpath `switchyard/plugins/auth/api-key`
 * export default defineGatewayConfig({ auth: [apiKey({ cacheTtlMs: 5000 })] });
 */
export const apiKey = defineAuth<ApiKeyOptions>({
  name: "api-key",
  setup(ctx, options): ApiKeyStrategy {
    const cacheTtlMs = resolveCacheTtl(options);
    const keys = createKeyStore({ storage: ctx.storage, secrets: ctx.secrets, logger: ctx.logger, cacheTtlMs });
    ctx.hooks.hook("close", () => keys.flush());
    addAdminRoutes(ctx.routes, keys);
    addOwnKeyRoutes(ctx, keys);
    ctx.commands.add(keysCommand(keys));
    const { create, list, get, update, revoke } = keys;
    return {
      keys: { create, list, get, update, revoke },
      async authenticate(request: AuthRequest): Promise<Principal | undefined> {
        const key = readKey(request);
        // Not a gateway key (absent, another scheme, another product's key): not ours.
        if (key === undefined || !KEY_SHAPE.test(key)) return undefined;
        const stored = await keys.lookup(ctx.secrets.hash(key, HASH_PURPOSE));
        const now = Date.now();
        // Unknown, deleted, disabled and expired all answer alike: the core's one 401 body.
        if (!stored || !isUsable(stored, now)) return undefined;
        if (stored.ips && !ipAllowed(request.ip, stored.ips)) throw forbidden("This key is not allowed from this address");
        keys.touch(stored.id, now);
        return toPrincipal(stored, ctx.name);
      },
    };
  },
});

export default apiKey;

// --- internal ---

const MAX_CACHE_TTL_MS = 60_000;

function resolveCacheTtl(options: ApiKeyOptions): number {
  const known = ["cacheTtlMs"];
  const unknown = Object.keys(options ?? {}).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new Error(`Unknown option \`${unknown}\` (known: ${known.join(", ")})`);
  const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_CACHE_TTL_MS) {
    throw new Error(`Option \`cacheTtlMs\` must be a whole number of ms from 0 to ${MAX_CACHE_TTL_MS}, got ${JSON.stringify(ttl)}`);
  }
  return ttl;
}

/**
 * The presented key: the first of `x-api-key`, `Authorization: Bearer`, `api-key`,
 * `x-goog-api-key` and `?key=` that is present, even when it holds something else.
 */
function readKey(request: AuthRequest): string | undefined {
  const { headers } = request;
  const xApiKey = headers.get("x-api-key");
  if (xApiKey !== null) return xApiKey.trim();
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return match?.[1] ?? "";
  }
  for (const name of ["api-key", "x-goog-api-key"]) {
    const value = headers.get(name);
    if (value !== null) return value.trim();
  }
  return request.url.searchParams.get("key") ?? undefined;
}

function toPrincipal(stored: StoredKey, strategy: string): Principal {
  return {
    kind: "client",
    id: stored.id,
    name: stored.name,
    strategy,
    limits: { ...stored.limits },
    ...(stored.models ? { models: [...stored.models] } : {}),
    ...(stored.accounts ? { accounts: [...stored.accounts] } : {}),
    ...(stored.owner ? { owner: stored.owner } : {}),
  };
}
