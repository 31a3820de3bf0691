import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";

// `npm run docs:build` in CI: vitepress refuses dead internal links, so a broken link fails here.
describe("docs site", () => {
  it("builds with no dead internal links", () => {
    const outDir = join(repoRoot, "test/.tmp/docs-dist");
    rmSync(outDir, { recursive: true, force: true });
    const run = spawnSync(process.execPath, [join(repoRoot, "node_modules/vitepress/bin/vitepress.js"), "build", "docs", "--outDir", outDir], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output.slice(-3000)).toBe(0);
    expect(output).not.toMatch(/dead link/i);
    expect(existsSync(join(outDir, "guide/console.html"))).toBe(true);
    rmSync(outDir, { recursive: true, force: true });
  }, 150_000);
});
