import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../_cli.ts";
import { testSecret } from "../_setup.ts";
import { createTempProject } from "../_tmp.ts";
import { startFakeClaudeOAuthApi } from "../fixtures/upstreams/claude-oauth-api.ts";
import { startFakeCodex } from "../fixtures/upstreams/codex.ts";
import { startFakeOAuth } from "../fixtures/upstreams/oauth.ts";

describe("switchyard accounts import --from cliproxyapi", () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("imports CLIProxyAPI's claude and codex auth files, skips the rest, and prints no token", async () => {
    const claudeOAuth = await startFakeOAuth({ flavor: "claude" });
    const claudeApi = await startFakeClaudeOAuthApi({ oauth: claudeOAuth });
    const codexOAuth = await startFakeOAuth({ flavor: "codex" });
    const codex = await startFakeCodex({ oauth: codexOAuth });
    cleanups.push(() => Promise.all([claudeOAuth.close(), claudeApi.close(), codexOAuth.close(), codex.close()]));
    const project = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import claudeOAuth from "switchyard/plugins/providers/claude-oauth";
import codexOAuth from "switchyard/plugins/providers/codex-oauth";
export default defineGatewayConfig({
  storage: { driver: "sqlite", path: ".data/gateway.sqlite" },
  providers: [
    claudeOAuth({ authorizeURL: ${JSON.stringify(claudeOAuth.authorizeUrl)}, tokenURL: ${JSON.stringify(claudeOAuth.tokenUrl)}, apiBaseURL: ${JSON.stringify(claudeApi.url)} }),
    codexOAuth({ issuer: ${JSON.stringify(codexOAuth.url)}, baseURL: ${JSON.stringify(`${codex.url}/backend-api/codex`)} }),
  ],
  logging: { level: "warn" },
});`,
    });
    cleanups.push(() => project.cleanup());
    const claude = claudeOAuth.mint({ email: "claude-user@example.com" });
    const openai = codexOAuth.mint({ email: "codex-user@example.com" });
    const dir = join(project.dir, "cpa-auths");
    mkdirSync(dir);
    const write = (name: string, body: unknown) => writeFileSync(join(dir, name), typeof body === "string" ? body : JSON.stringify(body));
    write("claude-claude-user@example.com.json", { type: "claude", access_token: claude.accessToken, refresh_token: claude.refreshToken, email: "claude-user@example.com", expired: new Date(Date.now() + 3_600_000).toISOString(), last_refresh: new Date().toISOString(), id_token: "" });
    write("codex-codex-user@example.com.json", { type: "codex", id_token: openai.idToken, access_token: openai.accessToken, refresh_token: openai.refreshToken, account_id: openai.account.accountId, email: "codex-user@example.com", expired: new Date(Date.now() + 3_600_000).toISOString() });
    write("gemini-someone.json", { type: "gemini", token: { access_token: "gemini-canary-token-123" } });
    write("broken.json", "{ not json");
    write("notes.txt", "ignored: not .json");

    const env = { SWITCHYARD_SECRET: testSecret, NO_COLOR: "1" };
    const run = await runCli(["accounts", "import", dir, "--from", "cliproxyapi", "--cwd", project.dir], { env });
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);
    expect(output).toMatch(/claude-claude-user@example\.com\.json → claude-oauth account acc_[0-9a-f]{24} \(claude-user@example\.com\): active/);
    expect(output).toMatch(/codex-codex-user@example\.com\.json → codex-oauth account acc_[0-9a-f]{24} \(codex-user@example\.com\): active/);
    expect(output).toMatch(/gemini-someone\.json: skipped, type "gemini" has no Switchyard provider/);
    expect(output).toMatch(/broken\.json: skipped, not JSON/);
    for (const secret of [claude.accessToken, claude.refreshToken, openai.accessToken, openai.refreshToken, "gemini-canary-token-123"]) expect(output).not.toContain(secret);

    const list = await runCli(["accounts", "list", "--json", "--cwd", project.dir], { env });
    const accounts = JSON.parse(list.stdout) as Array<{ provider: string; name: string; status: string }>;
    expect(accounts.map((a) => [a.provider, a.name, a.status]).sort()).toEqual([
      ["claude-oauth", "claude-user@example.com", "active"],
      ["codex-oauth", "codex-user@example.com", "active"],
    ]);

    const json = await runCli(["accounts", "import", dir, "--from", "cliproxyapi", "--json", "--cwd", project.dir], { env });
    const results = JSON.parse(json.stdout) as Array<{ file: string; skipped?: string; id?: string }>;
    expect(results.map((r) => r.file)).toEqual(["broken.json", "claude-claude-user@example.com.json", "codex-codex-user@example.com.json", "gemini-someone.json"]);
    // Importing the same files again updates the same accounts instead of adding copies.
    const again = await runCli(["accounts", "list", "--json", "--cwd", project.dir], { env });
    expect(JSON.parse(again.stdout)).toHaveLength(2);
  });

  it("refuses an unknown source", async () => {
    const project = createTempProject({ "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";\nexport default defineGatewayConfig({ storage: { driver: "memory" } });` });
    cleanups.push(() => project.cleanup());
    const run = await runCli(["accounts", "import", project.dir, "--from", "one-api", "--cwd", project.dir], { env: { SWITCHYARD_SECRET: testSecret } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--from: expected "cliproxyapi"/);
  });
});
