import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, CORE_VERSION, defineAuth, definePlugin, defineProvider, resolveGatewayConfig } from "../../core/index.ts";
import { preparePlugins } from "../../core/plugin-host.ts";
import { createTempProject, repoRoot } from "../_tmp.ts";
import { setupGateway } from "../_setup.ts";

const ext = (name: string, more: { dependsOn?: string[]; compat?: string } = {}) => definePlugin({ name, ...more, setup: () => {} })();
const provider = (name: string) =>
  defineProvider({ name, setup: () => ({ dialects: ["openai-chat"] as const, models: () => [], send: async () => new Response("{}") }) })();

async function prepareProblems(input: Parameters<typeof resolveGatewayConfig>[0], rootDir?: string): Promise<string[]> {
  try {
    await preparePlugins(resolveGatewayConfig(input, { env: {}, rootDir }));
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe("define helpers", () => {
  it("return option factories producing plain plugin objects, with no side effects", () => {
    let calls = 0;
    const factory = defineAuth<{ header: string }>({ name: "hdr", compat: "*", dependsOn: ["x"], setup: () => (calls++, {}) });
    const plugin = factory({ header: "x-test" });
    expect(plugin).toMatchObject({ name: "hdr", kind: "auth", compat: "*", dependsOn: ["x"] });
    expect(typeof plugin.setup).toBe("function");
    expect(calls).toBe(0);
  });

  it("passes the options to setup", async () => {
    let seen: unknown;
    const factory = definePlugin<{ n: number }>({ name: "opts", setup: (_ctx, options) => void (seen = options) });
    await setupGateway({ plugins: [factory({ n: 7 })] });
    expect(seen).toEqual({ n: 7 });
  });
});

describe("preparePlugins", () => {
  it("orders by dependsOn, then config order", async () => {
    const config = resolveGatewayConfig({ plugins: [ext("c", { dependsOn: ["b"] }), ext("a"), ext("b", { dependsOn: ["a"] })] }, { env: {} });
    const order = (await preparePlugins(config)).map((p) => p.plugin.name);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("reports a missing dependency, a cycle, a duplicate name and a bad name", async () => {
    const lines = await prepareProblems({
      plugins: [ext("a", { dependsOn: ["ghost"] }), ext("x", { dependsOn: ["y"] }), ext("y", { dependsOn: ["x"] }), ext("a"), ext("Bad Name")],
    });
    expect(lines).toContain('plugins[0] [plugin:a] dependsOn: expected a configured plugin named "ghost", got no such plugin');
    expect(lines.some((l) => l.includes("expected no dependency cycle, got x → y → x"))).toBe(true);
    expect(lines).toContain('plugins[3]: expected a plugin name not already used by plugins[0], got "a" again');
    expect(lines).toContain('plugins[4].name: expected lowercase letters, digits and dashes (at most 64), got "Bad Name"');
  });

  it("refuses an incompatible compat range with the plugin's name in the message", async () => {
    const lines = await prepareProblems({ plugins: [ext("time-traveller", { compat: "^99.0.0" })] });
    expect(lines).toEqual([
      `plugins[0] [plugin:time-traveller]: expected switchyard ^99.0.0 (install a version of plugin "time-traveller" made for switchyard ${CORE_VERSION}), got switchyard ${CORE_VERSION}`,
    ]);
    expect(await prepareProblems({ plugins: [ext("ok", { compat: `^${CORE_VERSION}` })] })).toEqual([]);
    expect(await prepareProblems({ plugins: [ext("weird", { compat: "not a range" })] })).toEqual(['plugins[0] [plugin:weird] compat: expected a semver range, got "not a range"']);
  });

  it("checks that every route names a configured provider", async () => {
    const lines = await prepareProblems({ providers: [provider("alpha")], routes: [{ models: "*", provider: "beta" }] });
    expect(lines).toEqual(['routes[0].provider: expected one of "alpha", got "beta"']);
  });
});

describe("third-party plugin packages", () => {
  const projects: { cleanup(): void }[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));
  const project = () => {
    // Installed the way npm would: core linked as `switchyard`, plugin packages copied in.
    const p = createTempProject();
    p.link("switchyard", repoRoot);
    p.copy("switchyard-plugin-fixture", `${repoRoot}/test/fixtures/switchyard-plugin-fixture`);
    p.copy("switchyard-plugin-incompatible", `${repoRoot}/test/fixtures/switchyard-plugin-incompatible`);
    projects.push(p);
    return p;
  };

  it("loads a plugin package by name from the project root and serves its route", async () => {
    const p = project();
    const gateway = await setupGateway({ plugins: [["switchyard-plugin-fixture", { greeting: "hi from a package" }]] }, { rootDir: p.dir });
    expect(gateway.routes).toContainEqual({ method: "GET", path: "/plugins/fixture/hello", access: "public", owner: "fixture" });
    const first = await gateway.request("/plugins/fixture/hello");
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ greeting: "hi from a package", calls: 1 });
    expect(await (await gateway.request("/plugins/fixture/hello")).json()).toEqual({ greeting: "hi from a package", calls: 2 });
    // Its storage is prefixed with its name.
    expect(await gateway.storage.counter("plugins:fixture:calls")).toBe(2);
  });

  it("refuses a package whose compat range excludes this core, naming the plugin", async () => {
    const p = project();
    const lines = await prepareProblems({ plugins: ["switchyard-plugin-incompatible"] }, p.dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("plugins[0] (switchyard-plugin-incompatible) [plugin:from-the-future]");
    expect(lines[0]).toContain(`got switchyard ${CORE_VERSION}`);
  });

  it("reports a package that is not installed", async () => {
    const p = project();
    expect(await prepareProblems({ plugins: ["switchyard-plugin-missing"] }, p.dir)).toEqual([
      `plugins[0] (switchyard-plugin-missing): expected a package installed in ${p.dir} (npm install switchyard-plugin-missing), got a name that does not resolve`,
    ]);
  });
});
