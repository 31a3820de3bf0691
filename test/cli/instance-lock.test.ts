import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "pathe";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli } from "../_cli.ts";
import { testSecret } from "../_setup.ts";
import { type TempProject, createTempProject } from "../_tmp.ts";

describe("one serving process per fs store (F4)", () => {
  const children: ChildProcess[] = [];
  const projects: TempProject[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
    projects.splice(0).forEach((p) => p.cleanup());
  });
  const project = () => {
    const p = createTempProject({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" }, auth: [apiKey()] });`,
    });
    projects.push(p);
    return p;
  };
  const env = { SWITCHYARD_SECRET: testSecret };

  it("refuses a second `start` on the same fs store, while short CLI commands still work", async () => {
    const p = project();
    const first = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env });
    children.push(first.child);
    const second = await runCli(["start", "--cwd", p.dir, "--port", "0"], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another Switchyard process \(pid \d+, since .*\) serves this fs store/);
    expect(second.stderr).toMatch(/use redis \(or sqlite\) storage to run several/);
    const key = await runCli(["keys", "create", "--cwd", p.dir, "--name", "while serving"], { env });
    expect(key.code, key.stderr).toBe(0);
    first.child.kill("SIGTERM");
    const [code] = await once(first.child, "exit");
    expect(code).toBe(0);
    const third = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env });
    children.push(third.child);
    expect((await fetch(`${third.url}/health`)).status).toBe(200);
  });

  it("takes over the lock a killed process left behind", async () => {
    const p = project();
    mkdirSync(join(p.dir, ".data"), { recursive: true });
    // A pid far above any live one on this machine.
    writeFileSync(join(p.dir, ".data/.instance.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "2026-01-01T00:00:00.000Z" }));
    const started = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env });
    children.push(started.child);
    expect((await fetch(`${started.url}/health`)).status).toBe(200);
  });
});
