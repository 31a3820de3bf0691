// The browser suite's world: fake upstreams (Claude and Codex OAuth + APIs, LinuxDO, new-api)
// and a gateway on a real loopback socket with every plugin the console and portal use, plus
// headless Chromium (Debian's package, driven by playwright-core). One harness per test file.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { join } from "pathe";
import { type Gateway, type RunningServer, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../core/index.ts";
import apiKey from "../../plugins/auth/api-key/index.ts";
import { hashPassword, jwtAdmin } from "../../plugins/auth/jwt-admin/index.ts";
import linuxdoConnect from "../../plugins/auth/linuxdo-connect/index.ts";
import newApiBinding from "../../plugins/auth/new-api-binding/index.ts";
import { totp } from "../../plugins/auth/totp/index.ts";
import claudeOAuth from "../../plugins/providers/claude-oauth/index.ts";
import codexOAuth from "../../plugins/providers/codex-oauth/index.ts";
import type { GatewayConfig } from "../../core/types/config.ts";
import { repoRoot } from "../_tmp.ts";
import type { FakeUpstream } from "../fixtures/upstreams/_server.ts";
import { startFakeClaudeOAuthApi } from "../fixtures/upstreams/claude-oauth-api.ts";
import { type FakeCodex, startFakeCodex } from "../fixtures/upstreams/codex.ts";
import { type FakeLinuxDo, startFakeLinuxDo } from "../fixtures/upstreams/linuxdo.ts";
import { type FakeNewApi, startFakeNewApi } from "../fixtures/upstreams/new-api.ts";
import { type FakeOAuth, startFakeOAuth } from "../fixtures/upstreams/oauth.ts";

/** Where every run writes its screenshots (a set is copied to docs/public/screenshots/). */
export const SCREENSHOTS = join(repoRoot, "test/.tmp/screenshots");
/** Quota credited per donation (10 USD in new-api units). */
export const AMOUNT = 5_000_000;
/** The LinuxDO user who logs in on the portal, and their new-api account. */
export const ALICE = { linuxdoId: 4242, username: "alice", name: "Alice", newApiUserId: 42, newApiUsername: "alice_na" };
export const MODEL = "claude-sonnet-4-5";

export interface Harness {
  url: string;
  gateway: Gateway;
  /** The root admin of the main gateway (`passwordHash` for other gateways' jwt-admin). */
  admin: { username: string; password: string; passwordHash: string };
  claude: { oauth: FakeOAuth; api: FakeUpstream };
  codex: { oauth: FakeOAuth; backend: FakeCodex };
  linuxdo: FakeLinuxDo;
  newApi: FakeNewApi;
  browser: Browser;
  /** A fresh browser context (own cookies) and page at desktop size, on this gateway or another (`baseURL`); page errors are collected. */
  open(baseURL?: string): Promise<{ context: BrowserContext; page: Page }>;
  /** Another gateway on loopback with other plugins (closed with the harness); resolves with its URL. */
  another(input: GatewayInput): Promise<string>;
  /** Page errors and CSP refusals seen in any page so far. */
  problems: string[];
  /** Screenshots at 1280×800 and 375×812 (`<name>-desktop.png`, `<name>-mobile.png`); fails on horizontal scroll at 375 px. */
  shoot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<void>;
  /** Call the gateway from inside the page (the browser's cookies, same origin). */
  call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** POST /v1/messages with a client key (Anthropic dialect); resolves with the status. */
  relay(key: string): Promise<number>;
  close(): Promise<void>;
}

/** Start the fakes, the gateway and the browser. */
export async function startHarness(): Promise<Harness> {
  const password = `console-test-${randomBytes(8).toString("hex")}`;
  const admin = { username: "ops", password, passwordHash: await hashPassword(password) };
  const claudeAuth = await startFakeOAuth({ flavor: "claude" });
  const codexAuth = await startFakeOAuth({ flavor: "codex" });
  const claude = { oauth: claudeAuth, api: await startFakeClaudeOAuthApi({ oauth: claudeAuth }) };
  const codex = { oauth: codexAuth, backend: await startFakeCodex({ oauth: codexAuth }) };
  const linuxdo = await startFakeLinuxDo({ redirectUris: [], users: [{ id: ALICE.linuxdoId, username: ALICE.username, name: ALICE.name, trust_level: 2 }] });
  const newApi = await startFakeNewApi();
  newApi.addUser({ id: ALICE.newApiUserId, username: ALICE.newApiUsername, display_name: "Alice N", linux_do_id: String(ALICE.linuxdoId) });

  const main = await serve({
    providers: [
      claudeOAuth({ authorizeURL: claude.oauth.authorizeUrl, tokenURL: claude.oauth.tokenUrl, apiBaseURL: claude.api.url }),
      codexOAuth({ issuer: codex.oauth.url, baseURL: `${codex.backend.url}/backend-api/codex` }),
    ],
    auth: [
      apiKey(),
      jwtAdmin({ admins: [{ username: admin.username, passwordHash: admin.passwordHash }] }),
      totp(),
      linuxdoConnect({ clientId: linuxdo.clientId, clientSecret: linuxdo.clientSecret, authorizeURL: linuxdo.authorizeURL, tokenURL: linuxdo.tokenURL, userURL: linuxdo.userURL }),
      newApiBinding({ baseURL: newApi.url, adminToken: newApi.adminToken, adminUserId: newApi.adminUserId, addQuota: true, donation: { quotaAmount: AMOUNT } }),
    ],
    routes: [
      { models: "claude-*", provider: "claude-oauth" },
      { models: ["gpt-*", "codex-*"], provider: "codex-oauth" },
    ],
  });
  const { gateway, url } = main;
  const servers: RunningServer[] = [main.server];
  // The fake LinuxDO sends the browser back to the gateway's default callback.
  linuxdo.redirectUris = [`${url}/auth/linuxdo/callback`];

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  mkdirSync(SCREENSHOTS, { recursive: true });

  return {
    url, gateway, admin, claude, codex, linuxdo, newApi, browser, problems,
    async open(baseURL = url) {
      const context = await browser.newContext({ baseURL, viewport: DESKTOP, deviceScaleFactor: 1, permissions: ["clipboard-read", "clipboard-write"] });
      contexts.push(context);
      const page = await context.newPage();
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (/Refused to|Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
      });
      return { context, page };
    },
    async another(input) {
      const other = await serve(input);
      servers.push(other.server);
      return other.url;
    },
    async shoot(page, name, { fullPage = true } = {}) {
      await settle(page);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage });
      await page.setViewportSize(PHONE);
      await settle(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${name}: the page scrolls sideways at 375 px`).toBeLessThanOrEqual(PHONE.width);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-mobile.png`), fullPage });
      await page.setViewportSize(DESKTOP);
    },
    async call(page, method, path, body) {
      return page.evaluate(
        async ({ method, path, body }) => {
          const response = await fetch(path, { method, credentials: "same-origin", headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
          const text = await response.text();
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          return { status: response.status, json };
        },
        { method, path, body },
      );
    },
    async relay(key) {
      const response = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hello from the browser suite" }] }),
      });
      await response.text();
      return response.status;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      for (const server of servers) await server.close();
      await Promise.all([claude.oauth.close(), claude.api.close(), codex.oauth.close(), codex.backend.close(), linuxdo.close(), newApi.close()]);
    },
  };
}

