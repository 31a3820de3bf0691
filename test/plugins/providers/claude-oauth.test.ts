import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import { fc, test as prop } from "@fast-check/vitest";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LogCapture, captureLogs } from "../../../core/logger.ts";
import { type Gateway, type GatewayConfig, type RunningServer, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import claudeOAuth, { CLAUDE_CODE_IDENTITY, type ClaudeOAuthOptions, DEFAULT_BETAS, DEFAULT_SCOPES, DEFAULT_USER_AGENT } from "../../../plugins/providers/claude-oauth/index.ts";
import { shapeBody, upstreamHeaders } from "../../../plugins/providers/claude-oauth/shape.ts";
import { binPath, runCli } from "../../_cli.ts";
import { testSecret } from "../../_setup.ts";
import { createTempProject } from "../../_tmp.ts";
import { testProvider, upstreamRequest, waitFor } from "../../conformance/provider.ts";
import { type ProxyAuth, startHttpProxy, startSocks5Proxy } from "../../fixtures/proxies.ts";
import { startFakeClaudeOAuthApi } from "../../fixtures/upstreams/claude-oauth-api.ts";
import { type FakeOAuth, type FakeOAuthOptions, type IssuedTokens, startFakeOAuth } from "../../fixtures/upstreams/oauth.ts";
import type { FakeUpstream } from "../../fixtures/upstreams/_server.ts";

// Every secret any test handled (tokens the fake issued, proxy passwords) and every admin/CLI
// output; the last test scans the outputs and the captured logs for the secrets.
const ADMIN_TOKEN = `claude-oauth-admin-${randomBytes(16).toString("hex")}`;
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

const PROVIDER = "claude-oauth";
const MODEL = "claude-sonnet-4-5";
const HOUR = 3_600_000;

interface Harness {
  oauth: FakeOAuth;
  api: FakeUpstream;
  gateway: Gateway;
  url: string;
  clientKey: string;
  clock: { now: number | undefined };
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  onboard(input?: { proxy?: string; name?: string }): Promise<any>;
  importFile(tokens: IssuedTokens, extra?: { expiresAt?: number; proxy?: string; name?: string }): Promise<any>;
  /** POST /v1/messages with the client key (plain fetch). */
  message(text?: string): Promise<Response>;
  refreshPosts(): number;
}

/** Fake OAuth server + fake Claude API + a gateway on a socket with the plugin pointed at both. */
async function start(input: { options?: Partial<ClaudeOAuthOptions>; oauth?: Partial<FakeOAuthOptions>; config?: GatewayConfig; apiBaseURL?: string } = {}): Promise<Harness> {
  const oauth = await startFakeOAuth({ flavor: "claude", ...input.oauth });
  const api = await startFakeClaudeOAuthApi({ oauth });
  const clock: { now: number | undefined } = { now: undefined };
  const env = { SWITCHYARD_SECRET: testSecret, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [claudeOAuth({ authorizeURL: oauth.authorizeUrl, tokenURL: oauth.tokenUrl, apiBaseURL: input.apiBaseURL ?? api.url, ...input.options })],
      auth: [apiKey()],
      routes: [{ models: "claude-*", provider: PROVIDER }],
      ...input.config,
    },
    { env },
  );
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }), now: () => clock.now ?? Date.now() });
  const server: RunningServer = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    for (const t of oauth.issued) secrets.add(t.accessToken).add(t.refreshToken);
    await server.close();
    await Promise.all([oauth.close(), api.close()]);
  });
  const url = server.url.replace(/\/$/, "");
  const clientKey = (await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "claude-oauth test" })).key;
  const h: Harness = {
    oauth, api, gateway, url, clientKey, clock,
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
    async onboard({ proxy, name } = {}) {
      const started = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/start`, proxy ? { proxy } : {});
      expect(started.status).toBe(200);
      const browser = await oauth.authorize(started.json.authUrl);
      const done = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/exchange`, { flowId: started.json.flowId, code: `${browser.code}#${browser.state}`, ...(name ? { name } : {}) });
      expect(done.status, done.text).toBe(201);
      return done.json;
    },
    async importFile(tokens, extra = {}) {
      const file = { claudeAiOauth: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: extra.expiresAt ?? Date.now() + 8 * HOUR, scopes: ["user:inference", "user:profile"], subscriptionType: "max" } };
      const done = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: JSON.stringify(file), ...(extra.proxy ? { proxy: extra.proxy } : {}), ...(extra.name ? { name: extra.name } : {}) });
      expect(done.status, done.text).toBe(201);
      return done.json;
    },
    message: (text = "hello there") =>
      fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: text }] }),
      }),
    refreshPosts: () => oauth.tokenRequests.filter((r) => r.grantType === "refresh_token").length,
  };
  return h;
}

