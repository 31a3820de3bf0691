import { randomBytes } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { Redis } from "ioredis";
import { generateSecret, generateSync } from "otplib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GatewayConfig, type Logger, createLogger, startServer } from "../../../core/index.ts";
import { captureLogs } from "../../../core/logger.ts";
import { hashPassword, jwtAdmin } from "../../../plugins/auth/jwt-admin/index.ts";
import { type TotpOptions, totp } from "../../../plugins/auth/totp/index.ts";
import { runCli } from "../../_cli.ts";
import { describeRedis, redisUrl } from "../../_redis.ts";
import { testLogin } from "../../conformance/login.ts";
import { testPluginRoutes } from "../../conformance/routes.ts";
import { apiKey, type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import { setupGateway, testSecret } from "../../_setup.ts";
import { type TempProject, createTempProject } from "../../_tmp.ts";

const PASSWORD = `canary-totp-admin-pw-${randomBytes(6).toString("hex")}`;
let HASH = "";
beforeAll(async () => {
  HASH = await hashPassword(PASSWORD);
});

/** A test clock 5 s into a 30-s step, so ±1 step arithmetic is exact. */
function testClock() {
  const clock = { ms: Math.floor(Date.now() / 30_000) * 30_000 + 5_000 };
  return Object.assign(clock, { now: () => clock.ms, code: (secret: string, offsetSteps = 0, digits: 6 | 8 = 6, period = 30) => generateSync({ secret, digits, period, epoch: Math.floor(clock.ms / 1000) + offsetSteps * period }) });
}
type Clock = ReturnType<typeof testClock>;

type Http = (method: string, path: string, init?: { body?: unknown; cookie?: string; bearer?: string }) => Promise<{ status: number; headers: Headers; body: Record<string, any>; cookie: string; text: string }>;

function client(fetcher: (path: string, init: RequestInit) => Promise<Response>): Http {
  return async (method, path, init = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    const response = await fetcher(path, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any>, cookie: (response.headers.get("set-cookie") ?? "").split(";")[0]!, text };
  };
}

async function start(options: TotpOptions = {}, extra: { clock?: Clock; config?: GatewayConfig; logger?: Logger } = {}) {
  const clock = extra.clock ?? testClock();
  const auth = [jwtAdmin({ admins: [{ username: "root", passwordHash: HASH }], registration: { enabled: true } }), totp(options)];
  const gateway = await setupGateway({ auth, ...extra.config }, { now: clock.now, ...(extra.logger ? { logger: extra.logger } : {}) });
  const call = client((path, init) => gateway.request(path, init));
  return { gateway, clock, call, ...flows(call, clock) };
}

/** Login and 2FA steps over any client (one gateway, or a socket). */
function flows(call: Http, clock: Clock) {
  const login = (username = "root", password = PASSWORD) => call("POST", "/auth/login", { body: { username, password } });
  const second = (ticket: string, code: string) => call("POST", "/auth/login/2fa", { body: { ticket, code } });
  /** Log in with a password, set up and enable 2FA; returns the secret, backup codes and the setup answer. */
  async function enable(username = "root", password = PASSWORD) {
    const first = await login(username, password);
    expect(first.body.status).toBe("ok");
    const setup = await call("POST", "/auth/2fa/setup", { cookie: first.cookie });
    expect(setup.status).toBe(200);
    const enabled = await call("POST", "/auth/2fa/enable", { cookie: first.cookie, body: { code: clock.code(setup.body.secret) } });
    expect(enabled.status).toBe(200);
    clock.ms += 30_000; // the enabling code's step is used up
    return { secret: setup.body.secret as string, backupCodes: enabled.body.backupCodes as string[], setup, enabled, oldCookie: first.cookie };
  }
  /** A full login: password, then the code; returns the session cookie answer. */
  async function fullLogin(code: string, username = "root", password = PASSWORD) {
    const first = await login(username, password);
    expect(first.body.status).toBe("2fa_required");
    return second(first.body.ticket, code);
  }
  return { login, second, enable, fullLogin };
}

describe("totp: conformance", () => {
  // The login here is the whole two-step one: password, then a TOTP code.
  testLogin({
    name: "totp",
    async setup() {
      const { gateway, clock, enable, fullLogin, login, second } = await start();
      const { secret, backupCodes } = await enable();
      return {
        gateway,
        secrets: [PASSWORD, HASH, secret, ...backupCodes],
        async login() {
          const answer = await fullLogin(clock.code(secret));
          clock.ms += 30_000;
          return { setCookie: answer.headers.get("set-cookie") ?? "", bodies: [answer.text] };
        },
        async refused() {
          const pending = await login();
          const answer = await second(pending.body.ticket, clock.code(secret, 2));
          return new Response(answer.text, { status: answer.status, headers: answer.headers });
        },
      };
    },
  });
  testPluginRoutes({
    name: "totp",
    async setup() {
      const gateway = await setupGateway({ auth: [apiKey(), totp()] });
      const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      return { gateway, clientKey: (await keys.create({ name: "routes" })).key };
    },
  });
});

describe("totp: admin login with password + TOTP", () => {
  it("setup gives a secret, an otpauth URI and an SVG; enabling needs a valid code and ends earlier sessions", async () => {
    const { call, clock, login, second } = await start();
    const first = await login();
    expect((await call("GET", "/auth/2fa/status", { cookie: first.cookie })).body).toEqual({ enabled: false, pending: false, backupCodesRemaining: 0, locked: false });
    const setup = await call("POST", "/auth/2fa/setup", { cookie: first.cookie });
    expect(setup.headers.get("cache-control")).toBe("no-store");
    const secret = setup.body.secret as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.uri).toBe(`otpauth://totp/Switchyard:root?secret=${secret}&issuer=Switchyard`);
    expect(setup.body.qrSvg).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>$/);
    expect((await call("GET", "/auth/2fa/status", { cookie: first.cookie })).body).toMatchObject({ enabled: false, pending: true });
    expect((await login()).body.status).toBe("ok"); // not enabled yet

    expect((await call("POST", "/auth/2fa/enable", { cookie: first.cookie, body: { code: clock.code(secret, 3) } })).status).toBe(401);
    const enabled = await call("POST", "/auth/2fa/enable", { cookie: first.cookie, body: { code: clock.code(secret) } });
    expect(enabled.status).toBe(200);
    expect(enabled.body.backupCodes).toHaveLength(8);
    for (const code of enabled.body.backupCodes) expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect((await call("GET", "/auth/me", { cookie: first.cookie })).status).toBe(401);
    expect((await call("POST", "/auth/2fa/setup", { cookie: (await second((await login()).body.ticket, clock.code(secret, 1))).cookie })).status).toBe(409);

    clock.ms += 60_000;
    const pending = await login();
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ status: "2fa_required", factors: ["totp"] });
    expect(pending.body.token).toBeUndefined();
    expect(pending.headers.get("set-cookie")).toBeNull();
    expect((await second(pending.body.ticket, "000000")).status).toBe(401);
    const done = await second(pending.body.ticket, clock.code(secret));
    expect(done.status).toBe(200);
    expect(done.cookie).toMatch(/^sy_session=/);
    const jwt = await call("POST", "/auth/jwt", { cookie: done.cookie });
    expect((await call("GET", "/admin/users", { bearer: jwt.body.token })).status).toBe(200);
    expect((await call("GET", "/auth/2fa/status", { cookie: done.cookie })).body).toEqual({ enabled: true, pending: false, backupCodesRemaining: 8, locked: false });
  });

  it("refuses a code used once already in its window (the enabling code too), and codes two steps away", async () => {
    const { clock, login, second, enable, fullLogin } = await start();
    const { secret } = await enable();
    const code = clock.code(secret);
    expect((await fullLogin(code)).status).toBe(200);
    expect((await fullLogin(code)).status).toBe(401);
    expect((await fullLogin(clock.code(secret, 2))).status).toBe(401);
    expect((await fullLogin(clock.code(secret, -2))).status).toBe(401);
    // The previous step is the enabling code's: refused. The next step's code: accepted once (±1 step).
    expect((await fullLogin(clock.code(secret, -1))).status).toBe(401);
    const next = clock.code(secret, 1);
    expect((await fullLogin(next)).status).toBe(200);
    expect((await fullLogin(next)).status).toBe(401);
    clock.ms += 60_000;
    const pending = await login();
    expect((await second(pending.body.ticket, ` ${clock.code(secret).slice(0, 3)} ${clock.code(secret).slice(3)} `)).status).toBe(200);
  });

  it("5 wrong codes lock the login: 429 with retry-after, even for the right code, until the lockout ends", async () => {
    const { call, clock, login, second, enable } = await start();
    const { secret } = await enable();
    const pending = await login();
    for (let i = 0; i < 4; i++) expect((await second(pending.body.ticket, String(100000 + i))).status).toBe(401);
    const fifth = await second(pending.body.ticket, "200000");
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get("retry-after")).toBe("300");
    clock.ms += 100_000;
    // The lockout ended the pending login it hit (security.md B5): even the right code is refused.
    expect((await second(pending.body.ticket, clock.code(secret))).status).toBe(401);
    const other = await login();
    const right = await second(other.body.ticket, clock.code(secret));
    expect(right.status).toBe(429);
    expect(right.headers.get("retry-after")).toBe("200");
    clock.ms += 201_000;
    const fresh = await login();
    const done = await second(fresh.body.ticket, clock.code(secret));
    expect(done.status).toBe(200);
    expect((await call("GET", "/auth/2fa/status", { cookie: done.cookie })).body.locked).toBe(false);
  });

  it("a backup code works once, in any case and with or without the dash", async () => {
    const { call, fullLogin, enable } = await start();
    const { backupCodes } = await enable();
    const [a, b] = backupCodes as [string, string];
    const ok = await fullLogin(a);
    expect(ok.status).toBe(200);
    expect((await fullLogin(a)).status).toBe(401);
    expect((await fullLogin(b.replace("-", "").toLowerCase())).status).toBe(200);
    expect((await call("GET", "/auth/2fa/status", { cookie: ok.cookie })).body.backupCodesRemaining).toBe(6);
  });

  it("disabling and regenerating backup codes need a fresh code; regenerating needs a TOTP code", async () => {
    const { call, clock, login, fullLogin, enable } = await start();
    const { secret, backupCodes } = await enable();
    const code = clock.code(secret);
    const session = await fullLogin(code);
    const cookie = session.cookie;
    expect((await call("POST", "/auth/2fa/backup-codes", { cookie, body: { code } })).status).toBe(401); // used
    expect((await call("POST", "/auth/2fa/backup-codes", { cookie, body: { code: backupCodes[0] } })).status).toBe(401);
    expect((await call("POST", "/auth/2fa/backup-codes", { cookie, body: {} })).status).toBe(400);
    const renewed = await call("POST", "/auth/2fa/backup-codes", { cookie, body: { code: clock.code(secret, 1) } });
    expect(renewed.status).toBe(200);
    expect(renewed.body.backupCodes).toHaveLength(8);
    expect(renewed.body.backupCodes).not.toContain(backupCodes[1]);
    expect((await call("GET", "/auth/2fa/status", { cookie })).body.backupCodesRemaining).toBe(8);
    expect((await call("POST", "/auth/2fa/disable", { cookie, body: { code: backupCodes[1] } })).status).toBe(401); // old batch
    expect((await call("POST", "/auth/2fa/disable", { cookie, body: { code: clock.code(secret, 1) } })).status).toBe(401); // used
    const disabled = await call("POST", "/auth/2fa/disable", { cookie, body: { code: renewed.body.backupCodes[0] } });
    expect([disabled.status, disabled.body]).toEqual([200, { enabled: false }]);
    expect((await call("GET", "/auth/me", { cookie })).status).toBe(401);
    expect((await login()).body.status).toBe("ok");
  });

  it("keeps the TOTP secret sealed and backup codes hashed in storage, and out of logs and later answers", async () => {
    const logs = captureLogs();
    try {
      const { gateway, call, fullLogin, enable, clock } = await start({}, { logger: createLogger({ level: "debug" }) });
      const { secret, backupCodes } = await enable();
      const session = await fullLogin(backupCodes[0]!);
      const status = await call("GET", "/auth/2fa/status", { cookie: session.cookie });
      await fullLogin(clock.code(secret, 1));
      const dump: string[] = [];
      for (const key of await gateway.storage.keys()) dump.push(key, JSON.stringify(await gateway.storage.get(key)));
      const text = dump.join("\n");
      expect(text).toMatch(/plugins:totp:state:usr_[0-9a-f]+/);
      expect(logs.text()).toMatch(/two-factor login enabled for usr_/);
      for (const canary of [secret, ...backupCodes, ...backupCodes.map((c) => c.replace("-", ""))]) {
        expect(text).not.toContain(canary);
        expect(logs.text()).not.toContain(canary);
        expect(status.text).not.toContain(canary);
      }
    } finally {
      logs.stop();
    }
  });

  it("an issuer with spaces, 8 digits and 60-s steps: URI shape and working codes; bad options refused", async () => {
    const { call, clock, login, second } = await start({ issuer: "Acme Gate", digits: 8, period: 60 });
    const first = await login();
    const setup = await call("POST", "/auth/2fa/setup", { cookie: first.cookie });
    expect(setup.body.uri).toBe(`otpauth://totp/Acme%20Gate:root?secret=${setup.body.secret}&issuer=Acme%20Gate&digits=8&period=60`);
    expect((await call("POST", "/auth/2fa/enable", { cookie: first.cookie, body: { code: clock.code(setup.body.secret, 0, 8, 60) } })).status).toBe(200);
    clock.ms += 60_000;
    expect((await second((await login()).body.ticket, clock.code(setup.body.secret, 0, 8, 60))).status).toBe(200);

    const bad: Array<[TotpOptions, string]> = [
      [{ digits: 5 as never }, "digits: expected 6, 7 or 8, got 5"],
      [{ period: 0 }, "period: expected a whole number from 15 to 120"],
      [{ window: 9 }, "window: expected a whole number from 0 to 3"],
      [{ maxFailures: 0 }, "maxFailures: expected a whole number from 1 to 100"],
      [{ lockoutSeconds: 1.5 }, "lockoutSeconds: expected a whole number from 1 to 86400"],
      [{ backupCodes: -1 }, "backupCodes: expected a whole number from 0 to 20"],
      [{ issuer: "a:b" }, "issuer: expected 1 to 64 characters without ':'"],
      [{ algorithm: "sha256" } as never, "algorithm: expected one of issuer, digits"],
    ];
    for (const [options, message] of bad) await expect(setupGateway({ auth: [totp(options)] }), message).rejects.toThrow(message);
  });

  describe("properties", () => {
    // One gateway per property run (setupGateway closes it after the test); each case makes its
    // own user (through a personal token), so failure counters and used steps never mix.
    let shared: Awaited<ReturnType<typeof start>> | undefined;
    afterEach(() => {
      shared = undefined;
    });

    async function enabledUser() {
      shared ??= await start({ maxFailures: 100 });
      const ctx = shared;
      const { user } = await ctx.gateway.users.findOrCreate({ identity: { provider: "prop", subject: randomBytes(8).toString("hex") }, name: "prop" });
      const { token } = await ctx.gateway.users.sessions.tokens.create(user, "prop");
      const setup = await ctx.call("POST", "/auth/2fa/setup", { bearer: token });
      expect((await ctx.call("POST", "/auth/2fa/enable", { bearer: token, body: { code: ctx.clock.code(setup.body.secret, 1) } })).status).toBe(200);
      const factor = ctx.gateway.users.factors.find((f) => f.name === "totp")!;
      const secret = setup.body.secret as string;
      return {
        secret,
        code: (of: string, step: number) => ctx.clock.code(of, step),
        // Codes the user's secret accepts now (the window), which another code must not collide with.
        window: [-1, 0, 1].map((step) => ctx.clock.code(secret, step)),
        verify: (code: string) => factor.verify(user, code),
      };
    }

    propTest.prop([fc.integer({ min: -1, max: 1 })], { numRuns: 100 })("a code from another secret is refused (any step in the window)", async (step) => {
      const { code, window, verify } = await enabledUser();
      const other = code(generateSecret(), step);
      fc.pre(!window.includes(other));
      expect(await verify(other)).toBe(false);
    });

    propTest.prop([fc.integer({ min: 2, max: 5000 }), fc.boolean()], { numRuns: 100 })("a code from a step outside ±1 is refused; inside, accepted once", async (distance, past) => {
      const { secret, code, window, verify } = await enabledUser();
      const outside = code(secret, past ? -distance : distance);
      fc.pre(!window.includes(outside));
      expect(await verify(outside)).toBe(false);
      const inside = code(secret, past ? -1 : 0);
      expect(await verify(inside)).toBe(true);
      expect(await verify(inside)).toBe(false);
    });
  });
});

