import { testPluginRoutes } from "../../conformance/routes.ts";
import apiKey, { type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import { setupGateway } from "../../_setup.ts";
import { randomBytes } from "node:crypto";
import { fc, test as prop } from "@fast-check/vitest";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LogCapture, captureLogs } from "../../../core/logger.ts";
import {
  type Gateway,
  type GatewayConfig,
  type GatewayPlugin,
  type Role,
  type RunningServer,
  createGateway,
  createLogger,
  defineAuth,
  readJsonObject,
  resolveGatewayConfig,
  startServer,
} from "../../../core/index.ts";
import linuxdoConnect from "../../../plugins/auth/linuxdo-connect/index.ts";
import newApiBinding, { type NewApiBindingOptions, type NewApiBindingStrategy } from "../../../plugins/auth/new-api-binding/index.ts";
import claudeOAuth from "../../../plugins/providers/claude-oauth/index.ts";
import codexOAuth from "../../../plugins/providers/codex-oauth/index.ts";
import { describeRedis, redisUrl } from "../../_redis.ts";
import { testSecret } from "../../_setup.ts";
import { createTempProject } from "../../_tmp.ts";
import type { FakeUpstream } from "../../fixtures/upstreams/_server.ts";
import { startFakeClaudeOAuthApi } from "../../fixtures/upstreams/claude-oauth-api.ts";
import { type FakeCodex, startFakeCodex } from "../../fixtures/upstreams/codex.ts";
import { startFakeLinuxDo } from "../../fixtures/upstreams/linuxdo.ts";
import { type FakeNewApi, startFakeNewApi } from "../../fixtures/upstreams/new-api.ts";
import { type FakeOAuth, startFakeOAuth } from "../../fixtures/upstreams/oauth.ts";

// Wire JSON in assertions: loosely typed on purpose.
type Obj = Record<string, any>;

const PREFIX = "/plugins/new-api-binding";
const AMOUNT = 5_000_000; // 10 USD
const HOUR = 3_600_000;

// Every secret any test handled and every answer body; the last test scans logs and answers.
const secrets = new Set<string>();
const outputs: string[] = [];
const newApis = new Set<FakeNewApi>();
let logs: LogCapture;
beforeAll(() => {
  logs = captureLogs();
});
afterAll(() => logs.stop());
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of cleanups.splice(0).reverse()) await stop();
});

/** A first factor for tests: POST /auth/test-linuxdo/login {subject, name?, role?, provider?} logs that LinuxDO user in. */
const testLinuxdo = defineAuth({
  name: "test-linuxdo",
  setup(ctx) {
    ctx.routes.add({
      method: "POST",
      path: "/test-linuxdo/login",
      mount: "auth",
      access: "public",
      async handler(event) {
        const body = await readJsonObject(event, ["subject", "name", "role", "provider"]);
        const identity = { provider: String(body.provider ?? "linuxdo"), subject: String(body.subject) };
        const { user } = await ctx.users.findOrCreate({ identity, name: String(body.name ?? `ld-${body.subject}`), role: (body.role as Role) ?? "user" });
        return ctx.users.login(event, user);
      },
    });
    return {};
  },
});

interface Fakes {
  newApi: FakeNewApi;
  claude: { oauth: FakeOAuth; api: FakeUpstream };
  codex: { oauth: FakeOAuth; backend: FakeCodex };
}

async function startFakes(): Promise<Fakes> {
  const newApi = await startFakeNewApi();
  newApis.add(newApi);
  secrets.add(newApi.adminToken);
  const claudeAuth = await startFakeOAuth({ flavor: "claude" });
  const codexAuth = await startFakeOAuth({ flavor: "codex" });
  const fakes: Fakes = {
    newApi,
    claude: { oauth: claudeAuth, api: await startFakeClaudeOAuthApi({ oauth: claudeAuth }) },
    codex: { oauth: codexAuth, backend: await startFakeCodex({ oauth: codexAuth }) },
  };
  cleanups.push(async () => {
    for (const user of newApi.users.values()) secrets.add(user.access_token);
    for (const oauth of [claudeAuth, codexAuth]) for (const t of oauth.issued) [t.accessToken, t.refreshToken, t.idToken].forEach((s) => s && secrets.add(s));
    await Promise.all([newApi.close(), claudeAuth.close(), codexAuth.close(), fakes.claude.api.close(), fakes.codex.backend.close()]);
  });
  return fakes;
}

interface Answer {
  status: number;
  json: Obj;
  text: string;
}

interface Harness extends Fakes {
  gateway: Gateway;
  strategy: NewApiBindingStrategy;
  url: string;
  call(method: string, path: string, init?: { cookie?: string; body?: unknown }): Promise<Answer>;
  login(subject: string, init?: { role?: Role; provider?: string }): Promise<{ cookie: string; userId: string }>;
  /** A new-api user linked to `subject`, a logged-in gateway user, bound. */
  bound(subject?: string): Promise<{ cookie: string; userId: string; newApiUserId: number }>;
  admin(): Promise<string>;
  claudeFile(account?: Partial<FakeOAuth["account"]>): string;
  codexFile(account?: Partial<FakeOAuth["account"]>): string;
  close(): Promise<void>;
}

let ids = 100;
const nextId = () => ++ids;