const bearer = (request: { headers: Record<string, string> } | undefined) => request?.headers.authorization?.replace(/^Bearer /, "");
const weather = { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("claude-oauth", () => {
  // The credential is the account's access token as a Bearer token; the body gains the one
  // identity block this provider documents adding, and is otherwise unchanged.
  testProvider({
    name: PROVIDER,
    dialect: "anthropic-messages",
    credentialOf: bearer,
    expectBody: (sent) => ({ ...sent, system: [{ type: "text", text: CLAUDE_CODE_IDENTITY }] }),
    async create() {
      const oauth = await startFakeOAuth({ flavor: "claude" });
      cleanups.push(() => {
        for (const t of oauth.issued) secrets.add(t.accessToken).add(t.refreshToken);
        return oauth.close();
      });
      const upstream = await startFakeClaudeOAuthApi({ oauth });
      const env = { SWITCHYARD_SECRET: testSecret };
      const config = resolveGatewayConfig({ storage: { driver: "memory" }, providers: [claudeOAuth({ tokenURL: oauth.tokenUrl, apiBaseURL: upstream.url })] }, { env });
      const gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }) });
      const tokens = oauth.mint();
      const file = { claudeAiOauth: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + 8 * HOUR } };
      await gateway.accounts.admin(PROVIDER).import!({ content: JSON.stringify(file) });
      return { gateway, provider: gateway.providers.get(PROVIDER)!, upstream };
    },
  });
});

