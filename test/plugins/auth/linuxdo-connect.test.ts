import { testLogin } from "../../conformance/login.ts";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { fc, test as propTest } from "@fast-check/vitest";
import { join } from "pathe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Role, createLogger, defineAuth, startServer } from "../../../core/index.ts";
import { captureLogs } from "../../../core/logger.ts";
import { type LinuxDoConnectOptions, STATE_TTL_MS, linuxdoConnect, nextRole, resolveOptions, safeRedirect } from "../../../plugins/auth/linuxdo-connect/index.ts";
import { setupGateway } from "../../_setup.ts";
import { repoRoot } from "../../_tmp.ts";
import { type FakeLinuxDo, startFakeLinuxDo } from "../../fixtures/upstreams/linuxdo.ts";

const CALLBACK = "http://gateway.test/auth/linuxdo/callback";
const ROOT_TOKEN = "linuxdo-test-admin-token-0123456789abcdefgh";
const SECRET = `ldc-secret-${randomBytes(16).toString("hex")}`;
const SESSION_TTL_MS = 7 * 24 * 3_600_000;

let fake: FakeLinuxDo;
beforeAll(async () => {
  fake = await startFakeLinuxDo({
    clientSecret: SECRET,
    redirectUris: [CALLBACK],
    users: [{ id: 1, username: "alice", name: "Alice" }, { id: 2, username: "boss", trust_level: 3 }, { id: 3, trust_level: 0 }, { id: 4, active: false }, { id: 5, silenced: true }],
  });
});
afterAll(() => fake.close());

type Gw = Awaited<ReturnType<typeof setupGateway>>;

const options = (extra: Partial<LinuxDoConnectOptions> = {}): LinuxDoConnectOptions => ({
  clientId: fake.clientId, clientSecret: SECRET, authorizeURL: fake.authorizeURL, tokenURL: fake.tokenURL, userURL: fake.userURL, ...extra,
});

/** A fake second factor every user must pass (stands in for the totp plugin). */
const testSecondFactor = defineAuth({
  name: "test-2fa",
  setup(ctx) {
    ctx.users.addSecondFactor({ name: "test-code", required: async () => true, verify: async (_user, code) => code === "424242" });
    return {};
  },
});

async function start(extra: Partial<LinuxDoConnectOptions> = {}, setup: { now?: () => number; logger?: ReturnType<typeof createLogger>; secondFactor?: boolean; storagePath?: string } = {}): Promise<Gw> {
  return setupGateway(
    { auth: [linuxdoConnect(options(extra)), ...(setup.secondFactor ? [testSecondFactor()] : [])], ...(setup.storagePath ? { storage: { driver: "sqlite" as const, path: setup.storagePath } } : {}) },
    { env: { SWITCHYARD_ADMIN_TOKEN: ROOT_TOKEN }, ...(setup.now ? { now: setup.now } : {}), ...(setup.logger ? { logger: setup.logger } : {}) },
  );
}

const cookieNamed = (response: Response, name: string) => response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

/** The browser's first step: GET /auth/linuxdo/login; returns the authorize URL and the state cookie. */
async function startLogin(gw: Gw, query = "") {
  const response = await gw.request(`/auth/linuxdo/login${query}`);
  expect(response.status).toBe(302);
  const setCookie = cookieNamed(response, "sy_oauth_state")!;
  return { response, location: new URL(response.headers.get("location")!), setCookie, cookie: setCookie.split(";")[0]! };
}

const callback = (gw: Gw, search: string, headers: Record<string, string> = {}) => gw.request(`/auth/linuxdo/callback${search}`, { headers });

