import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";

/** Run `npm run demo -- --once` the way npm does, without npm in between. */
function runDemoOnce(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No colors, so the lines can be matched as printed.
    const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts", "--once"], { cwd: repoRoot, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run demo -- --once", () => {
  it("answers every example through the gateway and exits 0", async () => {
    const { code, stdout, stderr } = await runDemoOnce();
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.not.stringContaining("✘") });
    const url = /gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const key = /key\s+(sk-sy-[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
    expect(url).toBeDefined();
    expect(key).toBeDefined();
    // The printed commands carry the real URL and key, so they can be pasted as they are.
    expect(stdout).toContain(`curl ${url}/v1/messages`);
    expect(stdout).toContain(`-H 'x-api-key: ${key}'`);
    expect(stdout).toContain(`curl -N ${url}/v1/chat/completions`);
    expect(stdout).toContain(`-H 'authorization: Bearer ${key}'`);
    expect(stdout).toContain(`baseURL: "${url}"`);
    expect(stdout).toContain(`baseURL: "${url}/v1"`);
    // Four examples, four answers echoed by the fake upstreams.
    expect(stdout.match(/✔ answer: echo: Hello from the Switchyard demo/g)).toHaveLength(4);
    expect(stdout).toContain("all examples answered");
  });
});