async function start(input: { fakes?: Fakes; options?: Partial<NewApiBindingOptions>; config?: GatewayConfig; login?: GatewayPlugin } = {}): Promise<Harness> {
  const fakes = input.fakes ?? (await startFakes());
  const { newApi, claude, codex } = fakes;
  const env = { SWITCHYARD_SECRET: testSecret };
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [
        claudeOAuth({ authorizeURL: claude.oauth.authorizeUrl, tokenURL: claude.oauth.tokenUrl, apiBaseURL: claude.api.url }),
        codexOAuth({ issuer: codex.oauth.url, baseURL: `${codex.backend.url}/backend-api/codex` }),
      ],
      auth: [
        input.login ?? testLinuxdo(),
        newApiBinding({ baseURL: newApi.url, adminToken: newApi.adminToken, adminUserId: newApi.adminUserId, addQuota: true, donation: { quotaAmount: AMOUNT }, ...input.options }),
      ],
      ...input.config,
    },
    { env },
  );
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }) });
  const server: RunningServer = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    await gateway.close();
  };
  cleanups.push(close);
  const url = server.url.replace(/\/$/, "");
  const h: Harness = {
    ...fakes,
    gateway,
    url,
    close,
    strategy: gateway.auth.find((a) => a.name === "new-api-binding")!.strategy as NewApiBindingStrategy,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (init.cookie) headers.cookie = init.cookie;
      const response = await fetch(`${url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
      const text = await response.text();
      outputs.push(text);
      let json: Obj = {};
      try {
        json = text ? (JSON.parse(text) as Obj) : {};
      } catch {
        json = { raw: text };
      }
      return { status: response.status, json, text };
    },
    async login(subject, init = {}) {
      const response = await fetch(`${url}/auth/test-linuxdo/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ subject, ...init }) });
      const json = (await response.json()) as Obj;
      expect(response.status).toBe(200);
      return { cookie: (response.headers.get("set-cookie") ?? "").split(";")[0]!, userId: json.user.id as string };
    },
    async bound(subject = String(nextId() * 1000 + 7)) {
      const newApiUserId = nextId();
      newApi.addUser({ id: newApiUserId, linux_do_id: subject });
      const { cookie, userId } = await h.login(subject);
      const answer = await h.call("POST", `${PREFIX}/binding`, { cookie, body: { newApiUserId } });
      expect(answer.status, answer.text).toBe(200);
      return { cookie, userId, newApiUserId };
    },
    async admin() {
      return (await h.login(`admin-${randomBytes(4).toString("hex")}`, { role: "admin", provider: "test" })).cookie;
    },
    claudeFile(account) {
      const t = claude.oauth.mint(account);
      const file = { claudeAiOauth: { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: Date.now() + 8 * HOUR, scopes: ["user:inference", "user:profile"], subscriptionType: "max" } };
      const content = JSON.stringify(file);
      secrets.add(content);
      return content;
    },
    codexFile(account) {
      const t = codex.oauth.mint(account);
      const content = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: t.idToken, access_token: t.accessToken, refresh_token: t.refreshToken, account_id: t.account.accountId }, last_refresh: new Date().toISOString() });
      secrets.add(content);
      return content;
    },
  };
  return h;
}

const manageCallsFor = (newApi: FakeNewApi, id: number) => newApi.manageCalls.filter((c) => c.id === id);
const appliedFor = (newApi: FakeNewApi, id: number) => manageCallsFor(newApi, id).filter((c) => c.applied).length;

/** Donation lines logged since `from`, parsed. */
function donationLines(from = 0): Obj[] {
  return logs.lines.slice(from).flatMap((line) => {
    const match = /donation (\{.*\})\s*$/.exec(line);
    return match ? [JSON.parse(match[1]!) as Obj] : [];
  });
}

