import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "pathe";
import { H3 } from "h3";
import { afterAll, describe, expect, it } from "vitest";
import { registerConsoleRoutes } from "../../core/routes/console.ts";
import { repoRoot } from "../_tmp.ts";

const dist = join(repoRoot, `test/.tmp/console-${randomBytes(4).toString("hex")}`);
mkdirSync(join(dist, "console/assets"), { recursive: true });
mkdirSync(join(dist, "portal"), { recursive: true });
writeFileSync(join(dist, "console/index.html"), "<!doctype html><title>console</title>");
writeFileSync(join(dist, "portal/index.html"), "<!doctype html><title>portal</title>");
writeFileSync(join(dist, "console/assets/app-AbCdEf12.js"), "console.log(1)");
writeFileSync(join(dist, "secret.txt"), "outside the apps");
afterAll(() => rmSync(dist, { recursive: true, force: true }));

function app(folder = dist) {
  const h3 = new H3();
  registerConsoleRoutes(h3, [], folder);
  return (path: string) => h3.fetch(new Request(`http://gw.test${path}`));
}

describe("console static files", () => {
  it("serves files with their type, and index.html for client-side routes", async () => {
    const get = app();
    const asset = await get("/console/assets/app-AbCdEf12.js");
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    for (const path of ["/console", "/console/", "/console/accounts/acc_1"]) {
      const page = await get(path);
      expect(await page.text()).toContain("<title>console</title>");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    }
    expect(await (await get("/portal/donate")).text()).toContain("<title>portal</title>");
  });

  it("never serves a file outside the build, whatever the path says", async () => {
    const get = app();
    for (const path of ["/console/%2e%2e/secret.txt", "/console/..%2fsecret.txt", "/portal/%2e%2e%2f%2e%2e%2fpackage.json", "/console/%00"]) {
      const text = await (await get(path)).text();
      expect(text, path).not.toContain("outside the apps");
      expect(text, path).not.toContain('"name": "switchyard"');
    }
  });

  it("says how to build when there is no build", async () => {
    const get = app(join(dist, "missing"));
    const answer = await get("/console");
    expect(answer.status).toBe(503);
    expect(await answer.text()).toMatch(/npm run console:build/);
  });
});
