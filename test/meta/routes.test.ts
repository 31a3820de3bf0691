// Route enumeration: every route core and every first-party plugin registers, called as
// anonymous, client key, user, admin; non-public routes must refuse whoever lacks the role,
// also through path variants. Public routes are an explicit list.
import { readdirSync } from "node:fs";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import type { GatewayPlugin } from "../../core/index.ts";
import type { ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { setupGateway } from "../_setup.ts";
import { repoRoot } from "../_tmp.ts";
import { callRoute, concretePath, expectGuarded, routeCallers } from "../conformance/routes.ts";

const LOOPBACK = "http://127.0.0.1:9";
/** Options that let each first-party plugin set up without network (URLs point nowhere). */
const PLUGIN_OPTIONS: Record<string, Record<string, unknown>> = {
  "auth/api-key": {},
  "providers/anthropic-api": { keys: ["route-test-key-a"], baseURL: LOOPBACK },
  "providers/openai-compatible": { keys: ["route-test-key-b"], baseURL: LOOPBACK },
  "providers/claude-oauth": {},
  "providers/codex-oauth": {},
  "auth/jwt-admin": {},
  "auth/totp": {},
  "auth/linuxdo-connect": { clientId: "route-test-client", clientSecret: "route-test-secret-0123456789" },
  "auth/new-api-binding": { baseURL: LOOPBACK, adminToken: "route-test-new-api-admin-token", adminUserId: 1, addQuota: true, donation: { quotaAmount: 500000 } },
  "providers/openrouter-pool": { keys: ["sk-or-v1-route-test"], baseURL: `${LOOPBACK}/api/v1`, allowInsecureHttp: true },
};

/** Routes anyone may call. Adding one here is a security decision: say why in the commit. */
const PUBLIC = new Set(["GET /auth/methods", "GET /health", "GET /ready", "GET /console", "GET /console/**", "GET /portal", "GET /portal/**", "POST /auth/login", "POST /auth/register", "POST /auth/login/2fa", "GET /auth/linuxdo/login", "GET /auth/linuxdo/callback"]);

async function loadPlugins(): Promise<GatewayPlugin[]> {
  const plugins: GatewayPlugin[] = [];
  for (const kind of ["auth", "providers"]) {
    for (const name of readdirSync(join(repoRoot, "plugins", kind))) {
      const options = PLUGIN_OPTIONS[`${kind}/${name}`];
      expect(options, `plugins/${kind}/${name} needs an entry in PLUGIN_OPTIONS`).toBeDefined();
      const module = (await import(join(repoRoot, "plugins", kind, name, "index.ts"))) as { default: (o: unknown) => GatewayPlugin };
      plugins.push(module.default(options));
    }
  }
  return plugins;
}

async function start() {
  const plugins = await loadPlugins();
  const gateway = await setupGateway({
    providers: plugins.filter((p) => p.kind === "provider"),
    auth: plugins.filter((p) => p.kind === "auth"),
    // Aliases must be guarded exactly like the routes they alias.
    relay: { legacyPrefixes: ["/api", "/claude"] },
  });
  const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
  const callers = await routeCallers(gateway, (await keys.create({ name: "routes" })).key);
  return { gateway, callers, call: (method: string, path: string, headers?: Record<string, string>) => callRoute(gateway, method, path, headers) };
}

describe("route guards", () => {
  it("lists every first-party plugin in PLUGIN_OPTIONS, and nothing else", async () => {
    const dirs = ["auth", "providers"].flatMap((kind) => readdirSync(join(repoRoot, "plugins", kind)).map((name) => `${kind}/${name}`));
    expect(dirs.sort()).toEqual(Object.keys(PLUGIN_OPTIONS).sort());
  });

  it("has no public route outside the explicit list", async () => {
    const { gateway } = await start();
    const publicRoutes = gateway.routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`);
    for (const route of publicRoutes) expect(PUBLIC.has(route) || PUBLIC.has(`${route}?`), `${route} is public but not in the list`).toBe(true);
  });

  it("declares exactly these access levels (a route that loosens its own level must change this list)", async () => {
    const { gateway } = await start();
    // The guard checks enforce each route's declared level; this list pins the declarations.
    const declared = gateway.routes.filter((r) => !r.path.startsWith("/api/") && !r.path.startsWith("/claude/")).map((r) => `${r.access.padEnd(6)} ${r.method} ${r.path}`);
    expect(declared.sort().join("\n")).toMatchInlineSnapshot(`
      "admin  DELETE /admin/accounts/:id
      admin  DELETE /plugins/api-key/keys/:id
      admin  GET /admin/accounts
      admin  GET /admin/accounts/:id
      admin  GET /admin/config
      admin  GET /admin/providers
      admin  GET /admin/usage
      admin  GET /admin/usage/keys/:id
      admin  GET /admin/users
      admin  GET /admin/users/:id
      admin  GET /metrics
      admin  GET /plugins/api-key/keys
      admin  GET /plugins/api-key/keys/:id
      admin  GET /plugins/new-api-binding/donations/all
      admin  PATCH /admin/accounts/:id
      admin  PATCH /admin/users/:id
      admin  PATCH /plugins/api-key/keys/:id
      admin  POST /admin/accounts
      admin  POST /admin/accounts/:id/refresh
      admin  POST /admin/providers/:provider/oauth/exchange
      admin  POST /admin/providers/:provider/oauth/start
      admin  POST /admin/users/:id/revoke-sessions
      admin  POST /plugins/api-key/keys
      admin  POST /plugins/new-api-binding/donations/:id/resolve
      admin  POST /plugins/openrouter-pool/recheck
      client GET /v1/key-info
      client GET /v1/models
      client GET /v1/usage
      client POST /v1/chat/completions
      client POST /v1/messages
      client POST /v1/messages/count_tokens
      client POST /v1/responses
      public GET /auth/linuxdo/callback
      public GET /auth/linuxdo/login
      public GET /auth/methods
      public GET /console
      public GET /console/**
      public GET /health
      public GET /portal
      public GET /portal/**
      public GET /ready
      public POST /auth/login
      public POST /auth/login/2fa
      user   DELETE /auth/tokens/:id
      user   DELETE /plugins/api-key/me/keys/:id
      user   DELETE /plugins/new-api-binding/binding
      user   GET /auth/2fa/status
      user   GET /auth/me
      user   GET /auth/tokens
      user   GET /plugins/api-key/me/keys
      user   GET /plugins/api-key/me/keys/:id/usage
      user   GET /plugins/new-api-binding/binding
      user   GET /plugins/new-api-binding/donations
      user   GET /plugins/new-api-binding/donations/options
      user   POST /auth/2fa/backup-codes
      user   POST /auth/2fa/disable
      user   POST /auth/2fa/enable
      user   POST /auth/2fa/setup
      user   POST /auth/jwt
      user   POST /auth/logout
      user   POST /auth/logout-all
      user   POST /auth/password
      user   POST /auth/tokens
      user   POST /plugins/api-key/me/keys
      user   POST /plugins/new-api-binding/binding
      user   POST /plugins/new-api-binding/donations/:id/retry
      user   POST /plugins/new-api-binding/donations/import
      user   POST /plugins/new-api-binding/donations/oauth/exchange
      user   POST /plugins/new-api-binding/donations/oauth/start"
    `);
  });

  it("every non-public route refuses anonymous callers and callers without the role", async () => {
    const { gateway, callers } = await start();
    expect(await expectGuarded(gateway, callers)).toBeGreaterThan(20);
  });

  it("path variants of a guarded route never let an anonymous caller through", async () => {
    const { gateway, call } = await start();
    for (const route of gateway.routes.filter((r) => r.access !== "public")) {
      const path = concretePath(route.path);
      const variants = [path.toUpperCase(), `${path}/`, path.replace(/^\//, "//"), path.replace(/\/([^/]+)$/, "/$1."), path.replace(/\/([a-z])/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`), path.replace(/\//g, "//")];
      for (const variant of variants) {
        const status = await call(route.method, variant);
        expect([401, 403, 404, 405], `${route.method} ${variant} answered ${status}`).toContain(status);
      }
    }
  });
});