describe("fake new-api", () => {
  it("checks the admin token (Bearer optional) and New-Api-User, answers in the envelope, adds quota atomically", async () => {
    const newApi = await startFakeNewApi({ adminUserId: 3 });
    cleanups.push(() => newApi.close());
    newApi.addUser({ id: 10, linux_do_id: "77", quota: 5 });
    const get = async (path: string, headers: Record<string, string>) => {
      const response = await fetch(`${newApi.url}${path}`, { headers });
      return { status: response.status, body: (await response.json()) as Obj };
    };
    const admin = { authorization: `Bearer ${newApi.adminToken}`, "new-api-user": "3" };
    expect(await get("/api/status", {})).toMatchObject({ status: 200, body: { success: true, data: { quota_per_unit: 500_000 } } });
    const refused: Array<Record<string, string>> = [{}, { authorization: "Bearer nope", "new-api-user": "3" }, { authorization: admin.authorization }, { ...admin, "new-api-user": "1" }, { ...admin, "new-api-user": "x" }];
    for (const headers of refused) {
      expect(await get("/api/user/10", headers), JSON.stringify(headers)).toMatchObject({ status: 401, body: { success: false } });
    }
    expect((await get("/api/user/10", { ...admin, authorization: newApi.adminToken })).body.data).toMatchObject({ id: 10, linux_do_id: "77", access_token: expect.any(String) });
    expect(await get("/api/user/11", admin)).toEqual({ status: 200, body: { success: false, message: "record not found" } });
    const manage = async (body: unknown) => (await fetch(`${newApi.url}/api/user/manage`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<Obj>;
    await Promise.all(Array.from({ length: 20 }, () => manage({ id: 10, action: "add_quota", mode: "add", value: 3 })));
    expect(newApi.users.get(10)!.quota).toBe(65);
    for (const bad of [{ id: 10, action: "add_quota", mode: "add", value: 0 }, { id: 10, action: "add_quota", mode: "add", value: 1.5 }, { id: 99, action: "add_quota", mode: "add", value: 1 }, { id: 10, action: "promote" }]) {
      expect((await manage(bad)).success, JSON.stringify(bad)).toBe(false);
    }
    expect(newApi.users.get(10)!.quota).toBe(65);
    newApi.refuseManage("busy");
    expect(await manage({ id: 10, action: "add_quota", mode: "add", value: 1 })).toEqual({ success: false, message: "busy" });
    expect(newApi.manageCalls.filter((c) => c.applied)).toHaveLength(20);
    expect(newApi.requests.at(-1)!.headers["new-api-user"]).toBe("3");
  });
});

describe("options", () => {
  it("refuses bad options at startup, one line per problem, never echoing the token", async () => {
    const fakes = await startFakes();
    const attempt = (options: Partial<NewApiBindingOptions>) => start({ fakes, options });
    await expect(attempt({ baseURL: "ftp://newapi.test", adminToken: "change-me-please-now", adminUserId: "x1" as never })).rejects.toThrow(
      /3 problem\(s\) in the options:\n {2}baseURL: expected an http\(s\) URL.*\n {2}adminToken: expected the real access token.*\(value hidden\)\n {2}adminUserId: expected the admin's numeric new-api user id/,
    );
    await expect(attempt({ adminToken: undefined as never })).rejects.toThrow("adminToken: expected the new-api admin's system access token, got nothing (is the environment variable set?)");
    await expect(attempt({ addQuota: false })).rejects.toThrow(/addQuota: expected true when donation is set/);
    for (const quotaAmount of [0, -500_000, 1.5, 1e15, Number.NaN]) {
      await expect(attempt({ donation: { quotaAmount } }), String(quotaAmount)).rejects.toThrow(/donation\.quotaAmount: expected an integer from 1 to 500000000000/);
    }
    await expect(attempt({ donation: { quotaAmount: 1, providers: [] } })).rejects.toThrow("donation.providers: expected a non-empty array of provider names");
    await expect(attempt({ requestTimeoutMs: 10 })).rejects.toThrow("requestTimeoutMs: expected an integer from 100 to 120000, got 10");
    await expect(attempt({ baseUrl: "x" } as never)).rejects.toThrow("baseUrl: expected one of baseURL");
    await expect(attempt({ baseURL: "http://newapi.example.com" })).rejects.toThrow(/baseURL: expected https/);
    const secretish = "Zq8-real-looking-but-in-a-bad-place-token";
    await expect(attempt({ adminToken: `${secretish} with spaces` })).rejects.toThrow(/adminToken: .*value hidden/);
    await expect(attempt({ adminToken: `${secretish} with spaces` })).rejects.not.toThrow(secretish);
  });

  it("works without donations: binding routes only", async () => {
    const h = await start({ options: { addQuota: undefined, donation: undefined } });
    expect(h.strategy.donations).toBeUndefined();
    const mine = h.gateway.routes.filter((r) => r.owner === "new-api-binding").map((r) => `${r.method} ${r.path}`);
    expect(mine.sort()).toEqual([`DELETE ${PREFIX}/binding`, `GET ${PREFIX}/binding`, `POST ${PREFIX}/binding`]);
  });
});

describe("binding", () => {
  it("binds when new-api's linux_do_id matches: 404 unknown, 403 mismatch, 409 taken; never leaks access_token", async () => {
    const h = await start();
    const me = await h.login("4242");
    const mine = h.newApi.addUser({ id: 7, linux_do_id: "4242", username: "linuxdo_4242", display_name: "Me" });
    h.newApi.addUser({ id: 8, linux_do_id: "73519826" });
    h.newApi.addUser({ id: 9, linux_do_id: "" });
    const bind = (cookie: string, newApiUserId: unknown) => h.call("POST", `${PREFIX}/binding`, { cookie, body: { newApiUserId } });

    expect((await h.call("POST", `${PREFIX}/binding`, { body: { newApiUserId: 7 } })).status).toBe(401);
    expect((await bind(me.cookie, 123456)).status).toBe(404);
    const mismatch = await bind(me.cookie, 8);
    expect([mismatch.status, mismatch.json.error.message]).toEqual([403, "That new-api user is not linked to your LinuxDO account"]);
    expect(mismatch.text).not.toContain("73519826");
    expect((await bind(me.cookie, 9)).status).toBe(403);
    expect((await bind(me.cookie, -1)).status).toBe(400);
    expect((await bind(me.cookie, "7; drop")).status).toBe(400);
    expect((await h.call("GET", `${PREFIX}/binding`, { cookie: me.cookie })).json).toEqual({ binding: null, linuxdoId: "4242" });

    const ok = await bind(me.cookie, "7");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.binding).toMatchObject({ newApiUserId: 7, username: "linuxdo_4242", displayName: "Me", linuxdoId: "4242" });
    expect(ok.text).not.toContain(mine.access_token);
    expect((await bind(me.cookie, 7)).status).toBe(200); // idempotent
    expect((await bind(me.cookie, 8)).status).toBe(409); // unbind first

    // Another gateway user with the same LinuxDO id cannot take it (e.g. a second identity provider).
    const twin = await h.login("4242", { provider: "linuxdo-alt" });
    expect((await bind(twin.cookie, 7)).status).toBe(403);
    const noLinuxdo = await h.login("someone", { provider: "github" });
    expect((await bind(noLinuxdo.cookie, 7)).json.error.message).toMatch(/Log in with LinuxDO first/);

    expect((await h.call("DELETE", `${PREFIX}/binding`, { cookie: me.cookie })).json).toEqual({ binding: null });
    expect((await h.call("DELETE", `${PREFIX}/binding`, { cookie: me.cookie })).status).toBe(404);
    expect((await bind(me.cookie, 7)).status).toBe(200);
  });

  it("one new-api user binds to one gateway user: after new-api re-links it, the new owner gets 409 until the old binding goes", async () => {
    const h = await start({ options: { linuxdoProvider: "ld" } });
    const account = h.newApi.addUser({ id: 31, linux_do_id: "31000" });
    const a = await h.login("31000", { provider: "ld" });
    const b = await h.login("32000", { provider: "ld" });
    expect((await h.call("POST", `${PREFIX}/binding`, { cookie: a.cookie, body: { newApiUserId: 31 } })).status).toBe(200);
    account.linux_do_id = "32000";
    const taken = await h.call("POST", `${PREFIX}/binding`, { cookie: b.cookie, body: { newApiUserId: 31 } });
    expect([taken.status, taken.json.error.message]).toEqual([409, "That new-api user is already bound to another account"]);
    expect(await h.strategy.bindings.get(b.userId)).toBeNull(); // the half-made binding was rolled back
    expect((await h.call("DELETE", `${PREFIX}/binding`, { cookie: a.cookie })).status).toBe(200);
    expect((await h.call("POST", `${PREFIX}/binding`, { cookie: b.cookie, body: { newApiUserId: 31 } })).status).toBe(200);
  });

  it("rate-limits binding attempts per user", async () => {
    const h = await start();
    const me = await h.login("77");
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await h.call("POST", `${PREFIX}/binding`, { cookie: me.cookie, body: { newApiUserId: 900_000 + i } })).status);
    expect(statuses).toEqual([...Array(10).fill(404), 429, 429]);
  });

  it("answers 502 (and logs no secret) when new-api refuses the admin credentials", async () => {
    const fakes = await startFakes();
    const h = await start({ fakes, options: { adminToken: `${fakes.newApi.adminToken}-wrong` } });
    secrets.add(`${fakes.newApi.adminToken}-wrong`);
    const me = await h.login("5");
    fakes.newApi.addUser({ id: 55, linux_do_id: "5" });
    const answer = await h.call("POST", `${PREFIX}/binding`, { cookie: me.cookie, body: { newApiUserId: 55 } });
    expect([answer.status, answer.json.error.message]).toEqual([502, "new-api refused the gateway's credentials"]);
  });

  it("bindings survive a restart (sqlite file)", async () => {
    const project = createTempProject();
    cleanups.push(() => project.cleanup());
    const fakes = await startFakes();
    const config: GatewayConfig = { storage: { driver: "sqlite", path: `${project.dir}/gateway.sqlite` } };
    const first = await start({ fakes, config });
    const me = await first.bound("6060");
    const before = (await first.call("GET", `${PREFIX}/binding`, { cookie: me.cookie })).json;
    await first.close();
    const second = await start({ fakes, config });
    const after = await second.call("GET", `${PREFIX}/binding`, { cookie: me.cookie });
    expect(after.status).toBe(200);
    expect(after.json).toEqual(before);
    expect(after.json.binding.newApiUserId).toBe(me.newApiUserId);
  });

  describe("properties", () => {
    let shared: Harness | undefined;
    const harness = async () => {
      if (!shared) {
        shared = await start();
        cleanups.push(() => {
          shared = undefined;
        });
      }
      return shared;
    };
    let run = 0;

    prop.prop(
      [
        fc.stringMatching(/^\d{0,6}$/),
        fc.oneof(
          fc.constant({ kind: "same" as const }),
          fc.stringMatching(/^\d{1,10}$/).map((v) => ({ kind: "other" as const, v })),
          fc.constantFrom("empty", "padded", "prefixed", "truncated", "leading-zero").map((kind) => ({ kind })),
        ),
      ],
      { numRuns: 100 },
    )("binding succeeds iff new-api's linux_do_id equals the session's LinuxDO id", async (tail, remote) => {
      const h = await harness();
      const subject = `1${String(++run).padStart(4, "0")}${tail}`;
      const linuxDoId = { same: subject, other: "v" in remote ? remote.v : "", empty: "", padded: `${subject} `, prefixed: ` ${subject}`, truncated: subject.slice(0, -1), "leading-zero": `0${subject}` }[remote.kind];
      const newApiUserId = nextId();
      h.newApi.addUser({ id: newApiUserId, linux_do_id: linuxDoId });
      const me = await h.login(subject);
      const answer = await h.call("POST", `${PREFIX}/binding`, { cookie: me.cookie, body: { newApiUserId } });
      expect(answer.status).toBe(linuxDoId === subject ? 200 : 403);
      const stored = await h.strategy.bindings.get(me.userId);
      expect(stored?.newApiUserId ?? null).toBe(linuxDoId === subject ? newApiUserId : null);
    });

    prop.prop([fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 2 ** 31 })], { numRuns: 100 })(
      "binding storage round-trips: what was bound is what GET /binding and the store read back",
      async (username, displayName, salt) => {
        const h = await harness();
        const subject = `2${String(++run).padStart(4, "0")}${salt}`;
        const newApiUserId = nextId() * 10_000 + (salt % 10_000);
        h.newApi.addUser({ id: newApiUserId, linux_do_id: subject, username, display_name: displayName });
        const me = await h.login(subject);
        const bound = await h.call("POST", `${PREFIX}/binding`, { cookie: me.cookie, body: { newApiUserId } });
        expect(bound.status).toBe(200);
        const read = await h.call("GET", `${PREFIX}/binding`, { cookie: me.cookie });
        expect(read.json.binding).toEqual(bound.json.binding);
        expect(read.json.binding).toMatchObject({ newApiUserId, username, displayName, linuxdoId: subject });
        const stored = await h.strategy.bindings.get(me.userId);
        expect(stored).toEqual({ userId: me.userId, newApiUserId, linuxdoId: subject, username, displayName, boundAt: Date.parse(read.json.binding.boundAt) });
      },
    );

    prop.prop([fc.array(fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 10_000_000, max: 2 ** 40 })), { minLength: 1, maxLength: 4 })], { numRuns: 100 })(
      "every call to new-api carries Authorization: Bearer <admin token> and New-Api-User",
      async (targets) => {
        const h = await harness();
        const me = await h.login(`3${String(++run).padStart(4, "0")}`);
        const from = h.newApi.requests.length;
        for (const newApiUserId of targets) await h.call("POST", `${PREFIX}/binding`, { cookie: me.cookie, body: { newApiUserId } });
        const sent = h.newApi.requests.slice(from);
        expect(sent.length).toBeGreaterThan(0);
        for (const request of sent) {
          expect(request.headers.authorization).toBe(`Bearer ${h.newApi.adminToken}`);
          expect(request.headers["new-api-user"]).toBe(String(h.newApi.adminUserId));
        }
      },
    );
  });
});

