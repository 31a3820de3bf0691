// The files in deploy/ must agree with the code: the image runs the CLI with runtime
// dependencies only, compose gives every gateway the same secret and one Redis, the systemd
// unit starts the CLI in production mode. No Docker engine or systemd runs here, so the files
// are read; the config they ship is run for real (two instances on one Redis, one on SQLite).
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { Redis } from "ioredis";
import ts from "typescript";
import { parse as parseYaml } from "yaml";
import { dirname, join, relative, resolve } from "pathe";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayDefaults } from "../../core/config/defaults.ts";
import { runCli, startCli } from "../_cli.ts";
import { describeRedis, redisUrl } from "../_redis.ts";
import { type TempProject, createTempProject, repoRoot } from "../_tmp.ts";

const pkg = JSON.parse(read("package.json")) as { name: string; scripts: Record<string, string>; engines: { node: string }; dependencies: Record<string, string> };
const deployConfig = read("deploy/gateway.config.ts");

describe("deploy/Dockerfile", () => {
  const steps = dockerfile(read("deploy/Dockerfile"));
  const all = (name: string) => steps.filter((s) => s.name === name).map((s) => s.args);

  it("runs bin/switchyard.mjs start, as `npm start` does, in production mode as a non-root user", () => {
    expect(JSON.parse(all("CMD").at(-1)!)).toEqual(["node", "bin/switchyard.mjs", "start"]);
    expect(pkg.scripts.start).toBe("node bin/switchyard.mjs start");
    expect(existsSync(join(repoRoot, "bin/switchyard.mjs"))).toBe(true);
    expect(all("ENV")).toContain("NODE_ENV=production");
    expect(all("USER").at(-1)).toMatch(/^(?!root$|0$)\S+$/);
  });

  it("uses the Node major the package asks for", () => {
    const major = /^node:(\d+)-/.exec(all("FROM")[0]!)?.[1];
    expect(Number(major)).toBe(Number(/(\d+)/.exec(pkg.engines.node)![1]));
  });

  it("installs runtime dependencies only, and every module the gateway imports at run time is one", () => {
    expect(all("RUN").some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runtimeImports().map((i) => i.specifier)).toEqual(expect.arrayContaining(["h3", "unstorage", "tsx/esm/api", "better-sqlite3", "ioredis", "switchyard"]));
    const missing = runtimeImports().filter(({ specifier }) => {
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
      return !(name === pkg.name || name in pkg.dependencies || builtinModules.includes(specifier.replace(/^node:/, "")) || specifier.startsWith("node:"));
    });
    expect(missing).toEqual([]);
  });

  it("copies the folders the gateway's relative imports reach, the deploy config as gateway.config.ts, and never the whole context", () => {
    const copies = all("COPY").map((c) => c.split(/\s+/));
    expect(copies.every((c) => !c.slice(0, -1).includes("."))).toBe(true);
    const copied = new Set(copies.flatMap((c) => c.slice(0, -1)));
    for (const folder of ["bin", "core", "plugins", "storage-drivers"]) expect(copied).toContain(folder);
    expect(copies).toContainEqual(["deploy/gateway.config.ts", "./gateway.config.ts"]);
    const outside = runtimeImports(true)
      .map(({ file, specifier }) => relative(repoRoot, resolve(dirname(file), specifier)))
      .filter((target) => ![...copied].some((folder) => target === folder || target.startsWith(`${folder}/`)));
    expect(outside).toEqual([]);
  });

  it("exposes and health-checks the port the shipped config listens on", () => {
    const port = Number(/port: (\d+)/.exec(deployConfig)![1]);
    expect(port).toBe(GatewayDefaults.server.port);
    expect(all("EXPOSE")).toEqual([String(port)]);
    expect(all("HEALTHCHECK")[0]).toContain(`http://127.0.0.1:${port}/ready`);
    expect(all("VOLUME")[0]).toContain("/app/.data");
  });

  it("keeps .env and .data out of the build context", () => {
    const ignored = read("deploy/Dockerfile.dockerignore").split("\n").map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining([".env", ".data", "**/.data", "node_modules"]));
  });
});