describe("claude-oauth: PKCE onboarding and the relay (Done-when 1)", () => {
  it("onboards through the admin API and serves both official SDKs through the account, as Claude Code", async () => {
    const h = await start({ options: { systemPrompt: "Operator rules: stay on topic." } });
    const started = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/start`, {});
    expect(started.status).toBe(200);
    const authUrl = new URL(started.json.authUrl);
    expect(`${authUrl.origin}${authUrl.pathname}`).toBe(h.oauth.authorizeUrl);
    expect(Object.fromEntries(authUrl.searchParams)).toMatchObject({
      code: "true", client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e", response_type: "code",
      redirect_uri: "https://platform.claude.com/oauth/code/callback", scope: DEFAULT_SCOPES.join(" "), code_challenge_method: "S256",
    });
    expect(authUrl.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authUrl.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.json.flowId).toMatch(/^flow_/);

    const browser = await h.oauth.authorize(authUrl.href);
    const before = Date.now();
    const exchanged = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/exchange`, { flowId: started.json.flowId, code: `${browser.code}#${browser.state}` });
    expect(exchanged.status, exchanged.text).toBe(201);
    expect(exchanged.json).toMatchObject({
      provider: PROVIDER, status: "active", name: "user@example.com", scopes: DEFAULT_SCOPES,
      details: { email: "user@example.com", organizationName: "Fake Org", organizationId: "org-fake-0001" },
    });
    expect(exchanged.json.expiresAt).toBeGreaterThanOrEqual(before + 28_800_000);
    expect(exchanged.json.expiresAt).toBeLessThanOrEqual(Date.now() + 28_800_000);
    const [exchange] = h.oauth.tokenRequests;
    expect(exchange).toMatchObject({ encoding: "json", grantType: "authorization_code", body: { code: browser.code, state: browser.state, redirect_uri: "https://platform.claude.com/oauth/code/callback", client_id: h.oauth.clientId } });
    const verifier = String(exchange!.body.code_verifier);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(authUrl.searchParams.get("code_challenge"));
    expect(exchange!.headers["user-agent"]).toBe(DEFAULT_USER_AGENT);

    const anthropic = new Anthropic({ apiKey: h.clientKey, baseURL: h.url, maxRetries: 0 });
    const message = await anthropic.messages.create(
      { model: MODEL, max_tokens: 64, system: "client system text", messages: [{ role: "user", content: "hello there" }] },
      { headers: { "anthropic-beta": "prompt-caching-2024-07-31,oauth-2025-04-20" } },
    );
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: hello there" });
    const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "stream me" }] });
    let streamed = "";
    stream.on("text", (delta) => (streamed += delta));
    expect((await stream.finalMessage()).stop_reason).toBe("end_turn");
    expect(streamed).toBe("echo: stream me");

    const openai = new OpenAI({ apiKey: h.clientKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const tools = [{ type: "function" as const, function: weather }];
    const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "please use tool" }], tools });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    const chunks = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "please use tool again" }], tools, stream: true });
    let streamedTool = "";
    for await (const chunk of chunks) for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) streamedTool += tc.function?.name ?? "";
    expect(streamedTool).toBe("get_weather");

    // What the upstream saw: Claude Code's headers, the bearer token, the identity prefix.
    const token = h.oauth.issued[0]!.accessToken;
    expect(h.api.requests).toHaveLength(4);
    for (const seen of h.api.requests) {
      expect(seen).toMatchObject({ method: "POST", path: "/v1/messages", search: "?beta=true" });
      expect(seen.headers).toMatchObject({
        authorization: `Bearer ${token}`, "anthropic-version": "2023-06-01", "x-app": "cli", "anthropic-dangerous-direct-browser-access": "true",
        "user-agent": DEFAULT_USER_AGENT, "accept-encoding": "identity",
      });
      expect(seen.headers["x-api-key"]).toBeUndefined();
      const betas = seen.headers["anthropic-beta"]!.split(",");
      expect(betas.slice(0, DEFAULT_BETAS.length)).toEqual(DEFAULT_BETAS);
      expect(new Set(betas).size).toBe(betas.length);
      const system = (seen.body as { system: Array<{ text: string }> }).system;
      expect(system[0]).toEqual({ type: "text", text: CLAUDE_CODE_IDENTITY });
      expect(system[1]).toEqual({ type: "text", text: "Operator rules: stay on topic." });
    }
    expect(h.api.requests[0]!.headers["anthropic-beta"]).toBe([...DEFAULT_BETAS, "prompt-caching-2024-07-31"].join(","));
    expect((h.api.requests[0]!.body as any).system[2]).toEqual({ type: "text", text: "client system text" });
    expect(h.api.requests[1]!.headers.accept).toBe("text/event-stream");
    expect(JSON.stringify((h.api.requests[2]!.body as any).system)).toContain("be brief");
    expect(h.oauth.tokenRequests).toHaveLength(1); // no refresh: the token was fresh

    const listed = await h.admin("GET", "/admin/accounts");
    expect(listed.json.data).toHaveLength(1);
    expect(listed.json.data[0].lastUsedAt).toBeTypeOf("number");
  });

  it("takes a bare code too, and reads tier, scopes and profile from the token answer", async () => {
    const h = await start();
    const { json } = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/start`, {});
    const browser = await h.oauth.authorize(json.authUrl);
    const minted = h.oauth.mint();
    h.oauth.failToken({
      status: 200,
      body: {
        token_type: "Bearer", access_token: minted.accessToken, refresh_token: minted.refreshToken, expires_in: 28800, scope: "user:inference user:profile",
        organization: { uuid: "org-max", name: "Max Org", rate_limit_tier: "default_claude_max_20x" },
        account: { uuid: "acct-max", email_address: "max@example.com" }, unknown_field: [1, 2],
      },
    });
    const done = await h.admin("POST", `/admin/providers/${PROVIDER}/oauth/exchange`, { flowId: json.flowId, code: browser.code, name: "max plan" });
    expect(done.status, done.text).toBe(201);
    expect(done.json).toMatchObject({ name: "max plan", tier: "default_claude_max_20x", scopes: ["user:inference", "user:profile"], details: { email: "max@example.com", organizationName: "Max Org", rateLimitTier: "default_claude_max_20x" } });
    expect(h.oauth.tokenRequests[0]!.body).toMatchObject({ code: browser.code, state: browser.state });
    expect((await h.message()).status).toBe(200);
    expect(bearer(h.api.requests[0])).toBe(minted.accessToken);
  });

  it("counts tokens through /v1/messages/count_tokens?beta=true with the same headers and prefix", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    await h.importFile(tokens);
    const anthropic = new Anthropic({ apiKey: h.clientKey, baseURL: h.url, maxRetries: 0 });
    const counted = await anthropic.messages.countTokens({ model: MODEL, system: "count me", messages: [{ role: "user", content: "how many" }] });
    expect(h.api.requests).toHaveLength(1);
    const [seen] = h.api.requests;
    expect(seen).toMatchObject({ method: "POST", path: "/v1/messages/count_tokens", search: "?beta=true" });
    expect(counted.input_tokens).toBe(Math.round(seen!.bodyBytes / 4)); // the fake's count of what it received
    expect(seen!.headers).toMatchObject({ authorization: `Bearer ${tokens.accessToken}`, "x-app": "cli", "user-agent": DEFAULT_USER_AGENT });
    expect(seen!.headers["x-api-key"]).toBeUndefined();
    const body = seen!.body as Record<string, unknown>;
    expect(body.system).toEqual([{ type: "text", text: CLAUDE_CODE_IDENTITY }, { type: "text", text: "count me" }]);
    expect(body).not.toHaveProperty("max_tokens");
  });
});

describe("claude-oauth: onboarding through the CLI (Done-when 2)", () => {
  it("prints the authorize URL, reads the pasted callback, prints the account; accounts list --json shows it", async () => {
    const oauth = await startFakeOAuth({ flavor: "claude" });
    const api = await startFakeClaudeOAuthApi({ oauth });
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import claudeOAuth from "switchyard/plugins/providers/claude-oauth";
export default defineGatewayConfig({
  storage: { driver: "sqlite", path: "./data/gateway.sqlite" },
  providers: [claudeOAuth({ authorizeURL: ${JSON.stringify(oauth.authorizeUrl)}, tokenURL: ${JSON.stringify(oauth.tokenUrl)}, apiBaseURL: ${JSON.stringify(api.url)} })],
  routes: [{ models: "claude-*", provider: "claude-oauth" }],
});`,
    });
    cleanups.push(async () => {
      for (const t of oauth.issued) secrets.add(t.accessToken).add(t.refreshToken);
      project.cleanup();
      await Promise.all([oauth.close(), api.close()]);
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
    await waitFor(() => /https?:\/\/\S+oauth\/authorize\S+/.test(stdout) || child.exitCode !== null, 20_000, `the authorize URL (stderr: ${stderr})`);
    const authUrl = /(https?:\/\/\S+oauth\/authorize\S+)/.exec(stdout)![1]!;
    const browser = await oauth.authorize(authUrl);
    child.stdin!.write(`${browser.callbackUrl}\n`);
    expect(await exited, stderr).toBe(0);
    outputs.push(stdout, stderr);
    expect(stdout).toMatch(/Added claude-oauth account acc_[0-9a-f]{24} \(cli account\): active/);

    const listed = await runCli(["accounts", "list", "--json", "--cwd", project.dir], { cwd: project.dir, env });
    outputs.push(listed.stdout, listed.stderr);
    expect(listed.code, listed.stderr).toBe(0);
    const accounts = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ provider: PROVIDER, name: "cli account", status: "active", details: { email: "user@example.com" } });
    const text = await runCli(["accounts", "list", "--cwd", project.dir], { cwd: project.dir, env });
    outputs.push(text.stdout, text.stderr);
    expect(text.stdout).toContain("cli account");
    expect(oauth.tokenRequests.map((r) => r.grantType)).toEqual(["authorization_code"]);
    for (const t of oauth.issued) {
      expect(stdout + stderr + listed.stdout + text.stdout).not.toContain(t.accessToken);
      expect(stdout + stderr + listed.stdout + text.stdout).not.toContain(t.refreshToken);
    }
  }, 45_000);
});

