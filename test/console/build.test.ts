// The committed console build matches its sources, stays under its URL prefix, and keeps to
// the pages' CSP (script-src 'self': no inline scripts, no eval).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { join } from "pathe";
import { CONSOLE_ROOT, SOURCE_HASH_FILE, consoleSourceHash } from "../../console/source-hash.ts";
import { repoRoot } from "../_tmp.ts";

const dist = join(CONSOLE_ROOT, "dist");

describe("console build", () => {
  it("is up to date with the console sources", () => {
    expect(existsSync(SOURCE_HASH_FILE), "console/dist/.source-hash is missing: run npm run console:build").toBe(true);
    const built = readFileSync(SOURCE_HASH_FILE, "utf8").trim();
    expect(built, "the console sources changed since the last build: run npm run console:build (and commit console/dist)").toBe(consoleSourceHash());
  });

  it("its TypeScript modules type-check under console/tsconfig.json (the .vue files are compiled by Vite)", () => {
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "--noEmit", "-p", join(CONSOLE_ROOT, "tsconfig.json")], { encoding: "utf8", cwd: repoRoot });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  for (const app of ["console", "portal"]) {
    it(`${app}: every URL the page loads is a file under /${app}/, and no script is inline`, () => {
      const html = readFileSync(join(dist, app, "index.html"), "utf8");
      const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(urls.length).toBeGreaterThan(1);
      for (const url of urls) {
        expect(url, url).toMatch(new RegExp(`^/${app}/assets/[\\w.-]+\\.(js|css)$`));
        expect(existsSync(join(dist, app, url.slice(app.length + 2))), url).toBe(true);
      }
      for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(script[1], "inline script").toMatch(/\bsrc=/);
        expect(script[2]!.trim()).toBe("");
      }
    });

    it(`${app}: the bundle has no eval and stays small`, () => {
      const assets = join(dist, app, "assets");
      let bytes = 0;
      for (const file of readdirSync(assets)) {
        bytes += statSync(join(assets, file)).size;
        if (!file.endsWith(".js")) continue;
        const code = readFileSync(join(assets, file), "utf8");
        expect(code, file).not.toMatch(/\beval\(|new Function\(/);
        // Nothing is kept in web storage: the session is the HttpOnly cookie.
        expect(code, file).not.toMatch(/localStorage|sessionStorage/);
      }
      expect(bytes).toBeLessThan(250_000);
    });
  }
});