describe("conformance", () => {
  testPluginRoutes({
    name: "new-api-binding",
    async setup() {
      const gateway = await setupGateway({ auth: [apiKey(), newApiBinding({ baseURL: "http://127.0.0.1:9", adminToken: "conformance-new-api-admin-token", adminUserId: 1, addQuota: true, donation: { quotaAmount: AMOUNT } })] });
      const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      return { gateway, clientKey: (await keys.create({ name: "conformance" })).key };
    },
  });
});

describe("auth-file routes are admin-only", () => {
  prop.prop([fc.nat(), fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/), fc.constantFrom({}, { provider: "claude-oauth", import: "{}" }, { name: "x" }, { enabled: false })], { numRuns: 100 })(
    "user → 403, no session → 401, admin → neither, on every /admin/accounts… and /admin/providers… route",
    async (pick, param, body) => {
      const h = await sharedRoutes();
      const routes = h.gateway.routes.filter((r) => r.path.startsWith("/admin/accounts") || r.path.startsWith("/admin/providers"));
      expect(routes.length).toBeGreaterThanOrEqual(9);
      const route = routes[pick % routes.length]!;
      const path = route.path.replace(/:[a-z]+/gi, param);
      const init = route.method === "GET" ? {} : { body };
      expect((await h.call(route.method, path, init)).status).toBe(401);
      expect((await h.call(route.method, path, { ...init, cookie: routesUser! })).status).toBe(403);
      expect([401, 403]).not.toContain((await h.call(route.method, path, { ...init, cookie: routesAdmin! })).status);
    },
  );
});
let routesHarness: Harness | undefined;
let routesUser: string | undefined;
let routesAdmin: string | undefined;
async function sharedRoutes(): Promise<Harness> {
  if (!routesHarness) {
    routesHarness = await start();
    routesUser = (await routesHarness.bound()).cookie;
    routesAdmin = await routesHarness.admin();
    cleanups.push(() => {
      routesHarness = undefined;
    });
  }
  return routesHarness;
}

