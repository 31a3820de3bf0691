// The admin console in headless Chromium against a gateway with fake upstreams: login with
// 2FA set up on the page, OAuth onboarding, a key shown once, its request on the dashboard.
// Each step checks what a person sees and what the gateway's API says afterwards. Other
// gateways (other plugins) show that login methods and account actions follow the API.
import { generateSync } from "otplib";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jwtAdmin } from "../../plugins/auth/jwt-admin/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import claudeOAuth from "../../plugins/providers/claude-oauth/index.ts";
import openrouterPool from "../../plugins/providers/openrouter-pool/index.ts";
import { type Harness, MODEL, reportFailure, startHarness, webStorage } from "./_harness.ts";

let h: Harness;
let context: BrowserContext;
let page: Page;
/** The page a failure report shows (another gateway's page while a test drives one). */
let current: Page;
let totpSecret = "";
let enabledAt = 0;
let clientKey = "";

beforeAll(async () => {
  h = await startHarness();
  ({ context, page } = await h.open());
  context.setDefaultTimeout(10_000);
  current = page;
});
afterEach(async ({ task }) => {
  if (task.result?.state === "fail") await reportFailure(current, task.name);
  current = page;
});
afterAll(async () => {
  await h?.close();
});

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
const heading = (name: string) => page.getByRole("heading", { level: 1, name });
const code = (epochMs: number) => generateSync({ secret: totpSecret, epoch: Math.floor(epochMs / 1000) });

async function logIn(password = h.admin.password): Promise<void> {
  await page.getByLabel("Username").fill(h.admin.username);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
}

