import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type GatewayConfig, TokenRefreshError } from "../../core/index.ts";
import { setupGateway } from "../_setup.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { type TestOAuthHandle, type TokenEndpoint, testOAuth } from "../fixtures/test-oauth-provider.ts";

const ACCESS = "canary-access-token-5b1e0c7d";
const REFRESH = "canary-refresh-token-a04f93e2";
const PROXY_PASSWORD = "canary-proxy-pass-77c2d1";

/** A token endpoint that counts refreshes and rotates both tokens each time. */
function rotatingEndpoint(delayMs = 0) {
  const calls: string[] = [];
  let n = 0;
  const token: TokenEndpoint = async ({ grant, value }) => {
    calls.push(`${grant}:${value}`);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    n++;
    return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresInMs: 3_600_000 };
  };
  return { token, calls };
}

async function start(token: TokenEndpoint, options: { config?: GatewayConfig; attempts?: number } = {}) {
  let handle: TestOAuthHandle | undefined;
  const gateway = await setupGateway({ ...options.config, providers: [testOAuth({ token, attempts: options.attempts, expose: (h) => (handle = h) })] });
  return { gateway, ...handle! };
}

async function expiredAccount(h: TestOAuthHandle) {
  return h.store.create({ name: "a", credentials: { accessToken: ACCESS, refreshToken: REFRESH }, expiresAt: Date.now() - 1000, meta: {} });
}

describe("account store", () => {
  it("seals credentials and the proxy URL: storage holds neither in clear", async () => {
    const { gateway, store } = await start(rotatingEndpoint().token);
    const account = await store.create({
      name: "sealed",
      credentials: { accessToken: ACCESS, refreshToken: REFRESH },
      proxy: { url: `socks5://user:${PROXY_PASSWORD}@127.0.0.1:1080`, display: "socks5://127.0.0.1:1080" },
      meta: { note: "visible" },
    });
    const raw = JSON.stringify(await gateway.storage.get(`plugins:test-oauth:accounts:${account.id}`));
    for (const secret of [ACCESS, REFRESH, PROXY_PASSWORD]) expect(raw).not.toContain(secret);
    expect(raw).toContain("visible");
    expect(await store.credentials(account.id)).toEqual({ accessToken: ACCESS, refreshToken: REFRESH });
    expect(await store.proxy(account.id)).toContain(PROXY_PASSWORD);
    expect(JSON.stringify(store.summary(account))).not.toContain(PROXY_PASSWORD);
    expect(store.summary(account)).toMatchObject({ id: account.id, status: "active", proxy: "socks5://127.0.0.1:1080" });
  });

  it("loses no update when 25 writers change one account at once", async () => {
    const { store } = await start(rotatingEndpoint().token);
    const account = await store.create({ name: "counter", credentials: { accessToken: "a", refreshToken: "r" }, meta: { note: "" } });
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.update(account.id, (current) => ({ meta: { note: `${current.meta.note}${i % 10}` } }))));
    const after = await store.require(account.id);
    expect(after.meta.note).toHaveLength(25);
    expect(after.revision).toBe(26);
  });

  it("answers 404 for unknown and malformed ids", async () => {
    const { store } = await start(rotatingEndpoint().token);
    for (const id of ["acc_000000000000000000000000", "../x", ""]) await expect(store.require(id)).rejects.toMatchObject({ status: 404 });
    expect(await store.get("nope")).toBeNull();
  });
});