describe("totp: switchyard totp reset (CLI)", () => {
  const projects: TempProject[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));

  it("turns a user's 2FA off from the command line", async () => {
    const p = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import { jwtAdmin } from "switchyard/plugins/auth/jwt-admin";
import { totp } from "switchyard/plugins/auth/totp";
export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" }, auth: [jwtAdmin({ admins: [{ username: "root", passwordHash: ${JSON.stringify(HASH)} }] }), totp()] });`,
    });
    projects.push(p);
    const clock = testClock();
    const config: GatewayConfig = { storage: { driver: "fs", base: `${p.dir}/.data` } };
    const gateway = await setupGateway({ ...config, auth: [jwtAdmin({ admins: [{ username: "root", passwordHash: HASH }] }), totp()] }, { now: clock.now });
    const { enable, login } = flows(client((path, init) => gateway.request(path, init)), clock);
    await enable();
    const pending = await login();
    expect(pending.body.status).toBe("2fa_required");
    const id = (await gateway.users.list())[0]!.id;
    const reset = await runCli(["totp", "reset", "--user", id, "--cwd", p.dir], { env: { SWITCHYARD_SECRET: testSecret } });
    expect(reset.stderr).toBe("");
    expect([reset.code, reset.stdout]).toEqual([0, `Turned off two-factor login for ${id}; their sessions ended\n`]);
    expect((await login()).body.status).toBe("ok");
    expect((await runCli(["totp", "reset", "--user", "usr_nobody", "--cwd", p.dir], { env: { SWITCHYARD_SECRET: testSecret } })).code).toBe(1);
  });
});

