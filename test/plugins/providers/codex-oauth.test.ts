import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import { fc, test as prop } from "@fast-check/vitest";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LogCapture, captureLogs } from "../../../core/logger.ts";
import { type Gateway, type GatewayConfig, type RunningServer, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import codexOAuth, { type CodexOAuthOptions, DEFAULT_SCOPES } from "../../../plugins/providers/codex-oauth/index.ts";
import { streamAnswer } from "../../../plugins/providers/codex-oauth/answer.ts";
import type { CodexUsage } from "../../../plugins/providers/codex-oauth/limits.ts";
import { REMOVED_FIELDS, shapeBody } from "../../../plugins/providers/codex-oauth/upstream.ts";
import { binPath, runCli } from "../../_cli.ts";
import { setupGateway, testSecret } from "../../_setup.ts";
import { createTempProject } from "../../_tmp.ts";
import { testProvider, upstreamRequest, waitFor } from "../../conformance/provider.ts";
import { type TestProxy, startHttpProxy, startSocks5Proxy } from "../../fixtures/proxies.ts";
import { type FakeCodex, codexUsageLimit, startFakeCodex } from "../../fixtures/upstreams/codex.ts";
import { type FakeOAuth, type FakeOAuthAccount, type FakeOAuthOptions, type IssuedTokens, startFakeOAuth } from "../../fixtures/upstreams/oauth.ts";

// Every secret a test handled (tokens the fakes issued, proxy passwords) and every admin/CLI
// output; the last test scans outputs and captured logs for them (Done-when 8).
const ADMIN_TOKEN = `codex-oauth-admin-${randomBytes(16).toString("hex")}`;
const secrets = new Set<string>();
const outputs: string[] = [];
let logs: LogCapture;
beforeAll(() => {
  logs = captureLogs();
});
afterAll(() => logs.stop());

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of cleanups.splice(0).reverse()) await stop();
});

const PROVIDER = "codex-oauth";
const MODEL = "gpt-5-codex";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const codexBase = (codex: { url: string }) => `${codex.url}/backend-api/codex`;
const remember = (oauth: FakeOAuth) => {
  for (const t of oauth.issued) for (const s of [t.accessToken, t.refreshToken, t.idToken]) if (s) secrets.add(s);
};

interface Harness {
  oauth: FakeOAuth;
  codex: FakeCodex;
  gateway: Gateway;
  url: string;
  clientKey: string;
  clock: { now: number | undefined };
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  /** PKCE onboarding through the admin API, pasting the full callback URL. */
  onboard(input?: { proxy?: string; name?: string; account?: Partial<FakeOAuthAccount> }): Promise<any>;
  importFile(tokens: IssuedTokens, extra?: { proxy?: string; name?: string; accountId?: boolean }): Promise<{ status: number; json: any; text: string }>;
  /** POST /v1/responses with the client key (plain fetch, non-streaming). */
  respond(text?: string, extra?: Record<string, unknown>): Promise<Response>;
  refreshPosts(): number;
}

