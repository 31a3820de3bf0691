import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { SignJWT, base64url } from "jose";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GatewayConfig, type Logger, createLogger, startServer } from "../../../core/index.ts";
import { captureLogs } from "../../../core/logger.ts";
import { type JwtAdminOptions, SCRYPT_COST, hashPassword, jwtAdmin, parsePasswordHash, verifyPassword } from "../../../plugins/auth/jwt-admin/index.ts";
import { binPath } from "../../_cli.ts";
import { describeRedis, redisUrl } from "../../_redis.ts";
import { testLogin } from "../../conformance/login.ts";
import { testPluginRoutes } from "../../conformance/routes.ts";
import { apiKey, type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import { setupGateway, testSecret } from "../../_setup.ts";
import { type TempProject, createTempProject } from "../../_tmp.ts";

// Canaries: none of these may appear in a log line or an answer.
const ADMIN_PASSWORD = `canary-admin-pw-${randomBytes(6).toString("hex")}`;
const JWT_SECRET = `canary-jwt-${randomBytes(24).toString("base64url")}`;
const ADMIN_TOKEN = `canary-admin-token-${randomBytes(16).toString("hex")}`;
let ADMIN_HASH = "";
beforeAll(async () => {
  ADMIN_HASH = await hashPassword(ADMIN_PASSWORD);
});

async function start(options: Partial<JwtAdminOptions> = {}, extra: { config?: GatewayConfig; now?: () => number; logger?: Logger } = {}) {
  const plugin = jwtAdmin({ admins: [{ username: "Root", passwordHash: ADMIN_HASH }], jwt: { secret: JWT_SECRET }, ...options });
  const gateway = await setupGateway({ auth: [plugin], ...extra.config }, { env: { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN }, ...(extra.now ? { now: extra.now } : {}), ...(extra.logger ? { logger: extra.logger } : {}) });
  const answers: string[] = [];
  const call = async (method: string, path: string, init: { body?: unknown; cookie?: string; bearer?: string } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
    const response = await gateway.request(path, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any>, cookie: (response.headers.get("set-cookie") ?? "").split(";")[0]! };
  };
  const login = (username: string, secret: Record<string, string> = { password: ADMIN_PASSWORD }) => call("POST", "/auth/login", { body: { username, ...secret } });
  return { gateway, call, login, answers };
}

const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, secret = JWT_SECRET, alg = "HS256") =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...header }).sign(new TextEncoder().encode(secret));

