import { afterEach, describe, expect, it } from "vitest";
import { CORE_VERSION } from "../../core/index.ts";
import { runCli } from "../_cli.ts";
import { type TempProject, createTempProject, repoRoot } from "../_tmp.ts";

describe("switchyard check", () => {
  const projects: TempProject[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));
  const project = (files: Record<string, string>) => {
    const p = createTempProject(files);
    projects.push(p);
    return p;
  };

  it("exits 0 on the committed example config", async () => {
    const { code, stdout } = await runCli(["check"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/gateway\.config\.ts is valid/);
  });

  it("prints one line per planted mistake, naming each key path, and exits 1", async () => {
    const p = project({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
export default defineGatewayConfig({
  server: { port: 70000 },
  storage: { driver: "redis", url: "http://admin:canary-pw-7f3a@10.1.2.3:6379" },
  logging: { level: "loud" as never },
});`,
    });
    const { code, stdout, stderr } = await runCli(["check", "--config", `${p.dir}/gateway.config.ts`]);
    expect(code).toBe(1);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^✖ server\.port: expected an integer from 0 to 65535, got 70000$/);
    expect(lines[1]).toMatch(/^✖ storage\.url: expected a redis:\/\/ or rediss:\/\/ URL, got a string \(value hidden\)$/);
    expect(lines[2]).toMatch(/^✖ logging\.level: expected one of silent, error, warn, info, debug, trace, got "loud"$/);
    expect(stdout + stderr).not.toContain("canary-pw-7f3a");
  });

  it("prints the result as JSON with --json", async () => {
    const p = project({ "gateway.config.yaml": "colour: blue\n" });
    const bad = await runCli(["check", "--json", "--cwd", p.dir]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({ ok: false, problems: [expect.stringMatching(/^colour: expected one of the known keys/)] });
    const good = await runCli(["check", "--json"]);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, configFile: `${repoRoot}/gateway.config.ts`, plugins: expect.arrayContaining([{ name: "api-key", kind: "auth" }]) });
  });

  it("loads plugin packages by name through Node's own resolution and refuses an incompatible one", async () => {
    const p = project({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
export default defineGatewayConfig({ plugins: [["switchyard-plugin-fixture", { greeting: "hey" }], "switchyard-plugin-incompatible"] });`,
    });
    p.link("switchyard", repoRoot);
    p.copy("switchyard-plugin-fixture", `${repoRoot}/test/fixtures/switchyard-plugin-fixture`);
    p.copy("switchyard-plugin-incompatible", `${repoRoot}/test/fixtures/switchyard-plugin-incompatible`);
    const { code, stderr } = await runCli(["check", "--cwd", p.dir]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `✖ plugins[1] (switchyard-plugin-incompatible) [plugin:from-the-future]: expected switchyard ^99.0.0 (install a version of plugin "from-the-future" made for switchyard ${CORE_VERSION}), got switchyard ${CORE_VERSION}`,
    );
    p.write("gateway.config.ts", `export default { plugins: ["switchyard-plugin-fixture"] }`);
    const ok = await runCli(["check", "--cwd", p.dir, "--json"]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, plugins: [{ name: "fixture", kind: "extension" }] });
  });
});