describe("donations", () => {
  it("tells the portal which providers take donations, how, and what a donation earns", async () => {
    const h = await start();
    const me = await h.bound();
    const options = await h.call("GET", `${PREFIX}/donations/options`, { cookie: me.cookie });
    expect(options.status).toBe(200);
    expect(options.json).toEqual({
      quotaAmount: AMOUNT,
      quotaPerUsd: 500_000,
      providers: [
        { name: "claude-oauth", oauth: true, import: true },
        { name: "codex-oauth", oauth: true, import: true },
      ],
    });
  });

  it("end to end: login, bind, donate a credentials file and two OAuth logins; each credited once, donor recorded", async () => {
    const h = await start();
    const admin = await h.admin();
    const me = await h.bound();
    const fromLog = logs.lines.length;

    // Credentials-file path (Claude Code .credentials.json).
    const file = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    expect(file.status, file.text).toBe(201);
    expect(file.json.donation).toMatchObject({ userId: me.userId, newApiUserId: me.newApiUserId, provider: "claude-oauth", amount: AMOUNT, status: "credited", attempts: 1 });
    expect(file.json.account).toMatchObject({ provider: "claude-oauth", status: "active" });

    // OAuth path, Codex: validated with a real backend call before the credit.
    const backendBefore = h.codex.backend.requests.length;
    const started = await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie: me.cookie, body: { provider: "codex-oauth" } });
    expect(started.status, started.text).toBe(200);
    const browser = await h.codex.oauth.authorize(started.json.authUrl);
    const codex = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie: me.cookie, body: { provider: "codex-oauth", flowId: started.json.flowId, code: browser.callbackUrl } });
    expect(codex.status, codex.text).toBe(201);
    expect(codex.json.donation.status).toBe("credited");
    expect(h.codex.backend.requests.length).toBe(backendBefore + 1);

    // OAuth path, Claude.
    const s2 = await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie: me.cookie, body: { provider: "claude-oauth" } });
    const b2 = await h.claude.oauth.authorize(s2.json.authUrl);
    const claude = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie: me.cookie, body: { provider: "claude-oauth", flowId: s2.json.flowId, code: `${b2.code}#${b2.state}` } });
    expect(claude.status, claude.text).toBe(201);
    expect(claude.json.donation.status).toBe("credited");

    expect(h.newApi.users.get(me.newApiUserId)!.quota).toBe(3 * AMOUNT);
    expect(manageCallsFor(h.newApi, me.newApiUserId).map((c) => [c.action, c.mode, c.value, c.applied])).toEqual(Array(3).fill(["add_quota", "add", AMOUNT, true]));

    const accounts = (await h.call("GET", "/admin/accounts", { cookie: admin })).json.data as Obj[];
    for (const d of [file, codex, claude]) expect(accounts.find((a) => a.id === d.json.account.id)).toMatchObject({ donor: me.userId, status: "active" });
    const mine = (await h.call("GET", `${PREFIX}/donations`, { cookie: me.cookie })).json.data as Obj[];
    expect(mine.map((d) => d.id).sort()).toEqual([file, codex, claude].map((d) => d.json.donation.id).sort());
    expect((await h.call("GET", `${PREFIX}/donations/all`, { cookie: admin })).json.data).toHaveLength(3);
    expect((await h.call("GET", `${PREFIX}/donations/all`, { cookie: me.cookie })).status).toBe(403);

    const lines = donationLines(fromLog);
    expect(lines.map((l) => l.event)).toEqual(["created", "credited", "created", "credited", "created", "credited"]);
    for (const line of lines) expect(line).toMatchObject({ userId: me.userId, amount: AMOUNT, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    // A retry of a credited donation sends nothing.
    expect((await h.call("POST", `${PREFIX}/donations/${file.json.donation.id}/retry`, { cookie: me.cookie })).json.donation.status).toBe("credited");
    expect(manageCallsFor(h.newApi, me.newApiUserId)).toHaveLength(3);
  });

  it("refuses: no session 401, not bound 403, provider not allowed 400, someone else's flow 400, oversized file 400", async () => {
    const h = await start({ options: { donation: { quotaAmount: AMOUNT, providers: ["claude-oauth"] } } });
    const unbound = await h.login("8080");
    const me = await h.bound();
    const other = await h.bound();
    expect((await h.call("POST", `${PREFIX}/donations/import`, { body: { provider: "claude-oauth", content: "{}" } })).status).toBe(401);
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: unbound.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } })).status).toBe(403);
    expect((await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie: unbound.cookie, body: { provider: "claude-oauth" } })).status).toBe(403);
    const codex = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "codex-oauth", content: h.codexFile() } });
    expect([codex.status, codex.json.error.message]).toEqual([400, "provider: expected one of claude-oauth"]);
    const started = await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie: me.cookie, body: { provider: "claude-oauth" } });
    const browser = await h.claude.oauth.authorize(started.json.authUrl);
    const stolen = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie: other.cookie, body: { provider: "claude-oauth", flowId: started.json.flowId, code: `${browser.code}#${browser.state}` } });
    expect(stolen.status).toBe(400);
    const mine = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie: me.cookie, body: { provider: "claude-oauth", flowId: started.json.flowId, code: `${browser.code}#${browser.state}` } });
    expect(mine.status, mine.text).toBe(201);
    const replay = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie: me.cookie, body: { provider: "claude-oauth", flowId: started.json.flowId, code: `${browser.code}#${browser.state}` } });
    expect(replay.status).toBe(400);
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: "x".repeat(300 * 1024) } })).status).toBe(400);
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile(), proxy: "socks5://x:1" } })).status).toBe(400);
    // A bad file credits nothing and leaves no claim behind.
    const bad = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: '{"claudeAiOauth":{"refreshToken":"sk-ant-ort01-only-half-a-file"}}' } });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain("only-half-a-file");
    expect((await h.call("GET", `${PREFIX}/donations`, { cookie: other.cookie })).json.data).toEqual([]);
    expect((await h.call("POST", `${PREFIX}/donations/${mine.json.donation.id}/retry`, { cookie: other.cookie })).status).toBe(404);
    expect(manageCallsFor(h.newApi, other.newApiUserId)).toHaveLength(0);
    expect(manageCallsFor(h.newApi, me.newApiUserId)).toHaveLength(1);
  });

  it("one upstream account earns quota once: the same file again, or the same login again, is 409 and the duplicate is not kept", async () => {
    const h = await start();
    const admin = await h.admin();
    const me = await h.bound();
    const friend = await h.bound();
    const content = h.claudeFile();
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content } })).status).toBe(201);
    const again = await h.call("POST", `${PREFIX}/donations/import`, { cookie: friend.cookie, body: { provider: "claude-oauth", content: ` ${content}\n` } });
    expect([again.status, again.json.error.message]).toEqual([409, "This account was already donated"]);

    const login = async (cookie: string) => {
      const started = await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie, body: { provider: "claude-oauth" } });
      const browser = await h.claude.oauth.authorize(started.json.authUrl);
      return h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie, body: { provider: "claude-oauth", flowId: started.json.flowId, code: `${browser.code}#${browser.state}` } });
    };
    h.claude.oauth.account = { ...h.claude.oauth.account, email: "twice@example.com" };
    expect((await login(me.cookie)).status).toBe(201);
    const twice = await login(friend.cookie);
    expect(twice.status).toBe(409);
    const claudeAccounts = ((await h.call("GET", "/admin/accounts?provider=claude-oauth", { cookie: admin })).json.data as Obj[]).filter((a) => a.details?.email === "twice@example.com");
    expect(claudeAccounts).toHaveLength(1);
    expect(claudeAccounts[0]!.donor).toBe(me.userId);

    // Codex signs an existing account in again in place: no second credit.
    const codexContent = h.codexFile({ email: "codex-once@example.com", accountId: "acct-once" });
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "codex-oauth", content: codexContent } })).status).toBe(201);
    const fresh = h.codexFile({ email: "codex-once@example.com", accountId: "acct-once" });
    expect((await h.call("POST", `${PREFIX}/donations/import`, { cookie: friend.cookie, body: { provider: "codex-oauth", content: fresh } })).status).toBe(409);

    expect(appliedFor(h.newApi, me.newApiUserId)).toBe(3);
    expect(manageCallsFor(h.newApi, friend.newApiUserId)).toHaveLength(0);
  });

  it("a timeout after new-api applied the credit: credit_unknown, never re-sent by retries; an admin settles it once", async () => {
    const h = await start({ options: { requestTimeoutMs: 300 } });
    const admin = await h.admin();
    const me = await h.bound();
    h.newApi.manageDelayMs = 2000;
    const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    expect(donated.status, donated.text).toBe(201);
    expect(donated.json.donation).toMatchObject({ status: "credit_unknown", attempts: 1, lastError: "no answer within 300 ms" });
    h.newApi.manageDelayMs = 0;
    const id = donated.json.donation.id as string;
    for (let i = 0; i < 3; i++) expect((await h.call("POST", `${PREFIX}/donations/${id}/retry`, { cookie: me.cookie })).status).toBe(409);
    expect((await h.strategy.donations!.credit(id)).status).toBe("credit_unknown");
    expect((await h.call("POST", `${PREFIX}/donations/${id}/resolve`, { cookie: me.cookie, body: { credited: true } })).status).toBe(403);
    expect((await h.call("POST", `${PREFIX}/donations/${id}/resolve`, { cookie: admin, body: { credited: "yes" } })).status).toBe(400);
    const settled = await h.call("POST", `${PREFIX}/donations/${id}/resolve`, { cookie: admin, body: { credited: true } });
    expect(settled.json.donation).toMatchObject({ status: "credited", attempts: 1, resolvedBy: expect.stringMatching(/^usr_/) });
    expect((await h.call("POST", `${PREFIX}/donations/${id}/resolve`, { cookie: admin, body: { credited: false } })).status).toBe(409);
    expect(manageCallsFor(h.newApi, me.newApiUserId)).toHaveLength(1);
    expect(h.newApi.users.get(me.newApiUserId)!.quota).toBe(AMOUNT);
  });

  it("a call lost before new-api applied it: an admin who sees no credit says so, and it is sent once more", async () => {
    const h = await start({ options: { requestTimeoutMs: 300 } });
    const admin = await h.admin();
    const me = await h.bound();
    // The credit step's lookup passes; the add_quota request then stalls before anything is applied.
    h.newApi.script({}, { stallBeforeHeadersMs: 1500 });
    const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    expect(donated.json.donation.status).toBe("credit_unknown");
    expect(h.newApi.users.get(me.newApiUserId)!.quota).toBe(0);
    const resent = await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/resolve`, { cookie: admin, body: { credited: false } });
    expect(resent.json.donation).toMatchObject({ status: "credited", attempts: 2 });
    expect(h.newApi.users.get(me.newApiUserId)!.quota).toBe(AMOUNT);
    expect(appliedFor(h.newApi, me.newApiUserId)).toBe(1);
  });

  it("a refused credit is failed and may be retried by its donor: one credit in the end", async () => {
    const h = await start();
    const me = await h.bound();
    h.newApi.refuseManage("数据库繁忙");
    const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    expect(donated.json.donation).toMatchObject({ status: "failed", lastError: "new-api said: 数据库繁忙" });
    const retried = await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/retry`, { cookie: me.cookie });
    expect(retried.json.donation).toMatchObject({ status: "credited", attempts: 2 });
    expect(retried.json.donation.lastError).toBeUndefined();
    expect(appliedFor(h.newApi, me.newApiUserId)).toBe(1);
  });

  it("an attempt whose instance died mid-call stays unsent until an admin settles it", async () => {
    const h = await start();
    const admin = await h.admin();
    const me = await h.bound();
    h.newApi.refuseManage("busy");
    const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    const key = `plugins:new-api-binding:donations:${donated.json.donation.id}`;
    const record = await h.gateway.storage.get<Obj>(key);
    await h.gateway.storage.set(key, { ...record, status: "crediting", lastAttemptAt: Date.now() - HOUR });
    expect((await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/retry`, { cookie: me.cookie })).json.donation.status).toBe("crediting");
    const resolved = await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/resolve`, { cookie: admin, body: { credited: false } });
    expect(resolved.json.donation.status).toBe("credited");
    expect(appliedFor(h.newApi, me.newApiUserId)).toBe(1);
    // A fresh `crediting` record (an attempt in flight elsewhere) cannot be settled.
    const second = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    const key2 = `plugins:new-api-binding:donations:${second.json.donation.id}`;
    await h.gateway.storage.set(key2, { ...(await h.gateway.storage.get<Obj>(key2)), status: "crediting", lastAttemptAt: Date.now() });
    expect((await h.call("POST", `${PREFIX}/donations/${second.json.donation.id}/resolve`, { cookie: admin, body: { credited: true } })).status).toBe(409);
  });

  it("credits only an account that validated; a new-api user re-linked elsewhere is not credited", async () => {
    const h = await start();
    const admin = await h.admin();
    const me = await h.bound();
    h.codex.backend.script({ status: 401 });
    const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "codex-oauth", content: h.codexFile({ email: "late@example.com", accountId: "acct-late" }) } });
    expect(donated.status, donated.text).toBe(201);
    expect(donated.json.account.status).toBe("error");
    expect(donated.json.donation).toMatchObject({ status: "pending", attempts: 0, lastError: "the account is error; it is credited once it validates" });
    expect((await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/retry`, { cookie: me.cookie })).json.donation.status).toBe("pending");
    expect(manageCallsFor(h.newApi, me.newApiUserId)).toHaveLength(0);
    // The operator refreshes the account; it validates now.
    expect((await h.call("POST", `/admin/accounts/${donated.json.account.id}/refresh`, { cookie: admin })).json.status).toBe("active");
    expect((await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/retry`, { cookie: me.cookie })).json.donation.status).toBe("credited");
    expect(appliedFor(h.newApi, me.newApiUserId)).toBe(1);

    // new-api re-links the user to another LinuxDO account before the credit: refused, nothing sent.
    h.newApi.refuseManage("busy");
    const second = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: h.claudeFile() } });
    expect(second.json.donation.status).toBe("failed");
    h.newApi.users.get(me.newApiUserId)!.linux_do_id = "somebody-else";
    const retried = await h.call("POST", `${PREFIX}/donations/${second.json.donation.id}/retry`, { cookie: me.cookie });
    expect(retried.json.donation).toMatchObject({ status: "failed", lastError: expect.stringMatching(/no longer linked/) });
    expect(manageCallsFor(h.newApi, me.newApiUserId)).toHaveLength(2);
  });

  describe("properties", () => {
    let shared: Harness | undefined;
    let run = 0;
    prop.prop([fc.constantFrom("file", "file-with-account"), fc.boolean()], { numRuns: 100 })(
      "every donation log line has an ISO timestamp, the user id and the amount; no line or answer holds a secret or sealed value",
      async (kind, refuse) => {
        if (!shared) {
          shared = await start();
          cleanups.push(() => {
            shared = undefined;
          });
        }
        const h = shared;
        const from = logs.lines.length;
        const me = await h.bound(`5${String(++run).padStart(4, "0")}`);
        if (refuse) h.newApi.refuseManage("refused for the property");
        const content = kind === "file" ? h.claudeFile() : JSON.stringify({ ...JSON.parse(h.claudeFile()), account: { emailAddress: `p${run}@example.com` } });
        secrets.add(content);
        const donated = await h.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content } });
        expect(donated.status).toBe(201);
        if (refuse) expect((await h.call("POST", `${PREFIX}/donations/${donated.json.donation.id}/retry`, { cookie: me.cookie })).json.donation.status).toBe("credited");
        const lines = donationLines(from);
        expect(lines.map((l) => l.event)).toEqual(refuse ? ["created", "failed", "credited"] : ["created", "credited"]);
        for (const line of lines) {
          expect(new Date(line.at).toISOString()).toBe(line.at);
          expect(line).toMatchObject({ userId: me.userId, amount: AMOUNT, donationId: donated.json.donation.id, provider: "claude-oauth" });
        }
        const parsed = JSON.parse(content) as Obj;
        const fresh = [...logs.lines.slice(from), donated.text].join("\n");
        for (const secret of [h.newApi.adminToken, content, parsed.claudeAiOauth.accessToken, parsed.claudeAiOauth.refreshToken, testSecret]) expect(fresh).not.toContain(secret);
        expect(fresh).not.toMatch(/sy1\.[0-9a-f]{8}\./);
      },
    );
  });
});