/** Play the whole browser flow: login → fake authorize (as `as`) → callback with the state cookie. */
async function fullLogin(gw: Gw, choice: { as?: number; deny?: boolean } = {}, query = "") {
  const begun = await startLogin(gw, query);
  const auth = await fake.authorize(begun.location.href, choice);
  expect(auth.status).toBe(302);
  const back = new URL(auth.location!);
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
  const response = await callback(gw, back.search, { cookie: begun.cookie });
  const session = cookieNamed(response, "sy_session")?.split(";")[0];
  return { begun, auth, search: back.search, response, status: response.status, location: response.headers.get("location"), session, text: await response.text() };
}

async function me(gw: Gw, cookie: string | undefined) {
  const response = await gw.request("/auth/me", cookie ? { headers: { cookie } } : {});
  return { status: response.status, body: (await response.json()) as { user?: { id: string; role: Role; identities: unknown[]; meta: Record<string, any> } } };
}

const linuxdoUsers = async (gw: Gw) => (await gw.users.list()).filter((u) => u.identities.some((i) => i.provider === "linuxdo"));

describe("linuxdo-connect: conformance", () => {
  testLogin({
    name: "linuxdo-connect",
    async setup() {
      const gateway = await start();
      return {
        gateway,
        secrets: [SECRET],
        async login() {
          const done = await fullLogin(gateway);
          return { setCookie: cookieNamed(done.response, "sy_session") ?? "", bodies: [done.text] };
        },
        // Back from LinuxDO without the state cookie this browser got: refused.
        async refused() {
          const begun = await startLogin(gateway);
          const auth = await fake.authorize(begun.location.href, {});
          return callback(gateway, new URL(auth.location!).search);
        },
      };
    },
  });
});

describe("linuxdo-connect: the login flow against the fake", () => {
  it("logs a new person in: authorize URL, body client auth, user created, session works on /auth/me", async () => {
    const gw = await start();
    const flow = await fullLogin(gw, { as: 1 });
    const q = flow.begun.location.searchParams;
    expect(`${flow.begun.location.origin}${flow.begun.location.pathname}`).toBe(fake.authorizeURL);
    expect(Object.fromEntries(q)).toEqual({ response_type: "code", client_id: fake.clientId, redirect_uri: CALLBACK, state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), scope: "user" });
    expect(flow.begun.setCookie).toMatch(/^sy_oauth_state=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/auth\/linuxdo; HttpOnly; SameSite=Lax$/);
    expect(flow.begun.cookie.slice("sy_oauth_state=".length)).not.toBe(q.get("state"));
    expect(flow.status).toBe(302);
    expect(flow.location).toBe("/portal");
    expect(flow.response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(cookieNamed(flow.response, "sy_oauth_state")).toMatch(/^sy_oauth_state=; Max-Age=0; Path=\/auth\/linuxdo/);
    const token = fake.tokenRequests.at(-1)!;
    expect(token.clientAuth).toBe("body");
    expect(token.form).toMatchObject({ grant_type: "authorization_code", redirect_uri: CALLBACK, client_id: fake.clientId, client_secret: SECRET });
    expect(token.headers.accept).toBe("application/json");
    const who = await me(gw, flow.session);
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ role: "user", identities: [{ provider: "linuxdo", subject: "1" }], name: "Alice" });
    expect(who.body.user!.meta.linuxdo).toMatchObject({ id: "1", username: "alice", trustLevel: 1, active: true, silenced: false, adminFromList: false, avatarURL: "https://linux.do/user_avatar/linux.do/user1/120/1_2.png" });
    // A second login finds the same user.
    const again = await fullLogin(gw, { as: 1 });
    expect((await me(gw, again.session)).body.user!.id).toBe(who.body.user!.id);
    expect(await linuxdoUsers(gw)).toHaveLength(1);
  });

  it("HTTP Basic client auth works against the fake, and the secret is not in the form", async () => {
    const gw = await start({ clientAuth: "basic" });
    const flow = await fullLogin(gw, { as: 1 });
    expect(flow.status).toBe(302);
    const token = fake.tokenRequests.at(-1)!;
    expect(token.clientAuth).toBe("basic");
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.clientId}:${SECRET}`).toString("base64")}`);
    expect(token.form).not.toHaveProperty("client_secret");
    expect((await me(gw, flow.session)).status).toBe(200);
  });

  it("a wrong client secret is a clear failure, not a session", async () => {
    const gw = await start({ clientSecret: "not-the-registered-secret" });
    const flow = await fullLogin(gw, { as: 1 });
    expect(flow.status).toBe(502);
    expect(JSON.parse(flow.text).error.message).toMatch(/refused this site's client credentials/);
    expect(flow.session).toBeUndefined();
    expect(await linuxdoUsers(gw)).toHaveLength(0);
  });

  it("an explicit redirectURI is sent and repeated in the exchange; scope \"\" leaves the parameter out", async () => {
    const explicit = "http://127.0.0.1:1/custom/callback";
    fake.redirectUris = [CALLBACK, explicit];
    const gw = await start({ redirectURI: explicit, scope: "" });
    const begun = await startLogin(gw);
    expect(begun.location.searchParams.get("redirect_uri")).toBe(explicit);
    expect(begun.location.searchParams.has("scope")).toBe(false);
    const auth = await fake.authorize(begun.location.href, { as: 1 });
    expect(auth.location!.startsWith(`${explicit}?`)).toBe(true);
    const response = await callback(gw, new URL(auth.location!).search, { cookie: begun.cookie });
    expect(response.status).toBe(302);
    expect(fake.tokenRequests.at(-1)!.form.redirect_uri).toBe(explicit);
    fake.redirectUris = [CALLBACK];
  });
});

