import { describe, expect, it } from "vitest";
import { captureLogs } from "../../core/logger.ts";
import { createGateway, defineAuth, resolveGatewayConfig } from "../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { setupGateway, testSecret } from "../_setup.ts";
import { type TestOAuthHandle, testOAuth } from "../fixtures/test-oauth-provider.ts";

const ADMIN_TOKEN = "canary-admin-token-9f8e7d6c5b4a39281706";
const ACCESS = "canary-admin-test-access-token-31d9";

async function start() {
  let handle: TestOAuthHandle | undefined;
  const token = async () => ({ accessToken: ACCESS, refreshToken: "canary-admin-test-refresh-77ab", expiresInMs: 3_600_000 });
  const gateway = await setupGateway({ providers: [testOAuth({ token, expose: (h) => (handle = h) })], auth: [apiKey()] }, { env: { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN } });
  const call = async (method: string, path: string, body?: unknown, auth = `Bearer ${ADMIN_TOKEN}`) => {
    const sendsBody = body !== undefined && method !== "GET" && method !== "DELETE";
    const response = await gateway.request(path, { method, headers: { authorization: auth, "content-type": "application/json" }, ...(sendsBody ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  async function onboard(name = "acct") {
    const started = await call("POST", "/admin/providers/test-oauth/oauth/start", {});
    return call("POST", "/admin/providers/test-oauth/oauth/exchange", { flowId: started.body.flowId, callbackUrl: `https://cb.test/?code=c0de&state=${new URL(started.body.authUrl).searchParams.get("state")}`, name });
  }
  return { gateway, handle: handle!, call, onboard };
}

describe("admin API for provider accounts", () => {
  it("registers every /admin route with the admin access level", async () => {
    const { gateway } = await start();
    const admin = gateway.routes.filter((r) => r.path.startsWith("/admin"));
    expect(admin.every((r) => r.access === "admin")).toBe(true);
    expect(admin.filter((r) => /^\/admin\/(accounts|providers)/.test(r.path)).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "DELETE /admin/accounts/:id",
      "GET /admin/accounts",
      "GET /admin/accounts/:id",
      "GET /admin/providers",
      "PATCH /admin/accounts/:id",
      "POST /admin/accounts",
      "POST /admin/accounts/:id/refresh",
      "POST /admin/providers/:provider/oauth/exchange",
      "POST /admin/providers/:provider/oauth/start",
    ]);
    expect(admin.every((r) => r.access === "admin" && r.owner === "core")).toBe(true);
  });

  it("refuses anonymous callers, wrong tokens and client keys on every admin route", async () => {
    const { gateway, call } = await start();
    const strategy = gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy;
    const { key } = await strategy.keys.create({ name: "client" });
    for (const route of gateway.routes.filter((r) => r.path.startsWith("/admin"))) {
      const path = route.path.replace(":provider", "test-oauth").replace(":id", "acc_000000000000000000000000");
      expect((await call(route.method, path, {}, "")).status, `${route.method} ${path} anonymous`).toBe(401);
      expect((await call(route.method, path, {}, `Bearer ${ADMIN_TOKEN}x`)).status, `${route.method} ${path} wrong token`).toBe(401);
      expect((await call(route.method, path, {}, `Bearer ${key}`)).status, `${route.method} ${path} client key`).toBe(401);
    }
  });

  it("onboards, lists, renames, disables, refreshes and removes an account, never showing a token", async () => {
    const { call, onboard } = await start();
    const created = await onboard("first");
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: "test-oauth", name: "first", status: "active" });
    const id = created.body.id as string;
    const list = await call("GET", "/admin/accounts");
    expect(list.body.data).toEqual([expect.objectContaining({ id, provider: "test-oauth" })]);
    expect((await call("PATCH", `/admin/accounts/${id}`, { name: "renamed", enabled: false })).body).toMatchObject({ name: "renamed", status: "disabled" });
    expect((await call("GET", `/admin/accounts/${id}`)).body).toMatchObject({ status: "disabled" });
    expect((await call("PATCH", `/admin/accounts/${id}`, { enabled: true })).body).toMatchObject({ status: "active" });
    const refreshed = await call("POST", `/admin/accounts/${id}/refresh`);
    expect(refreshed.body.lastRefreshAt).toBeGreaterThan(0);
    const everything = JSON.stringify([created, list, refreshed, await call("GET", "/admin/providers")]);
    expect(everything).not.toContain("canary");
    expect((await call("DELETE", `/admin/accounts/${id}`)).body).toEqual({ id, provider: "test-oauth", deleted: true });
    expect((await call("GET", `/admin/accounts/${id}`)).status).toBe(404);
  });

  it("shows a cooling account as cooling with the time it comes back", async () => {
    const { gateway, call, handle } = await start();
    // Created through the store: an admin answer would have cached "not cooling" for a second.
    const { id } = await handle.store.create({ name: "cool", credentials: { accessToken: "a", refreshToken: "r" }, meta: {} });
    const until = Date.now() + 90_000;
    await gateway.storage.set(`relay:cool:test-oauth:${id}`, { until, reason: "upstream 429" });
    const account = (await call("GET", `/admin/accounts/${id}`)).body;
    expect(account).toMatchObject({ status: "cooling", coolingUntil: until });
  });

  it.each([
    ["POST", "/admin/providers/test-oauth/oauth/start", { proxy: 5 }, 400, /proxy: expected a non-empty string/],
    ["POST", "/admin/providers/test-oauth/oauth/start", { extra: 1 }, 400, /extra: unknown field/],
    ["POST", "/admin/providers/nope/oauth/start", {}, 404, /No provider \\"nope\\"/],
    ["POST", "/admin/providers/test-oauth/oauth/exchange", { code: "x" }, 400, /flowId/],
    ["POST", "/admin/accounts", { provider: "test-oauth", key: "k" }, 400, /does not support adding an account from a key/],
    ["POST", "/admin/accounts", { provider: "test-oauth" }, 400, /exactly one of import/],
    ["PATCH", "/admin/accounts/acc_000000000000000000000000", { name: "x" }, 404, /No account/],
    ["GET", "/admin/accounts?provider=nope", undefined, 404, /No provider/],
  ])("%s %s %j → %d", async (method, path, body, status, message) => {
    const { call } = await start();
    const answer = await call(method, path, body);
    expect(answer.status).toBe(status);
    expect(JSON.stringify(answer.body)).toMatch(message);
  });

  it("refuses bodies that are not JSON objects", async () => {
    const { gateway } = await start();
    for (const body of ["[1]", "nope", "null"]) {
      const response = await gateway.request("/admin/providers/test-oauth/oauth/start", { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
      expect(response.status).toBe(400);
    }
  });
});

describe("SWITCHYARD_ADMIN_TOKEN", () => {
  it("refuses to start with a short token", async () => {
    const env = { SWITCHYARD_SECRET: testSecret, SWITCHYARD_ADMIN_TOKEN: "short" };
    await expect(createGateway(resolveGatewayConfig({ storage: { driver: "memory" } }, { env }), { env })).rejects.toThrow(/at least 32 characters/);
  });

  it("without a token, the admin API has no way in", async () => {
    const gateway = await setupGateway({});
    const response = await gateway.request("/admin/accounts", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(401);
  });

  it("never appears in logs", async () => {
    const logs = captureLogs({ mute: true });
    try {
      const { call, gateway } = await start();
      await call("GET", "/admin/accounts");
      gateway.logger.info(`debug line with ${ADMIN_TOKEN}`);
    } finally {
      logs.stop();
    }
    expect(logs.text()).not.toContain(ADMIN_TOKEN);
  });
});

describe("GET /admin/config", () => {
  it("shows the resolved config with every secret masked", async () => {
    const secrets = ["canary-or-key-1f2e3d", "canary-mgmt-key-9a8b7c", "canary-client-secret-5d6e", "scrypt$32768$8$1$canary-salt$canary-hash", "canary-redis-pass-42"];
    const withSecrets = defineAuth<Record<string, unknown>>({ name: "secretive", setup: () => ({}) });
    const gateway = await setupGateway(
      {
        auth: [withSecrets({ clientId: "visible-client-id", clientSecret: secrets[2], admins: [{ username: "root", passwordHash: secrets[3] }], keys: [secrets[0]], managementKey: secrets[1], webhook: `https://user:${secrets[4]}@hooks.example/x` })],
        routes: [],
      },
      { env: { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN } },
    );
    const response = await gateway.request("/admin/config", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of secrets) expect(text).not.toContain(secret);
    const body = JSON.parse(text) as any;
    expect(body.plugins).toContainEqual(expect.objectContaining({ kind: "auth", name: "secretive" }));
    const options = body.plugins.find((p: any) => p.name === "secretive").options;
    expect(options.clientId).toBe("visible-client-id");
    expect(options.clientSecret).toMatch(/^(••••••|\[redacted\])$/);
    expect(options.keys).toBe("••••••");
    expect(options.webhook).toMatch(/^https:\/\/.*@hooks\.example\/x$/);
    expect(body.server.port).toBeTypeOf("number");
    expect((await gateway.request("/admin/config")).status).toBe(401);
  });
});

describe("service tokens and mixed credentials", () => {
  it("the admin token opens admin routes but not the routes about 'me'", async () => {
    const { gateway } = await start();
    const as = (path: string, method = "GET") => gateway.request(path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, ...(method === "POST" ? { body: JSON.stringify({ name: "x" }) } : {}) });
    expect((await as("/admin/users")).status).toBe(200);
    expect((await as("/auth/tokens")).status).toBe(403);
    expect((await as("/auth/tokens", "POST")).status).toBe(403);
    expect((await as("/plugins/api-key/me/keys", "POST")).status).toBe(403);
    expect((await as("/auth/me")).status).toBe(403);
  });

  it("a relay call with a client key works even when the browser also sends a session cookie", async () => {
    const { gateway } = await start();
    const { user } = await gateway.users.findOrCreate({ identity: { provider: "mixed", subject: "u" }, name: "u" });
    const cookie = `sy_session=${(await gateway.users.sessions.create(user)).token}`;
    const { key } = await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "mixed" });
    const info = await gateway.request("/v1/key-info", { headers: { cookie, "x-api-key": key } });
    expect(info.status).toBe(200);
    expect((await gateway.request("/v1/key-info", { headers: { cookie } })).status).toBe(401);
  });
});