describe("through linuxdo-connect", () => {
  it("end to end on loopback: LinuxDO login, bind, donate a file and an OAuth login, credited once each", async () => {
    const linuxdo = await startFakeLinuxDo({ redirectUris: [], users: [{ id: 424242, username: "donor", trust_level: 2 }] });
    cleanups.push(() => linuxdo.close());
    secrets.add(linuxdo.clientSecret);
    const h = await start({ login: linuxdoConnect({ clientId: linuxdo.clientId, clientSecret: linuxdo.clientSecret, authorizeURL: linuxdo.authorizeURL, tokenURL: linuxdo.tokenURL, userURL: linuxdo.userURL }) });
    linuxdo.redirectUris = [`${h.url}/auth/linuxdo/callback`];

    // The browser: login → LinuxDO authorize → callback with the state cookie → session cookie.
    const begin = await fetch(`${h.url}/auth/linuxdo/login`, { redirect: "manual" });
    expect(begin.status).toBe(302);
    const stateCookies = begin.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const authorized = await linuxdo.authorize(begin.headers.get("location")!, { as: 424242 });
    const callback = await fetch(authorized.location!, { redirect: "manual", headers: { cookie: stateCookies } });
    expect(callback.status, await callback.clone().text()).toBe(302);
    const cookie = callback.headers.getSetCookie().find((c) => c.startsWith("sy_session="))!.split(";")[0]!;
    for (const t of linuxdo.issued) secrets.add(t);

    const me = await h.call("GET", "/auth/me", { cookie });
    expect(me.json.user).toBeTruthy();
    h.newApi.addUser({ id: 4242, linux_do_id: "424242", username: "linuxdo_424242" });
    h.newApi.addUser({ id: 4243, linux_do_id: "1" });
    expect((await h.call("GET", `${PREFIX}/binding`, { cookie })).json.linuxdoId).toBe("424242");
    expect((await h.call("POST", `${PREFIX}/binding`, { cookie, body: { newApiUserId: 4243 } })).status).toBe(403);
    expect((await h.call("POST", `${PREFIX}/binding`, { cookie, body: { newApiUserId: 4242 } })).status).toBe(200);

    const file = await h.call("POST", `${PREFIX}/donations/import`, { cookie, body: { provider: "codex-oauth", content: h.codexFile({ email: "ld@example.com", accountId: "acct-ld" }) } });
    expect(file.json.donation?.status, file.text).toBe("credited");
    const started = await h.call("POST", `${PREFIX}/donations/oauth/start`, { cookie, body: { provider: "claude-oauth" } });
    const browser = await h.claude.oauth.authorize(started.json.authUrl);
    const oauth = await h.call("POST", `${PREFIX}/donations/oauth/exchange`, { cookie, body: { provider: "claude-oauth", flowId: started.json.flowId, code: browser.callbackUrl } });
    expect(oauth.json.donation?.status, oauth.text).toBe("credited");
    expect(h.newApi.users.get(4242)!.quota).toBe(2 * AMOUNT);
    expect(appliedFor(h.newApi, 4242)).toBe(2);
    expect(h.newApi.users.get(4243)!.quota).toBe(0);
  });
});