/** Fake OAuth server + fake Codex backend + a gateway on a socket with the plugin pointed at both. */
async function start(input: { options?: Partial<CodexOAuthOptions>; oauth?: Partial<FakeOAuthOptions>; config?: GatewayConfig; baseURL?: string } = {}): Promise<Harness> {
  const oauth = await startFakeOAuth({ flavor: "codex", ...input.oauth });
  const codex = await startFakeCodex({ oauth });
  const clock: { now: number | undefined } = { now: undefined };
  const env = { SWITCHYARD_SECRET: testSecret, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [codexOAuth({ issuer: oauth.url, baseURL: input.baseURL ?? codexBase(codex), ...input.options })],
      auth: [apiKey()],
      routes: [{ models: "gpt-5*", provider: PROVIDER }],
      ...input.config,
    },
    { env },
  );
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }), now: () => clock.now ?? Date.now() });
  const server: RunningServer = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    remember(oauth);
    await server.close();
    await Promise.all([oauth.close(), codex.close()]);
  });
  const url = server.url.replace(/\/$/, "");
  const clientKey = (await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "codex-oauth test" })).key;
  const h: Harness = {
    oauth, codex, gateway, url, clientKey, clock,
    async admin(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      outputs.push(text);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text };
    },
    async onboard({ proxy, name, account } = {}) {
      if (account) oauth.account = { ...oauth.account, ...account };
      const started = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/start`, proxy ? { proxy } : {});
      expect(started.status, started.text).toBe(200);
      const browser = await oauth.authorize(started.json.authUrl);
      const done = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/exchange`, { flowId: started.json.flowId, callbackUrl: browser.callbackUrl, ...(name ? { name } : {}) });
      expect(done.status, done.text).toBe(201);
      return done.json;
    },
    importFile(tokens, extra = {}) {
      const file = {
        OPENAI_API_KEY: null,
        tokens: { id_token: tokens.idToken, access_token: tokens.accessToken, refresh_token: tokens.refreshToken, ...(extra.accountId === false ? {} : { account_id: tokens.account.accountId }) },
        last_refresh: new Date().toISOString(),
      };
      return h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: JSON.stringify(file), ...(extra.proxy ? { proxy: extra.proxy } : {}), ...(extra.name ? { name: extra.name } : {}) });
    },
    respond: (text = "hello codex", extra = {}) =>
      fetch(`${url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, input: text, ...extra }),
      }),
    refreshPosts: () => oauth.tokenRequests.filter((r) => r.grantType === "refresh_token").length,
  };
  return h;
}

/** Every request the fake Codex backend saw must be shaped as the Codex CLI would send it. */
function expectCodexShape(codex: FakeCodex, oauth: FakeOAuth): void {
  expect(codex.requests.length).toBeGreaterThan(0);
  for (const seen of codex.requests) {
    const h = seen.headers;
    const token = h.authorization?.replace(/^Bearer /, "") ?? "";
    expect(oauth.accountOf(token)?.accountId).toBe(h["chatgpt-account-id"]);
    expect(h.originator).toBe("codex_cli_rs");
    expect(h["user-agent"]).toMatch(/^codex_cli_rs\/[\d.]+ \(.+\) switchyard$/);
    expect(h.session_id).toMatch(UUID);
    expect(h.accept).toBe("text/event-stream");
    const body = seen.body as Record<string, unknown>;
    expect(body).toMatchObject({ stream: true, store: false, instructions: expect.any(String) });
    for (const field of REMOVED_FIELDS) expect(body).not.toHaveProperty(field);
  }
}

const weather = { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("codex-oauth provider", () => {
  // The provider adds exactly the three fields the backend requires (§4.7): the suite expects
  // them on top of the body it sent. The validation call of the onboarding is not the suite's.
  testProvider({
    name: PROVIDER,
    dialect: "openai-responses",
    expectBody: (sent) => ({ ...sent, stream: true, store: false, instructions: "" }),
    async create() {
      const oauth = await startFakeOAuth({ flavor: "codex" });
      cleanups.push(() => (remember(oauth), oauth.close()));
      const codex = await startFakeCodex({ oauth });
      const gateway = await setupGateway({ providers: [codexOAuth({ issuer: oauth.url, baseURL: codexBase(codex) })] });
      const provider = gateway.providers.get(PROVIDER)!;
      const { authUrl, flowId } = await provider.accounts!.admin!.oauth!.start({});
      const browser = await oauth.authorize(authUrl);
      expect((await provider.accounts!.admin!.oauth!.exchange({ flowId, code: browser.callbackUrl })).status).toBe("active");
      expect(codex.requests).toHaveLength(1); // the validation call
      return { gateway, provider, upstream: codex };
    },
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a token URL with another protocol", { tokenURL: "ftp://auth.example/token" }, /tokenURL: expected an http\(s\) URL .*, got a URL with protocol ftp:/],
    ["plain http to a remote backend", { baseURL: "http://chatgpt.example/backend-api/codex" }, /baseURL: expected https \(plain http only to a loopback host/],
    ["an issuer that is no URL", { issuer: "auth.openai.com" }, /issuer: expected an http\(s\) URL/],
    ["empty scopes", { scopes: [] }, /scopes: expected a non-empty array of scope names/],
    ["a sweep faster than a second", { refreshSweepMs: 10 }, /refreshSweepMs: expected a number of milliseconds >= 1000, got 10/],
    ["instructions that are no string", { instructions: 42 }, /instructions: expected a string \(may be empty\), got 42/],
    ["a misspelt option", { baseUrl: "http://127.0.0.1:1" }, /baseUrl: expected one of issuer, .*, got an unknown option/],
  ])("refuses %s at setup with a [plugin:codex-oauth] message", async (_what, options, message) => {
    const error = await setupGateway({ providers: [codexOAuth(options as CodexOAuthOptions)] }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:codex-oauth\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
  });

  prop.prop([fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), { maxKeys: 12 }), fc.constantFrom(...REMOVED_FIELDS), fc.option(fc.string(), { nil: undefined })], { numRuns: 150 })(
    "shapes any Responses body: streamed, not stored, instructions present, refused fields gone, the rest kept",
    (extra, removed, instructions) => {
      const body: Record<string, unknown> = { ...extra, model: "gpt-5", [removed]: 1, ...(instructions === undefined ? {} : { instructions }) };
      const shaped = shapeBody(body, { instructions: "default rules" });
      expect(shaped).toMatchObject({ stream: true, store: false, instructions: instructions ?? (typeof extra.instructions === "string" ? extra.instructions : "default rules") });
      for (const field of REMOVED_FIELDS) expect(shaped).not.toHaveProperty(field);
      for (const [key, value] of Object.entries(body)) {
        if (!REMOVED_FIELDS.includes(key) && !["stream", "store", "instructions", "input"].includes(key)) expect(shaped[key]).toEqual(value);
      }
    },
  );

  // Core's parser is tested on its own (test/core/sse.test.ts); this is the plugin's use of it.
  prop.prop([fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }), fc.constantFrom("\n", "\r\n", "\r")], { numRuns: 150 })(
    "streams a Codex answer cut at any byte and with any line ending as the same records, rate limits taken out",
    async (cuts, eol) => {
      const wire = new TextEncoder().encode(CODEX_SSE.replaceAll("\n", eol));
      const chunks: Uint8Array[] = [];
      let at = 0;
      for (const cut of [...cuts, wire.length]) {
        chunks.push(wire.slice(at, at + cut));
        at += cut;
      }
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      });
      const usage: CodexUsage[] = [];
      const answer = await streamAnswer(new Response(body), { now: () => 0, onUsage: (u) => usage.push(u) });
      expect(await answer.text()).toBe(CODEX_STREAMED);
      expect(usage).toEqual([{ primaryUsedPercent: 5, primaryResetAt: 1000 }]);
    },
  );
});

describe("codex-oauth: PKCE onboarding and the relay through both SDKs (Done-when 1)", () => {
  it("onboards through the admin API, validates against the backend, and serves OpenAI and Anthropic SDK calls", async () => {
    const h = await start({ oauth: { account: { accountId: "acct-done-1", email: "one@example.com", planType: "pro", organizationName: "Team One" } } });
    const started = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/start`, {});
    expect(started.status).toBe(200);
    const authUrl = new URL(started.json.authUrl);
    expect(`${authUrl.origin}${authUrl.pathname}`).toBe(h.oauth.authorizeUrl);
    expect(Object.fromEntries(authUrl.searchParams)).toMatchObject({
      response_type: "code", client_id: "app_EMoamEEZ73f0CkXaXp7hrann", redirect_uri: "http://localhost:1455/auth/callback",
      scope: DEFAULT_SCOPES.join(" "), code_challenge_method: "S256", id_token_add_organizations: "true", codex_cli_simplified_flow: "true", originator: "codex_cli_rs",
    });
    expect(authUrl.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authUrl.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const browser = await h.oauth.authorize(started.json.authUrl);
    const done = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/exchange`, { flowId: started.json.flowId, callbackUrl: browser.callbackUrl });
    expect(done.status, done.text).toBe(201);
    expect(done.json).toMatchObject({
      provider: PROVIDER, name: "one@example.com", status: "active", tier: "pro", scopes: [...DEFAULT_SCOPES],
      details: { chatgptAccountId: "acct-done-1", plan: "pro", email: "one@example.com", organization: "Team One", organizationId: "org-fake-0001", primaryUsedPercent: 12 },
    });
    expect(done.json.expiresAt).toBeGreaterThan(Date.now() + 9 * 24 * 3600_000);
    expect(done.json.lastError).toBeUndefined();
    // The code exchange was form-encoded with the verifier; the validation call reached the backend.
    expect(h.oauth.tokenRequests).toHaveLength(1);
    expect(h.oauth.tokenRequests[0]).toMatchObject({ encoding: "form", grantType: "authorization_code", body: { redirect_uri: "http://localhost:1455/auth/callback", client_id: "app_EMoamEEZ73f0CkXaXp7hrann" } });
    expect(h.codex.requests).toHaveLength(1);

    const openai = new OpenAI({ apiKey: h.clientKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const response = await openai.responses.create({ model: MODEL, input: "hi responses", temperature: 0.2, max_output_tokens: 50, top_p: 0.9, truncation: "auto", user: "u-1", service_tier: "auto", text: { verbosity: "low" } });
    expect(response.output_text).toBe("echo: hi responses");
    expect(response.status).toBe("completed");
    expect(response.usage!.output_tokens).toBeGreaterThan(0);

    const events: string[] = [];
    let streamed = "";
    for await (const event of await openai.responses.create({ model: MODEL, input: [{ role: "user", content: "stream responses" }], instructions: "be brief", stream: true })) {
      events.push(event.type);
      if (event.type === "response.output_text.delta") streamed += event.delta;
    }
    expect(streamed).toBe("echo: stream responses");
    expect(events[0]).toBe("response.created");
    expect(events.at(-1)).toBe("response.completed");
    expect(events).not.toContain("codex.rate_limits");

    const completion = await openai.chat.completions.create({ model: MODEL, max_tokens: 40, temperature: 0.1, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi chat" }] });
    expect(completion.choices[0]!.message.content).toBe("echo: hi chat");
    const tools = [{ type: "function" as const, function: weather }];
    const called = await openai.chat.completions.create({ model: MODEL, tools, messages: [{ role: "user", content: "please use tool" }] });
    expect(called.choices[0]!.finish_reason).toBe("tool_calls");
    expect(called.choices[0]!.message.tool_calls![0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
    const chatStream = await openai.chat.completions.create({ model: MODEL, tools, stream: true, messages: [{ role: "user", content: "please use tool" }] });
    let toolName = "";
    let toolArgs = "";
    let finish: string | null | undefined;
    for await (const chunk of chatStream) {
      const delta = chunk.choices[0]?.delta;
      toolName += delta?.tool_calls?.[0]?.function?.name ?? "";
      toolArgs += delta?.tool_calls?.[0]?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([toolName, finish]).toEqual(["get_weather", "tool_calls"]);
    expect(JSON.parse(toolArgs)).toEqual({ text: "please use tool" });
    let chatText = "";
    for await (const chunk of await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "stream chat" }] })) chatText += chunk.choices[0]?.delta?.content ?? "";
    expect(chatText).toBe("echo: stream chat");

    const anthropic = new Anthropic({ apiKey: h.clientKey, baseURL: h.url, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 64, system: "be brief", messages: [{ role: "user", content: "hello anthropic" }] });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: hello anthropic" });
    expect(message.stop_reason).toBe("end_turn");
    let anthropicText = "";
    const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "stream anthropic" }] });
    stream.on("text", (delta) => (anthropicText += delta));
    const final = await stream.finalMessage();
    expect(anthropicText).toBe("echo: stream anthropic");
    expect(final.usage.output_tokens).toBeGreaterThan(0);

    // 1 validation + 8 relayed calls, each shaped as the Codex CLI sends them (the fake refuses anything else).
    expect(h.codex.requests).toHaveLength(9);
    expectCodexShape(h.codex, h.oauth);
    expect((h.codex.requests[2]!.body as Record<string, unknown>).instructions).toBe("be brief");
    expect((h.codex.requests[1]!.body as Record<string, unknown>).instructions).toBe("");
    const listed = await h.admin("GET", "/admin/accounts");
    expect(listed.json.data).toEqual([expect.objectContaining({ status: "active", lastUsedAt: expect.any(Number) })]);
  });

  it("keeps one session_id per conversation (prompt_cache_key, end-user id) and a new random one otherwise", async () => {
    const h = await start();
    await h.onboard();
    const extras = [{ prompt_cache_key: "conversation-1" }, { prompt_cache_key: "conversation-1" }, { prompt_cache_key: "conversation-2" }, {}, {}, { user: "end-user-7" }, { user: "end-user-7" }];
    for (const extra of extras) {
      const response = await h.respond("session please", extra);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const seen = h.codex.requests.slice(1);
    const ids = seen.map((r) => r.headers.session_id);
    for (const id of ids) expect(id).toMatch(UUID);
    expect([ids[0], ids[5]]).toEqual([ids[1], ids[6]]);
    expect(new Set(ids).size).toBe(5);
    expect(JSON.stringify(seen.map((r) => r.headers))).not.toMatch(/conversation-1|end-user-7/);
    const bodies = seen.map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]!.prompt_cache_key).toBe("conversation-1");
    expect(bodies[3]).not.toHaveProperty("prompt_cache_key");
    // A named end user: no `user` upstream, the cache key is the session id (as the Codex CLI sends it).
    expect(bodies[5]).not.toHaveProperty("user");
    expect(bodies[5]!.prompt_cache_key).toBe(ids[5]);
  });

  it("renames, reprioritizes and removes accounts", async () => {
    const h = await start();
    const account = await h.onboard();
    const patched = await h.admin("PATCH", `/admin/accounts/${account.id}`, { name: "renamed", priority: 3 });
    expect(patched.json).toMatchObject({ id: account.id, name: "renamed", priority: 3, status: "active" });
    expect((await h.admin("PATCH", `/admin/accounts/${account.id}`, { enabled: false })).json.status).toBe("disabled");
    expect((await h.respond()).status).toBe(429);
    expect((await h.admin("PATCH", `/admin/accounts/${account.id}`, { enabled: true })).json.status).toBe("active");
    expect((await h.admin("DELETE", `/admin/accounts/${account.id}`)).json).toEqual({ id: account.id, provider: PROVIDER, deleted: true });
    expect((await h.admin("GET", `/admin/accounts/${account.id}`)).status).toBe(404);
    expect((await h.admin("GET", "/admin/accounts")).json.data).toEqual([]);
  });
});

describe("codex-oauth: onboarding through the CLI (Done-when 2)", () => {
  it("prints the authorize URL, reads the pasted callback URL, prints the account; accounts list --json shows it", async () => {
    const oauth = await startFakeOAuth({ flavor: "codex", account: { email: "cli@example.com", accountId: "acct-cli" } });
    const codex = await startFakeCodex({ oauth });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import codexOAuth from "switchyard/plugins/providers/codex-oauth";
export default defineGatewayConfig({
  storage: { driver: "sqlite", path: "./data/gateway.sqlite" },
  providers: [codexOAuth({ issuer: ${JSON.stringify(oauth.url)}, baseURL: ${JSON.stringify(codexBase(codex))} })],
  routes: [{ models: "gpt-5*", provider: "codex-oauth" }],
});`,
    });
    cleanups.push(async () => {
      remember(oauth);
      project.cleanup();
      await Promise.all([oauth.close(), codex.close()]);
    });
    const env = { SWITCHYARD_SECRET: testSecret };
    const child: ChildProcess = spawn(process.execPath, [binPath, "accounts", "add", PROVIDER, "--name", "cli account", "--cwd", project.dir], {
      cwd: project.dir, env: { ...process.env, ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    cleanups.push(() => void child.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitFor(() => /https?:\/\/\S+\/oauth\/authorize\S+/.test(stdout) || child.exitCode !== null, 20_000, `the authorize URL (stderr: ${stderr})`);
    const authUrl = /(https?:\/\/\S+\/oauth\/authorize\S+)/.exec(stdout)![1]!;
    const browser = await oauth.authorize(authUrl);
    child.stdin!.write(`${browser.callbackUrl}\n`);
    expect(await exited, stderr).toBe(0);
    outputs.push(stdout, stderr);
    expect(stdout).toMatch(/Added codex-oauth account acc_[0-9a-f]{24} \(cli account\): active/);
    expect(codex.requests).toHaveLength(1); // the validation call, from the CLI process

    const listed = await runCli(["accounts", "list", "--json", "--cwd", project.dir], { cwd: project.dir, env });
    outputs.push(listed.stdout, listed.stderr);
    expect(listed.code, listed.stderr).toBe(0);
    const accounts = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(accounts).toEqual([expect.objectContaining({ provider: PROVIDER, name: "cli account", status: "active", tier: "plus", details: expect.objectContaining({ chatgptAccountId: "acct-cli", email: "cli@example.com" }) })]);
    const table = await runCli(["accounts", "list", "--cwd", project.dir], { cwd: project.dir, env });
    outputs.push(table.stdout, table.stderr);
    expect(table.stdout).toMatch(/codex-oauth\s+acc_[0-9a-f]{24}\s+cli account\s+active\s+plus/);
    for (const t of oauth.issued) for (const s of [t.accessToken, t.refreshToken, t.idToken!]) expect(stdout + stderr + listed.stdout + table.stdout).not.toContain(s);
  }, 45_000);
});