describe("claude-oauth: refused exchanges (Done-when 3)", () => {
  const startPath = `/admin/providers/${PROVIDER}/oauth/start`;
  const exchangePath = `/admin/providers/${PROVIDER}/oauth/exchange`;
  const accounts = async (h: Harness) => (await h.admin("GET", "/admin/accounts")).json.data as unknown[];

  it("refuses a wrong state with a 400, creates nothing, and the flow is gone afterwards", async () => {
    const h = await start();
    const { json } = await h.admin("POST", startPath, {});
    const browser = await h.oauth.authorize(json.authUrl);
    const wrong = await h.admin("POST", exchangePath, { flowId: json.flowId, code: `${browser.code}#not-the-state` });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toMatch(/state/);
    const wrongUrl = new URL(browser.callbackUrl);
    wrongUrl.searchParams.set("state", "forged");
    const again = await h.admin("POST", exchangePath, { flowId: json.flowId, callbackUrl: browser.callbackUrl });
    expect(again.status).toBe(400); // single use even after a failure
    expect(h.oauth.tokenRequests).toHaveLength(0);
    expect(await accounts(h)).toEqual([]);

    const second = (await h.admin("POST", startPath, {})).json;
    const other = await h.oauth.authorize(second.authUrl);
    const forged = new URL(other.callbackUrl);
    forged.searchParams.set("state", "forged-state");
    expect((await h.admin("POST", exchangePath, { flowId: second.flowId, callbackUrl: forged.href })).status).toBe(400);
    expect(await accounts(h)).toEqual([]);
  });

  it("refuses a reused flow id with a 400 and keeps exactly one account", async () => {
    const h = await start();
    const { json } = await h.admin("POST", startPath, {});
    const browser = await h.oauth.authorize(json.authUrl);
    expect((await h.admin("POST", exchangePath, { flowId: json.flowId, callbackUrl: browser.callbackUrl })).status).toBe(201);
    const reused = await h.admin("POST", exchangePath, { flowId: json.flowId, code: `${browser.code}#${browser.state}` });
    expect(reused.status).toBe(400);
    expect(reused.json.error.message).toMatch(/unknown or was already used/);
    expect(await accounts(h)).toHaveLength(1);
    expect(h.oauth.tokenRequests).toHaveLength(1);
  });

  it("refuses an expired flow (clock moved past 10 minutes) with a 400 and no token call", async () => {
    const h = await start();
    h.clock.now = Date.now();
    const { json } = await h.admin("POST", startPath, {});
    const browser = await h.oauth.authorize(json.authUrl);
    h.clock.now += 10 * 60_000 + 1;
    const late = await h.admin("POST", exchangePath, { flowId: json.flowId, code: browser.code });
    expect(late.status).toBe(400);
    expect(late.json.error.message).toMatch(/expired/);
    expect(h.oauth.tokenRequests).toHaveLength(0);
    expect(await accounts(h)).toEqual([]);
  });

  it("answers 400 when the token endpoint refuses the code, and creates nothing", async () => {
    const h = await start();
    const { json } = await h.admin("POST", startPath, {});
    await h.oauth.authorize(json.authUrl);
    const refused = await h.admin("POST", exchangePath, { flowId: json.flowId, code: "a-code-the-server-never-issued" });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/refused the code \(400: invalid_grant/);
    expect(await accounts(h)).toEqual([]);
  });
});

describe("claude-oauth: importing Claude Code's .credentials.json (Done-when 4)", () => {
  it("imports a file (unknown keys ignored) and relays with its token, without any token call", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    const file = {
      claudeAiOauth: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + 5 * HOUR, scopes: ["user:inference", "user:profile"], subscriptionType: "max", rateLimitTier: "default_claude_max_20x", somethingNew: 1 },
      account: { emailAddress: "imported@example.com" },
      mcpOAuth: { other: "stuff" },
    };
    const imported = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: JSON.stringify(file) });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toMatchObject({ status: "active", tier: "max", name: "imported@example.com", scopes: ["user:inference", "user:profile"], expiresAt: file.claudeAiOauth.expiresAt, details: { rateLimitTier: "default_claude_max_20x" } });
    const response = await h.message("imported hello");
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).content[0].text).toBe("echo: imported hello");
    expect(bearer(h.api.requests[0])).toBe(tokens.accessToken);
    expect(h.oauth.tokenRequests).toHaveLength(0);
  });

  it("importing the same file again replaces the tokens of the one account instead of adding a second", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    const file = (expiresAt: number) => JSON.stringify({ claudeAiOauth: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt } });
    const first = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: file(Date.now() + HOUR) });
    const again = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: file(Date.now() + 2 * HOUR) });
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.expiresAt).toBeGreaterThan(first.json.expiresAt);
    expect((await h.admin("GET", "/admin/accounts")).json.data).toHaveLength(1);
  });

  it.each<[string, (t: IssuedTokens) => string, RegExp]>([
    ["text that is not JSON", (t) => `not json ${t.accessToken}`, /not JSON/],
    ["JSON without claudeAiOauth", (t) => JSON.stringify({ tokens: { access_token: t.accessToken } }), /claudeAiOauth/],
    ["a missing refresh token", (t) => JSON.stringify({ claudeAiOauth: { accessToken: t.accessToken, expiresAt: Date.now() } }), /refreshToken/],
    ["a token that is a number", (t) => JSON.stringify({ claudeAiOauth: { accessToken: 12345678, refreshToken: t.refreshToken } }), /accessToken/],
    ["expiresAt as text", (t) => JSON.stringify({ claudeAiOauth: { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: "tomorrow" } }), /expiresAt/],
  ])("refuses %s with a 400 that never echoes the content", async (_what, content, message) => {
    const h = await start();
    const tokens = h.oauth.mint();
    const refused = await h.admin("POST", "/admin/accounts", { provider: PROVIDER, import: content(tokens) });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(message);
    expect(refused.text).not.toContain(tokens.accessToken);
    expect(refused.text).not.toContain(tokens.refreshToken);
    expect((await h.admin("GET", "/admin/accounts")).json.data).toEqual([]);
  });
});

