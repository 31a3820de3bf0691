import { describe, expect, it } from "vitest";
import { runNode } from "../_cli.ts";

/** Run `npm run demo -- --once` the way npm does, without npm in between (plain output). */
function runDemoOnce(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode(["--import", "tsx", "scripts/demo.ts", "--once"]);
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