describe("codex-oauth: refused onboarding (Done-when 3)", () => {
  const startPath = `/admin/providers/${PROVIDER}/oauth/start`;
  const exchangePath = `/admin/providers/${PROVIDER}/oauth/exchange`;

  it("refuses a wrong state, a reused flow and an expired flow with 400s and creates nothing", async () => {
    const h = await start();
    const first = await h.admin("POST", startPath, {});
    const browser = await h.oauth.authorize(first.json.authUrl);
    const forged = new URL(browser.callbackUrl);
    forged.searchParams.set("state", "not-the-state-of-this-flow");
    const wrong = await h.admin("POST", exchangePath, { flowId: first.json.flowId, callbackUrl: forged.href });
    expect([wrong.status, wrong.json.error.message]).toEqual([400, expect.stringMatching(/state .* does not match/)]);
    // The flow died with the failed attempt: the right state is refused now too.
    const reused = await h.admin("POST", exchangePath, { flowId: first.json.flowId, callbackUrl: browser.callbackUrl });
    expect([reused.status, reused.json.error.message]).toEqual([400, expect.stringMatching(/unknown or was already used/)]);

    const second = await h.admin("POST", startPath, {});
    const ok = await h.oauth.authorize(second.json.authUrl);
    expect((await h.admin("POST", exchangePath, { flowId: second.json.flowId, callbackUrl: ok.callbackUrl })).status).toBe(201);
    const again = await h.admin("POST", exchangePath, { flowId: second.json.flowId, callbackUrl: ok.callbackUrl });
    expect([again.status, again.json.error.message]).toEqual([400, expect.stringMatching(/unknown or was already used/)]);

    const third = await h.admin("POST", startPath, {});
    const late = await h.oauth.authorize(third.json.authUrl);
    h.clock.now = Date.now() + 11 * 60_000;
    const expired = await h.admin("POST", exchangePath, { flowId: third.json.flowId, callbackUrl: late.callbackUrl });
    expect([expired.status, expired.json.error.message]).toEqual([400, expect.stringMatching(/expired/)]);
    h.clock.now = undefined;

    expect((await h.admin("GET", "/admin/accounts")).json.data).toHaveLength(1);
    expect(h.oauth.tokenRequests).toHaveLength(1); // only the one good exchange reached the token endpoint
  });

  it("records a failed validation as status error with the reason, and serves nothing from it", async () => {
    const h = await start();
    h.codex.script({ status: 403 });
    const account = await h.onboard();
    expect(account).toMatchObject({ status: "error", lastError: expect.stringMatching(/^validation failed: the Codex backend answered 403/) });
    const relayed = await h.respond();
    expect(relayed.status).toBe(429); // no usable account: the relay refuses, the backend is not asked
    expect(h.codex.requests).toHaveLength(1);
    // An operator refresh validates again; this time the backend accepts it.
    const refreshed = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(refreshed.json).toMatchObject({ status: "active" });
    expect(refreshed.json.lastError).toBeUndefined();
    expect((await h.respond()).status).toBe(200);
  });

  it("records an unreachable backend at validation as status error", async () => {
    const h = await start({ baseURL: "http://127.0.0.1:9/backend-api/codex" });
    const account = await h.onboard();
    expect(account).toMatchObject({ status: "error", lastError: expect.stringMatching(/^validation failed: could not reach the Codex backend/) });
  });
});

