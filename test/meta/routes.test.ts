// Route enumeration: every route core and every first-party plugin registers, called as
// anonymous, client key, user, admin; non-public routes must refuse whoever lacks the role,
// also through path variants. Public routes are an explicit list.
import { readdirSync } from "node:fs";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import type { GatewayPlugin, Role } from "../../core/index.ts";
import type { ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { setupGateway } from "../_setup.ts";
import { repoRoot } from "../_tmp.ts";

const LOOPBACK = "http://127.0.0.1:9";
/** Options that let each first-party plugin set up without network (URLs point nowhere). */
const PLUGIN_OPTIONS: Record<string, Record<string, unknown>> = {
  "auth/api-key": {},
  "providers/anthropic-api": { keys: ["route-test-key-a"], baseURL: LOOPBACK },
  "providers/openai-compatible": { keys: ["route-test-key-b"], baseURL: LOOPBACK },
  "providers/claude-oauth": {},
  "providers/codex-oauth": {},
  "providers/openrouter-pool": { keys: ["sk-or-v1-route-test"], baseURL: `${LOOPBACK}/api/v1`, allowInsecureHttp: true },
};

/** Routes anyone may call. Adding one here is a security decision: say why in the commit. */
const PUBLIC = new Set(["GET /health", "GET /ready", "GET /v1/models?", "POST /auth/login/2fa"]);

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
  });
  const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
  const clientKey = (await keys.create({ name: "routes" })).key;
  const cookieFor = async (role: Role) => {
    const { user } = await gateway.users.findOrCreate({ identity: { provider: "route-test", subject: role }, name: role, role });
    return `sy_session=${(await gateway.users.sessions.create(user)).token}`;
  };
  const callers = { client: { "x-api-key": clientKey }, user: { cookie: await cookieFor("user") }, admin: { cookie: await cookieFor("admin") }, root: { cookie: await cookieFor("root") } };
  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const hasBody = method !== "GET" && method !== "DELETE";
    const response = await gateway.request(path, { method, headers: { "content-type": "application/json", ...headers }, ...(hasBody ? { body: "{}" } : {}) });
    await response.body?.cancel();
    return response.status;
  };
  return { gateway, callers, call };
}

const RANK = { public: 0, client: 0, user: 1, admin: 2, root: 3 } as const;

function concrete(path: string): string {
  return path.replace(/:[A-Za-z]+/g, "x1").replace(/\*\*?/g, "x1");
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

  it("every non-public route refuses anonymous callers and callers without the role", async () => {
    const { gateway, callers, call } = await start();
    const guarded = gateway.routes.filter((r) => r.access !== "public");
    expect(guarded.length).toBeGreaterThan(20);
    for (const route of guarded) {
      const path = concrete(route.path);
      const where = `${route.method} ${route.path} (${route.access}, ${route.owner})`;
      expect(await call(route.method, path), `${where} anonymous`).toBe(401);
      if (route.access !== "client") expect(await call(route.method, path, callers.client), `${where} client key`).toBe(403);
      else expect(await call(route.method, path, callers.admin), `${where} admin session`).toBe(403);
      for (const role of ["user", "admin"] as const) {
        if (route.access !== "client" && RANK[role] < RANK[route.access]) expect(await call(route.method, path, callers[role]), `${where} ${role}`).toBe(403);
      }
    }
  });

  it("path variants of a guarded route never let an anonymous caller through", async () => {
    const { gateway, call } = await start();
    for (const route of gateway.routes.filter((r) => r.access !== "public")) {
      const path = concrete(route.path);
      const variants = [path.toUpperCase(), `${path}/`, path.replace(/^\//, "//"), path.replace(/\/([^/]+)$/, "/$1."), path.replace(/\/([a-z])/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`), path.replace(/\//g, "//")];
      for (const variant of variants) {
        const status = await call(route.method, variant);
        expect([401, 403, 404, 405], `${route.method} ${variant} answered ${status}`).toContain(status);
      }
    }
  });
});