describe("claude-oauth: token refresh (Done-when 5)", () => {
  it("refreshes ahead of expiry once, persists the rotated tokens, then uses them", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    await h.importFile(tokens, { expiresAt: Date.now() + 30_000 }); // inside the 60 s window
    expect((await h.message()).status).toBe(200);
    expect((await h.message()).status).toBe(200);
    expect(h.refreshPosts()).toBe(1);
    expect(h.oauth.tokenRequests[0]).toMatchObject({ encoding: "json", body: { grant_type: "refresh_token", refresh_token: tokens.refreshToken, client_id: h.oauth.clientId } });
    const rotated = h.oauth.issued[1]!;
    expect(h.api.requests.map(bearer)).toEqual([rotated.accessToken, rotated.accessToken]);
    const [account] = (await h.admin("GET", "/admin/accounts")).json.data;
    expect(account.lastRefreshAt).toBeTypeOf("number");
    expect(account.expiresAt).toBeGreaterThan(Date.now() + 7 * HOUR);
    // The rotated refresh token was stored: the next refresh presents it.
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(200);
    expect(h.oauth.tokenRequests.at(-1)!.body.refresh_token).toBe(rotated.refreshToken);
  });

  it("refreshes once on a 401 and the request still succeeds", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    await h.importFile(tokens);
    expect((await h.message("before")).status).toBe(200);
    h.oauth.expireAccessTokens();
    const response = await h.message("after the upstream dropped the token");
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).content[0].text).toBe("echo: after the upstream dropped the token");
    expect(h.refreshPosts()).toBe(1);
    expect(h.api.requests.map(bearer)).toEqual([tokens.accessToken, tokens.accessToken, h.oauth.issued[1]!.accessToken]);
    expect((await h.message("again")).status).toBe(200);
    expect(h.refreshPosts()).toBe(1);
  });

  it.each<[string, number | null, number]>([
    ["missing", null, 3600],
    ["absurdly long (10^12 s)", 1e12, 365 * 24 * 3600],
    ["zero", 0, 300],
    ["negative", -5, 300],
    ["normal", 7200, 7200],
  ])("clamps an expires_in that is %s", async (_what, expiresIn, seconds) => {
    const h = await start();
    const account = await h.importFile(h.oauth.mint());
    h.clock.now = 1_900_000_000_000;
    h.oauth.expiresIn = expiresIn;
    const refreshed = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.expiresAt).toBe(h.clock.now + seconds * 1000);
    expect(refreshed.json.lastRefreshAt).toBe(h.clock.now);
  });

  it("keeps the old refresh token when an answer lacks one or is HTML", async () => {
    const h = await start();
    const tokens = h.oauth.mint();
    const account = await h.importFile(tokens);
    h.clock.now = Date.now();
    const live = h.oauth.mint();
    h.oauth.failToken({ status: 200, body: { access_token: live.accessToken, expires_in: 3600, token_type: "Bearer", surprise: { nested: true } } });
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(200);
    h.oauth.failToken({ status: 200, body: "<html><body>Just a moment...</body></html>", headers: { "content-type": "text/html" } });
    const html = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(html.status).toBe(409);
    expect(html.json.error.message).toMatch(/without an access token/);
    const afterHtml = (await h.admin("GET", `/admin/accounts/${account.id}`)).json;
    expect(afterHtml).toMatchObject({ status: "active", lastError: expect.stringMatching(/without an access token/) });
    h.clock.now += 31_000; // past the backoff
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(200);
    expect(h.oauth.tokenRequests.map((r) => r.body.refresh_token)).toEqual([tokens.refreshToken, tokens.refreshToken, tokens.refreshToken]);
    expect((await h.message()).status).toBe(200);
  });

  it.each<[string, Record<string, string>, number]>([
    ["Retry-After: 120", { "retry-after": "120" }, 120_000],
    ["Retry-After: 1, raised to 5 s", { "retry-after": "1" }, 5_000],
    ["Retry-After: 3600, lowered to 5 min", { "retry-after": "3600" }, 300_000],
  ])("treats a 429 from the token endpoint as transient and honours %s", async (_what, headers, waitMs) => {
    const h = await start();
    const account = await h.importFile(h.oauth.mint());
    h.clock.now = Date.now();
    h.oauth.failToken({ status: 429, headers });
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(409);
    h.clock.now += waitMs - 1000;
    const early = await h.admin("POST", `/admin/accounts/${account.id}/refresh`);
    expect(early.status).toBe(409);
    expect(early.json.error.message).toMatch(/backing off/);
    expect(h.refreshPosts()).toBe(1);
    h.clock.now += 2000;
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(200);
    expect(h.refreshPosts()).toBe(2);
    expect((await h.admin("GET", `/admin/accounts/${account.id}`)).json.status).toBe("active");
  });
});

