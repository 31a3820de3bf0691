// The user portal in headless Chromium: a LinuxDO user logs in through the (fake) LinuxDO
// pages, binds their new-api account, donates two accounts (sign-in flow and file upload) and
// sees them credited, manages their own key; a user session gets nothing from the console or
// the admin API; an admin sees the donor and bans and unbans the user. Login methods and
// donation offers come from the API: a second gateway with other plugins shows other ones.
import { generateSync } from "otplib";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import linuxdoConnect from "../../plugins/auth/linuxdo-connect/index.ts";
import newApiBinding from "../../plugins/auth/new-api-binding/index.ts";
import codexOAuth from "../../plugins/providers/codex-oauth/index.ts";
import { ALICE, AMOUNT, type Harness, reportFailure, startHarness, webStorage } from "./_harness.ts";

let h: Harness;
let context: BrowserContext;
let page: Page;
let current: Page;
let userId = "";

beforeAll(async () => {
  h = await startHarness();
  ({ context, page } = await h.open());
  context.setDefaultTimeout(10_000);
  current = page;
});
afterEach(async ({ task }) => {
  if (task.result?.state === "fail") await reportFailure(current, task.name);
});
afterAll(async () => {
  await h?.close();
});

const nav = (p: Page, name: string) => p.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name });
const donationsOf = async () => (await h.call(page, "GET", "/plugins/new-api-binding/donations")).json.data as Array<Record<string, any>>;