/** After a failed test: what the page showed (text on stderr, a screenshot next to the others). */
export async function reportFailure(page: Page, name: string): Promise<void> {
  const text = await page.locator("body").innerText().catch((e: unknown) => `(no text: ${String(e)})`);
  process.stderr.write(`\n--- page at ${page.url()} after "${name}" failed ---\n${text}\n---\n`);
  await page.screenshot({ path: join(SCREENSHOTS, `failed-${name.replace(/\W+/g, "-").slice(0, 60)}.png`) }).catch(() => {});
}

/** The TOTP secret, backup codes etc. must never reach web storage: check both stores of the page. */
export async function webStorage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ local: { ...window.localStorage }, session: { ...window.sessionStorage } }));
}

/** What differs between the suite's gateways: their plugins (storage is in memory). */
export type GatewayInput = Pick<GatewayConfig, "providers" | "auth" | "routes">;

// --- internal ---

// A gateway with its own secret and memory storage, on a loopback socket.
async function serve(input: GatewayInput): Promise<{ gateway: Gateway; server: RunningServer; url: string }> {
  const env = { SWITCHYARD_SECRET: randomBytes(32).toString("base64") };
  const config = resolveGatewayConfig({ storage: { driver: "memory" }, ...input }, { env });
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
  const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  return { gateway, server, url: server.url.replace(/\/$/, "") };
}

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

// Nothing is loading any more (every page shows a status line while it loads).
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector("[data-loading]") === null);
}