describe("linuxdo-connect: state and cookie (security.md C1)", () => {
  it("a reused state is refused: 400, no second exchange, no new session", async () => {
    const gw = await start();
    const flow = await fullLogin(gw, { as: 1 });
    expect(flow.status).toBe(302);
    const exchanges = fake.tokenRequests.length;
    const replay = await callback(gw, flow.search, { cookie: flow.begun.cookie });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as any).error.message).toMatch(/^state: unknown or already used/);
    expect(cookieNamed(replay, "sy_session")).toBeUndefined();
    expect(fake.tokenRequests.length).toBe(exchanges);
  });

  it("a state started in another browser (wrong cookie), a missing cookie and a missing state are 400s; nobody is created", async () => {
    const gw = await start();
    const victim = await startLogin(gw);
    const attacker = await startLogin(gw);
    const auth = await fake.authorize(attacker.location.href, { as: 1 });
    const search = new URL(auth.location!).search;
    const wrong = await callback(gw, search, { cookie: victim.cookie });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error.message).toMatch(/started in another browser/);
    // The state is spent even by the failed attempt: the right cookie cannot use it afterwards.
    expect((await callback(gw, search, { cookie: attacker.cookie })).status).toBe(400);

    const other = await startLogin(gw);
    const auth2 = await fake.authorize(other.location.href, { as: 1 });
    const missing = await callback(gw, new URL(auth2.location!).search);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.message).toMatch(/cookie is missing/);

    const code = new URL(auth2.location!).searchParams.get("code")!;
    for (const search of [`?code=${code}`, `?code=${code}&state=`, `?code=${code}&state=short`]) {
      const response = await callback(gw, search, { cookie: other.cookie });
      expect(response.status, search).toBe(400);
      expect(((await response.json()) as any).error.param).toBe("state");
    }
    expect(fake.tokenRequests.filter((r) => r.form.code === code)).toHaveLength(0);
    expect(await linuxdoUsers(gw)).toHaveLength(0);
  });

  it("a state older than 10 minutes (gateway clock) is refused; one just inside works", async () => {
    let now = Date.UTC(2030, 0, 1);
    const gw = await start({}, { now: () => now });
    const late = await startLogin(gw);
    const lateAuth = await fake.authorize(late.location.href, { as: 1 });
    now += STATE_TTL_MS;
    const refused = await callback(gw, new URL(lateAuth.location!).search, { cookie: late.cookie });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toMatch(/expired/);
    expect(cookieNamed(refused, "sy_session")).toBeUndefined();

    const inTime = await startLogin(gw);
    const auth = await fake.authorize(inTime.location.href, { as: 1 });
    now += STATE_TTL_MS - 1;
    const ok = await callback(gw, new URL(auth.location!).search, { cookie: inTime.cookie });
    expect(ok.status).toBe(302);
  });

  it("storage keeps only hashes: no state, nonce, code, access token or client secret in a dump", async () => {
    const gw = await start();
    const flow = await fullLogin(gw, { as: 1 });
    const pending = await startLogin(gw); // one unfinished login stays in storage
    const dump = JSON.stringify(await Promise.all((await gw.storage.keys()).map(async (k) => [k, await gw.storage.get(k)])));
    expect(dump).toContain("plugins:linuxdo-connect:states:");
    const secrets = [SECRET, fake.issued.at(-1)!, flow.begun.location.searchParams.get("state")!, flow.begun.cookie.split("=")[1]!, flow.auth.code!, pending.location.searchParams.get("state")!, pending.cookie.split("=")[1]!];
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});