describeRedis("two gateways on one Redis", () => {
  const base = `sy-test-newapi-${randomBytes(4).toString("hex")}`;
  const config: GatewayConfig = { storage: { driver: "redis", url: redisUrl, base } };
  afterAll(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${base}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("a duplicate credit on both instances at once (and retries) sends add_quota once", async () => {
    const fakes = await startFakes();
    const a = await start({ fakes, config });
    const b = await start({ fakes, config });
    const me = await a.bound();
    fakes.newApi.refuseManage("try later");
    const donated = await a.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: a.claudeFile() } });
    expect(donated.json.donation.status).toBe("failed");
    const id = donated.json.donation.id as string;
    fakes.newApi.manageDelayMs = 150; // every racer arrives while the first call is in flight
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).call("POST", `${PREFIX}/donations/${id}/retry`, { cookie: me.cookie })));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    const direct = await Promise.all([a.strategy.donations!.credit(id), b.strategy.donations!.credit(id)]);
    expect(direct.map((d) => d.status)).toEqual(["credited", "credited"]);
    expect((await b.call("GET", `${PREFIX}/donations`, { cookie: me.cookie })).json.data[0]).toMatchObject({ id, status: "credited", attempts: 2 });
    expect(manageCallsFor(fakes.newApi, me.newApiUserId)).toHaveLength(2); // the refused one and one more
    expect(appliedFor(fakes.newApi, me.newApiUserId)).toBe(1);
    expect(fakes.newApi.users.get(me.newApiUserId)!.quota).toBe(AMOUNT);
  });

  it("the same credentials file donated on both instances at once: one donation, one credit", async () => {
    const fakes = await startFakes();
    const a = await start({ fakes, config });
    const b = await start({ fakes, config });
    const me = await a.bound();
    const content = a.claudeFile();
    const answers = await Promise.all([a, b, a, b].map((g) => g.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content } })));
    expect(answers.map((x) => x.status).sort()).toEqual([201, 409, 409, 409]);
    expect(appliedFor(fakes.newApi, me.newApiUserId)).toBe(1);
    const admin = await b.admin();
    const donated = ((await b.call("GET", "/admin/accounts?provider=claude-oauth", { cookie: admin })).json.data as Obj[]).filter((x) => x.donor === me.userId);
    expect(donated).toHaveLength(1);
  });

  it("a timeout on one instance is settled on the other, without a second call", async () => {
    const fakes = await startFakes();
    const a = await start({ fakes, config, options: { requestTimeoutMs: 300 } });
    const b = await start({ fakes, config, options: { requestTimeoutMs: 300 } });
    const me = await a.bound();
    fakes.newApi.manageDelayMs = 1500;
    const donated = await a.call("POST", `${PREFIX}/donations/import`, { cookie: me.cookie, body: { provider: "claude-oauth", content: a.claudeFile() } });
    expect(donated.json.donation.status).toBe("credit_unknown");
    fakes.newApi.manageDelayMs = 0;
    const id = donated.json.donation.id as string;
    expect((await b.call("POST", `${PREFIX}/donations/${id}/retry`, { cookie: me.cookie })).status).toBe(409);
    expect((await b.strategy.donations!.credit(id)).status).toBe("credit_unknown");
    const settled = await b.call("POST", `${PREFIX}/donations/${id}/resolve`, { cookie: await b.admin(), body: { credited: true } });
    expect(settled.json.donation.status).toBe("credited");
    expect(manageCallsFor(fakes.newApi, me.newApiUserId)).toHaveLength(1);
    expect(fakes.newApi.users.get(me.newApiUserId)!.quota).toBe(AMOUNT);
  });
});

describe("canary scan", () => {
  it("no log line and no answer of this file holds a secret or a sealed value; every new-api call carried the admin headers", () => {
    expect(secrets.size).toBeGreaterThan(10);
    const text = `${logs.text()}\n${outputs.join("\n")}`;
    for (const secret of secrets) expect(text.includes(secret), `a secret starting ${secret.slice(0, 6)}`).toBe(false);
    expect(text).not.toMatch(/sy1\.[0-9a-f]{8}\./);
    let calls = 0;
    for (const newApi of newApis) {
      for (const request of newApi.requests) {
        calls++;
        expect(request.headers.authorization).toMatch(/^Bearer /);
        expect(request.headers["new-api-user"]).toBe(String(newApi.adminUserId));
      }
    }
    expect(calls).toBeGreaterThan(500);
  });
});