describe("claude-oauth: a revoked grant (Done-when 6)", () => {
  it("marks the account needs_reauth after exactly one refresh POST while a second account keeps serving", async () => {
    const h = await start();
    const dead = h.oauth.mint({ email: "dead@example.com" });
    const alive = h.oauth.mint({ email: "alive@example.com" });
    const a = await h.importFile(dead, { expiresAt: Date.now() - 1000, name: "dead" });
    const b = await h.importFile(alive, { name: "alive" });
    await h.admin("PATCH", `/admin/accounts/${a.id}`, { priority: 0 });
    await h.admin("PATCH", `/admin/accounts/${b.id}`, { priority: 5 });
    h.oauth.revoke(dead.refreshToken);
    const concurrent = await Promise.all(Array.from({ length: 5 }, (_, i) => h.message(`concurrent ${i}`)));
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    for (let i = 0; i < 3; i++) expect((await h.message(`sequential ${i}`)).status).toBe(200);
    expect(h.refreshPosts()).toBe(1);
    expect(h.api.requests.every((r) => bearer(r) === alive.accessToken)).toBe(true);
    const dA = (await h.admin("GET", `/admin/accounts/${a.id}`)).json;
    expect(dA).toMatchObject({ status: "needs_reauth", lastError: expect.stringMatching(/invalid_grant/) });
    expect((await h.admin("GET", `/admin/accounts/${b.id}`)).json.status).toBe("active");
    // An operator refresh of a dead account does not reach the token endpoint either.
    expect((await h.admin("POST", `/admin/accounts/${a.id}/refresh`)).status).toBe(409);
    expect(h.refreshPosts()).toBe(1);
  });
});

describe("claude-oauth: per-account proxies (Done-when 7)", () => {
  const hostOf = (url: string) => new URL(url).host;

  it("sends the exchange, refreshes and relay calls through the account's socks5 or http proxy", async () => {
    const auth: ProxyAuth = { user: "proxy-user", pass: `proxy-pass-${randomBytes(6).toString("hex")}` };
    secrets.add(auth.pass);
    const socks = await startSocks5Proxy({ auth });
    const http = await startHttpProxy({ auth });
    cleanups.push(() => socks.close(), () => http.close());
    const h = await start();
    const oauthHost = hostOf(h.oauth.url);
    const apiHost = hostOf(h.api.url);

    const account = await h.onboard({ proxy: socks.urlWith(auth) });
    expect(account.proxy).toBe(socks.url);
    expect(socks.connections).toContainEqual({ target: oauthHost, kind: "socks5", authenticated: true });
    expect((await h.message("via socks")).status).toBe(200);
    expect(socks.connections).toContainEqual({ target: apiHost, kind: "socks5", authenticated: true });

    const patched = await h.admin("PATCH", `/admin/accounts/${account.id}`, { proxy: http.urlWith(auth) });
    expect(patched.json.proxy).toBe(http.url);
    expect((await h.admin("POST", `/admin/accounts/${account.id}/refresh`)).status).toBe(200);
    expect(http.connections.some((c) => c.target.includes(oauthHost) && c.authenticated)).toBe(true);
    expect((await h.message("via http")).status).toBe(200);
    expect(http.connections.some((c) => c.target.includes(apiHost) && c.authenticated)).toBe(true);

    const direct = await h.admin("PATCH", `/admin/accounts/${account.id}`, { proxy: null });
    expect(direct.json.proxy).toBeUndefined();
    const [socksSeen, httpSeen] = [socks.connections.length, http.connections.length];
    expect((await h.message("direct")).status).toBe(200);
    expect([socks.connections.length, http.connections.length]).toEqual([socksSeen, httpSeen]);

    // Set at import too; a bad proxy is a 400 that hides its credentials.
    const imported = await h.importFile(h.oauth.mint(), { proxy: socks.urlWith(auth), name: "imported behind socks" });
    expect(imported.proxy).toBe(socks.url);
    const bad = await h.admin("PATCH", `/admin/accounts/${account.id}`, { proxy: `ftp://u:${auth.pass}@127.0.0.1:1` });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(auth.pass);
  });
});