describe("linuxdo-connect: who may log in, and as what", () => {
  it("refuses low trust levels, inactive and (when asked) silenced accounts with 403; nobody is created", async () => {
    const gw = await start({ minTrustLevel: 1, refuseSilenced: true });
    for (const [id, message] of [[3, /trust level 1 or higher; yours is 0/], [4, /not active/], [5, /silenced/]] as const) {
      const flow = await fullLogin(gw, { as: id });
      expect(flow.status, String(id)).toBe(403);
      expect(JSON.parse(flow.text).error.message).toMatch(message);
      expect(flow.session).toBeUndefined();
    }
    expect(await linuxdoUsers(gw)).toHaveLength(0);
    const lenient = await start({ refuseInactive: false });
    for (const id of [3, 4, 5]) expect((await fullLogin(lenient, { as: id })).status).toBe(302);
  });

  it("an id in admins gets the admin role (numbers and digit strings); others get user", async () => {
    const gw = await start({ admins: [2, "0005"] });
    const boss = await fullLogin(gw, { as: 2 });
    expect((await me(gw, boss.session)).body.user).toMatchObject({ role: "admin" });
    expect((await gw.request("/admin/users", { headers: { cookie: boss.session! } })).status).toBe(200);
    expect((await me(gw, (await fullLogin(gw, { as: 5 })).session)).body.user!.role).toBe("admin");
    expect((await me(gw, (await fullLogin(gw, { as: 1 })).session)).body.user!.role).toBe("user");
  });

  it("an admin role an operator granted survives logins; a list admin an operator demoted is promoted again (the list wins)", async () => {
    const gw = await start({ admins: [2] });
    const alice = await me(gw, (await fullLogin(gw, { as: 1 })).session);
    const boss = await me(gw, (await fullLogin(gw, { as: 2 })).session);
    const patch = (id: string, role: Role) => gw.request(`/admin/users/${id}`, { method: "PATCH", headers: { authorization: `Bearer ${ROOT_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ role }) });
    expect((await patch(alice.body.user!.id, "admin")).status).toBe(200);
    expect((await patch(boss.body.user!.id, "user")).status).toBe(200);
    expect((await me(gw, (await fullLogin(gw, { as: 1 })).session)).body.user!.role).toBe("admin");
    expect((await me(gw, (await fullLogin(gw, { as: 2 })).session)).body.user!.role).toBe("admin");
  });

  it("a banned user is refused with 403 and gets no session", async () => {
    const gw = await start();
    const first = await me(gw, (await fullLogin(gw, { as: 1 })).session);
    await gw.users.update(first.body.user!.id, () => ({ status: "banned" }));
    const flow = await fullLogin(gw, { as: 1 });
    expect(flow.status).toBe(403);
    expect(flow.session).toBeUndefined();
  });

  it("with a second factor, the callback sends the ticket in the fragment; POST /auth/login/2fa completes it", async () => {
    const gw = await start({}, { secondFactor: true });
    const flow = await fullLogin(gw, { as: 1 }, "?redirect=/keys");
    expect(flow.status).toBe(302);
    expect(flow.session).toBeUndefined();
    const location = new URL(flow.location!, "http://gateway.test");
    expect(`${location.pathname}${location.search}`).toBe("/portal");
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get("factors")).toBe("test-code");
    expect(fragment.get("redirect")).toBe("/keys");
    const done = await gw.request("/auth/login/2fa", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ticket: fragment.get("ticket"), code: "424242" }) });
    expect(done.status).toBe(200);
    const session = cookieNamed(done, "sy_session")!.split(";")[0];
    expect((await me(gw, session)).body.user!.identities).toEqual([{ provider: "linuxdo", subject: "1" }]);
  });
});

describe("linuxdo-connect: redirects after login", () => {
  const attempts = ["//evil.test", "/\\evil.test", "https://evil.test", "javascript:alert(1)", "/\t/evil.test", "evil.test", "", "/\r\nSet-Cookie:x=1"];

  it("open-redirect attempts end on the default path; a same-site path is kept", async () => {
    const gw = await start({ afterLogin: "/home" });
    for (const attempt of attempts) {
      const flow = await fullLogin(gw, { as: 1 }, `?redirect=${encodeURIComponent(attempt)}`);
      expect(flow.location, JSON.stringify(attempt)).toBe("/home");
    }
    expect((await fullLogin(gw, { as: 1 }, `?redirect=${encodeURIComponent("/usage?days=7")}`)).location).toBe("/usage?days=7");
  });

  propTest.prop([fc.oneof(fc.string(), fc.webUrl(), fc.webPath(), fc.constantFrom(...attempts).map((a) => a + "x"), fc.string().map((s) => `/${s}`), fc.string().map((s) => `//${s}`))], { numRuns: 1000 })(
    "any redirect value ends on this origin: itself when safe, else the default",
    (value) => {
      const target = safeRedirect(value, "/portal");
      const resolved = new URL(target, "https://gateway.test/auth/linuxdo/callback");
      expect(resolved.origin).toBe("https://gateway.test");
      expect(target === value || target === "/portal").toBe(true);
      expect(target).toMatch(/^\/(?![/\\])[\x21-\x7e]*$/);
    },
  );
});

describe("linuxdo-connect: LinuxDO errors", () => {
  it("error=access_denied is a friendly 400: an HTML page for browsers, JSON otherwise; the state cookie is cleared", async () => {
    const gw = await start();
    const begun = await startLogin(gw);
    const auth = await fake.authorize(begun.location.href, { deny: true });
    expect(auth.error).toBe("access_denied");
    const page = await callback(gw, new URL(auth.location!).search, { cookie: begun.cookie, accept: "text/html,application/xhtml+xml" });
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/did not authorize the login \(access_denied\)/);
    expect(cookieNamed(page, "sy_oauth_state")).toMatch(/Max-Age=0/);
    const again = await startLogin(gw);
    const injected = `?state=${again.location.searchParams.get("state")}&error=${encodeURIComponent("<script>x</script>")}`;
    const json = await callback(gw, injected, { cookie: again.cookie });
    expect(json.status).toBe(400);
    expect(((await json.json()) as any).error).toMatchObject({ param: "error", message: expect.stringMatching(/unknown reason/) });
  });

  it("token and user info failures (5xx, HTML, refused token) are 502s without a session or a user", async () => {
    const gw = await start();
    const cases: Array<() => void> = [
      () => fake.script({}, { status: 500 }), // token → 500
      () => fake.script({}, { status: 200, body: "<html>cdn</html>" }), // token → HTML
      () => fake.script({}, {}, { status: 401 }), // user info → 401
    ];
    for (const arrange of cases) {
      const begun = await startLogin(gw);
      arrange();
      const auth = await fake.authorize(begun.location.href, { as: 1 });
      const response = await callback(gw, new URL(auth.location!).search, { cookie: begun.cookie });
      expect(response.status).toBe(502);
      expect(cookieNamed(response, "sy_session")).toBeUndefined();
    }
    expect(await linuxdoUsers(gw)).toHaveLength(0);
  });

  it("the client secret never reaches a log line, an answer or a stored value, also on error paths", async () => {
    const logs = captureLogs();
    try {
      const logger = createLogger({ level: "debug" });
      const gw = await start({ clientAuth: "basic" }, { logger });
      const bodies: string[] = [];
      const collect = (flow: Awaited<ReturnType<typeof fullLogin>>) => bodies.push(`${flow.status} ${JSON.stringify([...flow.response.headers])} ${flow.text}`);
      collect(await fullLogin(gw, { as: 1 }));
      fake.script({}, { status: 500, body: { error: "server_error", error_description: `echo ${SECRET}` } });
      collect(await fullLogin(gw, { as: 1 }));
      fake.script({}, { status: 400, body: { error: "invalid_grant", error_description: `upstream text ${SECRET}` } });
      const refused = await fullLogin(gw, { as: 1 });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text).error.message).toBe("code: Linux DO Connect refused the login code (400: invalid_grant); start the login again");
      collect(refused);
      fake.script({}, { status: 401, body: { error: "invalid_client", message: `bad secret ${SECRET}` } });
      collect(await fullLogin(gw, { as: 1 }));
      await expect(setupGateway({ auth: [linuxdoConnect({ ...options(), authorizeURL: "ftp://x" })] }, { logger })).rejects.toThrow(/authorizeURL/);
      expect(logs.text()).toMatch(/LinuxDO token exchange failed: status 400: invalid_grant upstream text \[redacted\]/);
      for (const text of [...bodies, logs.text()]) expect(text).not.toContain(SECRET);
      for (const token of fake.issued) expect(logs.text()).not.toContain(token);
    } finally {
      logs.stop();
    }
  });
});

describe("linuxdo-connect: over a real socket", () => {
  it("behind a trusted TLS proxy: __Host- state cookie, https redirect_uri, a planted plain cookie is refused", async () => {
    const gw = await setupGateway({ auth: [linuxdoConnect(options())], server: { trustedProxies: ["127.0.0.1/32"] } });
    const server = await startServer(gw, { host: "127.0.0.1", port: 0 });
    try {
      const base = new URL(server.url);
      const https = { "x-forwarded-proto": "https" };
      const login = await fetch(new URL("/auth/linuxdo/login", base), { redirect: "manual", headers: https });
      const setCookie = cookieNamed(login, "__Host-sy_oauth_state")!;
      expect(setCookie).toMatch(/^__Host-sy_oauth_state=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
      const authorize = new URL(login.headers.get("location")!);
      const redirectURI = `https://${base.host}/auth/linuxdo/callback`;
      expect(authorize.searchParams.get("redirect_uri")).toBe(redirectURI);
      fake.redirectUris = [CALLBACK, redirectURI];
      const auth = await fake.authorize(authorize.href, { as: 1 });
      const search = new URL(auth.location!).search;
      const nonce = setCookie.split(";")[0]!.split("=")[1];
      const planted = await fetch(new URL(`/auth/linuxdo/callback${search}`, base), { redirect: "manual", headers: { ...https, cookie: `sy_oauth_state=${nonce}` } });
      expect(planted.status).toBe(400);
      const login2 = await fetch(new URL("/auth/linuxdo/login", base), { redirect: "manual", headers: https });
      const auth2 = await fake.authorize(login2.headers.get("location")!, { as: 1 });
      const done = await fetch(new URL(`/auth/linuxdo/callback${new URL(auth2.location!).search}`, base), { redirect: "manual", headers: { ...https, cookie: cookieNamed(login2, "__Host-sy_oauth_state")!.split(";")[0]! } });
      expect(done.status).toBe(302);
      expect(cookieNamed(done, "sy_session")).toMatch(/; Secure$/);
      expect(cookieNamed(done, "__Host-sy_oauth_state")).toMatch(/^__Host-sy_oauth_state=; Max-Age=0; Path=\/;/);
    } finally {
      fake.redirectUris = [CALLBACK];
      await server.close();
    }
  });

  it("limits logins started per minute from one address (429 with Retry-After)", async () => {
    const gw = await start({ loginsPerMinute: 3 });
    const server = await startServer(gw, { host: "127.0.0.1", port: 0 });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(new URL("/auth/linuxdo/login", server.url), { redirect: "manual" });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([302, 302, 302, 429]);
      expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });
});

describe("linuxdo-connect: options", () => {
  it("reports every problem at once, one line each, never echoing the secret", () => {
    const bad = { clientSecret: `has space ${SECRET}`, tokenURL: "http://linux.do.example/token", userURL: `https://u:${SECRET}@x.test/api`, admins: [1, "x", -2], afterLogin: "//evil.test", clientAuth: "jwt", minTrustLevel: 9, typo: 1 } as unknown as LinuxDoConnectOptions;
    let message = "";
    try {
      resolveOptions("linuxdo-connect", bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^\[switchyard\] \[plugin:linuxdo-connect\] 10 problem\(s\)/);
    for (const key of ["typo", "clientId", "clientSecret", "tokenURL", "userURL", "clientAuth", "minTrustLevel", "admins[1]", "admins[2]", "afterLogin"]) expect(message).toMatch(new RegExp(`\\n  ${key.replace(/[[\]]/g, "\\$&")}: expected`));
    expect(message).not.toContain(SECRET);
  });

  propTest.prop([fc.stringMatching(/^[\x21-\x7e]{1,60}$/), fc.stringMatching(/^[\x21-\x7e]{1,80}$/), fc.webUrl({ validSchemes: ["https"], withQueryParameters: false, withFragments: false })], { numRuns: 200 })(
    "config parsing round-trips client id, secret and redirect URI",
    (clientId, clientSecret, redirect) => {
      const url = new URL(redirect);
      fc.pre(!url.username && !url.password);
      const resolved = resolveOptions("linuxdo-connect", { clientId, clientSecret, redirectURI: url.href });
      expect([resolved.clientId, resolved.clientSecret, resolved.redirectURI]).toEqual([clientId, clientSecret, url.href]);
      expect(resolved).toMatchObject({ clientAuth: "body", scope: "user", minTrustLevel: 0, afterLogin: "/portal", authorizeURL: "https://connect.linux.do/oauth2/authorize", tokenURL: "https://connect.linux.do/oauth2/token", userURL: "https://connect.linux.do/api/user" });
    },
  );
});

describe("linuxdo-connect: properties over the whole flow", () => {
  const token = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
  propTest.prop([token, fc.webUrl({ validSchemes: ["https"], withQueryParameters: false, withFragments: false }), fc.constantFrom("user", "", "user read"), fc.option(fc.webPath(), { nil: undefined })], { numRuns: 100 })(
    "the authorize URL carries client_id, redirect_uri, response_type=code, a fresh state and the scope",
    async (clientId, redirect, scope, path) => {
      const redirectURI = new URL(redirect).href;
      fc.pre(!new URL(redirectURI).username && !new URL(redirectURI).password);
      const gw = await start({ clientId, redirectURI, scope });
      try {
        const first = await startLogin(gw, path === undefined ? "" : `?redirect=${encodeURIComponent(path)}`);
        const second = await startLogin(gw);
        const q = first.location.searchParams;
        expect([q.get("client_id"), q.get("redirect_uri"), q.get("response_type"), q.get("scope")]).toEqual([clientId, redirectURI, "code", scope === "" ? null : scope]);
        expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(q.get("state")).not.toBe(second.location.searchParams.get("state"));
        expect(first.cookie).not.toBe(second.cookie);
      } finally {
        await gw.close();
      }
    },
  );

  propTest.prop([fc.option(fc.record({ role: fc.constantFrom<Role>("user", "admin", "root"), adminFromList: fc.boolean() }), { nil: undefined }), fc.boolean()], { numRuns: 500 })(
    "the role rule: listed ids are admin, list-given admin goes with the list, root and operator grants stay",
    (current, inList) => {
      const next = nextRole(current, inList);
      if (current?.role === "root") expect(next.role).toBe("root");
      else if (inList) expect(next.role).toBe("admin");
      else if (current?.role === "admin" && current.adminFromList) expect(next.role).toBe("user");
      else expect(next.role).toBe(current?.role ?? "user");
      expect(next.adminFromList).toBe(next.role === "admin" && (current?.role !== "admin" || current.adminFromList));
    },
  );

  describe("with the admin list changing between starts (one SQLite file)", () => {
    const dir = join(repoRoot, "test/.tmp", `linuxdo-${randomBytes(6).toString("hex")}`);
    const storagePath = join(dir, "roles.sqlite");
    let nextId = 1000;
    beforeAll(() => void mkdirSync(dir, { recursive: true }));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    propTest.prop([fc.array(fc.record({ listed: fc.boolean(), login: fc.boolean() }), { minLength: 1, maxLength: 4 })], { numRuns: 100 })(
      "after each login, role = admin iff the id is in the list at that login; a start without the id takes a list-given admin back",
      async (steps) => {
        const id = nextId++;
        fake.addUser({ id });
        let expected: Role | undefined;
        for (const step of steps) {
          const gw = await start({ admins: step.listed ? [id] : [] }, { storagePath });
          try {
            if (expected === "admin" && !step.listed) expected = "user";
            const stored = await gw.users.byIdentity({ provider: "linuxdo", subject: String(id) });
            expect(stored?.role).toBe(expected);
            if (step.login) {
              const flow = await fullLogin(gw, { as: id });
              expected = step.listed ? "admin" : "user";
              expect((await me(gw, flow.session)).body.user!.role).toBe(expected);
            }
          } finally {
            await gw.close();
          }
        }
      },
    );
  });

  describe("sessions from LinuxDO logins", () => {
    let gw: Gw;
    let now = Date.UTC(2030, 0, 1);
    const seen = new Set<string>();
    // A gateway per test (the setup helper closes it after each test), shared by the runs.
    beforeEach(async () => {
      gw = await start({}, { now: () => now });
    });

    propTest.prop([fc.constantFrom(1, 2, 3, 5)], { numRuns: 100 })("session tokens are at least 32 random bytes and never repeat", async (who) => {
      const flow = await fullLogin(gw, { as: who });
      const tokenValue = flow.session!.slice("sy_session=".length);
      expect(Buffer.from(tokenValue, "base64url").length).toBeGreaterThanOrEqual(32);
      expect(seen.has(tokenValue)).toBe(false);
      seen.add(tokenValue);
    });

    propTest.prop([fc.integer({ min: 0, max: 2 * SESSION_TTL_MS }), fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.string({ maxLength: 60 }).filter((s) => !/[;,\s]/.test(s)))], { numRuns: 100 })(
      "an expired or invalid session gets 401; a valid one passes",
      async (elapsed, garbage) => {
        const flow = await fullLogin(gw, { as: 1 });
        expect((await me(gw, `sy_session=${garbage}`)).status).toBe(401);
        const tampered = flow.session!.slice(0, -1) + (flow.session!.endsWith("A") ? "B" : "A");
        expect((await me(gw, tampered)).status).toBe(401);
        now += elapsed;
        expect((await me(gw, flow.session)).status).toBe(elapsed < SESSION_TTL_MS ? 200 : 401);
      },
    );
  });
});
