import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { HTTPError, badRequest, createLogger, defineAuth, definePlugin, type PluginContext, type Role } from "../../core/index.ts";
import { captureLogs } from "../../core/logger.ts";
import { setupGateway } from "../_setup.ts";
import { type TempProject, createTempProject } from "../_tmp.ts";

/** Recognises `x-test-user: <role>` as a person and `x-test-key: <id>` as a client key. */
const headerAuth = defineAuth({
  name: "header-auth",
  setup: () => ({
    authenticate(request) {
      const role = request.headers.get("x-test-user");
      if (role === "banned") throw new HTTPError({ status: 403, message: "Banned" });
      if (role) return { kind: "user", id: `u-${role}`, role: role as Role, strategy: "" };
      const key = request.headers.get("x-test-key");
      return key ? { kind: "client", id: key, strategy: "" } : undefined;
    },
  }),
});

/** Registers one route per access level plus error-throwing routes. */
const routesPlugin = definePlugin({
  name: "probe",
  setup(ctx) {
    for (const access of ["public", "client", "user", "admin", "root"] as const) {
      ctx.routes.add({ method: "GET", path: `/${access}`, access, handler: (event) => ({ access, principal: event.context.principal?.id ?? null }) });
    }
    ctx.routes.add({ method: "POST", path: "/bad", access: "public", handler: () => { throw badRequest("model", "is required"); } });
    ctx.routes.add({ method: "POST", path: "/echo", access: "public", handler: async (event) => ({ length: (await event.req.text()).length }) });
    ctx.routes.add({ method: "GET", path: "/crash", access: "public", handler: () => { throw new Error("db password is hunter2"); } });
  },
});

describe("core routes", () => {
  it("GET /health answers 200 {status: ok} with a request id", async () => {
    const gateway = await setupGateway();
    const res = await gateway.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
  });

  it("GET /ready is 200 when storage answers and 503 when it does not", async () => {
    const ok = await setupGateway();
    expect((await ok.request("/ready")).status).toBe(200);
    const dead = await setupGateway({ storage: { driver: "redis", url: "redis://127.0.0.1:1" }, server: { readyTimeoutMs: 300 } });
    const res = await dead.request("/ready");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("gives every response a distinct request id, errors included", async () => {
    const gateway = await setupGateway();
    const ids = await Promise.all(["/health", "/nope", "/health"].map(async (p) => (await gateway.request(p)).headers.get("x-request-id")));
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id?.startsWith("req_"))).toBe(true);
  });

  it("refuses a body over the configured limit with 413", async () => {
    const gateway = await setupGateway({ server: { bodyLimitBytes: 2048 }, plugins: [routesPlugin()] });
    const small = await gateway.request("/plugins/probe/echo", { method: "POST", body: "x".repeat(1000) });
    expect(await small.json()).toEqual({ length: 1000 });
    const res = await gateway.request("/plugins/probe/echo", { method: "POST", body: "x".repeat(4096), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect((await res.json()).error.type).toBe("invalid_request_error");
  });
});

describe("errors in the client's dialect", () => {
  it("answers unknown /v1/messages paths in Anthropic's envelope and /v1/chat paths in OpenAI's", async () => {
    const gateway = await setupGateway();
    const anthropic = await gateway.request("/v1/messages/nope");
    const body = await anthropic.json();
    expect(body).toEqual({ type: "error", error: { type: "not_found_error", message: expect.any(String) }, request_id: anthropic.headers.get("x-request-id") });
    const openai = await (await gateway.request("/v1/chat/completions/nope")).json();
    expect(openai).toEqual({ error: { message: expect.any(String), type: "not_found_error", param: null, code: null } });
  });

  it("keeps a handled error's message and param, hides an unhandled one", async () => {
    const gateway = await setupGateway({ plugins: [routesPlugin()] });
    const bad = await gateway.request("/plugins/probe/bad", { method: "POST" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: "model: is required", type: "invalid_request_error", param: "model" } });
    const crash = await gateway.request("/plugins/probe/crash");
    expect(crash.status).toBe(500);
    const text = await crash.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).error.message).toBe(`Internal error (request ${crash.headers.get("x-request-id")})`);
  });
});