describe("jwt-admin: conformance", () => {
  testLogin({
    name: "jwt-admin",
    async setup() {
      const { gateway, login } = await start();
      return {
        gateway,
        secrets: [ADMIN_PASSWORD, ADMIN_HASH, JWT_SECRET],
        async login() {
          const answer = await login("root");
          return { setCookie: answer.headers.get("set-cookie") ?? "", bodies: [JSON.stringify(answer.body)] };
        },
        refused: () => gateway.request("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "root", password: `${ADMIN_PASSWORD}!` }) }),
      };
    },
  });
  testPluginRoutes({
    name: "jwt-admin",
    async setup() {
      const gateway = await setupGateway({ auth: [apiKey(), jwtAdmin({ registration: { enabled: true } })] });
      const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
      return { gateway, clientKey: (await keys.create({ name: "routes" })).key };
    },
  });
});

describe("jwt-admin: login, JWT and the admin API", () => {
  it("a config admin logs in: session cookie and a JWT that opens the admin API; a user-role JWT gets 403", async () => {
    const { call, login } = await start({ registration: { enabled: true } });
    const answer = await login("root");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "ok", user: { name: "root", role: "root", identities: [{ provider: "local", subject: "root" }] } });
    expect(answer.cookie).toMatch(/^sy_session=[A-Za-z0-9_-]{43}$/);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const token: string = answer.body.token;
    expect(token.split(".")).toHaveLength(3);
    expect(answer.body.tokenExpiresAt - Date.now()).toBeGreaterThan(800_000);
    expect(answer.body.tokenExpiresAt - Date.now()).toBeLessThanOrEqual(900_000);
    for (const path of ["/admin/users", "/admin/accounts", "/auth/me"]) expect((await call("GET", path, { bearer: token })).status, path).toBe(200);
    expect((await call("GET", "/admin/users", { cookie: answer.cookie })).status).toBe(200);
    expect((await call("GET", "/admin/users")).status).toBe(401);

    const user = await call("POST", "/auth/register", { body: { username: "api-user", password: "a long enough pw" } });
    expect(user.status).toBe(201);
    expect(user.body.user.role).toBe("user");
    expect((await call("GET", "/auth/me", { bearer: user.body.token })).status).toBe(200);
    for (const path of ["/admin/users", "/admin/accounts"]) expect((await call("GET", path, { bearer: user.body.token })).status, path).toBe(403);
  });

  it("the same 401 for an unknown user and a wrong password; usernames compare case-insensitively", async () => {
    const { login } = await start();
    const unknown = await login("nobody");
    const wrong = await login("root", { password: `${ADMIN_PASSWORD}x` });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(wrong.body).toEqual({ ...unknown.body, request_id: wrong.body.request_id });
    expect(wrong.body.error.message).toBe("Wrong username or password");
    expect((await login("ROOT")).status).toBe(200);
    expect((await login("root", { derived_key: ADMIN_PASSWORD })).status).toBe(401);
    expect((await login("root", { password: ADMIN_PASSWORD, derived_key: "x" })).status).toBe(400);
  });

  it("refuses JWTs: alg none, other algs, bad signature, expired, wrong aud/iss/typ, missing exp, foreign headers → 401", async () => {
    const { call, login } = await start();
    const admin = await login("root");
    const sub = admin.body.user.id as string;
    const now = Math.floor(Date.now() / 1000);
    const good = { sub, epoch: 1, iss: "switchyard", aud: "switchyard-admin", iat: now, exp: now + 600 };
    expect((await call("GET", "/admin/users", { bearer: await sign(good) })).status).toBe(200);
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(JSON.stringify(good))}.`;
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const rs256 = await new SignJWT(good).setProtectedHeader({ alg: "RS256", typ: "JWT" }).sign(privateKey);
    const goodToken = admin.body.token as string;
    const flipped = `${goodToken.slice(0, -2)}${goodToken.at(-2) === "A" ? "B" : "A"}${goodToken.at(-1)}`;
    const { exp: _exp, ...noExp } = good;
    const cases: Record<string, string> = {
      none,
      "none without a dot": none.slice(0, -1) + ".AAAA",
      HS512: await sign(good, { alg: "HS512" }, JWT_SECRET, "HS512"),
      RS256: rs256,
      "bad signature": flipped,
      "other secret": await sign(good, {}, randomBytes(32).toString("hex")),
      expired: await sign({ ...good, iat: now - 1000, exp: now - 100 }),
      "wrong aud": await sign({ ...good, aud: "switchyard-portal" }),
      "wrong iss": await sign({ ...good, iss: "linuxdo" }),
      "wrong typ": await sign(good, { typ: "at+jwt" }),
      "no exp": await sign(noExp),
      "nbf ahead": await sign({ ...good, nbf: now + 600 }),
      "older than ttl": await sign({ ...good, iat: now - 2000, exp: now + 600 }),
      "kid header": await sign(good, { kid: "other" }),
      "jku header": await sign(good, { jku: "https://attacker.test/jwks" }),
      "old epoch": await sign({ ...good, epoch: 0 }),
      "unknown user": await sign({ ...good, sub: "usr_000000000000000000000000" }),
      "string epoch": await sign({ ...good, epoch: "1" }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const answer = await call("GET", "/admin/users", { bearer: token });
      expect(answer.status, name).toBe(401);
      expect(answer.body.error?.message, name).toBe("Invalid or expired token");
    }
    // Not JWT-shaped: left to other strategies, which refuse it without our message.
    expect((await call("GET", "/admin/users", { bearer: "sk-sy-notajwt" })).status).toBe(401);
  });

  it("a password change ends every earlier JWT and session; the admin token stays an opt-in", async () => {
    const { call, login } = await start({ registration: { enabled: true } });
    const registered = await call("POST", "/auth/register", { body: { username: "changer", password: "first password" } });
    const jwt = registered.body.token as string;
    expect((await call("POST", "/auth/password", { bearer: jwt, body: { current: "wrong password", next: "second password" } })).status).toBe(403);
    const changed = await call("POST", "/auth/password", { bearer: jwt, body: { current: "first password", next: "second password" } });
    expect(changed.status).toBe(200);
    expect((await call("GET", "/auth/me", { bearer: jwt })).status).toBe(401);
    expect((await call("GET", "/auth/me", { cookie: registered.cookie })).status).toBe(401);
    expect((await login("changer", { password: "first password" })).status).toBe(401);
    const again = await login("changer", { password: "second password" });
    expect(again.status).toBe(200);
    // Config admins change their password in config only.
    const root = await login("root");
    expect((await call("POST", "/auth/password", { bearer: root.body.token, body: { current: ADMIN_PASSWORD, next: "another password" } })).status).toBe(403);
    // A ban ends the JWT too; the opt-in admin token still works.
    const ban = await call("PATCH", `/admin/users/${again.body.user.id}`, { bearer: ADMIN_TOKEN, body: { status: "banned" } });
    expect(ban.status).toBe(200);
    expect((await call("GET", "/auth/me", { bearer: again.body.token })).status).toBe(401);
    expect((await login("changer", { password: "second password" })).status).toBe(403);
  });

  it("POST /auth/jwt gives a cookie session a JWT, but not a JWT another one", async () => {
    const { call, login } = await start();
    const admin = await login("root");
    const fresh = await call("POST", "/auth/jwt", { cookie: admin.cookie });
    expect(fresh.status).toBe(200);
    expect((await call("GET", "/admin/users", { bearer: fresh.body.token })).status).toBe(200);
    expect((await call("POST", "/auth/jwt", { bearer: fresh.body.token })).status).toBe(403);
    expect((await call("POST", "/auth/jwt", { bearer: ADMIN_TOKEN })).status).toBe(403);
  });

  it("10 failures for one username → 429 with retry-after, even for the right password, until the window passes", async () => {
    let clock = Date.now();
    const { login } = await start({}, { now: () => clock });
    for (let i = 1; i <= 9; i++) expect((await login("root", { password: `wrong-${i}` })).status).toBe(401);
    const tenth = await login("root", { password: "wrong-10" });
    expect(tenth.status).toBe(429);
    expect(Number(tenth.headers.get("retry-after"))).toBe(900);
    const right = await login("root");
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeLessThanOrEqual(900);
    // Unknown usernames are counted alike, so a 429 tells nothing about who exists.
    for (let i = 1; i <= 10; i++) await login("ghost", { password: `wrong-${i}` });
    expect((await login("ghost", { password: "x" })).status).toBe(429);
    clock += 901_000;
    expect((await login("root")).status).toBe(200);
    expect((await login("root", { password: "wrong" })).status).toBe(401);
  });
});

describe("jwt-admin: registration", () => {
  it("with derivedKey on: register and log in with derived_key; password is refused; duplicates 409", async () => {
    const { call, login } = await start({ registration: { enabled: true, derivedKey: true } });
    const derived = randomBytes(32).toString("base64url");
    expect((await call("POST", "/auth/register", { body: { username: "dk", password: "a long enough pw" } })).status).toBe(400);
    expect((await call("POST", "/auth/register", { body: { username: "dk", derived_key: "short" } })).status).toBe(400);
    const created = await call("POST", "/auth/register", { body: { username: "dk", derived_key: derived } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "ok", user: { role: "user" } });
    expect((await call("POST", "/auth/register", { body: { username: "DK", derived_key: randomBytes(32).toString("hex") } })).status).toBe(409);
    expect((await login("dk", { derived_key: derived })).status).toBe(200);
    expect((await login("dk", { password: derived })).status).toBe(401);
    expect((await login("dk", { derived_key: `${derived.slice(0, -1)}${derived.endsWith("A") ? "B" : "A"}` })).status).toBe(401);
  });

  it("is 404 when disabled; the per-address limit answers 429 (on a socket)", async () => {
    const off = await start();
    expect((await off.call("POST", "/auth/register", { body: { username: "x", password: "a long enough pw" } })).status).toBe(404);
    const { gateway } = await start({ registration: { enabled: true, perIpPerHour: 2 } });
    const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
    try {
      const register = (username: string) =>
        fetch(new URL("/auth/register", server.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password: "a long enough pw" }) });
      expect((await register("one")).status).toBe(201);
      expect((await register("two")).status).toBe(201);
      const third = await register("three");
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("3600");
    } finally {
      await server.close();
    }
  });

  it("hashUsernames keeps plain usernames out of storage, and login still works", async () => {
    const { gateway, call, login } = await start({ admins: [{ username: "operator-zeta", passwordHash: ADMIN_HASH }], registration: { enabled: true, hashUsernames: true } });
    const registered = await call("POST", "/auth/register", { body: { username: "secret-name-omega", password: "a long enough pw" } });
    expect(registered.status).toBe(201);
    expect(registered.body.user.name).toMatch(/^user-[0-9a-f]{10}$/);
    expect((await login("operator-zeta")).status).toBe(200);
    expect((await login("secret-name-omega", { password: "a long enough pw" })).status).toBe(200);
    const dump: string[] = [];
    for (const key of await gateway.storage.keys()) dump.push(key, JSON.stringify(await gateway.storage.get(key)));
    const text = dump.join("\n");
    expect(text).toContain("plugins:jwt-admin:passwords:");
    for (const plain of ["secret-name-omega", "operator-zeta", "a long enough pw", ADMIN_PASSWORD]) expect(text).not.toContain(plain);
  });
});

describe("jwt-admin: config and secrets", () => {
  it("refuses plain passwords, non-hashes, weak hashes, short or placeholder JWT secrets, naming the option but not the value", async () => {
    const weak = await hashPassword("weak-hash-pw", { N: 1024, r: 8, p: 1 });
    const bad: Array<[JwtAdminOptions, string]> = [
      [{ admins: [{ username: "a", password: "hunter2-plain-pw" } as never] }, "admins[0].password: expected passwordHash"],
      [{ admins: [{ username: "a", passwordHash: "hunter2-plain-pw" }] }, "admins[0].passwordHash: expected a scrypt hash"],
      [{ admins: [{ username: "a", passwordHash: undefined }] }, "is the environment variable set?"],
      [{ admins: [{ username: "a", passwordHash: weak }] }, "N must be a power of two from 32768"],
      [{ jwt: { secret: "short-secret-value-1" } }, "jwt.secret: expected at least 32 bytes"],
      [{ jwt: { secret: "CHANGE-THIS-jwt-secret-in-production-please" } }, "jwt.secret: expected a random secret"],
      [{ jwt: { ttlSeconds: 0 } }, "jwt.ttlSeconds: expected a whole number from 60 to 86400"],
      [{ registration: { enabled: "yes" } as never }, "registration.enabled: expected true or false"],
      [{ throttle: { maxFailure: 3 } } as never, "throttle.maxFailure"],
      [{ admin: [] } as never, "admin: expected one of admins, jwt, registration, throttle"],
    ];
    for (const [options, message] of bad) {
      const error = await setupGateway({ auth: [jwtAdmin(options)] }).then(() => undefined, (e: Error) => e);
      expect(error?.message, message).toContain(message);
      expect(error?.message).toMatch(/\[switchyard\] \[plugin:jwt-admin\]/);
      for (const value of ["hunter2-plain-pw", "short-secret-value-1", "CHANGE-THIS", weak]) expect(error?.message).not.toContain(value);
    }
  });

  it("never writes a password, hash, JWT secret or token into logs or answers (debug logs)", async () => {
    const logs = captureLogs();
    try {
      const { call, login, answers } = await start({ registration: { enabled: true } }, { logger: createLogger({ level: "debug" }) });
      const admin = await login("root");
      await login("root", { password: `${ADMIN_PASSWORD}-wrong` });
      await call("POST", "/auth/register", { body: { username: "scan", password: `${ADMIN_PASSWORD}-user` } });
      await call("GET", "/admin/users", { bearer: admin.body.token });
      await call("GET", "/admin/users", { bearer: `${admin.body.token}x` });
      const token = admin.body.token as string;
      const later = answers.slice(1).join("\n");
      for (const canary of [ADMIN_PASSWORD, ADMIN_HASH, ADMIN_HASH.split("$")[5]!, JWT_SECRET]) {
        expect(answers.join("\n")).not.toContain(canary);
        expect(logs.text()).not.toContain(canary);
      }
      expect(logs.text()).toMatch(/registered local user usr_/);
      expect(logs.text()).not.toContain(token);
      expect(later).not.toContain(token.split(".")[2]);
    } finally {
      logs.stop();
    }
  });

  propTest.prop([fc.string({ unit: "grapheme", maxLength: 24 }), fc.option(fc.string({ unit: "grapheme", maxLength: 24 }), { nil: undefined })], { numRuns: 100 })(
    "verifyPassword(hashPassword(p), q) holds exactly when p and q are equal after NFKC",
    async (p, other) => {
      const q = other ?? p;
      const hash = await hashPassword(p, { N: 1024, r: 8, p: 1 });
      expect(typeof parsePasswordHash(hash)).toBe("object");
      expect(await verifyPassword(hash, q)).toBe(p.normalize("NFKC") === q.normalize("NFKC"));
    },
  );

  it("hashes carry their parameters and the plugin's cost (N = 2^15)", async () => {
    expect(ADMIN_HASH).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(SCRYPT_COST).toEqual({ N: 32768, r: 8, p: 1 });
    expect(await verifyPassword(ADMIN_HASH.replace("$32768$", "$16384$"), ADMIN_PASSWORD)).toBe(false);
    expect(await verifyPassword("scrypt$32768$8$1$AAAA$AAAA", ADMIN_PASSWORD)).toBe(false);
  });
});

describe("jwt-admin: switchyard admin (CLI)", () => {
  const projects: TempProject[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));

  it("admin create reads the password from stdin; the admin then logs in; hash-password prints a usable hash", async () => {
    const p = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import { jwtAdmin } from "switchyard/plugins/auth/jwt-admin";
export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" }, auth: [jwtAdmin()] });`,
    });
    projects.push(p);
    const cli = (args: string[], stdin: string) => runWithStdin([...args, "--cwd", p.dir], stdin);
    const password = `cli-pw-${randomBytes(6).toString("hex")}`;
    const created = await cli(["admin", "create", "--username", "Boss"], `${password}\n`);
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^Created root "boss" \(usr_[0-9a-f]{24}\)\n$/);
    expect(created.code).toBe(0);
    const again = await cli(["admin", "create", "--username", "boss"], `${password}\n`);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining("already exists")]);
    const argv = await cli(["admin", "create", "--username", "x", "--password", password], "");
    expect([argv.code, argv.stderr]).toEqual([1, expect.stringContaining("Never pass a password on the command line")]);
    const short = await cli(["admin", "create", "--username", "tiny"], "short\n");
    expect([short.code, short.stderr]).toEqual([1, expect.stringContaining("Expected a password of 8 to 1024 characters")]);

    const gateway = await setupGateway({ storage: { driver: "fs", base: `${p.dir}/.data` }, auth: [jwtAdmin()] });
    const login = (pw: string) => gateway.request("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "boss", password: pw }) });
    const ok = await login(password);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { user: { role: string } }).user.role).toBe("root");
    expect((await login(`${password}x`)).status).toBe(401);

    const hashed = await cli(["admin", "hash-password"], password);
    expect(hashed.code).toBe(0);
    const hash = hashed.stdout.trim();
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword(hash, password)).toBe(true);
    for (const out of [created, again, argv, hashed]) expect(out.stdout + out.stderr).not.toContain(password);
  });
});

