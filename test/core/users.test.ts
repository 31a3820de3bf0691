import { describe, expect, it } from "vitest";
import { HTTPError, type Role, defineAuth, definePlugin, readJsonObject, startServer } from "../../core/index.ts";
import { setupGateway } from "../_setup.ts";

const ROOT_TOKEN = "users-test-admin-token-0123456789abcdefghij";

/** A first factor for tests: POST /auth/test/login {name, role} logs that person in. */
const testLogin = defineAuth<{ secondFactorCode?: string }>({
  name: "test-login",
  setup(ctx, options) {
    if (options.secondFactorCode) {
      const code = options.secondFactorCode;
      ctx.users.addSecondFactor({ name: "test-code", required: async (user) => user.meta.twoFactor === true, verify: async (_user, given) => given === code });
    }
    ctx.routes.add({
      method: "POST",
      path: "/test/login",
      mount: "auth",
      access: "public",
      async handler(event) {
        const body = await readJsonObject(event, ["name", "role", "twoFactor"]);
        const { user } = await ctx.users.findOrCreate({ identity: { provider: "test", subject: String(body.name) }, name: String(body.name), role: (body.role as Role) ?? "user", meta: { twoFactor: body.twoFactor === true } });
        return ctx.users.login(event, user);
      },
    });
    return {};
  },
});