describe("claude-oauth: accounts and organization-level refusals", () => {
  it.each<[number, string]>([
    [403, "OAuth authentication is currently not allowed for this organization."],
    [400, "This organization has been disabled."],
  ])("takes an account out of rotation on a %i '%s' and serves from the next", async (status, message) => {
    const h = await start();
    const first = h.oauth.mint({ email: "first@example.com" });
    const second = h.oauth.mint({ email: "second@example.com" });
    const a = await h.importFile(first, { name: "first" });
    const b = await h.importFile(second, { name: "second" });
    await h.admin("PATCH", `/admin/accounts/${a.id}`, { priority: 1 });
    await h.admin("PATCH", `/admin/accounts/${b.id}`, { priority: 9 });
    h.api.script({ status, body: { type: "error", error: { type: status === 403 ? "permission_error" : "invalid_request_error", message } } });
    const response = await h.message("org check");
    expect(response.status).toBe(200);
    expect(h.api.requests.map(bearer)).toEqual([first.accessToken, second.accessToken]);
    expect((await h.admin("GET", `/admin/accounts/${a.id}`)).json).toMatchObject({ status: "error", lastError: expect.stringContaining(message) });
    expect(h.refreshPosts()).toBe(0);
    expect((await h.message("next")).status).toBe(200);
    expect(bearer(h.api.requests.at(-1))).toBe(second.accessToken);
    // The operator enables it again.
    expect((await h.admin("PATCH", `/admin/accounts/${a.id}`, { enabled: true })).json).toMatchObject({ status: "active" });
  });

  it("returns the identity refusal to the client as its own 400", async () => {
    const h = await start();
    await h.importFile(h.oauth.mint());
    h.api.script({ status: 400, body: { type: "error", error: { type: "invalid_request_error", message: "This credential is only authorized for use with Claude Code and cannot be used for other API requests." } } });
    const response = await h.message();
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toMatch(/only authorized for use with Claude Code/);
    expect((await h.admin("GET", "/admin/accounts")).json.data[0].status).toBe("active");
  });

  it("renames, disables, enables and removes accounts; a disabled account is skipped", async () => {
    const h = await start();
    const account = await h.importFile(h.oauth.mint());
    expect((await h.admin("PATCH", `/admin/accounts/${account.id}`, { name: "renamed", priority: 3 })).json).toMatchObject({ name: "renamed", priority: 3 });
    expect((await h.admin("PATCH", `/admin/accounts/${account.id}`, { enabled: false })).json.status).toBe("disabled");
    await new Promise((r) => setTimeout(r, 1100)); // the account list is cached for a second
    expect((await h.message()).status).toBe(429);
    expect(h.api.requests).toHaveLength(0);
    expect((await h.admin("PATCH", `/admin/accounts/${account.id}`, { enabled: true })).json.status).toBe("active");
    expect((await h.message()).status).toBe(200);
    expect((await h.admin("DELETE", `/admin/accounts/${account.id}`)).json).toMatchObject({ deleted: true });
    expect((await h.admin("GET", "/admin/accounts")).json.data).toEqual([]);
    expect((await h.admin("GET", "/admin/providers")).json.data).toContainEqual(expect.objectContaining({ name: PROVIDER, oauth: true, import: true, managed: true }));
  });

  it("refuses another dialect and sends nothing when no account is active", async () => {
    const h = await start();
    const provider = h.gateway.providers.get(PROVIDER)!;
    await expect(provider.send(upstreamRequest("openai-chat"))).rejects.toThrow(/speaks anthropic-messages/);
    await expect(provider.send(upstreamRequest("anthropic-messages"))).rejects.toThrow(/no active account/);
    const counted = await provider.countTokens!(upstreamRequest("anthropic-messages")).catch((e: unknown) => e);
    expect((counted as { status?: number }).status).toBe(503);
    expect(h.api.requests).toHaveLength(0);
  });
});

describe("claude-oauth: onAuthFailure", () => {
  it("refreshes on onAuthFailure(401) and says so; a 403 is no reason to refresh", async () => {
    const h = await start();
    const provider = h.gateway.providers.get(PROVIDER)!;
    const accountId = (await h.importFile(h.oauth.mint())).id as string;
    await (await provider.send(upstreamRequest("anthropic-messages", { accountId }))).arrayBuffer();
    expect(await provider.accounts!.onAuthFailure!(accountId, 403)).toBe(false);
    expect(h.refreshPosts()).toBe(0);
    expect(await provider.accounts!.onAuthFailure!(accountId, 401)).toBe(true);
    expect(h.refreshPosts()).toBe(1);
    expect((await provider.accounts!.list())[0]).toMatchObject({ id: accountId, status: "active" });
  });
});