describe("token refresher", () => {
  it("20 concurrent callers of an expired account cause one refresh, and all get the new token", async () => {
    const endpoint = rotatingEndpoint(50);
    const h = await start(endpoint.token);
    const account = await expiredAccount(h);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.refresher.fresh(account.id)));
    expect(endpoint.calls).toEqual([`refresh:${REFRESH}`]);
    expect(new Set(results.map((c) => c.accessToken))).toEqual(new Set(["access-1"]));
    const stored = await h.store.require(account.id);
    expect(stored.expiresAt).toBeGreaterThan(Date.now() + 3_000_000);
    expect(stored.lastRefreshAt).toBeGreaterThan(0);
    expect(await h.store.credentials(account.id)).toEqual({ accessToken: "access-1", refreshToken: "refresh-1" });
  });

  it("does not refresh a token that is still valid beyond the margin", async () => {
    const endpoint = rotatingEndpoint();
    const h = await start(endpoint.token);
    const account = await h.store.create({ name: "a", credentials: { accessToken: ACCESS, refreshToken: REFRESH }, expiresAt: Date.now() + 120_000, meta: {} });
    expect((await h.refresher.fresh(account.id)).accessToken).toBe(ACCESS);
    expect(endpoint.calls).toHaveLength(0);
  });

  it("refreshes once per rejected token, however many requests saw it rejected", async () => {
    const endpoint = rotatingEndpoint(20);
    const h = await start(endpoint.token);
    const account = await h.store.create({ name: "a", credentials: { accessToken: ACCESS, refreshToken: REFRESH }, expiresAt: Date.now() + 3_600_000, meta: {} });
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.refresher.afterRejection(account.id, ACCESS)));
    expect(answers.every(Boolean)).toBe(true);
    expect(endpoint.calls).toHaveLength(1);
    // Later rejections of the old token find the newer one without another refresh.
    expect(await h.refresher.afterRejection(account.id, ACCESS)).toBe(true);
    expect(endpoint.calls).toHaveLength(1);
  });

  it("a permanent failure marks needs_reauth once; later calls do not reach the endpoint", async () => {
    const calls: string[] = [];
    const h = await start(async ({ value }) => {
      calls.push(value);
      throw new TokenRefreshError("invalid_grant: refresh token revoked", { permanent: true });
    });
    const account = await expiredAccount(h);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => h.refresher.fresh(account.id)));
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    await expect(h.refresher.fresh(account.id)).rejects.toThrow(/needs a new login/);
    expect(calls).toHaveLength(1);
    expect(await h.store.require(account.id)).toMatchObject({ status: "needs_reauth", lastError: expect.stringContaining("invalid_grant") });
    expect(await h.store.credentials(account.id)).toEqual({ accessToken: ACCESS, refreshToken: REFRESH });
  });

  it("a transient failure keeps the old refresh token and backs off instead of retrying per request", async () => {
    let fail = true;
    const calls: string[] = [];
    const h = await start(async ({ value }) => {
      calls.push(value);
      if (fail) throw new TokenRefreshError("token endpoint answered 503", { permanent: false, retryAfterMs: 60_000 });
      return { accessToken: "new", refreshToken: "new-r", expiresInMs: 3_600_000 };
    });
    const account = await expiredAccount(h);
    await expect(h.refresher.fresh(account.id)).rejects.toThrow(/503/);
    await expect(h.refresher.fresh(account.id)).rejects.toThrow(/backing off/);
    expect(calls).toEqual([REFRESH]);
    const stored = await h.store.require(account.id);
    expect(stored).toMatchObject({ status: "active", lastError: expect.stringContaining("503") });
    expect(await h.store.credentials(account.id)).toMatchObject({ refreshToken: REFRESH });
    fail = false;
    // An operator's "refresh now" ignores nothing but the backoff's cause: it still waits.
    await h.store.update(account.id, (current) => ({ meta: { ...current.meta, refreshBackoffUntil: Date.now() - 1 } as never }));
    expect((await h.refresher.fresh(account.id)).accessToken).toBe("new");
    expect((await h.store.require(account.id)).lastError).toBeUndefined();
  });

  it("retries a transient failure up to `attempts` times within one refresh", async () => {
    let n = 0;
    const h = await start(
      async () => {
        n++;
        if (n < 3) throw new Error("socket hang up");
        return { accessToken: "third", refreshToken: "r3", expiresInMs: 3_600_000 };
      },
      { attempts: 3 },
    );
    const account = await expiredAccount(h);
    expect((await h.refresher.fresh(account.id)).accessToken).toBe("third");
    expect(n).toBe(3);
  });
});

describeRedis("token refresher across instances on Redis", () => {
  const base = `sy-test-refresh-${randomBytes(4).toString("hex")}`;
  afterAll(async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${base}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("two gateways, 20 concurrent callers on an expired token: one refresh", async () => {
    const endpoint = rotatingEndpoint(200);
    const config: GatewayConfig = { storage: { driver: "redis", url: redisUrl, base } };
    const a = await start(endpoint.token, { config });
    const b = await start(endpoint.token, { config });
    const account = await expiredAccount(a);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).refresher.fresh(account.id)));
    expect(endpoint.calls).toEqual([`refresh:${REFRESH}`]);
    expect(new Set(results.map((c) => c.accessToken))).toEqual(new Set(["access-1"]));
  });
});

describe("operator refresh", () => {
  it("refreshes even when other writes (last-used updates) land in between", async () => {
    const endpoint = rotatingEndpoint(30);
    const h = await start(endpoint.token);
    const account = await h.store.create({ name: "busy", credentials: { accessToken: ACCESS, refreshToken: REFRESH }, expiresAt: Date.now() + 3_600_000, meta: {} });
    const refreshing = h.refresher.now(account.id);
    await h.store.update(account.id, () => ({ lastUsedAt: Date.now() }));
    await refreshing;
    expect(endpoint.calls).toEqual([`refresh:${REFRESH}`]);
  });
});