describeRedis("totp on two instances sharing Redis", () => {
  const base = `sy-test-totp-${randomBytes(4).toString("hex")}`;
  afterAll(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${base}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("the same code (TOTP or backup) sent to both at once succeeds exactly once; wrong codes count across instances", async () => {
    const clock = testClock();
    const config: GatewayConfig = { storage: { driver: "redis", url: redisUrl, base } };
    const plugins = () => [jwtAdmin({ admins: [{ username: "root", passwordHash: HASH }] }), totp()];
    const [a, b] = await Promise.all([setupGateway({ ...config, auth: plugins() }, { now: clock.now }), setupGateway({ ...config, auth: plugins() }, { now: clock.now })]);
    const [serverA, serverB] = await Promise.all([startServer(a, { host: "127.0.0.1", port: 0 }), startServer(b, { host: "127.0.0.1", port: 0 })]);
    try {
      const onA = flows(client((path, init) => fetch(new URL(path, serverA.url), init)), clock);
      const onB = flows(client((path, init) => fetch(new URL(path, serverB.url), init)), clock);
      const { secret, backupCodes } = await onA.enable();
      for (let round = 0; round < 4; round++) {
        const [ticketA, ticketB] = await Promise.all([onA.login(), onB.login()]);
        const code = round % 2 === 0 ? clock.code(secret) : backupCodes[round]!;
        const answers = await Promise.all([onA.second(ticketA.body.ticket, code), onB.second(ticketB.body.ticket, code)]);
        expect(answers.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 401]);
        clock.ms += 30_000;
      }
      // A success resets the count (each round above had one miss), then misses add up across instances.
      expect((await onB.fullLogin(clock.code(secret))).status).toBe(200);
      const [ticketA, ticketB] = await Promise.all([onA.login(), onB.login()]);
      const wrong = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? onA : onB).second((i % 2 ? ticketA : ticketB).body.ticket, String(300000 + i))));
      expect(wrong.map((r) => r.status)).toEqual([401, 401, 401, 401]);
      expect((await onB.second(ticketB.body.ticket, "399999")).status).toBe(429);
      expect((await onA.second(ticketA.body.ticket, clock.code(secret))).status).toBe(429);
    } finally {
      await Promise.all([serverA.close(), serverB.close()]);
    }
  });
});
