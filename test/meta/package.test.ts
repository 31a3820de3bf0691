import { readFileSync, readdirSync, existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { join } from "pathe";
import * as core from "../../core/index.ts";
import { repoRoot } from "../_tmp.ts";

describe("public API", () => {
  it("exports exactly this list (update deliberately: it is the plugin authors' contract)", () => {
    expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
      [
        "AccountUnavailableError",
        "CORE_VERSION",
        "ConfigError",
        "GatewayDefaults",
        "HTTPError",
        "OAUTH_FLOW_TTL_MS",
        "OptionProblems",
        "SSELineTooLongError",
        "TokenRefreshError",
        "badRequest",
        "checkKnownOptions",
        "clampExpiresIn",
        "clientClosed",
        "createAccountStore",
        "createAttemptLimiter",
        "createGateway",
        "createGatewayStorage",
        "createHttpClient",
        "createKeyAccounts",
        "createLogger",
        "createOAuthFlows",
        "createOAuthState",
        "createPkce",
        "createRateLimiter",
        "createSSEParser",
        "createSecretBox",
        "createTokenRefresher",
        "defineAuth",
        "defineGatewayConfig",
        "definePlugin",
        "defineProvider",
        "errorDialectFor",
        "forbidden",
        "formatErrorBody",
        "formatSSE",
        "ipAllowed",
        "loadGatewayConfig",
        "notFound",
        "overloaded",
        "parseAuthorizationInput",
        "parseBaseURL",
        "parseCidr",
        "parseHttpUrl",
        "parseKeys",
        "parseModels",
        "parseProxyUrl",
        "publicUser",
        "rateLimited",
        "readJsonObject",
        "redact",
        "redactString",
        "registerSecret",
        "resolveGatewayConfig",
        "startServer",
        "storageKey",
        "toErrorResponse",
        "unauthorized",
        "upstreamFailed",
        "upstreamTimeout",
        "userPrincipal",
      ]
    `);
  });

  it("maps package subpaths to files that exist", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { exports: Record<string, string> };
    expect(pkg.exports["."]).toBe("./core/index.ts");
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (target.includes("*")) continue;
      expect(existsSync(join(repoRoot, target)), `${subpath} → ${target}`).toBe(true);
    }
  });
});

describe("repository rules", () => {
  const plugins = listPluginEntries();

  it("every plugin (first-party and fixture packages) imports only switchyard's public entry", () => {
    expect(plugins.length).toBeGreaterThan(0);
    for (const file of plugins) {
      const source = readFileSync(file, "utf8");
      const specifiers = [...source.matchAll(/\bfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
      for (const spec of specifiers) {
        // Core's public entry, node builtins, the plugin's own files, or other packages; never
        // a path out of the plugin's folder or into another switchyard subpath.
        const ok = !spec!.split("/").includes("..") && !spec!.startsWith("/") && !spec!.startsWith("switchyard/");
        expect(ok, `${file} imports ${spec}`).toBe(true);
        expect(spec!.includes("/core/"), `${file} reaches into core: ${spec}`).toBe(false);
      }
    }
  });

  it("every storage driver has a test that calls the conformance suite and a docs page", () => {
    const drivers = readdirSync(join(repoRoot, "storage-drivers")).filter((f) => f.endsWith(".ts") && !f.startsWith("_")).map((f) => f.replace(/\.ts$/, ""));
    expect(drivers.sort()).toEqual(["fs", "memory", "redis", "sqlite"]);
    for (const name of drivers) {
      const testFile = join(repoRoot, "test/storage-drivers", `${name}.test.ts`);
      expect(existsSync(testFile), `test for ${name}`).toBe(true);
      expect(readFileSync(testFile, "utf8"), `${name} test calls testDriver`).toContain("testDriver(");
      expect(existsSync(join(repoRoot, "docs/drivers", `${name}.md`)), `docs page for ${name}`).toBe(true);
    }
  });

  it("every first-party plugin has a test that calls its conformance suite and a docs page", () => {
    // Auth plugins: client-key strategies call testAuth, login plugins testLogin, others (only routes) testPluginRoutes.
    const kinds = { auth: { suite: /\b(testAuth|testLogin|testPluginRoutes)\(/, docs: "auth" }, providers: { suite: /\btestProvider\(/, docs: "providers" } } as const;
    for (const [kind, { suite, docs }] of Object.entries(kinds)) {
      const dir = join(repoRoot, "plugins", kind);
      const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith("_")) : [];
      for (const name of names) {
        const testFile = join(repoRoot, "test/plugins", kind, `${name}.test.ts`);
        expect(existsSync(testFile), `test for plugins/${kind}/${name}`).toBe(true);
        expect(readFileSync(testFile, "utf8"), `${name} test calls ${suite}`).toMatch(suite);
        expect(existsSync(join(repoRoot, "docs", docs, `${name}.md`)), `docs page for ${name}`).toBe(true);
      }
    }
  });

  it("every outbound call goes through core/http-client.ts (no other fetch, undici, http.request or net.connect)", () => {
    const outbound = [
      /(?<![.\w])fetch\((?![A-Za-z_]\w*\??:)/, // a call to global fetch (not a method declaration)
      /from\s+["']undici["']/,
      /from\s+["']node:(http|https|net|tls)["']/,
      /\b(http|https)\.(request|get)\(/,
      /\bnet\.connect\(|\bcreateConnection\(/,
    ];
    const allowed = new Map([
      ["core/http-client.ts", outbound], // the guarded client itself
      ["core/server.ts", [/from\s+["']node:(http|https|net|tls)["']/]], // the inbound server, type import
      ["core/cidr.ts", [/from\s+["']node:(http|https|net|tls)["']/]], // isIPv4/isIPv6 only
    ]);
    for (const file of walk(["core", "plugins", "storage-drivers"])) {
      const rel = file.slice(repoRoot.length + 1);
      const source = readFileSync(file, "utf8");
      for (const pattern of outbound) {
        if ((allowed.get(rel) ?? []).some((a) => a.source === pattern.source)) continue;
        expect(pattern.test(source), `${rel} makes outbound calls outside the guarded client (${pattern})`).toBe(false);
      }
    }
  });

  it("no file under core/, plugins/ or storage-drivers/ writes to the console directly", () => {
    for (const file of walk(["core", "plugins", "storage-drivers"])) {
      const source = readFileSync(file, "utf8");
      expect(/(?<!['"`\\])\bconsole\.(log|info|warn|error|debug)\(/.test(source), `${file} uses console`).toBe(false);
    }
  });
});

// --- internal ---

function listPluginEntries(): string[] {
  const roots = [join(repoRoot, "plugins"), join(repoRoot, "test/fixtures")];
  return walk(roots.map((r) => r.slice(repoRoot.length + 1))).filter((f) => f.endsWith(".ts") && (f.includes("/plugins/") || f.includes("switchyard-plugin-")));
}

function walk(dirs: string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") visit(path);
      } else if (/\.(ts|mts|mjs|js)$/.test(entry.name)) out.push(path);
    }
  };
  for (const dir of dirs) visit(join(repoRoot, dir));
  return out;
}
