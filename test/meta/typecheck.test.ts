import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { join } from "pathe";
import { repoRoot } from "../_tmp.ts";

describe("types", () => {
  it("the whole project type-checks under strict settings", () => {
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "--noEmit", "-p", repoRoot], { encoding: "utf8", cwd: repoRoot });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 120_000);
});