describeRedis("jwt-admin on two instances sharing Redis", () => {
  const base = `sy-test-jwt-${randomBytes(4).toString("hex")}`;
  afterAll(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${base}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("without jwt.secret both share one sealed random key: a JWT from A works on B; the stored key is sealed", async () => {
    const config: GatewayConfig = { storage: { driver: "redis", url: redisUrl, base } };
    const options = { admins: [{ username: "root", passwordHash: ADMIN_HASH }] };
    const [a, b] = await Promise.all([setupGateway({ ...config, auth: [jwtAdmin(options)] }), setupGateway({ ...config, auth: [jwtAdmin(options)] })]);
    const answer = await a.request("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "root", password: ADMIN_PASSWORD }) });
    const { token } = (await answer.json()) as { token: string };
    expect((await b.request("/admin/users", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const stored = await a.storage.get<string>("plugins:jwt-admin:jwt:key");
    expect(a.secrets.isSealed(stored)).toBe(true);
    expect((await a.users.list()).filter((u) => u.name === "root")).toHaveLength(1);
  });

  it("refuses to start when a config admin's username belongs to a self-registered user", async () => {
    const config: GatewayConfig = { storage: { driver: "redis", url: redisUrl, base: `${base}-conflict` } };
    const open = await setupGateway({ ...config, auth: [jwtAdmin({ registration: { enabled: true } })] });
    const registered = await open.request("/auth/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "squatter", password: "a long enough pw" }) });
    expect(registered.status).toBe(201);
    await expect(setupGateway({ ...config, auth: [jwtAdmin({ admins: [{ username: "squatter", passwordHash: ADMIN_HASH }] })] })).rejects.toThrow(
      /\[plugin:jwt-admin\] setup failed .*the username "squatter" belongs to an existing user with the user role/,
    );
    expect((await open.users.list()).map((u) => u.role)).toEqual(["user"]);
  });
});

// --- internal ---

function runWithStdin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { NODE_ENV: _n, ...rest } = process.env;
    const child = spawn(process.execPath, [binPath, ...args], { env: { ...rest, NO_COLOR: "1", FORCE_COLOR: "0", SWITCHYARD_SECRET: testSecret } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