describe("deploy/compose.yaml", () => {
  const compose = parseYaml(read("deploy/compose.yaml"), { merge: true }) as {
    services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, unknown>; stop_grace_period?: string }>;
  };
  const services = Object.entries(compose.services);
  const redis = services.filter(([, s]) => s.image?.startsWith("redis:"));
  const gateways = services.filter(([, s]) => s.build?.dockerfile === "deploy/Dockerfile");

  it("has one Redis and two gateway instances built from deploy/Dockerfile with the repo as context", () => {
    expect(redis).toHaveLength(1);
    expect(gateways).toHaveLength(2);
    expect(services).toHaveLength(3);
    for (const [, g] of gateways) {
      expect(g.build!.context).toBe("..");
      expect(Object.keys(g.depends_on ?? {})).toEqual([redis[0]![0]]);
    }
  });

  it("gives every gateway the same SWITCHYARD_SECRET, from one required variable, and production mode", () => {
    const secrets = gateways.map(([, g]) => g.environment!.SWITCHYARD_SECRET);
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toMatch(/^\$\{SWITCHYARD_SECRET:\?.+\}$/);
    for (const [, g] of gateways) expect(g.environment!.NODE_ENV).toBe("production");
  });

  it("points every gateway at the Redis service, through the variable the shipped config reads", () => {
    expect(deployConfig).toContain("process.env.REDIS_URL");
    for (const [, g] of gateways) {
      const url = new URL(g.environment!.REDIS_URL!);
      expect(url.protocol).toBe("redis:");
      expect(url.hostname).toBe(redis[0]![0]);
    }
  });

  it("passes only variables the gateway or the shipped config reads", () => {
    for (const [, g] of gateways) {
      for (const name of Object.keys(g.environment!)) {
        const read = name === "NODE_ENV" || deployConfig.includes(`process.env.${name}`) || coreReads(name);
        expect(read, name).toBe(true);
      }
    }
  });

  it("publishes each instance on its own host port, the container port being the gateway's", () => {
    const ports = gateways.flatMap(([, g]) => g.ports!);
    expect(new Set(ports.map((p) => p.split(":").slice(0, -1).join(":"))).size).toBe(ports.length);
    for (const p of ports) expect(p.split(":").at(-1)).toBe(String(GatewayDefaults.server.port));
  });

  it("gives open streams longer to finish than server.shutdownTimeoutMs", () => {
    for (const [, g] of gateways) expect(Number.parseInt(g.stop_grace_period!, 10) * 1000).toBeGreaterThan(GatewayDefaults.server.shutdownTimeoutMs);
  });
});