describe("admin console", () => {
  it("shows the login page to a visitor and refuses a wrong password in words", async () => {
    await page.goto("/console/");
    await heading("Switchyard console").waitFor();
    // What GET /auth/methods lists: the password form, and LinuxDO (admins there share the session).
    expect((await h.call(page, "GET", "/auth/methods")).json.methods.map((m: { id: string }) => m.id)).toEqual(["password", "linuxdo"]);
    expect(await page.getByRole("link", { name: "Log in with LinuxDO" }).getAttribute("href")).toBe("/auth/linuxdo/login?redirect=%2Fconsole");
    await h.shoot(page, "console-login");
    // Keyboard only: the username field has focus, Tab reaches the password, Enter sends.
    await page.waitForFunction(() => document.activeElement?.id === "login-username");
    await page.keyboard.type(h.admin.username);
    await page.keyboard.press("Tab");
    await page.keyboard.type("not-the-password");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();
    expect((await h.call(page, "GET", "/auth/me")).status).toBe(401);
  });

  it("sets up 2FA: QR code, backup codes shown once, then the admin logs in with a TOTP code", async () => {
    await logIn();
    await heading("Dashboard").waitFor();
    await page.getByText("Two-factor login is off for your account.").waitFor();
    await nav("Security").click();
    await heading("Two-factor login").waitFor();
    await page.getByRole("button", { name: "Set up two-factor login" }).click();
    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml/);
    totpSecret = (await page.locator("[data-totp-secret]").textContent())!.trim();
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await h.shoot(page, "console-2fa-setup");

    enabledAt = Date.now();
    await page.getByLabel("Code from the app").fill(code(enabledAt));
    await page.getByRole("button", { name: "Turn on" }).click();
    const codes = page.locator("[data-secret]");
    await codes.waitFor();
    const backupCodes = (await codes.textContent())!.trim().split("\n");
    expect(backupCodes).toHaveLength(8);
    for (const backup of backupCodes) expect(backup).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(backupCodes.join("\n"));
    // Turning 2FA on ended the session on the gateway.
    expect((await h.call(page, "GET", "/auth/me")).status).toBe(401);
    await h.shoot(page, "console-2fa-backup-codes");

    await page.getByRole("button", { name: "I saved it" }).click();
    await page.getByText("Two-factor login is on. Log in with your password and a code.").waitFor();
    expect(await page.content()).not.toContain(backupCodes[0]);
    await logIn();
    await page.getByRole("heading", { name: "Two-factor login" }).waitFor();
    await page.getByLabel("Code").fill("000000");
    await page.getByLabel("Code").press("Enter");
    await page.getByRole("alert").filter({ hasText: "Invalid code." }).waitFor();
    // The enabling code's time step is used up: the next step's code (inside the ±1 window).
    await page.getByLabel("Code").fill(code(enabledAt + 30_000));
    await page.getByRole("button", { name: "Verify" }).click();
    // Back where the login started: the security page, now saying 2FA is on.
    await page.getByText("Two-factor login is on.").waitFor();
    expect((await h.call(page, "GET", "/auth/2fa/status")).json).toMatchObject({ enabled: true, backupCodesRemaining: 8 });
    expect(await webStorage(page)).not.toContain(totpSecret);
  });

  it("onboards a Claude account through the OAuth flow", async () => {
    await nav("Accounts").click();
    await page.getByText("No provider accounts yet.").waitFor();
    await page.getByRole("button", { name: "Add an account" }).click();
    await page.getByLabel("Provider").selectOption("claude-oauth");
    await page.getByLabel("Name (optional)").fill("team max 1");
    await page.getByRole("button", { name: "Start sign-in" }).click();
    const link = page.locator("[data-auth-url]");
    await link.waitFor();
    const authUrl = (await link.getAttribute("href"))!;
    expect(authUrl.startsWith(h.claude.oauth.authorizeUrl)).toBe(true);
    expect(await link.getAttribute("target")).toBe("_blank");
    // The operator approves on the provider's page and copies the code (CODE#STATE).
    const approved = await h.claude.oauth.authorize(authUrl);
    await page.getByLabel("Step 3 of 3: code or callback URL").fill(`${approved.code}#${approved.state}`);
    await page.getByRole("button", { name: "Add account" }).click();
    const card = page.getByRole("article", { name: "Account team max 1" });
    await card.getByText("Active").waitFor();
    // An OAuth provider's account: every action, token refresh included.
    for (const name of ["Disable", "Refresh now", "Set proxy", "Remove"]) await card.getByRole("button", { name }).waitFor();
    const accounts = (await h.call(page, "GET", "/admin/accounts")).json.data;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ provider: "claude-oauth", name: "team max 1", status: "active" });

    await card.getByRole("button", { name: "Disable" }).click();
    await card.getByText("Disabled", { exact: true }).waitFor();
    expect((await h.call(page, "GET", "/admin/accounts")).json.data[0].status).toBe("disabled");
    await card.getByRole("button", { name: "Enable" }).click();
    await card.getByText("Active").waitFor();
    expect((await h.call(page, "GET", "/admin/accounts")).json.data[0].status).toBe("active");
    await h.shoot(page, "console-accounts");
  });

  it("creates a key that is shown once, with a copy button", async () => {
    await nav("Keys").click();
    await page.getByText("No client keys yet.").waitFor();
    await page.getByRole("button", { name: "Create a key" }).click();
    await page.getByLabel("Name").fill("ci bot");
    await page.getByLabel("Models (optional)").fill("claude-*");
    await page.getByLabel("Requests / min").fill("60");
    await page.getByLabel("Requests / min").press("Enter");
    const secret = page.locator("[data-secret]");
    await secret.waitFor();
    clientKey = (await secret.textContent())!.trim();
    expect(clientKey).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientKey);
    const keys = (await h.call(page, "GET", "/plugins/api-key/keys")).json.data;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: "ci bot", models: ["claude-*"], limits: { rpm: 60 }, prefix: clientKey.slice(0, 8) });
    await page.getByRole("article", { name: "Key ci bot" }).getByText("60 req/min").waitFor();

    // Gone after navigating away and back; never in web storage.
    await nav("Dashboard").click();
    await heading("Dashboard").waitFor();
    await nav("Keys").click();
    await page.getByRole("article", { name: "Key ci bot" }).waitFor();
    expect(await page.locator("[data-secret]").count()).toBe(0);
    expect(await page.content()).not.toContain(clientKey);
    expect(await webStorage(page)).not.toContain(clientKey);
  });

  it("shows a request made with that key on the dashboard and in the key's usage", async () => {
    expect(await h.relay(clientKey)).toBe(200);
    await nav("Dashboard").click();
    await heading("Dashboard").waitFor();
    await expectText(page.locator("[data-stat='requests-today']"), "1");
    await expectText(page.locator("[data-stat='requests-30 days']"), "1");
    await expectText(page.locator("[data-stat='errors-today']"), "0%");
    const byModel = page.locator("section", { has: page.getByRole("heading", { name: "By model" }) });
    await byModel.getByText(MODEL).waitFor();
    const byProvider = page.locator("section", { has: page.getByRole("heading", { name: "By provider" }) });
    await byProvider.getByText("claude-oauth").waitFor();
    // The chart: 30 bars, today's one drawn, and a summary for screen readers.
    const chart = page.getByRole("img", { name: /^Requests per day: 1 in total/ });
    await chart.waitFor();
    expect(await chart.locator("rect.bar").count()).toBe(30);
    expect(Number(await chart.locator("rect.bar").last().getAttribute("height"))).toBeGreaterThan(0);
    await expectText(page.locator("[data-stat='accounts-active']"), "1");
    const usage = (await h.call(page, "GET", "/admin/usage?days=30")).json;
    expect(usage.today.requests).toBe(1);
    await page.getByRole("button", { name: "Cost", exact: true }).click();
    await page.getByRole("img", { name: /^Cost per day/ }).waitFor();
    await page.getByRole("button", { name: "Requests", exact: true }).click();
    await h.shoot(page, "console-dashboard");

    await nav("Keys").click();
    const today = page.getByRole("article", { name: "Key ci bot" }).locator("[data-usage='today'] td").nth(1);
    await expectText(today, "1");
    await h.shoot(page, "console-keys");
  });

  it("shows a rate-limited account in pool health with the time it comes back", async () => {
    h.claude.api.script({ status: 429, headers: { "retry-after": "300" } });
    expect(await h.relay(clientKey)).not.toBe(200);
    const account = (await h.call(page, "GET", "/admin/accounts")).json.data[0];
    expect(account).toMatchObject({ status: "cooling", coolingUntil: expect.any(Number) });
    await nav("Dashboard").click();
    await expectText(page.locator("[data-stat='accounts-cooling']"), "1");
    await page.getByText(/team max 1 \(Claude \(subscription\)\) is back at .+ \(in \d+ minutes?\)/).waitFor();
    await expectText(page.locator("[data-stat='errors-today']"), "50%");
    await nav("Accounts").click();
    await page.getByRole("article", { name: "Account team max 1" }).getByText("Cooling", { exact: true }).waitFor();
  });

  it("lists users, shows the donations log and the masked settings", async () => {
    await nav("Users").click();
    const me = page.getByRole("article", { name: `User ${h.admin.username}` });
    await me.getByText("(you)").waitFor();
    expect(await me.getByRole("button", { name: "Ban" }).count()).toBe(0);
    await h.shoot(page, "console-users");

    await nav("Donations").click();
    await page.getByText("No donations yet.").waitFor();

    await nav("Settings").click();
    await page.getByRole("heading", { name: "plugins" }).waitFor();
    const text = (await page.locator("main").textContent())!;
    expect(text).toContain("••••••");
    expect(text).toContain("new-api-binding");
    for (const secret of [h.linuxdo.clientSecret, h.newApi.adminToken]) expect(text).not.toContain(secret);
    await h.shoot(page, "console-settings", { fullPage: false });

    await nav("Security").click();
    await page.getByText("Two-factor login is on.").waitFor();
    await h.shoot(page, "console-security");
  });

  it("logs out, and a reload then shows the login page", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You are logged out.").waitFor();
    await page.reload();
    await heading("Switchyard console").waitFor();
    expect((await h.call(page, "GET", "/admin/accounts")).status).toBe(401);
  });

  it("offers only the login methods a gateway has, and only the account actions each provider has", async () => {
    // Passwords only; one provider whose accounts come from the config, one that is managed but has no OAuth.
    const url = await h.another({
      auth: [jwtAdmin({ admins: [{ username: h.admin.username, passwordHash: h.admin.passwordHash }] })],
      providers: [
        anthropicApi({ keys: [{ id: "static-key", key: "sk-ant-api03-browser-suite-static", name: "config key" }] }),
        openrouterPool({ keys: [{ id: "or-key", key: "sk-or-v1-browser-suite-config", name: "pool key" }], baseURL: "http://127.0.0.1:9/api/v1" }),
      ],
    });
    const other = (await h.open(url)).page;
    current = other;
    // The portal offers the password form alone; the admin logs in there and opens the console.
    await other.goto("/portal/");
    await other.getByLabel("Username").fill(h.admin.username);
    expect(await other.getByRole("link", { name: /^Log in with/ }).count()).toBe(0);
    await other.getByLabel("Password").fill(h.admin.password);
    await other.getByLabel("Password").press("Enter");
    await other.getByRole("heading", { level: 1, name: "My account" }).waitFor();
    await other.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Console" }).waitFor();
    await other.goto("/console/accounts");
    await other.getByRole("heading", { level: 1, name: "Accounts" }).waitFor();
    const providers = (await h.call(other, "GET", "/admin/providers")).json.data;
    expect(providers.map((p: Record<string, unknown>) => [p.name, p.managed, p.oauth])).toEqual([["anthropic-api", false, false], ["openrouter-pool", true, false]]);
    const fixed = other.getByRole("article", { name: "Account config key" });
    await fixed.getByText("This account comes from gateway.config.ts; change it there.").waitFor();
    expect(await fixed.getByRole("button").count()).toBe(0);
    const pooled = other.getByRole("article", { name: "Account pool key" });
    for (const name of ["Disable", "Set proxy", "Remove"]) await pooled.getByRole("button", { name }).waitFor();
    expect(await pooled.getByRole("button", { name: "Refresh now" }).count()).toBe(0);
    await other.getByRole("button", { name: "Add an account" }).click();
    await other.getByLabel("Upstream API key").waitFor();
    expect(await other.getByRole("button", { name: "Sign in (OAuth)" }).count()).toBe(0);

    // No login plugin at all: both apps say so instead of showing a form.
    const bare = (await h.open(await h.another({ providers: [claudeOAuth()] }))).page;
    current = bare;
    for (const path of ["/console/", "/portal/"]) {
      await bare.goto(path);
      await bare.getByText("This gateway has no way to log in yet.").waitFor();
      expect(await bare.getByLabel("Username").count(), path).toBe(0);
      expect(await bare.getByRole("link", { name: /^Log in with/ }).count(), path).toBe(0);
    }
  });

  it("ran without a page error or a CSP refusal", () => {
    expect(h.problems).toEqual([]);
  });
});

/** Wait until a locator's text is exactly `text`. */
async function expectText(locator: ReturnType<Page["locator"]>, text: string): Promise<void> {
  await locator.waitFor();
  await locator.page().waitForFunction(([el, want]) => el?.textContent?.trim() === want, [await locator.elementHandle(), text] as const);
}