describe("codex-oauth: import and refresh (Done-when 4)", () => {
  it("imports an auth.json (account id from the file or the id_token) and serves from it", async () => {
    const h = await start();
    const tokens = h.oauth.mint({ accountId: "acct-imported", email: "imported@example.com", planType: "team" });
    const imported = await h.importFile(tokens, { name: "from workstation" });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toMatchObject({ name: "from workstation", status: "active", tier: "team", details: { chatgptAccountId: "acct-imported", email: "imported@example.com" } });
    const other = await h.importFile(h.oauth.mint({ accountId: "acct-claim-only", email: "claim@example.com" }), { accountId: false });
    expect(other.json).toMatchObject({ status: "active", details: { chatgptAccountId: "acct-claim-only" } });
    const response = await h.respond("through the import");
    expect(((await response.json()) as { output: Array<{ content: Array<{ text: string }> }> }).output[0]!.content[0]!.text).toBe("echo: through the import");
    expect(h.oauth.tokenRequests).toHaveLength(0); // the imported tokens were used as they are
  });

  it("refuses malformed files with a 400 that never repeats their content", async () => {
    const h = await start();
    const canary = `rt_canary_${randomBytes(12).toString("hex")}`;
    const tokens = h.oauth.mint();
    const noClaim = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ email: "x@example.com" })).toString("base64url")}.`;
    const cases: Array<[string, RegExp]> = [
      [`{"tokens": {"refresh_token": "${canary}"`, /not JSON/],
      [JSON.stringify({ OPENAI_API_KEY: canary }), /no tokens object/],
      [JSON.stringify({ tokens: { access_token: tokens.accessToken, refresh_token: canary } }), /neither tokens\.account_id nor an id_token/],
      [JSON.stringify({ tokens: { id_token: noClaim, access_token: tokens.accessToken, refresh_token: canary } }), /no chatgpt_account_id claim/],
      [JSON.stringify({ tokens: { id_token: tokens.idToken, access_token: `${canary} with spaces`, refresh_token: canary } }), /tokens\.access_token is not a token/],
      [JSON.stringify([canary]), /not a JSON object/],
    ];
    for (const [content, reason] of cases) {
      const refused = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: content });
      expect(refused.status, content).toBe(400);
      expect(refused.json.error.message).toMatch(reason);
      expect(refused.text).not.toContain(canary);
      expect(refused.text).not.toContain(tokens.accessToken);
    }
    expect((await h.admin("GET", "/admin/accounts")).json.data).toEqual([]);
    expect(logs.text()).not.toContain(canary);
  });

  it("retries a failing token endpoint: two 500s then success is one refresh after 3 attempts; a new id_token updates the plan", async () => {
    const h = await start();
    // A file whose id_token is older than its grant: the plan changed to pro since.
    const grant = h.oauth.mint({ accountId: "acct-upgrade", email: "upgrade@example.com", planType: "pro" });
    const stale = h.oauth.mint({ accountId: "acct-upgrade", email: "upgrade@example.com", planType: "free" });
    const imported = await h.importFile({ ...grant, idToken: stale.idToken! });
    expect(imported.json).toMatchObject({ status: "active", tier: "free" });
    h.oauth.failToken({ status: 500 }, { status: 500 });
    const refreshed = await h.admin("POST", `/admin/accounts/${imported.json.id}/refresh`);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.json).toMatchObject({ status: "active", tier: "pro", details: { plan: "pro" }, lastRefreshAt: expect.any(Number) });
    expect(refreshed.json.lastError).toBeUndefined();
    const posts = h.oauth.tokenRequests.filter((r) => r.grantType === "refresh_token");
    expect(posts).toHaveLength(3);
    for (const post of posts) expect(post).toMatchObject({ encoding: "json", body: { client_id: "app_EMoamEEZ73f0CkXaXp7hrann", grant_type: "refresh_token", refresh_token: grant.refreshToken } });
    expect(h.oauth.issued).toHaveLength(3);
    const response = await h.respond();
    expect(response.status).toBe(200);
    expect(h.codex.requests.at(-1)!.headers.authorization).toBe(`Bearer ${h.oauth.issued[2]!.accessToken}`);
  });

  it("clamps broken token lifetimes (no refresh per request) and keeps the refresh token through an HTML answer", async () => {
    const h = await start();
    h.oauth.expiresIn = 0;
    const account = await h.onboard();
    // expires_in 0 counts as the refresh-ahead window (5 min) plus a minute.
    expect(account.expiresAt - Date.now()).toBeGreaterThan(5 * 60_000 + 50_000);
    expect(account.expiresAt - Date.now()).toBeLessThan(6 * 60_000 + 10_000);
    for (let i = 0; i < 3; i++) expect((await h.respond()).status).toBe(200);
    expect(h.refreshPosts()).toBe(0);
    h.oauth.expiresIn = 1e12;
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).json.expiresAt).toBeLessThanOrEqual(Date.now() + 366 * 24 * 3600_000);
    h.oauth.expiresIn = null; // no expires_in: the access token's own exp (an hour in the fake)
    expect(Math.abs((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).json.expiresAt - (Date.now() + 3600_000))).toBeLessThan(10_000);
    const kept = h.oauth.issued.at(-1)!.refreshToken;
    const html = { status: 200, body: "<html><body>down for maintenance</body></html>", headers: { "content-type": "text/html" } };
    h.oauth.failToken(html, html, html);
    const failed = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(failed.json).toMatchObject({ status: "active", lastError: expect.stringMatching(/token endpoint answered 200 without JSON/) });
    expect(failed.text).not.toContain("maintenance");
    h.clock.now = Date.now() + 10 * 60_000; // past the backoff
    const again = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(again.json.status).toBe("active");
    expect(again.json.lastError).toBeUndefined();
    expect(h.oauth.tokenRequests.at(-1)!.body.refresh_token).toBe(kept);
  });

  it("keeps the refresh token when the answer has none", async () => {
    const h = await start({ oauth: { rotateRefreshTokens: false } });
    const account = await h.onboard();
    const original = h.oauth.issued[0]!.refreshToken;
    for (let i = 0; i < 2; i++) expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).json.status).toBe("active");
    expect(h.oauth.tokenRequests.filter((r) => r.grantType === "refresh_token").map((r) => r.body.refresh_token)).toEqual([original, original]);
  });

  it("marks a revoked grant needs_reauth and never posts to the token endpoint again", async () => {
    const h = await start();
    const account = await h.onboard();
    h.oauth.revokeAll();
    const refused = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(refused.json).toMatchObject({ status: "needs_reauth", lastError: expect.stringMatching(/401 refresh_token_invalidated; sign in again/) });
    expect(h.refreshPosts()).toBe(1);
    h.oauth.expireAccessTokens();
    expect((await h.respond()).status).toBe(429); // the only account needs a login: nothing to send to
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).json.status).toBe("needs_reauth");
    expect(h.refreshPosts()).toBe(1);
    // Signing in again replaces the tokens of the same account.
    const again = await h.onboard();
    expect(again).toMatchObject({ id: account.id, status: "active" });
    expect((await h.respond()).status).toBe(200);
  });

  it("refreshes once on a 401 from the backend and retries the same account", async () => {
    const h = await start();
    await h.onboard();
    h.oauth.expireAccessTokens();
    const response = await h.respond("after expiry");
    expect(response.status).toBe(200);
    expect(h.refreshPosts()).toBe(1);
    const [rejected, retried] = h.codex.requests.slice(-2);
    expect(rejected!.headers.authorization).toBe(`Bearer ${h.oauth.issued[0]!.accessToken}`);
    expect(retried!.headers.authorization).toBe(`Bearer ${h.oauth.issued[1]!.accessToken}`);
  });
});

describe("codex-oauth: background refresh (Done-when 5)", () => {
  it("refreshes a token expiring within 5 minutes and leaves one that is not", async () => {
    // Requests refresh a minute ahead; the job looks 5 minutes ahead.
    const h = await start({ options: { refreshSweepMs: 1000, refreshAheadMs: 60_000 } });
    const later = await h.onboard({ account: { accountId: "acct-later", email: "later@example.com" } });
    h.oauth.expiresIn = 120;
    const soon = await h.onboard({ account: { accountId: "acct-soon", email: "soon@example.com" } });
    h.oauth.expiresIn = 864_000;
    await waitFor(() => h.refreshPosts() >= 1, 10_000, "the background refresh");
    const soonRefresh = h.oauth.issued[1]!.refreshToken;
    expect(h.oauth.tokenRequests.find((r) => r.grantType === "refresh_token")!.body.refresh_token).toBe(soonRefresh);
    // Two more sweeps: the refreshed token is not due any more, the other never was.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(h.refreshPosts()).toBe(1);
    const list = (await h.admin("GET", "/admin/accounts")).json.data as Array<Record<string, any>>;
    const byId = new Map(list.map((a) => [a.id, a]));
    expect(byId.get(soon.id)).toMatchObject({ status: "active", lastRefreshAt: expect.any(Number) });
    expect(byId.get(soon.id)!.expiresAt).toBeGreaterThan(Date.now() + 9 * 24 * 3600_000);
    expect(byId.get(later.id)!.lastRefreshAt).toBeUndefined();
  });
});

describe("codex-oauth: usage limits (Done-when 6)", () => {
  it("cools an account that hit usage_limit_reached until its reset while another account serves", async () => {
    const h = await start();
    await h.onboard({ account: { accountId: "acct-a", email: "a@example.com" } });
    await h.onboard({ account: { accountId: "acct-b", email: "b@example.com" } });
    const before = h.codex.requests.length;
    h.codex.script(codexUsageLimit(3600));
    const response = await h.respond("limit me");
    expect(response.status).toBe(200);
    const [limited, served] = h.codex.requests.slice(before);
    expect(limited!.headers["chatgpt-account-id"]).not.toBe(served!.headers["chatgpt-account-id"]);
    const list = (await h.admin("GET", "/admin/accounts")).json.data as Array<Record<string, any>>;
    const cooling = list.find((a) => a.details.chatgptAccountId === limited!.headers["chatgpt-account-id"])!;
    expect(cooling.status).toBe("cooling");
    expect(Math.abs(cooling.coolingUntil - (Date.now() + 3600_000))).toBeLessThan(60_000);
    expect(list.find((a) => a.id !== cooling.id)!.status).toBe("active");
    // Until the reset every request goes to the other account.
    for (let i = 0; i < 3; i++) await (await h.respond()).arrayBuffer();
    for (const seen of h.codex.requests.slice(-3)) expect(seen.headers["chatgpt-account-id"]).toBe(served!.headers["chatgpt-account-id"]);
  });

  it("reads resets_at too, and a response.failed rate_limit_exceeded at the start of a stream", async () => {
    const backend = await startScriptedCodex();
    const h = await start({ baseURL: `${backend.url}/backend-api/codex` });
    const account = await h.onboard();
    backend.next.push({ status: 429, json: { error: { type: "usage_limit_reached", message: "limit", resets_at: Math.floor(Date.now() / 1000) + 7200 } } });
    const provider = h.gateway.providers.get(PROVIDER)!;
    const first = await provider.send(upstreamRequest("openai-responses", { accountId: account.id }));
    expect(first.status).toBe(429);
    expect(provider.classify!(first, account.id)).toEqual({ kind: "rate_limited", retryAfterMs: expect.any(Number) });
    expect(Math.abs((provider.classify!(first, account.id) as { retryAfterMs: number }).retryAfterMs - 7200_000)).toBeLessThan(60_000);

    backend.next.push({ sse: FAILED_SSE });
    const failed = await h.respond("stream please", { stream: true });
    expect(failed.status).toBe(429); // before any byte: the only account cools, the client gets a 429
    expect(Number(failed.headers.get("retry-after"))).toBeGreaterThanOrEqual(19);
    const list = (await h.admin("GET", "/admin/accounts")).json.data as Array<Record<string, any>>;
    expect(list[0]).toMatchObject({ status: "cooling" });
    expect(Math.abs(list[0]!.coolingUntil - (Date.now() + 20_000))).toBeLessThan(5_000);
  });
});

describe("codex-oauth: per-account proxies (Done-when 7)", () => {
  it("sends the token exchange, validation, relay and refresh of a socks5 account through its proxy, and an http one through its own", async () => {
    const socks = await startSocks5Proxy({ auth: { user: "proxy-user", pass: "socks-pass-canary-6d1f" } });
    const http = await startHttpProxy({ auth: { user: "proxy-user", pass: "http-pass-canary-93ab" } });
    cleanups.push(() => Promise.all([socks.close(), http.close()]).then(() => undefined));
    secrets.add("socks-pass-canary-6d1f").add("http-pass-canary-93ab");
    const h = await start();
    const hostOf = (url: string) => new URL(url).host;
    const viaSocks = await h.onboard({ proxy: socks.urlWith({ user: "proxy-user", pass: "socks-pass-canary-6d1f" }), account: { accountId: "acct-socks", email: "socks@example.com" } });
    expect(viaSocks).toMatchObject({ status: "active", proxy: socks.url.replace(/\/$/, "") });
    expect(targets(socks)).toEqual(expect.arrayContaining([hostOf(h.oauth.url), hostOf(h.codex.url)]));
    expect(socks.connections.every((c) => c.authenticated)).toBe(true);

    const imported = await h.importFile(h.oauth.mint({ accountId: "acct-http", email: "http@example.com" }), { proxy: http.urlWith({ user: "proxy-user", pass: "http-pass-canary-93ab" }) });
    expect(imported.json).toMatchObject({ status: "active", proxy: http.url.replace(/\/$/, "") });
    expect(targets(http)).toEqual(expect.arrayContaining([expect.stringContaining(hostOf(h.codex.url))])); // the validation call
    expect(http.connections.every((c) => c.authenticated)).toBe(true);

    await h.admin("PATCH", `/admin/accounts/${viaSocks.id}`, { enabled: false });
    await (await h.respond("via http")).arrayBuffer();
    expect(h.codex.requests.at(-1)!.headers["chatgpt-account-id"]).toBe("acct-http");

    // PATCH proxy: null sends directly: with the proxy gone, requests still work.
    await http.close();
    expect((await h.respond("through a dead proxy")).status).toBe(502);
    await h.admin("PATCH", `/admin/accounts/${imported.json.id}`, { proxy: null });
    expect((await h.respond("direct")).status).toBe(200);
    const bad = await h.admin("PATCH", `/admin/accounts/${imported.json.id}`, { proxy: "ftp://user:ftp-pass-canary@host:21" });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain("ftp-pass-canary");

    // The socks account's refresh uses its proxy too: with the proxy gone, the token endpoint is never reached.
    await h.admin("PATCH", `/admin/accounts/${viaSocks.id}`, { enabled: true });
    await socks.close();
    const posts = h.refreshPosts();
    const failed = await h.admin("POST", `/admin/accounts/${viaSocks.id}/refresh`);
    expect(failed.json).toMatchObject({ status: "active", lastError: expect.stringMatching(/token endpoint unreachable/) });
    expect(failed.text).not.toContain("socks-pass-canary");
    expect(h.refreshPosts()).toBe(posts);
  });
});

describe("codex-oauth: secrets (Done-when 8)", () => {
  it("never shows a token or proxy password in admin answers, CLI output or logs", () => {
    expect(secrets.size).toBeGreaterThan(20);
    expect(outputs.length).toBeGreaterThan(20);
    const everything = `${outputs.join("\n")}\n${logs.text()}`;
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(everything.includes(secret), `a secret of ${secret.length} chars leaked`).toBe(false);
  });
});

// --- internal ---

function targets(proxy: TestProxy): string[] {
  return proxy.connections.map((c) => c.target);
}

const CODEX_SSE = [
  'event: codex.rate_limits\ndata: {"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":5,"window_minutes":300,"reset_at":1}}}\n',
  ': keep-alive comment\n',
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress"}}\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"h\\u00e9llo ✓"}\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,\ndata: "response":{"id":"resp_1","status":"completed"}}\n',
].join("\n");

// CODEX_SSE as the plugin streams it on: the rate-limit record and the comment gone, line endings `\n`.
const CODEX_STREAMED = [
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress"}}\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"h\\u00e9llo ✓"}\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,\ndata: "response":{"id":"resp_1","status":"completed"}}\n',
  "",
].join("\n");

const FAILED_SSE = [
  'event: codex.rate_limits\ndata: {"type":"codex.rate_limits","rate_limits":{"primary":{"used_percent":100,"window_minutes":300,"reset_at":1}}}\n',
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_f","status":"in_progress"}}\n',
  'event: response.failed\ndata: {"type":"response.failed","sequence_number":1,"response":{"id":"resp_f","status":"failed","error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 20s."}}}\n',
  "",
].join("\n");

const OK_SSE = [
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_ok","status":"in_progress"}}\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"ok"}\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_ok","object":"response","status":"completed","output":[{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"ok"}]}],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}\n',
  "",
].join("\n");

/** A bare Codex stand-in that answers queued replies (else a short success stream); no auth checks. */
async function startScriptedCodex(): Promise<{ url: string; next: Array<{ status: number; json: unknown } | { sse: string }> }> {
  const next: Array<{ status: number; json: unknown } | { sse: string }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const reply = next.shift() ?? { sse: OK_SSE };
      if ("sse" in reply) res.writeHead(200, { "content-type": "text/event-stream" }).end(reply.sse);
      else res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, next };
}
