import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LogCapture, captureLogs } from "../../../core/logger.ts";
import { type Gateway, type Provider, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import openrouterPool, { DEFAULT_OPENROUTER_MODELS, type OpenRouterPoolOptions } from "../../../plugins/providers/openrouter-pool/index.ts";
import { setupGateway, testSecret } from "../../_setup.ts";
import { testProvider, upstreamRequest, waitFor } from "../../conformance/provider.ts";
import { startHttpProxy } from "../../fixtures/proxies.ts";
import { type FakeOpenRouter, openRouterKeyHash, startFakeOpenRouter } from "../../fixtures/upstreams/openrouter.ts";

// Canary keys: every one (and its hash and masked label) is searched for in every response,
// error body, admin answer and log line after each test.
const K1 = `sk-or-v1-${"1a".repeat(32)}`;
const K2 = `sk-or-v1-${"2b".repeat(32)}`;
const K3 = `sk-or-v1-${"3c".repeat(32)}`;
const MGMT = `sk-or-v1-${"9d".repeat(32)}`;
const ADMIN_TOKEN = "canary-openrouter-admin-token-5c1f0e9d8b7a6f";
const MODEL = "openai/gpt-4o-mini";

// --- the canary scan (H1) ---
const fakes: FakeOpenRouter[] = [];
const gateways: Gateway[] = [];
const known = new Set<string>([K1, K2, K3, MGMT]);
const seen: string[] = [];
let logs: LogCapture;
const remember = (fake: FakeOpenRouter) => fake.keys.forEach((k) => known.add(k));
const bearer = (h: Record<string, string>) => /^Bearer (.+)$/.exec(h.authorization ?? "")?.[1];

beforeEach(() => {
  logs = captureLogs();
});
afterEach(async () => {
  for (const fake of fakes) {
    remember(fake);
    for (const r of fake.requests) if (bearer(r.headers)) known.add(bearer(r.headers)!);
  }
  for (const gateway of gateways) for (const key of await gateway.storage.keys()) seen.push(key, JSON.stringify(await gateway.storage.get(key)));
  logs.stop();
  const haystack = [...seen, logs.text()].join("\n");
  for (const key of known) {
    for (const needle of [key, openRouterKeyHash(key), `${key.slice(0, 12)}...${key.slice(-3)}`]) {
      expect(haystack.includes(needle), `a key, hash or label of ${key.slice(0, 11)}… leaked`).toBe(false);
    }
  }
  seen.splice(0);
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A gateway on a socket in front of a fake OpenRouter, with a client key and the admin token. */
async function startPool(options: Partial<OpenRouterPoolOptions> = {}, fakeKeys: string[] = [K1, K2, K3]) {
  const fake = await startFakeOpenRouter({ keys: fakeKeys, managementKey: MGMT });
  fakes.push(fake);
  const env = { SWITCHYARD_SECRET: testSecret, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [openrouterPool({ baseURL: `${fake.url}/api/v1`, keys: [K1, K2], referer: "https://app.example/", title: "Pool Test", ...options })],
      auth: [apiKey()],
      routes: [{ models: "*", provider: "openrouter-pool" }],
    },
    { env },
  );
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }) });
  gateways.push(gateway);
  const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  gateway.hooks.hook("close", () => server.close());
  const url = server.url.replace(/\/$/, "");
  const strategy = gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy;
  const clientKey = (await strategy.keys.create({ name: "pool-test" })).key;
  const openai = new OpenAI({ apiKey: clientKey, baseURL: `${url}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: clientKey, baseURL: url, maxRetries: 0 });
  const provider = gateway.providers.get("openrouter-pool")!;
  async function admin(method: string, path: string, body?: unknown) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    seen.push(text);
    remember(fake);
    return { status: response.status, body: JSON.parse(text) as Record<string, any> };
  }
  /** One chat completion through the gateway; returns the key the (last) upstream call used. */
  async function chat(text: string): Promise<string> {
    const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: text }] });
    seen.push(JSON.stringify(completion));
    expect(completion.choices[0]!.message.content).toBe(`echo: ${text}`);
    return fake.attribution.at(-1)!.key;
  }
  const accounts = async () => (await admin("GET", "/admin/accounts")).body.data as Array<Record<string, any>>;
  return { fake, gateway, provider, url, openai, anthropic, admin, chat, accounts };
}

async function clientError(call: Promise<unknown>): Promise<{ status: number | undefined; text: string; headers: Headers | undefined }> {
  const error = (await call.then(() => undefined, (e: unknown) => e)) as { status?: number; headers?: Headers; error?: unknown; message?: string } | undefined;
  expect(error, "the call should have failed").toBeDefined();
  const text = `${error!.message} ${JSON.stringify(error!.error)}`;
  seen.push(text);
  return { status: error!.status, text, headers: error!.headers };
}

describe("openrouter-pool provider", () => {
  testProvider({
    name: "openrouter-pool",
    dialect: "openai-chat",
    async create() {
      const upstream = await startFakeOpenRouter({ keys: [K1], managementKey: MGMT });
      const gateway = await setupGateway({ providers: [openrouterPool({ baseURL: `${upstream.url}/api/v1`, keys: [K1] })] });
      return { gateway, upstream, provider: gateway.providers.get("openrouter-pool")! as Provider };
    },
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["an unset environment variable", { keys: [undefined] }, /keys\[0\]: expected a non-empty API key, got nothing/],
    ["a key priority", { keys: [{ key: K1, priority: 1 }] }, /keys\[0\]\.priority: expected no priority/],
    ["an unknown selection", { keys: [K1], selection: "fastest" }, /selection: expected one of "random", "round-robin", "least-used", got "fastest"/],
    ["a title with a line break", { keys: [K1], title: "a\nb" }, /title: expected a non-empty string without line breaks/],
    ["rotation without a managementKey", { rotation: { everyMs: 60_000 } }, /rotation: expected a managementKey next to it/],
    ["a too short rotation", { managementKey: MGMT, rotation: { everyMs: 10 } }, /rotation\.everyMs: expected an integer number of ms, at least 1000, got 10/],
    ["a bad credit limit", { managementKey: MGMT, rotation: { everyMs: 60_000, creditLimitUsd: -1 } }, /rotation\.creditLimitUsd: expected a positive number of USD, got -1/],
    ["a bad limit reset", { managementKey: MGMT, rotation: { everyMs: 60_000, limitReset: "hourly" } }, /rotation\.limitReset: expected "daily", "weekly", "monthly" or null, got "hourly"/],
    ["the management key among the keys", { keys: [MGMT], managementKey: MGMT }, /managementKey: expected a key that is not also in `keys`/],
    ["a short recheck interval", { keys: [K1], outOfCreditsRecheckMs: 5 }, /outOfCreditsRecheckMs: expected an integer number of ms, at least 1000, got 5/],
    ["plain http to a remote host", { keys: [K1], baseURL: "http://openrouter.example/api/v1" }, /baseURL: expected https/],
    ["a misspelt option", { keys: [K1], baseUrl: "https://openrouter.ai/api/v1" }, /baseUrl: expected one of baseURL, keys, .*got an unknown option/],
  ])("refuses %s at setup, naming the option and never the key", async (_what, options, message) => {
    const error = await setupGateway({ providers: [openrouterPool(options as OpenRouterPoolOptions)] }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:openrouter-pool\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
    seen.push(String(error?.message));
  });

  it("starts without keys and lists its default models", async () => {
    const gateway = await setupGateway({ providers: [openrouterPool()] }, { logger: createLogger({ level: "info" }) });
    const provider = gateway.providers.get("openrouter-pool")!;
    expect(await provider.accounts!.list()).toEqual([]);
    expect((await provider.models()).map((m) => m.id)).toEqual([...DEFAULT_OPENROUTER_MODELS]);
    expect(logs.text()).toMatch(/no keys in the config: add one with `switchyard accounts add openrouter-pool`/);
  });

  describe("relaying through the pool", () => {
    it("serves the OpenAI SDK (JSON and stream, usage included) and sends the attribution headers", async () => {
      const { fake, openai } = await startPool();
      const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hello pool" }] });
      expect(completion.choices[0]!.message.content).toBe("echo: hello pool");
      expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
      const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "stream pool" }] });
      let text = "";
      const chunks: unknown[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      seen.push(JSON.stringify([completion, chunks]));
      expect(text).toBe("echo: stream pool");
      // The relay asked for usage upstream and hid the usage chunk the client did not ask for.
      expect(fake.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(chunks.some((c) => (c as { usage?: unknown }).usage)).toBe(false);
      expect(fake.attribution).toHaveLength(2);
      for (const seenHeaders of fake.attribution) {
        expect(seenHeaders).toMatchObject({ referer: "https://app.example/", title: "Pool Test", openrouterTitle: "Pool Test" });
        expect([K1, K2]).toContain(seenHeaders.key);
      }
      expect(fake.requests.every((r) => r.path === "/api/v1/chat/completions")).toBe(true);
    });

    it("serves the Anthropic SDK across dialects (JSON and stream)", async () => {
      const { fake, anthropic } = await startPool();
      const message = await anthropic.messages.create({ model: "anthropic/claude-sonnet-4.5", max_tokens: 64, messages: [{ role: "user", content: "cross dialect" }] });
      expect(message.content[0]).toMatchObject({ type: "text", text: "echo: cross dialect" });
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      const stream = anthropic.messages.stream({ model: "anthropic/claude-sonnet-4.5", max_tokens: 64, system: "be brief", messages: [{ role: "user", content: "stream across" }] });
      let text = "";
      stream.on("text", (delta) => (text += delta));
      const final = await stream.finalMessage();
      seen.push(JSON.stringify([message, final]));
      expect(text).toBe("echo: stream across");
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      expect(fake.requests.map((r) => (r.body as { model: string }).model)).toEqual(["anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5"]);
      expect(fake.requests[1]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(fake.attribution.every((a) => a.title === "Pool Test")).toBe(true);
    });
  });

  describe("selection", () => {
    it("round-robin alternates between the keys", async () => {
      const { chat } = await startPool({ selection: "round-robin" });
      const used: string[] = [];
      for (let i = 0; i < 6; i++) used.push(await chat(`round ${i}`));
      expect(used).toEqual([K1, K2, K1, K2, K1, K2]);
    });

    it("least-used sends new requests to the key with the fewest uses", async () => {
      const { chat, admin, fake } = await startPool({ selection: "least-used", keys: [K1] });
      for (let i = 0; i < 4; i++) expect(await chat(`warm ${i}`)).toBe(K1);
      const added = await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: K2, name: "second" });
      expect(added.status).toBe(201);
      const used: string[] = [];
      for (let i = 0; i < 6; i++) used.push(await chat(`balance ${i}`));
      expect(used).toEqual([K2, K2, K2, K2, K1, K2]);
      expect([fake.usesOf(K1), fake.usesOf(K2)]).toEqual([5, 5]);
      const uses = Object.fromEntries((await admin("GET", "/admin/accounts")).body.data.map((a: any) => [a.name, a.details.uses]));
      expect(uses).toEqual({ "key-1": 5, second: 5 });
    });

    it("random uses more than one key", async () => {
      const { chat } = await startPool({ selection: "random", keys: [K1, K2, K3] });
      const used = new Set<string>();
      for (let i = 0; i < 30; i++) used.add(await chat(`random ${i}`));
      expect(used.size).toBeGreaterThan(1); // all 30 on one of 3 keys: p ≈ 1e-14
    });
  });

  describe("upstream failures", () => {
    it("takes a key out on 402 without leaking it, answers 429 when every key is out, and brings it back after a top-up", async () => {
      const { fake, chat, openai, provider, admin, accounts } = await startPool({ selection: "round-robin" });
      fake.setCredits(K1, 0);
      expect(await chat("first")).toBe(K2); // K1 answered 402, K2 served
      for (let i = 0; i < 4; i++) expect(await chat(`after ${i}`)).toBe(K2);
      expect(fake.usesOf(K1)).toBe(1);
      const out = (await accounts()).find((a) => a.id === "key-1")!;
      expect(out).toMatchObject({ status: "error", lastError: expect.stringMatching(/^out of credits \(402: the key's credit limit is reached\)/) });

      // The 402 body names the key and its hash at OpenRouter: what comes out of the provider does not.
      const direct = await provider.send(upstreamRequest("openai-chat", { accountId: "key-1" }));
      const body = await direct.text();
      seen.push(body);
      expect(direct.status).toBe(402);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 402, message: expect.stringContaining("[redacted]"), metadata: { limit_source: "openrouter_key_limit" } } });

      fake.setCredits(K2, 0);
      const exhausted = await clientError(openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "nothing left" }] }));
      expect(exhausted.status).toBe(429);
      expect(Number(exhausted.headers?.get("retry-after"))).toBeGreaterThan(0);

      fake.setCredits(K1, 10);
      const recheck = await admin("POST", "/plugins/openrouter-pool/recheck");
      expect(recheck.body).toEqual({ checked: 2, restored: ["key-1"] });
      // key-1 may still show the 402's short cooldown (what other instances' caches need).
      expect((await accounts()).map((a) => [a.id, a.status === "cooling" ? "active" : a.status])).toEqual([["key-1", "active"], ["key-2", "error"]]);
      // The 402's short cooldown (other instances' cache window) may still be running: wait it out.
      let served: string | undefined;
      await waitForAsync(async () => (served = await chat("topped up").catch(() => undefined)) !== undefined, 10_000);
      expect(served).toBe(K1);
      expect(await chat("again")).toBe(K1);
    });

    it("cools a key on 429 for its retry-after and serves from the other key meanwhile", async () => {
      const { fake, chat, accounts } = await startPool({ selection: "round-robin" });
      fake.script({ status: 429, headers: { "retry-after": "120" } });
      expect(await chat("limited")).toBe(K2);
      const cooled = (await accounts()).find((a) => a.id === "key-1")!;
      expect(cooled.status).toBe("cooling");
      expect(cooled.coolingUntil).toBeGreaterThan(Date.now() + 60_000);
      for (let i = 0; i < 4; i++) expect(await chat(`cool ${i}`)).toBe(K2);
      expect(fake.usesOf(K1)).toBe(1);
    });

    it("disables a key OpenRouter refuses (401) until an operator enables it", async () => {
      const { fake, chat, accounts, admin } = await startPool({ selection: "round-robin" });
      fake.script({ status: 401 });
      expect(await chat("refused")).toBe(K2);
      expect((await accounts()).find((a) => a.id === "key-1")).toMatchObject({ status: "disabled", lastError: expect.stringMatching(/OpenRouter refused the key \(401\)/) });
      expect(logs.text()).toMatch(/key key-1 disabled: OpenRouter refused it \(401\)/);
      expect((await admin("PATCH", "/admin/accounts/key-1", { enabled: true })).body).toMatchObject({ status: "active" });
    });

    it("hands a moderation 403 back to the client, scrubbed, without touching the key", async () => {
      const { fake, openai, accounts } = await startPool();
      fake.script({ status: 403, body: { error: { code: 403, message: `flagged for key ${K1} hash ${openRouterKeyHash(K1)}`, metadata: { reasons: ["violence"], flagged_input: "x" } } } });
      const error = await clientError(openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "bad" }] }));
      expect(error.status).toBe(403);
      expect(error.text).toMatch(/flagged for key \[redacted\] hash \[redacted\]/);
      expect((await accounts()).every((a) => a.status === "active")).toBe(true);
    });
  });

  describe("management", () => {
    it("creates, lists and deletes keys at OpenRouter through the plugin's admin routes", async () => {
      const { fake, admin, chat, accounts } = await startPool({ keys: [], managementKey: MGMT }, []);
      const created = await admin("POST", "/plugins/openrouter-pool/keys", { name: "team-a", limitUsd: 5, limitReset: "monthly" });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^acc_[0-9a-f]{24}$/), name: "team-a", status: "active", details: { source: "managed", createdBy: "operator", limitUsd: 5, limitReset: "monthly" } });
      expect(fake.keys).toHaveLength(1);
      const key = fake.keys[0]!;
      expect(fake.keyInfo(key)).toMatchObject({ name: "team-a", limit: 5, limit_reset: "monthly" });
      expect(await chat("managed")).toBe(key);

      const outside = fake.addKey("outside");
      known.add(outside);
      const listed = await admin("GET", "/plugins/openrouter-pool/keys");
      expect(listed.body.data).toHaveLength(2);
      for (const entry of listed.body.data) expect(Object.keys(entry).sort()).toEqual(["accountId", "createdAt", "disabled", "limitRemainingUsd", "limitReset", "limitUsd", "name", "ref", "usageUsd"]);
      const mine = listed.body.data.find((k: any) => k.name === "team-a");
      expect(mine).toMatchObject({ accountId: created.body.id, limitUsd: 5 });
      const theirs = listed.body.data.find((k: any) => k.name === "outside");
      expect(theirs.accountId).toBeNull();
      expect((await admin("DELETE", `/plugins/openrouter-pool/keys/${theirs.ref}`)).body).toEqual({ ref: theirs.ref, deleted: true, accountId: null });
      expect(fake.keys).toEqual([key]);
      expect((await admin("DELETE", "/plugins/openrouter-pool/keys/0000000000000000")).status).toBe(404);

      // Removing a managed account deletes its key at OpenRouter too.
      expect((await admin("DELETE", `/admin/accounts/${created.body.id}`)).body).toMatchObject({ deleted: true });
      expect(fake.keys).toEqual([]);
      expect(await accounts()).toEqual([]);
    });

    it("adds keys an operator pastes (checked with GET /key), refusing bad, duplicate and management keys", async () => {
      const { fake, admin, accounts, chat } = await startPool({ keys: [K1], managementKey: MGMT });
      const pasted = fake.addKey("pasted");
      known.add(pasted);
      const added = await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: pasted, name: "pasted" });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ provider: "openrouter-pool", name: "pasted", status: "active", details: { source: "added", fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) } });
      expect(added.body.id).not.toContain(pasted.slice(9, 20));
      const wrong = await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: `sk-or-v1-${"77".repeat(32)}` });
      known.add(`sk-or-v1-${"77".repeat(32)}`);
      expect(wrong).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/OpenRouter did not accept the key \(401\)/) } } });
      expect((await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: pasted })).status).toBe(409);
      expect((await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: K1 })).body.error.message).toMatch(/already in the pool as key-1/);
      expect((await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: MGMT })).body.error.message).toMatch(/managementKey/);
      expect((await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: "has space in it", priority: 1 })).status).toBe(400);
      expect((await admin("PATCH", `/admin/accounts/${added.body.id}`, { name: "renamed" })).body).toMatchObject({ name: "renamed" });
      expect((await admin("PATCH", "/admin/accounts/key-1", { name: "x" })).body.error.message).toMatch(/comes from gateway\.config\.ts/);
      expect((await admin("DELETE", "/admin/accounts/key-1")).status).toBe(400);
      await chat("one");
      await chat("two");
      expect(fake.usesOf(pasted)).toBe(1);
      // A pasted key is not ours to delete at OpenRouter: removal only drops it from the pool.
      expect((await admin("DELETE", `/admin/accounts/${added.body.id}`)).status).toBe(200);
      expect(fake.keys).toContain(pasted);
      expect((await accounts()).map((a) => a.id)).toEqual(["key-1"]);
    });

    it("sends an added key's calls through its own proxy, shown without credentials", async () => {
      const auth = { user: "pool", pass: "canary-proxy-pass-4b1d9e" };
      const proxy = await startHttpProxy({ auth });
      try {
        const { fake, admin, chat } = await startPool({ keys: [] });
        const pasted = fake.addKey("proxied");
        known.add(pasted).add(auth.pass);
        const added = await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: pasted, proxy: proxy.urlWith(auth) });
        expect(added.status).toBe(201);
        expect(added.body.proxy).toBe(`http://127.0.0.1:${proxy.port}`);
        expect(await chat("via proxy")).toBe(pasted);
        // The key check on add and the chat call both went through the proxy, authenticated.
        expect(proxy.connections.length).toBe(2);
        expect(proxy.connections.every((c) => c.authenticated && c.target.includes(new URL(fake.url).host))).toBe(true);
      } finally {
        await proxy.close();
      }
    });

    it("rotates: the new key takes traffic at once, the old one is deleted only after its stream ended", async () => {
      const { fake, admin, chat, openai, accounts } = await startPool({ keys: [], managementKey: MGMT, rotation: { everyMs: 3_600_000, creditLimitUsd: 2, limitReset: "daily" } }, []);
      const first = await admin("POST", "/plugins/openrouter-pool/rotate");
      expect(first.body).toEqual({ rotated: true, created: expect.stringMatching(/^acc_/), retiring: [] });
      const oldKey = fake.keys[0]!;
      expect(fake.keyInfo(oldKey)).toMatchObject({ limit: 2, limit_reset: "daily" });
      expect(await chat("before")).toBe(oldKey);

      fake.script({ stallMidStreamMs: 4000, afterEvents: 1 });
      const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "long stream" }] });
      const reader = stream[Symbol.asyncIterator]();
      let text = (await reader.next()).value?.choices[0]?.delta?.content ?? "";

      const second = await admin("POST", "/plugins/openrouter-pool/rotate");
      expect(second.body).toEqual({ rotated: true, created: expect.stringMatching(/^acc_/), retiring: [first.body.created] });
      const newKey = fake.keys.find((k) => k !== oldKey)!;
      expect(await chat("after")).toBe(newKey);
      expect((await accounts()).find((a) => a.id === first.body.created)).toMatchObject({ status: "disabled", details: { retiring: true } });
      await new Promise((resolve) => setTimeout(resolve, 2000)); // past the grace period, stream still stalled
      expect(fake.keys).toContain(oldKey);

      for (let next = await reader.next(); !next.done; next = await reader.next()) text += next.value.choices[0]?.delta?.content ?? "";
      const streamEnded = Date.now();
      expect(text).toBe("echo: long stream");
      await waitFor(() => !fake.keys.includes(oldKey), 5000, "the rotated key to be deleted");
      const deletion = fake.requests.find((r) => r.method === "DELETE" && r.path === `/api/v1/keys/${openRouterKeyHash(oldKey)}`)!;
      expect(deletion.time).toBeGreaterThanOrEqual(streamEnded - 500); // without the drain it would come ~2 s earlier
      expect((await accounts()).map((a) => a.id)).toEqual([second.body.created]);
    });
  });
});

async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