describe("claude-oauth: request shaping", () => {
  const options = { maxTokens: [{ pattern: /^claude-3-5-haiku.*$/, cap: 8192 }], stripCacheControlTtl: true, systemPrompt: undefined };

  it("keeps a client that already is Claude Code, drops billing headers, strips ttl and caps max_tokens", () => {
    const body = {
      model: "claude-3-5-haiku-latest", max_tokens: 20_000,
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=1.0; cch=abc" },
        { type: "text", text: `${CLAUDE_CODE_IDENTITY} Extra.`, cache_control: { type: "ephemeral", ttl: "1h" } },
        { type: "text", text: "more" },
      ],
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral", ttl: "5m" } }] }],
      tools: [{ name: "t", input_schema: { type: "object" }, cache_control: { type: "ephemeral", ttl: "1h" } }],
    };
    const frozen = structuredClone(body);
    const shaped = shapeBody(body, options) as any;
    expect(body).toEqual(frozen);
    expect(shaped.system).toEqual([{ type: "text", text: `${CLAUDE_CODE_IDENTITY} Extra.`, cache_control: { type: "ephemeral" } }, { type: "text", text: "more" }]);
    expect(shaped.messages[0].content[0].cache_control).toEqual({ type: "ephemeral" });
    expect(shaped.tools[0].cache_control).toEqual({ type: "ephemeral" });
    expect(shaped.max_tokens).toBe(8192);
    expect((shapeBody({ ...body, model: "claude-sonnet-4-5" }, options) as any).max_tokens).toBe(20_000);
    expect((shapeBody(body, { ...options, stripCacheControlTtl: false }) as any).tools[0].cache_control.ttl).toBe("1h");
  });

  it("merges the client's betas after the required ones, once each", () => {
    const headers = upstreamHeaders({ accessToken: "sk-ant-oat01-test-token", client: new Headers({ "anthropic-beta": " context-1m-2025-08-07 , oauth-2025-04-20,,bad beta" }), stream: false, options: { betas: [...DEFAULT_BETAS], userAgent: "ua" } });
    expect(headers.get("anthropic-beta")).toBe([...DEFAULT_BETAS, "context-1m-2025-08-07"].join(","));
    expect(headers.get("authorization")).toBe("Bearer sk-ant-oat01-test-token");
    expect(headers.has("x-api-key")).toBe(false);
  });

  const block = fc.record({ type: fc.constant("text"), text: fc.oneof(fc.string(), fc.constant("x-anthropic-billing-header: v"), fc.constant(CLAUDE_CODE_IDENTITY)) });
  const system = fc.oneof(fc.constant(undefined), fc.string(), fc.array(block, { maxLength: 5 }));
  prop.prop([system, fc.option(fc.string({ minLength: 1 }), { nil: undefined })], { numRuns: 200 })(
    "always starts with the identity, then the operator prompt, then the client's blocks in order minus billing headers",
    (clientSystem, systemPrompt) => {
      const shaped = shapeBody({ model: MODEL, system: clientSystem, messages: [] }, { ...options, systemPrompt }).system as Array<{ text: string }>;
      const client = (typeof clientSystem === "string" ? (clientSystem === "" ? [] : [{ type: "text", text: clientSystem }]) : (clientSystem ?? [])).filter((b) => !b.text.trimStart().startsWith("x-anthropic-billing-header:"));
      const kept = client[0]?.text.startsWith(CLAUDE_CODE_IDENTITY) ? client : [{ type: "text", text: CLAUDE_CODE_IDENTITY }, ...client];
      expect(shaped[0]!.text.startsWith(CLAUDE_CODE_IDENTITY)).toBe(true);
      const expected = systemPrompt === undefined ? kept : [kept[0], { type: "text", text: systemPrompt }, ...kept.slice(1)];
      expect(shaped).toEqual(expected);
      expect(shaped.some((b) => b.text.trimStart().startsWith("x-anthropic-billing-header:"))).toBe(false);
    },
  );
});

describe("claude-oauth: options", () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["plain http to a remote token host", { tokenURL: "http://auth.example.com/v1/oauth/token" }, /tokenURL: expected https \(plain http only to a loopback host/],
    ["an apiBaseURL with a query", { apiBaseURL: "https://api.example.com/?key=s3cret-query" }, /apiBaseURL: expected .*\(hidden\)/],
    ["an authorizeURL that is no URL", { authorizeURL: "claude.ai/oauth" }, /authorizeURL: expected an http\(s\) URL/],
    ["empty scopes", { scopes: [] }, /scopes: expected a non-empty array/],
    ["a beta with a comma", { betas: ["a,b"] }, /betas: expected an array of strings without spaces or commas/],
    ["a negative refreshAheadMs", { refreshAheadMs: -1 }, /refreshAheadMs: expected an integer from 0/],
    ["a maxTokens cap of zero", { maxTokens: { "claude-*": 0 } }, /maxTokens\.claude-\*: expected a positive integer/],
    ["stripCacheControlTtl as text", { stripCacheControlTtl: "yes" }, /stripCacheControlTtl: expected a boolean/],
    ["an empty systemPrompt", { systemPrompt: " " }, /systemPrompt: expected a non-empty string/],
    ["a user agent with a line break", { userAgent: "ua\r\nx: y" }, /userAgent: expected a non-empty printable ASCII string/],
    ["a misspelt option", { tokenUrl: "https://x" }, /tokenUrl: expected one of authorizeURL, .*, got an unknown option/],
  ])("refuses %s at setup", async (_what, options, message) => {
    const error = await createGateway(resolveGatewayConfig({ storage: { driver: "memory" }, providers: [claudeOAuth(options as ClaudeOAuthOptions)] }, { env: { SWITCHYARD_SECRET: testSecret } }), {
      env: { SWITCHYARD_SECRET: testSecret },
      logger: createLogger({ level: "silent" }),
    }).then(
      async (g) => (await g.close(), undefined),
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:claude-oauth\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain("s3cret-query");
  });

  it("serves the configured models and allows plain http remotely only when told to", async () => {
    const gateway = await createGateway(
      resolveGatewayConfig({ storage: { driver: "memory" }, providers: [claudeOAuth({ models: ["claude-x"], apiBaseURL: "http://claude.internal:8080", allowInsecureHttp: true })] }, { env: { SWITCHYARD_SECRET: testSecret } }),
      { env: { SWITCHYARD_SECRET: testSecret }, logger: createLogger({ level: "debug" }) },
    );
    cleanups.push(() => gateway.close());
    expect(await gateway.providers.get(PROVIDER)!.models()).toEqual([{ id: "claude-x" }]);
    expect(logs.text()).toMatch(/\[plugin:claude-oauth\] sending OAuth tokens over plain http/);
  });
});

describe("claude-oauth: secrets (Done-when 8)", () => {
  it("never showed an access or refresh token (or a proxy password) in admin API answers, CLI output or logs", () => {
    expect(secrets.size).toBeGreaterThan(20);
    expect(outputs.length).toBeGreaterThan(50);
    const haystack = `${outputs.join("\n")}\n${logs.text()}`;
    const leaked = [...secrets].filter((secret) => haystack.includes(secret) || haystack.includes(secret.slice(0, 24)));
    expect(leaked).toEqual([]);
  });
});