describe("plugin routes and guards", () => {
  const cases: [string, Record<string, string>, Record<string, number>][] = [
    ["anonymous", {}, { public: 200, client: 401, user: 401, admin: 401, root: 401 }],
    ["client key", { "x-test-key": "k1" }, { public: 200, client: 200, user: 401, admin: 401, root: 401 }],
    ["user", { "x-test-user": "user" }, { public: 200, client: 401, user: 200, admin: 403, root: 403 }],
    ["admin", { "x-test-user": "admin" }, { public: 200, client: 401, user: 200, admin: 200, root: 403 }],
    ["root", { "x-test-user": "root" }, { public: 200, client: 401, user: 200, admin: 200, root: 200 }],
    ["banned (strategy throws)", { "x-test-user": "banned" }, { public: 200, client: 403, user: 403, admin: 403, root: 403 }],
  ];
  for (const [who, headers, expected] of cases) {
    it(`enforces each access level for a ${who} caller`, async () => {
      const gateway = await setupGateway({ auth: [headerAuth()], plugins: [routesPlugin()] });
      const seen: Record<string, number> = {};
      for (const access of Object.keys(expected)) seen[access] = (await gateway.request(`/plugins/probe/${access}`, { headers })).status;
      expect(seen).toEqual(expected);
    });
  }

  it("sends WWW-Authenticate with a 401", async () => {
    const gateway = await setupGateway({ auth: [headerAuth()], plugins: [routesPlugin()] });
    const res = await gateway.request("/plugins/probe/admin");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("lists every route with its owner and access", async () => {
    const gateway = await setupGateway({ plugins: [routesPlugin()] });
    expect(gateway.routes.filter((r) => r.owner === "probe").map((r) => `${r.method} ${r.path} ${r.access}`)).toEqual([
      "GET /plugins/probe/public public",
      "GET /plugins/probe/client client",
      "GET /plugins/probe/user user",
      "GET /plugins/probe/admin admin",
      "GET /plugins/probe/root root",
      "POST /plugins/probe/bad public",
      "POST /plugins/probe/echo public",
      "GET /plugins/probe/crash public",
    ]);
  });

  it("refuses a route without an access level or outside the prefix", async () => {
    const noAccess = definePlugin({ name: "sloppy", setup: (ctx) => ctx.routes.add({ method: "GET", path: "/x", handler: () => "x" } as never) });
    await expect(setupGateway({ plugins: [noAccess()] })).rejects.toThrow("[switchyard] [plugin:sloppy] setup failed (plugins[0]): [switchyard] [plugin:sloppy] route GET /x: access must be set");
    const escape = definePlugin({ name: "escape", setup: (ctx) => ctx.routes.add({ method: "GET", path: "/../admin", access: "public", handler: () => "x" }) });
    await expect(setupGateway({ plugins: [escape()] })).rejects.toThrow('the path must start with "/" and have no ".." segment');
  });
});

describe("plugin context", () => {
  it("scopes storage and secrets to the plugin and runs ready/close hooks", async () => {
    const contexts: Record<string, PluginContext> = {};
    const events: string[] = [];
    const grab = (name: string) =>
      definePlugin({
        name,
        setup(ctx) {
          contexts[name] = ctx;
          ctx.hooks.hook("ready", () => void events.push(`ready:${name}`));
          ctx.hooks.hook("close", () => void events.push(`close:${name}`));
        },
      })();
    const gateway = await setupGateway({ plugins: [grab("alpha"), grab("beta")] });
    const alpha = contexts.alpha!;
    const beta = contexts.beta!;
    expect(alpha.name).toBe("alpha");
    await alpha.storage.set("shared-name", { owner: "alpha" });
    expect(await beta.storage.get("shared-name")).toBeNull();
    expect(await gateway.storage.get("plugins:alpha:shared-name")).toEqual({ owner: "alpha" });

    const sealed = alpha.secrets.seal("token-value", { type: "account", id: "a1" });
    expect(alpha.secrets.open(sealed, { type: "account", id: "a1" })).toBe("token-value");
    expect(() => beta.secrets.open(sealed, { type: "account", id: "a1" })).toThrow();
    expect(events).toEqual(["ready:alpha", "ready:beta"]);
    await gateway.close();
    expect(events).toEqual(["ready:alpha", "ready:beta", "close:alpha", "close:beta"]);
  });

  it("calls request, auth:resolved and response hooks with plain, secret-free data", async () => {
    const seen: string[] = [];
    const spy = definePlugin({
      name: "spy",
      setup(ctx) {
        ctx.hooks.hook("request", (info) => void seen.push(`request ${info.method} ${info.path}`));
        ctx.hooks.hook("auth:resolved", (info) => void seen.push(`auth ${info.principal.kind}:${info.principal.id} via ${info.principal.strategy}`));
        ctx.hooks.hook("response", (info) => void seen.push(`response ${info.status} ${info.durationMs >= 0}`));
      },
    });
    const gateway = await setupGateway({ auth: [headerAuth()], plugins: [routesPlugin(), spy()] });
    await gateway.request("/plugins/probe/client", { headers: { "x-test-key": "k9" } });
    await gateway.request("/plugins/probe/admin");
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([
      "request GET /plugins/probe/client",
      "auth client:k9 via header-auth",
      "response 200 true",
      "request GET /plugins/probe/admin",
      "response 401 true",
    ]);
  });

  it("names the plugin when its setup throws", async () => {
    const broken = definePlugin<{ apiKey?: string }>({
      name: "needs-key",
      setup(_ctx, options) {
        if (!options.apiKey) throw new Error("Missing required option `apiKey`");
      },
    });
    await expect(setupGateway({ plugins: [broken()] })).rejects.toThrow("[switchyard] [plugin:needs-key] setup failed (plugins[0]): Missing required option `apiKey`");
  });
});

describe("secret key id", () => {
  const projects: TempProject[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));

  it("refuses to start on storage sealed under another SWITCHYARD_SECRET, and accepts the original", async () => {
    const p = createTempProject();
    projects.push(p);
    const storage = { driver: "fs", base: `${p.dir}/.data` } as const;
    const original = randomBytes(32).toString("base64");
    const first = await setupGateway({ storage }, { env: { SWITCHYARD_SECRET: original } });
    await first.close();
    const other = randomBytes(32).toString("base64");
    await expect(setupGateway({ storage }, { env: { SWITCHYARD_SECRET: other } })).rejects.toThrow(/is not the key this storage was sealed with/);
    const again = await setupGateway({ storage }, { env: { SWITCHYARD_SECRET: original } });
    expect((await again.request("/health")).status).toBe(200);
  });
});

describe("plugin logger", () => {
  it("tags lines with the plugin name and redacts credentials", async () => {
    const capture = captureLogs();
    try {
      const chatty = definePlugin({
        name: "chatty",
        setup(ctx) {
          ctx.logger.info("upstream said", { authorization: "Bearer sk-ant-canary-123456789", status: 401 });
        },
      });
      await setupGateway({ plugins: [chatty()] }, { logger: createLogger({ level: "debug" }) });
      const text = capture.text();
      expect(text).toContain("chatty");
      expect(text).toContain("upstream said");
      expect(text).not.toContain("canary-123456789");
    } finally {
      capture.stop();
    }
  });
});