describe("deploy/switchyard.service", () => {
  const unit = iniSections(read("deploy/switchyard.service"));
  const service = unit.Service!;

  it("starts the CLI from the working directory in production mode, with the secret from an environment file", () => {
    const [node, script, ...args] = service.ExecStart![0]!.split(/\s+/);
    expect(node).toMatch(/\/node$/);
    expect(relative(service.WorkingDirectory![0]!, script!)).toBe("bin/switchyard.mjs");
    expect(args).toEqual(["start"]);
    expect(service.Environment).toContain("NODE_ENV=production");
    expect(service.EnvironmentFile?.[0]).toMatch(/^\/etc\//);
  });

  it("reloads with SIGHUP (which the CLI listens for) and waits longer than the shutdown deadline", () => {
    expect(service.ExecReload![0]).toContain("-HUP");
    expect(read("core/cli/reload.ts")).toContain('process.on("SIGHUP"');
    expect(Number(service.TimeoutStopSec![0]) * 1000).toBeGreaterThan(GatewayDefaults.server.shutdownTimeoutMs);
  });

  it("lets the service write only the default data folder", () => {
    expect(service.ProtectSystem).toEqual(["strict"]);
    const base = (GatewayDefaults.storage as { base: string }).base;
    expect(service.ReadWritePaths).toEqual([`${service.WorkingDirectory![0]}/${base}`]);
    expect(unit.Install!.WantedBy).toEqual(["multi-user.target"]);
  });
});

describeRedis("the shipped config, run as deployed", () => {
  const children: ChildProcess[] = [];
  const projects: TempProject[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
    projects.splice(0).forEach((p) => p.cleanup());
    if (prefixes.length) await deleteRedisKeys(prefixes.splice(0));
  });

  // A copy in a scratch folder, so its SQLite file lands there; it imports "switchyard" by name.
  const project = () => {
    const p = createTempProject({ "gateway.config.ts": deployConfig });
    projects.push(p);
    return p;
  };
  // What compose passes, minus upstream keys (none here).
  const env = (secret: string, extra: Record<string, string> = {}) => ({
    NODE_ENV: "production", SWITCHYARD_SECRET: secret, ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "", OPENROUTER_API_KEYS: "", OPENROUTER_MANAGEMENT_KEY: "",
    LINUXDO_CLIENT_ID: "", LINUXDO_CLIENT_SECRET: "", REDIS_URL: "", REDIS_PREFIX: "", TRUSTED_PROXIES: "", SWITCHYARD_ADMIN_TOKEN: "", SWITCHYARD_METRICS_TOKEN: "", ...extra,
  });
  const start = async (dir: string, vars: Record<string, string>) => {
    const running = await startCli(["start", "--cwd", dir, "--host", "127.0.0.1", "--port", "0"], { env: vars });
    children.push(running.child);
    return running.url;
  };

  it("two instances on one Redis with the same secret share keys; an instance with another secret refuses to start", async () => {
    const prefix = `sy-deploy-${randomBytes(6).toString("hex")}`;
    prefixes.push(prefix);
    const secret = randomBytes(32).toString("base64");
    const vars = env(secret, { REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
    const p = project();
    const [a, b] = [await start(p.dir, vars), await start(p.dir, vars)];
    for (const url of [a, b]) expect((await fetch(`${url}/ready`)).status).toBe(200);

    const created = await runCli(["keys", "create", "--name", "deploy-test", "--cwd", p.dir], { env: vars });
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split("\n").at(-1)!;
    expect(key).toMatch(/^sk-sy-/);
    for (const url of [a, b]) {
      const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(models.status).toBe(200);
      expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    }

    const other = await runCli(["start", "--cwd", p.dir, "--host", "127.0.0.1", "--port", "0"], { env: env(randomBytes(32).toString("base64"), { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }) });
    expect(other.code).toBe(1);
    expect(other.stdout + other.stderr).toContain("is not the key this storage was sealed with");
  });

  it("without REDIS_URL, one instance keeps everything in .data/switchyard.sqlite", async () => {
    const p = project();
    const url = await start(p.dir, env(randomBytes(32).toString("base64")));
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(existsSync(join(p.dir, ".data/switchyard.sqlite"))).toBe(true);
  });

  it("refuses to start in production without SWITCHYARD_SECRET", async () => {
    const p = project();
    const result = await runCli(["start", "--cwd", p.dir, "--port", "0"], { env: env("") });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain("SWITCHYARD_SECRET");
  });
});

// --- internal ---

function read(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

/** Dockerfile instructions in order, continuation lines joined, comments dropped. */
function dockerfile(text: string): Array<{ name: string; args: string }> {
  const joined = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").replace(/\\\n\s*/g, "");
  return joined.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [, name, args] = /^([A-Z]+)\s+(.*)$/.exec(l) ?? [];
    if (!name) throw new Error(`not a Dockerfile instruction: ${l}`);
    return { name, args: args!.replace(/^(--\S+\s+)+/, "") };
  });
}

/** `[Section]` → key → values (a key may repeat), comments and blank lines dropped. */
function iniSections(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line)?.[1];
    if (header) {
      section = header;
      out[section] = {};
      continue;
    }
    const [, key, value] = /^(\w+)=(.*)$/.exec(line) ?? [];
    if (!key || !section) throw new Error(`not a unit file line: ${raw}`);
    (out[section]![key] ??= []).push(value!);
  }
  return out;
}

/**
 * Module specifiers the running gateway imports (value imports only; `import type` is erased):
 * everything under bin/, core/, plugins/ and storage-drivers/ except tests, plus the deploy
 * config. Relative ones with `relativeOnly`, package and builtin ones otherwise.
 */
function runtimeImports(relativeOnly = false): Array<{ file: string; specifier: string }> {
  const files = ["bin", "core", "plugins", "storage-drivers"].flatMap((d) => walk(join(repoRoot, d))).concat(join(repoRoot, "deploy/gateway.config.ts"));
  const out: Array<{ file: string; specifier: string }> = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      let specifier: string | undefined;
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) specifier = node.moduleSpecifier.text;
      else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specifier = node.moduleSpecifier.text;
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) specifier = node.arguments[0].text;
      if (specifier !== undefined && specifier.startsWith(".") === relativeOnly) out.push({ file, specifier });
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

/** True when core or a first-party plugin reads the variable: `env.<name>`, or its name as a constant. */
function coreReads(name: string): boolean {
  const pattern = new RegExp(`\\benv(\\.|\\[["'])${name}\\b|"${name}"`);
  return ["core", "plugins"].flatMap((d) => walk(join(repoRoot, d))).some((f) => pattern.test(readFileSync(f, "utf8")));
}

async function deleteRedisKeys(prefixes: string[]): Promise<void> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    for (const prefix of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
        cursor = next;
        if (keys.length) await client.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    client.disconnect();
  }
}
