// security.md H1/H2 (issue 8): every secret the gateway handles is a distinct random canary;
// one broad flow with debug logging runs on loopback fakes; then the logs, every answer the
// flow received, /metrics, the admin answers and a dump of storage must not hold any canary
// (raw, base64, base64url, percent-encoded, JSON-escaped, or its random tail alone).
import { randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { generateSync } from "otplib";
import { afterAll, describe, expect, it } from "vitest";
import { type Gateway, type RunningServer, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../core/index.ts";
import { type LogCapture, captureLogs } from "../../core/logger.ts";
import apiKey from "../../plugins/auth/api-key/index.ts";
import jwtAdmin, { hashPassword } from "../../plugins/auth/jwt-admin/index.ts";
import linuxdoConnect from "../../plugins/auth/linuxdo-connect/index.ts";
import newApiBinding from "../../plugins/auth/new-api-binding/index.ts";
import totp from "../../plugins/auth/totp/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import claudeOAuth from "../../plugins/providers/claude-oauth/index.ts";
import codexOAuth from "../../plugins/providers/codex-oauth/index.ts";
import openaiCompatible from "../../plugins/providers/openai-compatible/index.ts";
import openrouterPool from "../../plugins/providers/openrouter-pool/index.ts";
import { type TestProxy, startHttpProxy } from "../fixtures/proxies.ts";
import type { FakeUpstream } from "../fixtures/upstreams/_server.ts";
import { startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";
import { startFakeClaudeOAuthApi } from "../fixtures/upstreams/claude-oauth-api.ts";
import { type FakeCodex, startFakeCodex } from "../fixtures/upstreams/codex.ts";
import { type FakeLinuxDo, startFakeLinuxDo } from "../fixtures/upstreams/linuxdo.ts";
import { type FakeNewApi, startFakeNewApi } from "../fixtures/upstreams/new-api.ts";
import { type FakeOAuth, startFakeOAuth } from "../fixtures/upstreams/oauth.ts";
import { startFakeOpenAI } from "../fixtures/upstreams/openai.ts";
import { type FakeOpenRouter, startFakeOpenRouter } from "../fixtures/upstreams/openrouter.ts";
import { Canaries, type SinkEntry, canary } from "./_canary.ts";

// Wire JSON in assertions: loosely typed on purpose.
type Obj = Record<string, any>;

const HOUR = 3_600_000;
const LINUXDO_ID = 515151;
const NEW_API_USER = 6161;

// The seeded canaries; tokens the fakes issue are added after the flow.
const c = new Canaries();
const ANTHROPIC_KEY = c.add("anthropic-key", canary("anthropic-key"));
const OPENAI_KEY = c.add("openai-key", canary("openai-key"));
const OR_KEY_1 = c.add("openrouter-key-1", canary("openrouter-key-1"));
const OR_KEY_2 = c.add("openrouter-key-2", canary("openrouter-key-2"));
const OR_MGMT = c.add("openrouter-mgmt", canary("openrouter-mgmt"));
const ADMIN_PASSWORD = c.add("admin-password", canary("admin-password"));
const JWT_SECRET = c.add("jwt-secret", canary("jwt-secret"));
const SECRET_BOX = c.add("secret-box", randomBytes(32).toString("hex")); // SWITCHYARD_SECRET must decode to 32 random bytes
const NEW_API_ADMIN = c.add("new-api-admin", canary("new-api-admin"));
const NEW_API_USER_TOKEN = c.add("new-api-user-token", canary("new-api-user-token"));
const LINUXDO_SECRET = c.add("linuxdo-secret", canary("linuxdo-secret"));
const PROXY_PASS = c.add("proxy-pass", canary("proxy-pass"));
const ADMIN_TOKEN = c.add("admin-token", canary("admin-token"));
const METRICS_TOKEN = c.add("metrics-token", canary("metrics-token"));
const PROXY_USER = "canary-proxy-user";
c.add("proxy-userinfo", `${PROXY_USER}:${PROXY_PASS}`); // its base64 form is the Proxy-Authorization value

const sinks: SinkEntry[] = [];
let logs: LogCapture;
afterAll(() => logs?.stop());

/** Keep an answer's text as a sink; `allow` names canaries this answer is meant to hand out. */
function keep(sink: string, text: string, allow: string[] = []): void {
  sinks.push({ sink, text, allow: new Set(allow) });
}

interface World {
  gateway: Gateway;
  server: RunningServer;
  url: string;
  anthropic: FakeUpstream;
  openai: FakeUpstream;
  openrouter: FakeOpenRouter;
  claude: { oauth: FakeOAuth; api: FakeUpstream };
  codex: { oauth: FakeOAuth; backend: FakeCodex };
  linuxdo: FakeLinuxDo;
  newApi: FakeNewApi;
  proxy: TestProxy;
}

async function startWorld(format: "text" | "json"): Promise<World> {
  const anthropic = await startFakeAnthropic({ keys: [ANTHROPIC_KEY] });
  const openai = await startFakeOpenAI({ keys: [OPENAI_KEY] });
  const openrouter = await startFakeOpenRouter({ keys: [OR_KEY_1, OR_KEY_2], managementKey: OR_MGMT });
  const claudeAuth = await startFakeOAuth({ flavor: "claude" });
  const codexAuth = await startFakeOAuth({ flavor: "codex" });
  const claude = { oauth: claudeAuth, api: await startFakeClaudeOAuthApi({ oauth: claudeAuth }) };
  const codex = { oauth: codexAuth, backend: await startFakeCodex({ oauth: codexAuth }) };
  const linuxdo = await startFakeLinuxDo({ clientSecret: LINUXDO_SECRET, redirectUris: [], users: [{ id: LINUXDO_ID, username: "canary-donor", trust_level: 2 }] });
  const newApi = await startFakeNewApi({ adminToken: NEW_API_ADMIN });
  newApi.addUser({ id: NEW_API_USER, linux_do_id: String(LINUXDO_ID), username: "linuxdo_canary", access_token: NEW_API_USER_TOKEN });
  const proxy = await startHttpProxy({ auth: { user: PROXY_USER, pass: PROXY_PASS } });

  const env = { SWITCHYARD_SECRET: SECRET_BOX, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, SWITCHYARD_METRICS_TOKEN: METRICS_TOKEN };
  const passwordHash = await hashPassword(ADMIN_PASSWORD);
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [
        anthropicApi({ keys: [ANTHROPIC_KEY], baseURL: anthropic.url }),
        openaiCompatible({ baseURL: `${openai.url}/v1`, keys: [OPENAI_KEY] }),
        openrouterPool({ baseURL: `${openrouter.url}/api/v1`, keys: [OR_KEY_1, OR_KEY_2], managementKey: OR_MGMT }),
        claudeOAuth({ authorizeURL: claudeAuth.authorizeUrl, tokenURL: claudeAuth.tokenUrl, apiBaseURL: claude.api.url }),
        codexOAuth({ issuer: codexAuth.url, baseURL: `${codex.backend.url}/backend-api/codex` }),
      ],
      auth: [
        apiKey(),
        jwtAdmin({ admins: [{ username: "root", passwordHash }], jwt: { secret: JWT_SECRET } }),
        totp(),
        linuxdoConnect({ clientId: linuxdo.clientId, clientSecret: LINUXDO_SECRET, authorizeURL: linuxdo.authorizeURL, tokenURL: linuxdo.tokenURL, userURL: linuxdo.userURL }),
        newApiBinding({ baseURL: newApi.url, adminToken: NEW_API_ADMIN, adminUserId: newApi.adminUserId, addQuota: true, donation: { quotaAmount: 5_000_000 } }),
      ],
      routes: [
        { models: "claude-sonnet-*", provider: "claude-oauth" },
        { models: "claude-haiku-*", provider: "anthropic-api" },
        { models: "gpt-4o", provider: "openai-compatible" },
        { models: "gpt-5-codex", provider: "codex-oauth" },
        { models: "openai/*", provider: "openrouter-pool" },
      ],
    },
    { env },
  );
  const logger = createLogger({ level: "debug", json: format === "json" });
  const gateway = await createGateway(config, { env, logger });
  expect(logger.level).toBe("debug");
  const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  const url = server.url.replace(/\/$/, "");
  linuxdo.redirectUris = [`${url}/auth/linuxdo/callback`];
  return { gateway, server, url, anthropic, openai, openrouter, claude, codex, linuxdo, newApi, proxy };
}

async function stopWorld(w: World): Promise<void> {
  await w.server.close();
  await w.gateway.close();
  await Promise.all([w.anthropic, w.openai, w.openrouter, w.claude.oauth, w.claude.api, w.codex.oauth, w.codex.backend, w.linuxdo, w.newApi, w.proxy].map((f) => f.close()));
}

/** Every issued OAuth/LinuxDO token becomes a canary too (they are random and distinctive). */
function addIssued(w: World): void {
  for (const [name, oauth] of [["claude", w.claude.oauth], ["codex", w.codex.oauth]] as const) {
    oauth.issued.forEach((t, i) => {
      c.add(`${name}-access-${i}`, t.accessToken);
      c.add(`${name}-refresh-${i}`, t.refreshToken);
      if (t.idToken) c.add(`${name}-id-${i}`, t.idToken);
    });
  }
  w.linuxdo.issued.forEach((t, i) => c.add(`linuxdo-access-${i}`, t));
  // Keys minted through the OpenRouter management API (and any other usable key).
  w.openrouter.keys.forEach((k, i) => c.add(`openrouter-live-${i}`, k));
}

describe("canary secrets (security.md H1, H2)", () => {
  it.each(["text", "json"] as const)("one broad flow with debug %s logs: no canary in logs, answers, /metrics, admin answers or storage", async (format) => {
    sinks.splice(0);
    logs = captureLogs();
    const w = await startWorld(format);
    try {
      await runFlow(w);
      addIssued(w);
      await dumpStorage(w);
    } finally {
      await stopWorld(w);
      logs.stop();
    }
    sinks.push({ sink: "logs", text: logs.text() });

    // The flow did what it claims: enough issuance, refreshes, proxy use and log lines to scan.
    expect(w.claude.oauth.tokenRequests.filter((r) => r.grantType === "refresh_token").length).toBeGreaterThanOrEqual(1);
    expect(w.codex.oauth.tokenRequests.filter((r) => r.grantType === "refresh_token").length).toBeGreaterThanOrEqual(1);
    expect(w.proxy.connections.some((x) => x.authenticated)).toBe(true);
    expect(w.openrouter.keys.length).toBe(3); // two configured, one minted through the management API
    expect(w.newApi.manageCalls.filter((x) => x.applied).length).toBe(1);
    expect(logs.lines.length).toBeGreaterThan(30); // the logger runs at "debug" (few debug lines exist today)
    if (format === "json") expect(logs.lines.every((l) => l.startsWith("{"))).toBe(true);
    expect(c.values.size).toBeGreaterThan(30);
    // H2: credentials are in storage, sealed (so the scan below is looking at the right records).
    expect(sinks.filter((x) => x.sink.startsWith("storage ") && /sy1\.[0-9a-f]{8}\./.test(x.text)).length).toBeGreaterThanOrEqual(3);

    const leaks = c.scan(sinks);
    expect(leaks, `canaries found:\n${leaks.map((l) => `  ${l.kind} (${l.form}) in ${l.sink}: …${l.context}…`).join("\n")}`).toEqual([]);
  }, 60_000);
});

// --- internal ---

async function runFlow(w: World): Promise<void> {
  const call = async (method: string, path: string, init: { body?: unknown; cookie?: string; bearer?: string; allow?: string[] } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    const response = await fetch(`${w.url}${path}`, { method, headers, redirect: "manual", ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await response.text();
    keep(`${method} ${path} → ${response.status}`, `${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}`, init.allow);
    let json: Obj = {};
    try {
      json = text ? (JSON.parse(text) as Obj) : {};
    } catch {
      json = { raw: text };
    }
    return { status: response.status, json, text, cookie: (response.headers.get("set-cookie") ?? "").split(";")[0]! };
  };

  /** A secret the gateway hands out in the last answer: a canary everywhere else. */
  const issued = (kind: string, value: string): string => {
    c.add(kind, value);
    const last = sinks.at(-1)!;
    last.allow = new Set([...(last.allow ?? []), value]);
    return value;
  };

  // --- Admin: a wrong password, password login, TOTP setup + enable, login with a code and with a backup code.
  expect((await call("POST", "/auth/login", { body: { username: "root", password: `${ADMIN_PASSWORD}x` } })).status).toBe(401);
  const first = await call("POST", "/auth/login", { body: { username: "root", password: ADMIN_PASSWORD } });
  expect(first.json.status, first.text).toBe("ok");
  issued("admin-jwt-first", first.json.token as string);
  issued("session-first", first.cookie.replace(/^[^=]+=/, ""));
  const setup = await call("POST", "/auth/2fa/setup", { cookie: first.cookie });
  expect(setup.status, setup.text).toBe(200);
  const seed = issued("totp-seed", setup.json.secret as string); // the setup answer hands the seed out, once
  const nowSec = () => Math.floor(Date.now() / 1000);
  const enabled = await call("POST", "/auth/2fa/enable", { cookie: first.cookie, body: { code: generateSync({ secret: seed, epoch: nowSec() }) } });
  expect(enabled.status, enabled.text).toBe(200);
  const backupCodes = enabled.json.backupCodes as string[];
  backupCodes.forEach((code, i) => issued(`backup-code-${i}`, code));
  const pending = await call("POST", "/auth/login", { body: { username: "root", password: ADMIN_PASSWORD } });
  expect(pending.json.status, pending.text).toBe("2fa_required");
  expect((await call("POST", "/auth/login/2fa", { body: { ticket: pending.json.ticket, code: "000000" } })).status).toBe(401);
  const done = await call("POST", "/auth/login/2fa", { body: { ticket: pending.json.ticket, code: generateSync({ secret: seed, epoch: nowSec() + 30 }) } });
  expect(done.status, done.text).toBe(200);
  issued("session-admin", done.cookie.replace(/^[^=]+=/, ""));
  const jwt = issued("admin-jwt", (await call("POST", "/auth/jwt", { cookie: done.cookie })).json.token as string);
  expect(jwt).toMatch(/^ey/);
  const viaBackup = await call("POST", "/auth/login", { body: { username: "root", password: ADMIN_PASSWORD } });
  expect((await call("POST", "/auth/login/2fa", { body: { ticket: viaBackup.json.ticket, code: backupCodes[0] } })).status).toBe(200);
  expect((await call("POST", "/auth/login/2fa", { body: { ticket: (await call("POST", "/auth/login", { body: { username: "root", password: ADMIN_PASSWORD } })).json.ticket, code: backupCodes[0] } })).status).toBe(401);
  const admin = (method: string, path: string, body?: unknown) => call(method, path, { bearer: jwt, body });

  // --- Accounts: a Claude OAuth login behind a proxy with credentials; a Codex auth.json import.
  const started = await admin("POST", "/admin/providers/claude-oauth/oauth/start", { proxy: w.proxy.urlWith({ user: PROXY_USER, pass: PROXY_PASS }) });
  expect(started.status, started.text).toBe(200);
  const browser = await w.claude.oauth.authorize(started.json.authUrl);
  const onboarded = await admin("POST", "/admin/providers/claude-oauth/oauth/exchange", { flowId: started.json.flowId, code: `${browser.code}#${browser.state}` });
  expect(onboarded.status, onboarded.text).toBe(201);
  const t = w.codex.oauth.mint({ email: "canary@example.com", accountId: "acct-canary" });
  const authJson = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: t.idToken, access_token: t.accessToken, refresh_token: t.refreshToken, account_id: t.account.accountId }, last_refresh: new Date().toISOString() });
  const imported = await admin("POST", "/admin/accounts", { provider: "codex-oauth", import: authJson });
  expect(imported.status, imported.text).toBe(201);
  // A malformed import whose text holds a token: the error must not echo it.
  expect((await admin("POST", "/admin/accounts", { provider: "codex-oauth", import: `{"tokens":{"access_token":"${t.accessToken}"` })).status).toBeGreaterThanOrEqual(400);

  // --- Client keys, created over the admin API (the answer hands the key out once).
  const created = await admin("POST", "/plugins/api-key/keys", { name: "canary client" });
  expect(created.status, created.text).toBe(201);
  const clientKey = issued("client-key", created.json.key as string);
  issued("client-key-2", (await admin("POST", "/plugins/api-key/keys", { name: "canary client 2" })).json.key as string);

  // --- Relayed requests through each provider, both SDKs, JSON and streaming.
  const anthropic = new Anthropic({ apiKey: clientKey, baseURL: w.url, maxRetries: 0 });
  const openai = new OpenAI({ apiKey: clientKey, baseURL: `${w.url}/v1`, maxRetries: 0 });
  const keepJson = (sink: string, value: unknown) => keep(sink, JSON.stringify(value));
  const streamText = async (model: string, text: string) => {
    const stream = anthropic.messages.stream({ model, max_tokens: 64, messages: [{ role: "user", content: text }] });
    const final = await stream.finalMessage();
    keepJson(`stream ${model}`, final);
    return final;
  };
  const failure = async (sink: string, promise: Promise<unknown>) => {
    const error = (await promise.then(() => undefined, (e: unknown) => e)) as Obj | undefined;
    expect(error, `${sink} should have failed`).toBeDefined();
    keep(sink, `${String(error?.message)}\n${JSON.stringify(error?.error ?? null)}\n${JSON.stringify(Object.fromEntries(error?.headers ?? []))}`);
    return error!;
  };

  for (const model of ["claude-sonnet-4-6", "claude-haiku-4-6"]) {
    keepJson(`messages ${model}`, await anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: "hello canary" }] }));
    expect((await streamText(model, "stream canary")).stop_reason).toBe("end_turn");
  }
  for (const model of ["gpt-4o", "openai/gpt-4o-mini", "claude-sonnet-4-6"]) {
    keepJson(`chat ${model}`, await openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi canary" }] }));
    let streamed = "";
    for await (const chunk of await openai.chat.completions.create({ model, messages: [{ role: "user", content: "stream canary" }], stream: true })) streamed += chunk.choices[0]?.delta.content ?? "";
    keep(`chat stream ${model}`, streamed);
  }
  keepJson("responses codex", await openai.responses.create({ model: "gpt-5-codex", input: "hi codex canary" }));
  let codexStream = "";
  for await (const event of await openai.responses.create({ model: "gpt-5-codex", input: "stream codex canary", stream: true })) codexStream += JSON.stringify(event);
  keep("responses stream codex", codexStream);

  // --- Failures: upstream 401 forcing a refresh (Claude and Codex), then OpenRouter 402 echoing the key.
  w.claude.oauth.expireAccessTokens();
  keepJson("messages after claude 401", await anthropic.messages.create({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "after refresh" }] }));
  w.codex.oauth.expireAccessTokens();
  keepJson("responses after codex 401", await openai.responses.create({ model: "gpt-5-codex", input: "after refresh" }));
  w.claude.oauth.expireAccessTokens();
  w.claude.oauth.failToken({ status: 400, body: { error: "invalid_grant", error_description: `refresh token ${w.claude.oauth.issued.at(-1)!.refreshToken} is not valid` } });
  await failure("claude refresh refused", anthropic.messages.create({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "refresh refused" }] }));
  w.openrouter.setCredits(OR_KEY_1, 0);
  w.openrouter.setCredits(OR_KEY_2, 0);
  await failure("openrouter 402", openai.chat.completions.create({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "no credits" }] }));
  await failure("openrouter 402 stream", (async () => {
    for await (const _ of await openai.chat.completions.create({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "no credits" }], stream: true })) void _;
  })());
  w.anthropic.script({ status: 500 });
  await failure("anthropic 500", anthropic.messages.create({ model: "claude-haiku-4-6", max_tokens: 64, messages: [{ role: "user", content: "boom" }] }));
  await failure("unknown client key", new Anthropic({ apiKey: `${clientKey}0`, baseURL: w.url, maxRetries: 0 }).messages.create({ model: "claude-haiku-4-6", max_tokens: 8, messages: [{ role: "user", content: "x" }] }));
  await failure("admin token on relay", new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${w.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }));
  await failure("metrics token on relay", new OpenAI({ apiKey: METRICS_TOKEN, baseURL: `${w.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }));
  await failure("upstream key as client key", new OpenAI({ apiKey: OPENAI_KEY, baseURL: `${w.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }));
  // A pasted OpenRouter key the fake does not know, and the management key offered as an inference key.
  await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: c.add("openrouter-unknown", canary("openrouter-unknown")) });
  await admin("POST", "/admin/accounts", { provider: "openrouter-pool", key: OR_MGMT });
  expect((await admin("POST", "/plugins/openrouter-pool/keys", { name: "canary-team", limitUsd: 5, limitReset: "monthly" })).status).toBeLessThan(300);
  await admin("GET", "/plugins/openrouter-pool/keys");
  await admin("POST", "/plugins/openrouter-pool/recheck");

  // --- LinuxDO login, new-api binding, a donation of a Claude credentials file.
  const begin = await fetch(`${w.url}/auth/linuxdo/login`, { redirect: "manual" });
  expect(begin.status).toBe(302);
  keep("GET /auth/linuxdo/login", [...begin.headers].map(([k, v]) => `${k}: ${v}`).join("\n") + (await begin.text()));
  const stateCookies = begin.headers.getSetCookie().map((x) => x.split(";")[0]).join("; ");
  const authorized = await w.linuxdo.authorize(begin.headers.get("location")!, { as: LINUXDO_ID });
  const callback = await fetch(authorized.location!, { redirect: "manual", headers: { cookie: stateCookies } });
  keep("GET /auth/linuxdo/callback", [...callback.headers].map(([k, v]) => `${k}: ${v}`).join("\n") + (await callback.text()));
  expect(callback.status).toBe(302);
  const ldCookie = callback.headers.getSetCookie().find((x) => x.startsWith("sy_session="))!.split(";")[0]!;
  issued("session-linuxdo", ldCookie.replace(/^[^=]+=/, ""));
  await call("GET", "/auth/me", { cookie: ldCookie });
  expect((await call("POST", "/plugins/new-api-binding/binding", { cookie: ldCookie, body: { newApiUserId: NEW_API_USER } })).status).toBe(200);
  await call("GET", "/plugins/new-api-binding/binding", { cookie: ldCookie });
  const gift = w.claude.oauth.mint({ email: "donor@example.com", accountId: "acct-donor" });
  const file = JSON.stringify({ claudeAiOauth: { accessToken: gift.accessToken, refreshToken: gift.refreshToken, expiresAt: Date.now() + 8 * HOUR, scopes: ["user:inference", "user:profile"], subscriptionType: "max" } });
  const donated = await call("POST", "/plugins/new-api-binding/donations/import", { cookie: ldCookie, body: { provider: "claude-oauth", content: file } });
  expect(donated.json.donation?.status, donated.text).toBe("credited");
  await call("GET", "/plugins/new-api-binding/donations", { cookie: ldCookie });
  // The same file again (a conflict whose answer must not quote it).
  await call("POST", "/plugins/new-api-binding/donations/import", { cookie: ldCookie, body: { provider: "claude-oauth", content: file } });
  await call("GET", "/plugins/api-key/me/keys", { cookie: ldCookie });

  // --- /metrics (metrics token and admin JWT), the admin answers, the admin token itself.
  expect((await call("GET", "/metrics", { bearer: METRICS_TOKEN })).status).toBe(200);
  expect((await call("GET", "/metrics", { bearer: jwt })).status).toBe(200);
  for (const path of ["/admin/accounts", "/admin/config", "/admin/users", "/plugins/api-key/keys", "/admin/usage", "/admin/providers"]) {
    const answer = await admin("GET", path);
    expect(answer.status, `${path}: ${answer.text}`).toBe(200);
  }
  for (const account of (await admin("GET", "/admin/accounts")).json.data as Obj[]) {
    expect((await admin("GET", `/admin/accounts/${account.id}?provider=${account.provider}`)).status).toBe(200);
  }
  const claudeAccount = onboarded.json.id as string;
  expect((await admin("PATCH", `/admin/accounts/${claudeAccount}?provider=claude-oauth`, { proxy: w.proxy.urlWith({ user: PROXY_USER, pass: PROXY_PASS }) })).status).toBe(200);
  await admin("POST", `/admin/accounts/${claudeAccount}/refresh?provider=claude-oauth`);
  await admin("GET", `/admin/usage/keys/${created.json.id}`);
  expect((await call("GET", "/admin/accounts", { bearer: ADMIN_TOKEN })).status).toBe(200);
  await call("GET", "/admin/config", { bearer: `${ADMIN_TOKEN}0` });
  await call("GET", "/v1/usage", { bearer: clientKey });
  await call("GET", "/v1/models", { bearer: clientKey });
}

/** Every key-value entry of the gateway's storage, as text (sealed `sy1.…` values are fine). */
async function dumpStorage(w: World): Promise<void> {
  const keys = await w.gateway.storage.keys();
  expect(keys.length).toBeGreaterThan(10);
  for (const key of keys) {
    const value = await w.gateway.storage.get<unknown>(key);
    keep(`storage ${key}`, `${key}\n${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
}
