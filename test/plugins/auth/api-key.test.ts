import { randomBytes } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthRequest, type GatewayConfig, defineAuth, startServer } from "../../../core/index.ts";
import { type ApiKeyOptions, type ApiKeyStrategy, apiKey } from "../../../plugins/auth/api-key/index.ts";
import { ipAllowed, parseCidr } from "../../../core/cidr.ts";
import { runCli } from "../../_cli.ts";
import { setupGateway, testSecret } from "../../_setup.ts";
import { type TempProject, createTempProject } from "../../_tmp.ts";
import { AUTH_PROBE_PATH, authProbe, fragments, testAuth } from "../../conformance/auth.ts";

/** `x-test-admin: yes` logs in as an admin person (stands in for the identity plugins). */
const adminAuth = defineAuth({
  name: "test-admin",
  setup: () => ({
    authenticate: (request) => (request.headers.get("x-test-admin") === "yes" ? { kind: "user", id: "u-admin", role: "admin", strategy: "" } : undefined),
  }),
});
const ADMIN = { "x-test-admin": "yes" };
const KEYS = "/plugins/api-key/keys";

async function setup(options?: ApiKeyOptions, config: GatewayConfig = {}) {
  const gateway = await setupGateway({ auth: [apiKey(options), adminAuth()], plugins: [authProbe()], ...config });
  const strategy = gateway.auth.find((a) => a.name === "api-key")?.strategy as ApiKeyStrategy;
  const probe = (headers: Record<string, string> = {}, query = "") => gateway.request(`${AUTH_PROBE_PATH}${query}`, { headers });
  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = ADMIN) =>
    gateway.request(`${KEYS}${path}`, { method, headers: { ...headers, "content-type": "application/json" }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
  return { gateway, strategy, keys: strategy.keys, probe, admin };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const fakeKey = () => `sk-sy-${randomBytes(32).toString("base64url")}`;
const request = (headers: Record<string, string>, query = "", ip?: string): AuthRequest => ({ method: "GET", url: new URL(`http://gateway.test/v1/messages${query}`), headers: new Headers(headers), ip });
const principalOf = async (res: Response) => ((await res.json()) as { principal: Record<string, unknown> }).principal;
const normalized = async (res: Response) => (await res.text()).replaceAll(res.headers.get("x-request-id") ?? "", "<id>");

describe("api-key auth plugin", () => {
  testAuth({
    name: "api-key",
    async setup() {
      const { gateway, keys } = await setup();
      const { key } = await keys.create({ name: "conformance" });
      return { gateway, validHeaders: bearer(key) };
    },
  });

  describe("authenticate", () => {
    it("accepts the key in x-api-key, Authorization: Bearer, api-key, x-goog-api-key and ?key=", async () => {
      const { keys, probe } = await setup();
      const { key, record } = await keys.create({ name: "forms" });
      const forms: [Record<string, string>, string][] = [
        [{ "x-api-key": key }, ""], [bearer(key), ""], [{ authorization: `bearer  ${key}` }, ""],
        [{ "api-key": key }, ""], [{ "x-goog-api-key": key }, ""], [{}, `?key=${key}`],
      ];
      for (const [headers, query] of forms) {
        const res = await probe(headers, query);
        expect(res.status, JSON.stringify(Object.keys(headers)) + query.slice(0, 5)).toBe(200);
        expect(await principalOf(res)).toMatchObject({ kind: "client", id: record.id, name: "forms", strategy: "api-key" });
      }
    });

    it("takes the first credential present; one that is not an sk-sy- key is not this strategy's", async () => {
      const { keys, probe } = await setup();
      const { key } = await keys.create({ name: "order" });
      expect((await probe({ "x-api-key": "sk-ant-api03-someone-else", ...bearer(key) })).status).toBe(401);
      expect((await probe({ authorization: `Basic ${Buffer.from(`u:${key}`).toString("base64")}` })).status).toBe(401);
      expect((await probe({ "x-goog-api-key": "AIzaNotOurs" }, `?key=${key}`)).status).toBe(401);
      expect((await probe(bearer(key), "?key=sk-sy-garbage")).status).toBe(200);
    });

    it("gives unknown, disabled, expired, revoked, malformed, empty and missing keys byte-identical 401s", async () => {
      const { keys, probe } = await setup();
      const [disabled, expired, revoked] = await Promise.all(["d", "e", "r"].map((name) => keys.create({ name })));
      await keys.update(disabled!.record.id, { enabled: false });
      await keys.update(expired!.record.id, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      await keys.revoke(revoked!.record.id);
      const cases: Record<string, string>[] = [bearer(fakeKey()), bearer(disabled!.key), bearer(expired!.key), bearer(revoked!.key), bearer("sk-sy-short"), { "x-api-key": "" }, {}];
      const answers = await Promise.all(cases.map(async (h) => { const res = await probe(h); return `${res.status} ${res.headers.get("www-authenticate")} ${await normalized(res)}`; }));
      expect(answers[0]).toMatch(/^401 Bearer /);
      expect(new Set(answers).size).toBe(1);
      expect((await probe(bearer(disabled!.key))).status).toBe(401); // cached answers stay the same
    });

    it("puts model globs, limits, accounts and owner in the principal", async () => {
      const { keys, probe } = await setup();
      const limits = { concurrency: 2, rpm: 60, tpm: 100_000, dailyUsd: 2.5, budgetUsd: 0 };
      const { key, record } = await keys.create({ name: "scoped", models: ["claude-*", "gpt-4o?"], limits, accounts: ["acc_1"], owner: "u-7" });
      expect(await principalOf(await probe(bearer(key)))).toEqual({ kind: "client", id: record.id, name: "scoped", strategy: "api-key", models: ["claude-*", "gpt-4o?"], limits, accounts: ["acc_1"], owner: "u-7" });
    });

    it("stores only a keyed hash: no key, and no 12-character piece of it, anywhere in storage", async () => {
      const { gateway, keys, probe } = await setup();
      const { key } = await keys.create({ name: "stored", models: ["claude-*"] });
      expect((await probe(bearer(key))).status).toBe(200);
      await vi.waitFor(async () => expect((await keys.list())[0]?.lastUsedAt).toBeDefined());
      const dump = JSON.stringify(await Promise.all((await gateway.storage.keys()).map(async (k) => [k, await gateway.storage.get(k)])));
      for (const piece of fragments(key)) expect(dump).not.toContain(piece);
      const digest = gateway.secrets.withScope("plugin:api-key").hash(key, "client-key");
      expect(await gateway.storage.keys()).toContain(`plugins:api-key:digest:${digest}`);
    });

    it("writes lastUsedAt at most once a minute per key", async () => {
      const { gateway, keys, probe } = await setup();
      const { key, record } = await keys.create({ name: "touch" });
      await probe(bearer(key));
      await vi.waitFor(async () => expect((await keys.get(record.id))?.lastUsedAt).toBeDefined());
      await gateway.storage.set(`plugins:api-key:used:${record.id}`, "sentinel");
      for (let i = 0; i < 3; i++) expect((await probe(bearer(key))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 20)); // let any (wrong) write land before looking
      expect((await keys.get(record.id))?.lastUsedAt).toBe("sentinel");
    });

    it("applies changes at once on this instance, and on others within their cache TTL", async () => {
      const p = createTempProject();
      const instances: Awaited<ReturnType<typeof setup>>[] = [];
      try {
        const storage = { driver: "sqlite", path: `${p.dir}/keys.sqlite` } as const;
        const [a, cached, uncached] = [await setup({}, { storage }), await setup({ cacheTtlMs: 60_000 }, { storage }), await setup({ cacheTtlMs: 0 }, { storage })];
        instances.push(a, cached, uncached);
        const { key, record } = await a.keys.create({ name: "shared" });
        for (const g of [a, cached, uncached]) expect((await g.probe(bearer(key))).status).toBe(200);
        await a.keys.update(record.id, { enabled: false });
        expect((await a.probe(bearer(key))).status).toBe(401);
        expect((await uncached.probe(bearer(key))).status).toBe(401);
        expect((await cached.probe(bearer(key))).status).toBe(200); // the documented TTL
        await a.keys.update(record.id, { enabled: true });
        await a.keys.revoke(record.id);
        expect((await a.probe(bearer(key))).status).toBe(401);
        expect((await uncached.probe(bearer(key))).status).toBe(401);
      } finally {
        await Promise.all(instances.map((i) => i.gateway.close()));
        p.cleanup();
      }
    });

    it("refuses bad options at startup", async () => {
      await expect(setup({ cacheTtlMs: -1 })).rejects.toThrow("[plugin:api-key] setup failed (auth[0]): Option `cacheTtlMs` must be a whole number of ms from 0 to 60000, got -1");
      await expect(setup({ cacheTtlMs: 61_000 })).rejects.toThrow("cacheTtlMs");
      await expect(setup({ cacheTTL: 5 } as ApiKeyOptions)).rejects.toThrow("Unknown option `cacheTTL`");
    });

    propTest.prop(
      [
        fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), fc.stringMatching(/^sk-sy-[A-Za-z0-9_-]{38,48}$/), fc.constant("KEY"), fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })).map(([a, b]) => `${a}KEY${b}`), fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 2 })).map(([i, s]) => ({ i, s }))),
        fc.constantFrom("x-api-key", "authorization", "api-key", "x-goog-api-key", "query"),
      ],
      { numRuns: 200 },
    )("never throws and accepts nothing but a created key", async (input, where) => {
      const { strategy, keys } = await propSetup();
      const { key, record } = await keys.create({ name: "prop" });
      let value = typeof input === "string" ? input.replace("KEY", key) : `${key.slice(0, input.i % key.length)}${input.s}${key.slice((input.i % key.length) + 1)}`;
      if (where !== "query") value = value.replace(/[^\x21-\x7e]/g, "");
      const headers = where === "query" ? {} : { [where]: where === "authorization" ? `Bearer ${value}` : value };
      const principal = await strategy.authenticate(request(headers, where === "query" ? `?key=${encodeURIComponent(value)}` : ""));
      if (value === key) expect(principal?.id).toBe(record.id);
      else expect(principal).toBeUndefined();
    });
  });

  describe("client IP allow-list", () => {
    it("admits or refuses by the socket address (127.0.0.1), and fails closed without one", async () => {
      const { gateway, keys, probe } = await setup();
      const inside = await keys.create({ name: "in", ips: ["10.0.0.0/8", "127.0.0.0/8"] });
      const mapped = await keys.create({ name: "mapped", ips: ["::ffff:127.0.0.1/128"] });
      const outside = await keys.create({ name: "out", ips: ["10.0.0.0/8", "::1/128"] });
      const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
      try {
        const at = (key: string) => fetch(`${server.url.replace(/\/$/, "")}${AUTH_PROBE_PATH}`, { headers: bearer(key) });
        expect((await at(inside.key)).status).toBe(200);
        expect((await at(mapped.key)).status).toBe(200);
        const refused = await at(outside.key);
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: { message: string } }).error.message).toBe("This key is not allowed from this address");
        expect((await at(fakeKey())).status).toBe(401);
        expect((await probe(bearer(inside.key))).status).toBe(403); // no socket: no address known
      } finally {
        await server.close();
      }
    });

    it("parses IPv4 and IPv6 ranges and refuses malformed ones", () => {
      for (const ok of ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.7", "::1/128", "::/0", "2001:db8::/32", "fe80::/10", "::ffff:10.0.0.0/104"]) expect(typeof parseCidr(ok), ok).toBe("object");
      for (const bad of ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/08", "256.0.0.0/8", "0177.0.0.1/32", "::1/129", "fe80::1%eth0/128", "10.0.0.0/", "", "localhost/8"]) expect(typeof parseCidr(bad), bad).toBe("string");
      expect(parseCidr("10.0.0.1/8")).toBe("host bits are set (did you mean 10.0.0.0/8?)");
      expect(ipAllowed("2001:db8::1", ["2001:db8::/32"])).toBe(true);
      expect(ipAllowed("2001:db9::1", ["2001:db8::/32"])).toBe(false);
      expect(ipAllowed("fe80::1%eth0", ["fe80::/10"])).toBe(true);
      expect(ipAllowed("::ffff:10.1.2.3", ["10.0.0.0/8"])).toBe(true);
      expect(ipAllowed("10.1.2.3", ["::/0"])).toBe(false);
      expect(ipAllowed(undefined, ["0.0.0.0/0"])).toBe(false);
      expect(ipAllowed("not an ip", ["0.0.0.0/0"])).toBe(false);
    });

    const v4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    propTest.prop([fc.oneof(v4.map((b) => ({ b, v6: false })), v6.map((b) => ({ b, v6: true }))), v4, v6, fc.nat({ max: 128 })], { numRuns: 300 })(
      "an address is in a range exactly when its first prefix bits match (BigInt reference)",
      (range, other4, other6, n) => {
        const width = range.v6 ? 128 : 32;
        const bits = n % (width + 1);
        const toBig = (parts: number[], size: number) => parts.reduce((acc, p) => (acc << BigInt(size)) | BigInt(p), 0n);
        const net = toBig(range.b, range.v6 ? 16 : 8) & (((1n << BigInt(bits)) - 1n) << BigInt(width - bits));
        const text = range.v6
          ? (x: bigint) => [...Array(8)].map((_, i) => ((x >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":")
          : (x: bigint) => [...Array(4)].map((_, i) => ((x >> BigInt(24 - 8 * i)) & 0xffn).toString()).join(".");
        const cidr = `${text(net)}/${bits}`;
        if (range.v6 && (net >> 32n) === 0xffffn) return; // IPv4-mapped: covered by the examples above
        expect(typeof parseCidr(cidr), cidr).toBe("object");
        const client = range.v6 ? toBig(other6, 16) : toBig(other4, 8);
        const expected = client >> BigInt(width - bits) === net >> BigInt(width - bits);
        if (range.v6 && (client >> 32n) === 0xffffn) return;
        expect(ipAllowed(text(client), [cidr]), `${text(client)} in ${cidr}`).toBe(expected);
        expect(ipAllowed(text(net), [cidr])).toBe(true);
      },
    );
  });

  describe("admin routes", () => {
    it("refuse anonymous callers and client keys (401: a key is no login) on every route", async () => {
      const { keys, admin } = await setup();
      const { key, record } = await keys.create({ name: "caller" });
      const routes: [string, string][] = [["GET", ""], ["POST", ""], ["GET", `/${record.id}`], ["PATCH", `/${record.id}`], ["DELETE", `/${record.id}`]];
      for (const [method, path] of routes) {
        expect((await admin(method, path, method === "POST" || method === "PATCH" ? { name: "x" } : undefined, {})).status, `${method} ${path}`).toBe(401);
        expect((await admin(method, path, method === "POST" || method === "PATCH" ? { name: "x" } : undefined, bearer(key))).status, `${method} ${path}`).toBe(401);
      }
      expect((await keys.get(record.id))?.name).toBe("caller");
    });

    it("create returns the key once; list, get, update and delete never show it", async () => {
      const { admin, probe } = await setup();
      const created = await admin("POST", "", { name: "http", models: ["claude-*"], limits: { rpm: 10 }, expiresAt: "2999-01-01T00:00:00Z" });
      expect(created.status).toBe(201);
      expect(created.headers.get("cache-control")).toBe("no-store");
      const { key, record } = (await created.json()) as { key: string; record: { id: string; prefix: string } };
      expect(key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
      expect(record).toMatchObject({ name: "http", enabled: true, prefix: key.slice(0, 8), models: ["claude-*"], limits: { rpm: 10 }, expiresAt: "2999-01-01T00:00:00.000Z" });
      expect((await probe(bearer(key))).status).toBe(200);
      const later = [await admin("GET", ""), await admin("GET", `/${record.id}`), await admin("PATCH", `/${record.id}`, { name: "renamed", limits: { rpm: null, tpm: 5 } })];
      for (const res of later) expect(res.status).toBe(200);
      const texts = await Promise.all(later.map((r) => r.text()));
      for (const piece of fragments(key)) for (const text of texts) expect(text).not.toContain(piece);
      expect(texts.join("")).not.toContain("digest");
      expect(JSON.parse(texts[2]!)).toMatchObject({ name: "renamed", limits: { tpm: 5 }, updatedAt: expect.any(String) });
      expect(JSON.parse(texts[2]!).limits).toEqual({ tpm: 5 });
      const deleted = await admin("DELETE", `/${record.id}`);
      expect(await deleted.json()).toEqual({ id: record.id, deleted: true });
      expect((await probe(bearer(key))).status).toBe(401);
      for (const [method, body] of [["GET", undefined], ["PATCH", { name: "x" }], ["DELETE", undefined]] as const) {
        expect((await admin(method, `/${record.id}`, body)).status).toBe(404);
      }
    });

    it("validate bodies strictly and leave the record unchanged when they refuse", async () => {
      const { admin, keys } = await setup();
      const { record } = await keys.create({ name: "strict", owner: "u-1" });
      const refused: [string, string, unknown, string][] = [
        ["POST", "", { name: "x", role: "admin" }, "role"],
        ["POST", "", { name: "x", limits: { rpm: -1 } }, "limits.rpm"],
        ["POST", "", { name: "x", limits: { dailyUsd: "NaN" } }, "limits.dailyUsd"],
        ["POST", "", '{"name":"x","limits":{"tpm":1e400}}', "limits.tpm"],
        ["POST", "", { name: "x", limits: { rpm: 1.5 } }, "limits.rpm"],
        ["POST", "", { name: "x", limits: { quota: 1 } }, "limits.quota"],
        ["POST", "", { name: "x", expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt"],
        ["POST", "", { name: "x", ips: ["10.0.0.1/8"] }, "ips[0]"],
        ["POST", "", { name: "x", models: [] }, "models"],
        ["POST", "", { models: ["x"] }, "name"],
        ["POST", "", "{not json", "body"],
        ["POST", "", [{ name: "x" }], "body"],
        ["PATCH", `/${record.id}`, { id: "key_aaaaaaaaaaaa" }, "id"],
        ["PATCH", `/${record.id}`, { owner: "u-2", userId: "u-2" }, "userId"],
        ["PATCH", `/${record.id}`, { prefix: "sk-sy-0000" }, "prefix"],
        ["PATCH", `/${record.id}`, { enabled: "false" }, "enabled"],
        ["PATCH", `/${record.id}`, { name: null }, "name"],
      ];
      for (const [method, path, body, param] of refused) {
        const res = await admin(method, path, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
      }
      expect(await keys.get(record.id)).toEqual(record);
      expect(await keys.list()).toHaveLength(1);
    });
  });

  describe("switchyard keys (CLI)", () => {
    const projects: TempProject[] = [];
    afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));
    const env = { SWITCHYARD_SECRET: testSecret };

    it("creates, lists and revokes keys; the last line of create is a working key", async () => {
      const p = createTempProject({
        "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import { apiKey } from "switchyard/plugins/auth/api-key";
export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" }, auth: [apiKey()] });`,
      });
      projects.push(p);
      const cli = (...args: string[]) => runCli([...args, "--cwd", p.dir], { env });
      const created = await cli("keys", "create", "--name", "ci bot", "--models", "claude-*, gpt-*", "--rpm", "60", "--daily-usd", "2.5", "--expires", "30d");
      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      const lines = created.stdout.trimEnd().split("\n");
      const key = lines.at(-1)!;
      expect(key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
      expect(lines.slice(0, -1).join("\n")).not.toContain(key.slice(0, 12));
      const id = /Created key (key_\S+)/.exec(created.stdout)?.[1];
      expect(id).toBeDefined();

      const gateway = await setupGateway({ storage: { driver: "fs", base: `${p.dir}/.data` }, auth: [apiKey({ cacheTtlMs: 0 })], plugins: [authProbe()] });
      const ok = await gateway.request(AUTH_PROBE_PATH, { headers: bearer(key) });
      expect(ok.status).toBe(200);
      expect(await principalOf(ok)).toMatchObject({ id, name: "ci bot", models: ["claude-*", "gpt-*"], limits: { rpm: 60, dailyUsd: 2.5 } });

      const [table, json] = await Promise.all([cli("keys", "list"), cli("keys", "list", "--json")]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`^ID +NAME +PREFIX +ENABLED +EXPIRES +LIMITS\\n${id} +ci bot +${key.slice(0, 8)} +yes +\\d{4}-.+ +rpm=60 dailyUsd=2.5\\n$`));
      expect(JSON.parse(json.stdout)).toMatchObject([{ id, name: "ci bot", prefix: key.slice(0, 8) }]);
      for (const piece of fragments(key)) expect(table.stdout + json.stdout).not.toContain(piece);

      const revoked = await cli("keys", "revoke", id!);
      expect([revoked.code, revoked.stdout]).toEqual([0, `Revoked key ${id}\n`]);
      expect((await gateway.request(AUTH_PROBE_PATH, { headers: bearer(key) })).status).toBe(401);
      expect((await cli("keys", "list")).stdout).toBe("No keys.\n");

      const bad = await Promise.all([
        cli("keys", "create", "--name", "x", "--rpm", "abc"),
        cli("keys", "create", "--name", "x", "--rmp", "5"),
        cli("keys", "create", "--name", "x", "--expires", "yesterday"),
        cli("keys", "create", "--name", "x", "--ips", "10.0.0.1/8"),
        cli("keys", "revoke", id!),
      ]);
      expect(bad.map((r) => r.code)).toEqual([1, 1, 1, 1, 1]);
      expect(bad.map((r) => r.stderr.trim().split("\n")[0])).toEqual([
        '✖ --rpm: expected a whole number of at least 1, got "abc"',
        "✖ Unknown option --rmp. Options: --name, --models, --ips, --accounts, --owner, --concurrency, --rpm, --tpm, --daily-usd, --budget-usd, --expires",
        '✖ --expires: expected a lifetime such as 30d, 12h, 90m or 2w, or a future ISO 8601 date-time, got "yesterday"',
        "✖ ips[0]: expected a CIDR range such as 10.0.0.0/8 or ::1/128: host bits are set (did you mean 10.0.0.0/8?)",
        `✖ No key with id "${id}" (see \`switchyard keys list\`)`,
      ]);
      expect((await cli("keys", "list")).stdout).toBe("No keys.\n");
    });
  });
});

// One gateway for the whole property run (closed after the test); each case creates its own key.
let shared: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(() => {
  shared = undefined;
});
async function propSetup() {
  shared ??= await setup();
  return shared;
}

describe("api-key self-service routes for logged-in users", () => {
  async function portal() {
    const gateway = await setupGateway({ auth: [apiKey()] });
    const cookieOf = async (name: string) => {
      const { user } = await gateway.users.findOrCreate({ identity: { provider: "portal-test", subject: name }, name });
      return { cookie: `sy_session=${(await gateway.users.sessions.create(user)).token}`, id: user.id };
    };
    const call = async (method: string, path: string, cookie: string, body?: unknown) => {
      const response = await gateway.request(`/plugins/api-key${path}`, { method, headers: { cookie, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: response.status, body: (await response.json()) as any };
    };
    return { gateway, cookieOf, call };
  }

  it("a user creates, lists, uses and deletes only their own keys", async () => {
    const { gateway, cookieOf, call } = await portal();
    const ann = await cookieOf("ann");
    const bob = await cookieOf("bob");
    const created = await call("POST", "/me/keys", ann.cookie, { name: "laptop", models: ["claude-*"] });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-sy-/);
    expect(created.body.record).toMatchObject({ name: "laptop", owner: ann.id, models: ["claude-*"] });
    await call("POST", "/me/keys", bob.cookie, { name: "bob's" });
    const annList = await call("GET", "/me/keys", ann.cookie);
    expect(annList.body.data.map((k: any) => k.name)).toEqual(["laptop"]);
    expect(JSON.stringify(annList.body)).not.toContain(created.body.key);
    const id = created.body.record.id as string;
    expect((await call("DELETE", `/me/keys/${id}`, bob.cookie)).status).toBe(404);
    expect((await call("GET", `/me/keys/${id}/usage`, bob.cookie)).status).toBe(404);
    const usage = await call("GET", `/me/keys/${id}/usage`, ann.cookie);
    expect(usage.body).toMatchObject({ keyId: id, today: { requests: 0 }, total: { requests: 0 } });
    expect((await call("DELETE", `/me/keys/${id}`, ann.cookie)).status).toBe(200);
    const probe = await gateway.request("/v1/key-info", { headers: { "x-api-key": created.body.key } });
    expect(probe.status).toBe(401);
  });

  it("limits, IP ranges, owners and dedicated accounts stay the admin's to set", async () => {
    const { cookieOf, call } = await portal();
    const ann = await cookieOf("ann");
    for (const field of [{ limits: { rpm: 1_000_000 } }, { owner: "someone-else" }, { accounts: ["acc_x"] }, { ips: ["0.0.0.0/0"] }]) {
      expect((await call("POST", "/me/keys", ann.cookie, { name: "x", ...field })).status).toBe(400);
    }
  });
});
