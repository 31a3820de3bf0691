import { createHash } from "node:crypto";
import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { HTTPError, clampExpiresIn, createPkce, parseAuthorizationInput } from "../../core/index.ts";
import { setupGateway } from "../_setup.ts";
import { type TestOAuthHandle, testOAuth } from "../fixtures/test-oauth-provider.ts";

const ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop";

async function gatewayWithFlows(clock: { now: number }) {
  let handle: TestOAuthHandle | undefined;
  const token = async () => ({ accessToken: "at-1", refreshToken: "rt-1", expiresInMs: 3_600_000 });
  const gateway = await setupGateway({ providers: [testOAuth({ token, expose: (h) => (handle = h) })] }, { env: { SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN }, now: () => clock.now });
  return { gateway, admin: gateway.accounts.admin("test-oauth"), store: handle!.store };
}

const codeChars = fc.stringMatching(/^[A-Za-z0-9_.~-]{1,64}$/);

describe("parseAuthorizationInput", () => {
  it.each([
    ["abc123", { code: "abc123" }],
    ["  abc123\n", { code: "abc123" }],
    ["abc#st4te", { code: "abc", state: "st4te" }],
    ["abc#st4te&extra=1", { code: "abc", state: "st4te" }],
    ["http://localhost:1455/auth/callback?code=c0de&state=s1", { code: "c0de", state: "s1" }],
    ["https://platform.claude.com/oauth/code/callback?code=c0de", { code: "c0de" }],
    ["https://example.test/cb#code=frag&state=s2", { code: "frag", state: "s2" }],
  ])("reads %j", (input, expected) => {
    expect(parseAuthorizationInput(input)).toEqual(expected);
  });

  it.each(["", "   ", "http://localhost:1455/auth/callback?state=only", "has space", "#state-only"])("refuses %j with a 400", (input) => {
    expect(() => parseAuthorizationInput(input)).toThrow(HTTPError);
  });

  prop.prop([codeChars, codeChars], { numRuns: 200 })("code#state and the callback URL both read back what was put in", (code, state) => {
    expect(parseAuthorizationInput(`${code}#${state}`)).toEqual({ code, state });
    const url = new URL("http://localhost:1455/auth/callback");
    url.searchParams.set("code", code);
    url.searchParams.set("state", state);
    expect(parseAuthorizationInput(url.href)).toEqual({ code, state });
  });
});

describe("PKCE and token lifetimes", () => {
  it("makes a 43-char verifier whose S256 challenge matches, fresh every time", () => {
    const a = createPkce();
    const b = createPkce();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash("sha256").update(a.verifier).digest("base64url"));
    expect(a.method).toBe("S256");
    expect(a.verifier).not.toBe(b.verifier);
  });

  it.each([
    [3600, 3_600_000],
    [undefined, 28_800_000],
    ["7200", 7_200_000],
    [-5, 60_000],
    [0, 60_000],
    [Number.POSITIVE_INFINITY, 28_800_000],
    [1e12, 365 * 24 * 3_600_000],
    ["soon", 28_800_000],
  ])("clamps expires_in %j to %d ms", (value, ms) => {
    expect(clampExpiresIn(value, { fallbackSeconds: 28_800 })).toBe(ms);
  });
});

describe("pending OAuth flows", () => {
  it("redeem once: the second use of a flow id is a 400 and creates nothing", async () => {
    const clock = { now: Date.now() };
    const { admin, store } = await gatewayWithFlows(clock);
    const { flowId } = await admin.oauth!.start({});
    await admin.oauth!.exchange({ flowId, code: "c0de" });
    await expect(admin.oauth!.exchange({ flowId, code: "c0de" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/unknown or was already used/) });
    expect(await store.list()).toHaveLength(1);
  });

  it("ten concurrent exchanges of one flow: exactly one wins", async () => {
    const { admin, store } = await gatewayWithFlows({ now: Date.now() });
    const { flowId } = await admin.oauth!.start({});
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => admin.oauth!.exchange({ flowId, code: "c0de" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await store.list()).toHaveLength(1);
  });

  it("a flow expires after 10 minutes by the plugin clock", async () => {
    const clock = { now: Date.now() };
    const { admin, store } = await gatewayWithFlows(clock);
    const fresh = await admin.oauth!.start({});
    const stale = await admin.oauth!.start({});
    clock.now += 9 * 60_000;
    await admin.oauth!.exchange({ flowId: fresh.flowId, code: "c0de" });
    clock.now += 61_000;
    await expect(admin.oauth!.exchange({ flowId: stale.flowId, code: "c0de" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/expired/) });
    expect(await store.list()).toHaveLength(1);
  });

  it("a state that does not match is a 400 and still uses the flow up", async () => {
    const { admin, store } = await gatewayWithFlows({ now: Date.now() });
    const { flowId, authUrl } = await admin.oauth!.start({});
    const state = new URL(authUrl).searchParams.get("state")!;
    await expect(admin.oauth!.exchange({ flowId, code: "c0de#not-the-state" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/state/) });
    await expect(admin.oauth!.exchange({ flowId, code: `c0de#${state}` })).rejects.toMatchObject({ status: 400 });
    expect(await store.list()).toHaveLength(0);
  });

  it("refuses flow ids that are not ours without touching storage", async () => {
    const { admin } = await gatewayWithFlows({ now: Date.now() });
    for (const flowId of ["", "flow_../../x", "x".repeat(500)]) {
      await expect(admin.oauth!.exchange({ flowId, code: "c" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^flowId/) });
    }
  });

  it("keeps the verifier sealed in storage", async () => {
    const { gateway, admin } = await gatewayWithFlows({ now: Date.now() });
    await admin.oauth!.start({});
    const keys = await gateway.storage.keys("plugins:test-oauth:oauth:flows");
    expect(keys).toHaveLength(1);
    const raw = JSON.stringify(await gateway.storage.get(keys[0]!));
    expect(raw).not.toMatch(/verifier/);
    expect(raw).toMatch(/"sealed":"sy1\./);
  });
});