describe("user portal", () => {
  it("logs a LinuxDO user in through LinuxDO and back", async () => {
    await page.goto("/portal/");
    await heading(page, "Switchyard portal").waitFor();
    // GET /auth/methods lists LinuxDO and a password: the page offers both.
    const methods = (await h.call(page, "GET", "/auth/methods")).json.methods as Array<{ id: string; url: string }>;
    expect(methods.map((m) => m.id)).toEqual(["password", "linuxdo"]);
    const linuxdo = page.getByRole("link", { name: "Log in with LinuxDO" });
    expect(await linuxdo.getAttribute("href")).toBe(`${methods[1]!.url}?redirect=%2Fportal`);
    await page.getByLabel("Password").waitFor();
    await h.shoot(page, "portal-login");
    await page.getByRole("link", { name: "Log in with LinuxDO" }).click();
    // gateway → fake LinuxDO authorize → gateway callback → /portal, all followed by the browser.
    await heading(page, "My account").waitFor();
    expect(new URL(page.url()).pathname).toBe("/portal");
    await page.getByText(`@${ALICE.username} (trust level 2)`).waitFor();
    const me = (await h.call(page, "GET", "/auth/me")).json.user;
    expect(me).toMatchObject({ name: ALICE.name, role: "user", identities: [{ provider: "linuxdo", subject: String(ALICE.linuxdoId) }] });
    userId = me.id;
  });

  it("binds the new-api account, after a wrong id is refused in words", async () => {
    await page.getByLabel("Your new-api user id").fill("999");
    await page.getByLabel("Your new-api user id").press("Enter");
    await page.getByRole("alert").filter({ hasText: "No new-api user with id 999." }).waitFor();
    await page.getByLabel("Your new-api user id").fill(String(ALICE.newApiUserId));
    await page.getByRole("button", { name: "Bind" }).click();
    await page.getByText(`Bound to new-api user ${ALICE.newApiUsername}.`).waitFor();
    await page.locator("[data-binding]").getByText(`id ${ALICE.newApiUserId}`).waitFor();
    expect((await h.call(page, "GET", "/plugins/new-api-binding/binding")).json.binding).toMatchObject({ newApiUserId: ALICE.newApiUserId, linuxdoId: String(ALICE.linuxdoId) });
    await h.shoot(page, "portal-account");
  });

  it("donates a Claude account through the sign-in flow and sees it credited", async () => {
    await nav(page, "Donate").click();
    await page.getByText("You have not donated an account yet.").waitFor();
    // The providers and the credit come from GET …/donations/options (500,000 quota = 1 USD).
    const options = (await h.call(page, "GET", "/plugins/new-api-binding/donations/options")).json;
    expect(options).toMatchObject({ quotaAmount: AMOUNT, quotaPerUsd: 500_000 });
    expect(await optionsOf(page)).toEqual(options.providers.map((p: { name: string }) => p.name));
    await page.locator("[data-offer]").getByText("5,000,000 quota ($10.00)").waitFor();
    await page.getByLabel("Account type").selectOption("claude-oauth");
    await page.getByRole("button", { name: "Start sign-in" }).click();
    const link = page.locator("[data-auth-url]");
    await link.waitFor();
    const approved = await h.claude.oauth.authorize((await link.getAttribute("href"))!);
    await page.getByLabel("Step 3 of 3: code or callback URL").fill(`${approved.code}#${approved.state}`);
    await page.getByRole("button", { name: "Donate" }).click();
    await page.locator("[data-thanks]").getByText("Thank you! 5,000,000 quota ($10.00) was credited to your new-api account.").waitFor();
    const row = page.locator("tr[data-donation]");
    await row.getByText("Credited").waitFor();
    await row.getByText(`to new-api #${ALICE.newApiUserId}`).waitFor();
    await row.getByText("5,000,000 quota ($10.00)").waitFor();
    expect(h.newApi.users.get(ALICE.newApiUserId)!.quota).toBe(AMOUNT);
    expect(await donationsOf()).toMatchObject([{ provider: "claude-oauth", status: "credited", amount: AMOUNT }]);
  });

  it("donates a Codex account by uploading auth.json; the file's tokens never appear on the page", async () => {
    const t = h.codex.oauth.mint({ email: "bob@example.com", accountId: "acct-bob", organizationId: "org-bob" });
    const file = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: t.idToken, access_token: t.accessToken, refresh_token: t.refreshToken, account_id: t.account.accountId }, last_refresh: new Date().toISOString() });
    await page.getByLabel("Account type").selectOption("codex-oauth");
    await page.getByRole("button", { name: "Upload a credentials file" }).click();
    await page.getByLabel("Credentials file", { exact: true }).setInputFiles({ name: "auth.json", mimeType: "application/json", buffer: Buffer.from(file) });
    await page.getByText("Ready: auth.json").waitFor();
    expect(await page.content()).not.toContain(t.refreshToken);
    await page.getByRole("button", { name: "Donate" }).click();
    await page.locator("[data-thanks]").getByText("was credited").waitFor();
    await expectCount(page.locator("tr[data-donation]", { hasText: "Credited" }), 2);
    await page.getByText("Ready: auth.json").waitFor({ state: "detached" });
    expect(h.newApi.users.get(ALICE.newApiUserId)!.quota).toBe(2 * AMOUNT);
    expect((await donationsOf()).map((d) => [d.provider, d.status])).toEqual([["codex-oauth", "credited"], ["claude-oauth", "credited"]]);
    for (const secret of [t.refreshToken, t.accessToken]) {
      expect(await page.content()).not.toContain(secret);
      expect(await webStorage(page)).not.toContain(secret);
    }
    await h.shoot(page, "portal-donate");
  });

  it("creates an own key, shown once, and sees its usage", async () => {
    await nav(page, "My keys").click();
    await page.getByText("You have no keys yet.").waitFor();
    await page.getByLabel("Name").fill("my laptop");
    await page.getByLabel("Name").press("Enter");
    const secret = page.locator("[data-secret]");
    await secret.waitFor();
    const key = (await secret.textContent())!.trim();
    expect(key).toMatch(/^sk-sy-/);
    const own = (await h.call(page, "GET", "/plugins/api-key/me/keys")).json.data;
    expect(own).toMatchObject([{ name: "my laptop", owner: userId }]);
    expect(await h.relay(key)).toBe(200);

    await nav(page, "My account").click();
    await heading(page, "My account").waitFor();
    await nav(page, "My keys").click();
    const card = page.getByRole("article", { name: "Key my laptop" });
    await expectText(card.locator("[data-usage='today'] td").nth(1), "1");
    expect(await page.content()).not.toContain(key);
    expect(await webStorage(page)).not.toContain(key);
    await h.shoot(page, "portal-keys");
  });

  it("a user session cannot open any console page or call the admin API", async () => {
    for (const path of ["/console/", "/console/accounts", "/console/keys", "/console/users", "/console/donations", "/console/settings", "/console/security"]) {
      await page.goto(path);
      await heading(page, "You don't have access").waitFor();
      expect(await page.getByRole("navigation", { name: "Main" }).count(), path).toBe(0);
    }
    await h.shoot(page, "console-no-access");
    const calls: Array<[string, string, unknown?]> = [
      ["GET", "/admin/accounts"], ["GET", "/admin/providers"], ["GET", "/admin/users"], ["GET", `/admin/users/${userId}`],
      ["GET", "/admin/usage?days=30"], ["GET", "/admin/usage/keys/x"], ["GET", "/admin/config"], ["GET", "/plugins/api-key/keys"],
      ["GET", "/plugins/new-api-binding/donations/all"], ["POST", "/admin/providers/claude-oauth/oauth/start", {}],
      ["POST", "/admin/accounts", { provider: "claude-oauth", import: "{}" }], ["POST", "/plugins/api-key/keys", { name: "x" }],
      ["PATCH", `/admin/users/${userId}`, { role: "admin" }],
    ];
    for (const [method, path, body] of calls) expect((await h.call(page, method, path, body)).status, `${method} ${path}`).toBe(403);
    expect((await h.call(page, "GET", "/auth/me")).json.user.role).toBe("user");
    await page.goto("/portal/");
    await heading(page, "My account").waitFor();
  });

  it("an admin sees the donor on the donated accounts and in the donations log, and bans and unbans the user", async () => {
    const admin = (await h.open()).page;
    current = admin;
    await admin.goto("/console/accounts");
    await admin.getByLabel("Username").fill(h.admin.username);
    await admin.getByLabel("Password").fill(h.admin.password);
    await admin.getByRole("button", { name: "Log in" }).click();
    await heading(admin, "Accounts").waitFor();
    await expectCount(admin.locator("[data-donor]", { hasText: ALICE.name }), 2);
    await h.shoot(admin, "console-accounts-donated");

    await nav(admin, "Donations").click();
    await expectCount(admin.locator("tr[data-donation]", { hasText: ALICE.name }).filter({ hasText: "Credited" }), 2);
    await h.shoot(admin, "console-donations");

    await nav(admin, "Users").click();
    const alice = admin.getByRole("article", { name: `User ${ALICE.name}` });
    await alice.getByText(`LinuxDO @${ALICE.username}`).waitFor();
    await alice.getByRole("button", { name: "Ban" }).click();
    await alice.getByRole("button", { name: `Yes, ban ${ALICE.name}` }).click();
    await alice.getByText("Banned", { exact: true }).waitFor();
    expect((await h.call(admin, "GET", `/admin/users/${userId}`)).json.status).toBe("banned");
    // The ban ended Alice's session: her open portal finds out on its next call and asks her to log in.
    current = page;
    await nav(page, "Donate").click();
    await page.getByText("Your session has ended. Log in again.").waitFor();
    await page.getByRole("link", { name: "Log in with LinuxDO" }).waitFor();
    expect((await h.call(page, "GET", "/auth/me")).status).toBe(401);

    current = admin;
    await alice.getByRole("button", { name: "Unban" }).click();
    await alice.getByText("Active", { exact: true }).waitFor();
    expect((await h.call(admin, "GET", `/admin/users/${userId}`)).json.status).toBe("active");
    await h.shoot(admin, "console-users-managed");
  });

  it("finishes a LinuxDO login that needs a second factor on the portal, with the ticket from the URL fragment", async () => {
    current = page;
    // The login returns to the page it started from.
    await page.getByRole("link", { name: "Log in with LinuxDO" }).click();
    await heading(page, "Donate an account").waitFor();
    expect(new URL(page.url()).pathname).toBe("/portal/donate");
    // Alice turns 2FA on (through the API from her page; the console test drives the setup page).
    const setup = (await h.call(page, "POST", "/auth/2fa/setup", {})).json;
    const at = Date.now();
    const code = (ms: number) => generateSync({ secret: setup.secret, epoch: Math.floor(ms / 1000) });
    expect((await h.call(page, "POST", "/auth/2fa/enable", { code: code(at) })).status).toBe(200);
    await page.goto("/portal/keys");
    await page.getByRole("link", { name: "Log in with LinuxDO" }).click();
    await page.getByRole("heading", { name: "Two-factor login" }).waitFor();
    expect(page.url()).not.toContain("ticket");
    expect((await h.call(page, "GET", "/auth/me")).status).toBe(401);
    await page.getByLabel("Code").fill(code(at + 30_000));
    await page.getByLabel("Code").press("Enter");
    await heading(page, "My keys").waitFor();
    expect(new URL(page.url()).pathname).toBe("/portal/keys");
    expect((await h.call(page, "GET", "/auth/me")).json.user.id).toBe(userId);
  });

  it("on a gateway with LinuxDO only and Codex donations only, offers exactly those", async () => {
    const url = await h.another({
      providers: [codexOAuth({ issuer: h.codex.oauth.url, baseURL: `${h.codex.backend.url}/backend-api/codex` })],
      auth: [
        linuxdoConnect({ clientId: h.linuxdo.clientId, clientSecret: h.linuxdo.clientSecret, authorizeURL: h.linuxdo.authorizeURL, tokenURL: h.linuxdo.tokenURL, userURL: h.linuxdo.userURL }),
        newApiBinding({ baseURL: h.newApi.url, adminToken: h.newApi.adminToken, adminUserId: h.newApi.adminUserId, addQuota: true, donation: { quotaAmount: 1_000_000, providers: ["codex-oauth"] } }),
      ],
    });
    h.linuxdo.redirectUris = [...h.linuxdo.redirectUris, `${url}/auth/linuxdo/callback`];
    const other = (await h.open(url)).page;
    current = other;
    // No password method: the console has no form, and offers LinuxDO back to the console.
    await other.goto("/console/");
    const back = other.getByRole("link", { name: "Log in with LinuxDO" });
    expect(await back.getAttribute("href")).toBe("/auth/linuxdo/login?redirect=%2Fconsole");
    expect(await other.getByLabel("Password").count()).toBe(0);
    await other.goto("/portal/donate");
    await other.getByRole("link", { name: "Log in with LinuxDO" }).click();
    await heading(other, "Donate an account").waitFor();
    expect((await h.call(other, "POST", "/plugins/new-api-binding/binding", { newApiUserId: ALICE.newApiUserId })).status).toBe(200);
    await other.reload();
    await other.locator("[data-offer]").getByText("1,000,000 quota ($2.00)").waitFor();
    expect(await optionsOf(other)).toEqual(["codex-oauth"]);
    await other.getByRole("button", { name: "Upload a credentials file" }).waitFor();
  });

  it("ran without a page error or a CSP refusal", () => {
    expect(h.problems).toEqual([]);
  });
});

/** The provider names the Donate page offers. */
async function optionsOf(p: Page): Promise<string[]> {
  const select = p.getByLabel("Account type");
  await select.waitFor();
  return select.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
}

async function expectText(locator: ReturnType<Page["locator"]>, text: string): Promise<void> {
  await locator.waitFor();
  await locator.page().waitForFunction(([el, want]) => el?.textContent?.trim() === want, [await locator.elementHandle(), text] as const);
}

async function expectCount(locator: ReturnType<Page["locator"]>, n: number): Promise<void> {
  await locator.nth(n - 1).waitFor();
  expect(await locator.count()).toBe(n);
}
