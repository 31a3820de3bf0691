import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, GatewayDefaults, defineGatewayConfig, definePlugin, loadGatewayConfig, resolveGatewayConfig } from "../../core/index.ts";
import { createTempProject } from "../_tmp.ts";

function problems(input: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveGatewayConfig(input as never, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe("resolveGatewayConfig", () => {
  it("fills every default for an empty config", () => {
    const config = resolveGatewayConfig({}, { env: {}, rootDir: "/srv/gw" });
    expect(config.server).toEqual(GatewayDefaults.server);
    expect(config.storage).toEqual({ driver: "fs", base: ".data" });
    expect(config.logging).toEqual({ level: "info", format: "pretty" });
    expect(config).toMatchObject({ providers: [], auth: [], plugins: [], routes: [], pricing: {}, rootDir: "/srv/gw" });
  });

  it("reports three planted mistakes as three lines naming each key path", () => {
    const lines = problems({ server: { port: 70_000 }, storage: { driver: "mongo" }, colour: "blue" });
    expect(lines).toEqual([
      "colour: expected one of the known keys (server, storage, providers, auth, plugins, routes, pricing, logging, relay), got an unknown key",
      "server.port: expected an integer from 0 to 65535, got 70000",
      'storage.driver: expected one of "fs", "memory", "redis", "sqlite", got "mongo"',
    ]);
  });

  it("checks nested shapes: routes, pricing, logging, plugin lists", () => {
    const lines = problems({
      routes: [{ models: [], provider: "x" }, "nope"],
      pricing: { "claude-x": { input: -1, output: Number.NaN, cahceRead: 1 } },
      logging: { level: "loud" },
      providers: [{ not: "a plugin" }],
      auth: "api-key",
    });
    expect(lines).toContain("routes[0].models: expected a model glob or a non-empty array of them, got an array of 0");
    expect(lines).toContain("routes[1]: expected an object { models, provider }, got \"nope\"");
    expect(lines).toContain("pricing.claude-x.input: expected a price in USD per million tokens (a number >= 0), got -1");
    expect(lines).toContain("pricing.claude-x.output: expected a price in USD per million tokens (a number >= 0), got NaN");
    expect(lines.some((l) => l.startsWith("pricing.claude-x.cahceRead: expected one of the known keys"))).toBe(true);
    expect(lines.some((l) => l.startsWith("logging.level: expected one of silent, error"))).toBe(true);
    expect(lines.some((l) => l.startsWith("providers[0]: expected a provider plugin"))).toBe(true);
    expect(lines).toContain('auth: expected an array of plugins, got "api-key"');
    expect(lines).toHaveLength(8);
  });

  it("never prints a secret value: a redis URL with a password is described by type only", () => {
    const lines = problems({ storage: { driver: "redis", url: "http://user:hunter2-canary@10.0.0.1:6379" } });
    expect(lines).toEqual(["storage.url: expected a redis:// or rediss:// URL, got a string (value hidden)"]);
    expect(lines.join("\n")).not.toContain("hunter2-canary");
  });

  it("puts a plugin in the wrong list on the right path", () => {
    const ext = definePlugin({ name: "audit", setup: () => {} });
    expect(problems({ providers: [ext()] })).toEqual(['providers[0]: expected a provider plugin, got extension plugin "audit"']);
  });

  it("drops falsy plugin entries so `env.X && plugin()` works", () => {
    const ext = definePlugin({ name: "audit", setup: () => {} });
    const config = resolveGatewayConfig({ plugins: [false, null, undefined, ext()] }, { env: {} });
    expect(config.plugins).toHaveLength(1);
  });

  it("applies GATEWAY_* environment overrides to known scalar options only", () => {
    const config = resolveGatewayConfig({ server: { port: 1000 } }, { env: { GATEWAY_SERVER_PORT: "9001", GATEWAY_LOGGING_LEVEL: "warn", GATEWAY_SERVER_BOGUS: "x" } });
    expect(config.server.port).toBe(9001);
    expect(config.logging.level).toBe("warn");
    expect(problems({}, { GATEWAY_SERVER_PORT: "80x" })).toEqual(['server.port: expected an integer from 0 to 65535, got "80x"']);
  });

  it("never modifies the caller's object", () => {
    const input = defineGatewayConfig({ server: { port: 1234 }, routes: [{ models: "a-*", provider: "p" }] });
    const before = JSON.stringify(input);
    resolveGatewayConfig(input, { env: { GATEWAY_SERVER_HOST: "0.0.0.0" } });
    expect(JSON.stringify(input)).toBe(before);
  });

  it("refuses a config that is not an object", () => {
    expect(problems(["not", "an", "object"])).toEqual(["(config): expected an object (export default defineGatewayConfig({...})), got an array of 3"]);
  });
});

describe("loadGatewayConfig", () => {
  const projects: { cleanup(): void }[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.cleanup()));
  const project = (files: Record<string, string>) => {
    const p = createTempProject(files);
    projects.push(p);
    return p;
  };

  it("loads gateway.config.ts with the $development layer and .env", async () => {
    const p = project({
      "gateway.config.ts": `import { defineGatewayConfig } from "switchyard";
export default defineGatewayConfig({ server: { port: Number(process.env.SY_TEST_PORT) }, $development: { logging: { level: "debug" } } });`,
      ".env": "SY_TEST_PORT=9123\n",
    });
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "development";
    try {
      const { config, configFile } = await loadGatewayConfig({ cwd: p.dir, env: {} });
      expect(configFile).toBe(`${p.dir}/gateway.config.ts`);
      expect(config.server.port).toBe(9123);
      expect(config.logging.level).toBe("debug");
      expect(config.rootDir).toBe(p.dir);
    } finally {
      process.env.NODE_ENV = previous;
      delete process.env.SY_TEST_PORT;
    }
  });

  it("loads a YAML config and an explicit --config path", async () => {
    const p = project({ "gateway.config.yaml": "server:\n  port: 9200\n", "conf/other.yaml": "server:\n  port: 9300\n" });
    expect((await loadGatewayConfig({ cwd: p.dir, env: {} })).config.server.port).toBe(9200);
    const other = await loadGatewayConfig({ cwd: p.dir, configFile: "conf/other.yaml", env: {} });
    expect(other.config.server.port).toBe(9300);
    expect(other.configFile).toBe(`${p.dir}/conf/other.yaml`);
  });

  it("reports every problem of a loaded file, and a missing --config file", async () => {
    const p = project({ "gateway.config.mjs": "export default { server: { host: '' }, logging: { format: 'xml' } }" });
    await expect(loadGatewayConfig({ cwd: p.dir, env: {} })).rejects.toMatchObject({
      issues: ['server.host: expected a host name or IP address, got ""', "logging.format: expected one of pretty, json, got \"xml\""],
    });
    await expect(loadGatewayConfig({ cwd: p.dir, configFile: "missing.ts", env: {} })).rejects.toBeInstanceOf(ConfigError);
  });

  it("turns a config that throws on import into one problem line", async () => {
    const p = project({ "gateway.config.ts": "throw new Error('boom at import')\nexport default {}" });
    const error = await loadGatewayConfig({ cwd: p.dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toHaveLength(1);
    expect((error as ConfigError).issues[0]).toContain("boom at import");
  });

  it("uses defaults when no config file exists", async () => {
    const p = project({});
    const { config, configFile } = await loadGatewayConfig({ cwd: p.dir, env: {} });
    expect(configFile).toBeUndefined();
    expect(config.server.port).toBe(8787);
  });
});
