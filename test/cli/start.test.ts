import { afterEach, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { runCli, startCli } from "../_cli.ts";
import { type TempProject, createTempProject } from "../_tmp.ts";
import { testSecret } from "../_setup.ts";

describe("switchyard start", () => {
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
export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" } });`,
    });
    projects.push(p);
    return p;
  };

  it("serves /health and /ready on the port given, and stops cleanly on SIGTERM", async () => {
    const p = project();
    const { child, url } = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env: { SWITCHYARD_SECRET: testSecret } });
    children.push(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("x-request-id")).toMatch(/^req_/);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("generates a development secret into .data/ with a warning when none is set", async () => {
    const p = project();
    const { child, output } = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env: { SWITCHYARD_SECRET: "" } });
    children.push(child);
    expect(output()).toContain("SWITCHYARD_SECRET is not set");
    const { statSync } = await import("node:fs");
    expect(statSync(`${p.dir}/.data/secret.key`).mode & 0o777).toBe(0o600);
  });

  it("refuses to start in production without a secret, naming the variable", async () => {
    const p = project();
    const { code, stderr } = await runCli(["start", "--cwd", p.dir, "--port", "0"], { env: { NODE_ENV: "production", SWITCHYARD_SECRET: "" } });
    expect(code).toBe(1);
    expect(stderr).toContain("SWITCHYARD_SECRET");
  });

  it("refuses a busy port instead of silently picking another", async () => {
    const p = project();
    const first = await startCli(["start", "--cwd", p.dir, "--port", "0"], { env: { SWITCHYARD_SECRET: testSecret } });
    children.push(first.child);
    const port = new URL(first.url).port;
    // Another project: the same one would be refused for its fs store before the port is tried.
    const second = await runCli(["start", "--cwd", project().dir, "--port", port], { env: { SWITCHYARD_SECRET: testSecret } });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/port/i);
  });

  it("rejects a malformed --port", async () => {
    const { code, stderr } = await runCli(["start", "--port", "80x"]);
    expect(code).toBe(1);
    expect(stderr).toContain('--port: expected an integer from 0 to 65535, got "80x"');
  });
});