async function start(options: { secondFactorCode?: string; trustedProxies?: string[] } = {}) {
  const gateway = await setupGateway({ auth: [testLogin(options)], ...(options.trustedProxies ? { server: { trustedProxies: options.trustedProxies } } : {}) }, { env: { SWITCHYARD_ADMIN_TOKEN: ROOT_TOKEN } });
  const call = async (method: string, path: string, init: { body?: unknown; cookie?: string; bearer?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    const response = await gateway.request(path, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  };
  async function login(name: string, role: Role = "user", extra: Record<string, unknown> = {}) {
    const answer = await call("POST", "/auth/test/login", { body: { name, role, ...extra } });
    const setCookie = answer.headers.get("set-cookie") ?? "";
    return { ...answer, setCookie, cookie: setCookie.split(";")[0]! };
  }
  return { gateway, call, login };
}

describe("users and sessions", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie with a 43-char random token, and /auth/me answers", async () => {
    const { call, login } = await start();
    const first = await login("ann");
    expect(first.body.status).toBe("ok");
    expect(first.setCookie).toMatch(/^sy_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const me = await call("GET", "/auth/me", { cookie: first.cookie });
    expect(me.body.user).toMatchObject({ name: "ann", role: "user", status: "active" });
    expect((await call("GET", "/auth/me")).status).toBe(401);
    expect((await call("GET", "/auth/me", { cookie: "sy_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })).status).toBe(401);
  });

  it("marks the cookie Secure behind a trusted TLS-terminating proxy, and only then", async () => {
    const cookieVia = async (trustedProxies: string[]) => {
      const { gateway } = await start({ trustedProxies });
      const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
      try {
        const response = await fetch(new URL("/auth/test/login", server.url), { method: "POST", headers: { "x-forwarded-proto": "https", "content-type": "application/json" }, body: JSON.stringify({ name: "p" }) });
        return response.headers.get("set-cookie") ?? "";
      } finally {
        await server.close();
      }
    };
    expect(await cookieVia(["127.0.0.1/32"])).toMatch(/; Secure$/);
    expect(await cookieVia(["10.0.0.0/8"])).not.toMatch(/Secure/);
  });

  it("never repeats a session token across 100 logins", async () => {
    const { login } = await start();
    const tokens = new Set<string>();
    for (let i = 0; i < 100; i++) tokens.add((await login("same")).cookie);
    expect(tokens.size).toBe(100);
  });

  it("makes one user of ten concurrent first logins with one identity", async () => {
    const { gateway, login } = await start();
    const answers = await Promise.all(Array.from({ length: 10 }, () => login("racer")));
    expect(new Set(answers.map((a) => a.body.user.id)).size).toBe(1);
    expect((await gateway.users.list()).filter((u) => u.name === "racer")).toHaveLength(1);
  });

  it("logout ends that session; logout-all ends every session of the user", async () => {
    const { call, login } = await start();
    const a = await login("bob");
    const b = await login("bob");
    const c = await login("bob");
    const out = await call("POST", "/auth/logout", { cookie: a.cookie });
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await call("GET", "/auth/me", { cookie: a.cookie })).status).toBe(401);
    expect((await call("GET", "/auth/me", { cookie: b.cookie })).status).toBe(200);
    await call("POST", "/auth/logout-all", { cookie: b.cookie });
    expect((await call("GET", "/auth/me", { cookie: c.cookie })).status).toBe(401);
  });

  it("a user session gets 403 on admin routes; an admin session passes", async () => {
    const { gateway, call, login } = await start();
    const user = await login("u");
    const admin = await login("a", "admin");
    for (const route of gateway.routes.filter((r) => r.access === "admin" || r.access === "root")) {
      const path = route.path.replace(/:[a-z]+/g, "x");
      expect((await call(route.method, path, { cookie: user.cookie, ...(route.method === "GET" ? {} : { body: {} }) })).status, `${route.method} ${path}`).toBe(403);
    }
    expect((await call("GET", "/admin/users", { cookie: admin.cookie })).status).toBe(200);
  });

  it("a ban ends the user's sessions at once and refuses their personal tokens", async () => {
    const { call, login } = await start();
    const victim = await login("victim");
    const pat = await call("POST", "/auth/tokens", { cookie: victim.cookie, body: { name: "ci" } });
    expect(pat.body.token).toMatch(/^sy-pat-[A-Za-z0-9_-]{43}$/);
    expect((await call("GET", "/auth/me", { bearer: pat.body.token })).status).toBe(200);
    const banned = await call("PATCH", `/admin/users/${victim.body.user.id}`, { bearer: ROOT_TOKEN, body: { status: "banned" } });
    expect(banned.body.status).toBe("banned");
    expect((await call("GET", "/auth/me", { cookie: victim.cookie })).status).toBe(401);
    // The ban bumped the user's epoch, so the token is dead, not merely refused.
    expect((await call("GET", "/auth/me", { bearer: pat.body.token })).status).toBe(401);
  });

  it("admins manage users below them; only root grants admin; nobody changes their own role", async () => {
    const { call, login } = await start();
    const admin = await login("adm", "admin");
    const other = await login("other-admin", "admin");
    const user = await login("plain");
    expect((await call("PATCH", `/admin/users/${user.body.user.id}`, { cookie: admin.cookie, body: { role: "admin" } })).status).toBe(403);
    expect((await call("PATCH", `/admin/users/${other.body.user.id}`, { cookie: admin.cookie, body: { status: "banned" } })).status).toBe(403);
    expect((await call("PATCH", `/admin/users/${admin.body.user.id}`, { cookie: admin.cookie, body: { status: "banned" } })).status).toBe(403);
    expect((await call("PATCH", `/admin/users/${user.body.user.id}`, { cookie: admin.cookie, body: { status: "banned" } })).status).toBe(200);
    expect((await call("PATCH", `/admin/users/${user.body.user.id}`, { bearer: ROOT_TOKEN, body: { role: "admin", status: "active" } })).body).toMatchObject({ role: "admin", status: "active" });
  });

  it("personal access tokens: listed without the secret, revocable", async () => {
    const { call, login } = await start();
    const me = await login("tok");
    const created = await call("POST", "/auth/tokens", { cookie: me.cookie, body: { name: "laptop" } });
    expect(created.status).toBe(201);
    const list = await call("GET", "/auth/tokens", { bearer: created.body.token });
    expect(list.body.data).toEqual([expect.objectContaining({ id: created.body.record.id, name: "laptop" })]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token.slice(7));
    await call("DELETE", `/auth/tokens/${created.body.record.id}`, { cookie: me.cookie });
    expect((await call("GET", "/auth/me", { bearer: created.body.token })).status).toBe(401);
  });
});

describe("second factor", () => {
  it("a login that needs a second factor gets a ticket, not a session; the code completes it once", async () => {
    const { call } = await start({ secondFactorCode: "424242" });
    const first = await call("POST", "/auth/test/login", { body: { name: "two", twoFactor: true } });
    expect(first.body).toMatchObject({ status: "2fa_required", factors: ["test-code"] });
    expect(first.headers.get("set-cookie")).toBeNull();
    expect((await call("POST", "/auth/login/2fa", { body: { ticket: first.body.ticket, code: "000000" } })).status).toBe(401);
    const done = await call("POST", "/auth/login/2fa", { body: { ticket: first.body.ticket, code: "424242" } });
    expect(done.status).toBe(200);
    expect(done.headers.get("set-cookie")).toMatch(/^sy_session=/);
    expect((await call("POST", "/auth/login/2fa", { body: { ticket: first.body.ticket, code: "424242" } })).status).toBe(401);
    const plain = await call("POST", "/auth/test/login", { body: { name: "one" } });
    expect(plain.body.status).toBe("ok");
  });
});

describe("plugin routes under /auth", () => {
  it("refuses a plugin route that takes a core path, and /auth mounts from non-auth plugins", async () => {
    const squatter = defineAuth({ name: "squatter", setup(ctx) { ctx.routes.add({ method: "GET", path: "/me", mount: "auth", access: "public", handler: () => "mine" }); return {}; } });
    await expect(setupGateway({ auth: [squatter()] })).rejects.toThrow(/GET \/auth\/me is already registered by core/);
    const extension = definePlugin({ name: "ext", setup(ctx) { ctx.routes.add({ method: "GET", path: "/x", mount: "auth", access: "public", handler: () => "x" }); } });
    await expect(setupGateway({ plugins: [extension()] })).rejects.toThrow(/only auth plugins mount routes under \/auth/);
  });
});

describe("epoch-bound personal tokens and locked-out tickets", () => {
  it("logout-all (like a password or 2FA change) ends personal tokens too", async () => {
    const { call, login } = await start();
    const me = await login("epoch");
    const pat = await call("POST", "/auth/tokens", { cookie: me.cookie, body: { name: "ci" } });
    expect((await call("GET", "/auth/me", { bearer: pat.body.token })).status).toBe(200);
    await call("POST", "/auth/logout-all", { cookie: me.cookie });
    expect((await call("GET", "/auth/me", { bearer: pat.body.token })).status).toBe(401);
  });

  it("a second factor that refuses outright (lockout) ends the pending login", async () => {
    const locking = defineAuth({
      name: "locking",
      setup(ctx) {
        ctx.users.addSecondFactor({ name: "locked", required: async () => true, verify: async () => { throw new HTTPError({ status: 429, message: "locked" }); } });
        return {};
      },
    });
    const gateway = await setupGateway({ auth: [testLogin(), locking()] });
    const started = await gateway.request("/auth/test/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
    const { ticket } = (await started.json()) as { ticket: string };
    const attempt = () => gateway.request("/auth/login/2fa", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ticket, code: "1" }) });
    expect((await attempt()).status).toBe(429);
    expect((await attempt()).status).toBe(401);
  });
});
