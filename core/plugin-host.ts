import { pathToFileURL } from "node:url";
import { resolveModuleURL } from "exsolve";
import semver from "semver";
import { ConfigIssues, join } from "./config/issues.ts";
import { PLUGIN_LISTS } from "./config/resolvers/plugins.ts";
import type { ResolvedGatewayConfig } from "./types/config.ts";
import type { GatewayPlugin, PluginInput } from "./types/plugin.ts";
import { CORE_VERSION } from "./version.ts";

/** A plugin ready to set up, with the config path it came from (for error messages). */
export interface PreparedPlugin {
  plugin: GatewayPlugin;
  /** `providers[0]`, or `auth[1] (switchyard-plugin-x)` for a package name. */
  source: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Turn the config's plugin lists into set-up order: import package names from the project
 * root, check names, kinds, `compat` and `dependsOn`, and check that every route names a
 * configured provider. Every problem is reported in one `ConfigError`. Runs no `setup`.
 */
export async function preparePlugins(config: ResolvedGatewayConfig, coreVersion: string = CORE_VERSION): Promise<PreparedPlugin[]> {
  const issues = new ConfigIssues();
  const prepared: PreparedPlugin[] = [];
  for (const [list, kind] of Object.entries(PLUGIN_LISTS) as [keyof typeof PLUGIN_LISTS, GatewayPlugin["kind"]][]) {
    for (const [index, input] of config[list].entries()) {
      const path = join(list, index);
      const loaded = await importPlugin(input, config.rootDir, path, issues);
      if (!loaded) continue;
      if (loaded.plugin.kind !== kind) {
        issues.add(loaded.source, `a ${kind} plugin`, loaded.plugin);
        continue;
      }
      prepared.push(loaded);
    }
  }
  checkNames(prepared, issues);
  for (const { plugin, source } of prepared) checkCompat(plugin, source, coreVersion, issues);
  const ordered = orderByDependencies(prepared, issues);
  checkRouteProviders(config, prepared, issues);
  issues.throwIfAny();
  return ordered;
}

// --- internal ---

async function importPlugin(input: PluginInput, rootDir: string, path: string, issues: ConfigIssues): Promise<PreparedPlugin | undefined> {
  if (!input) return undefined;
  if (typeof input !== "string" && !Array.isArray(input)) return { plugin: input, source: path };
  const [specifier, options] = typeof input === "string" ? [input, undefined] : input;
  const source = `${path} (${specifier})`;
  let url: string;
  try {
    url = resolveModuleURL(specifier, { from: pathToFileURL(`${rootDir}/`) });
  } catch {
    issues.addText(source, `a package installed in ${rootDir} (npm install ${specifier})`, "a name that does not resolve");
    return undefined;
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (error) {
    issues.addText(source, "a module that imports cleanly", `an error: ${(error as Error).message}`);
    return undefined;
  }
  // A package default-exports its factory (called with the options) or a plugin object.
  const exported = mod.default;
  const plugin = typeof exported === "function" ? (exported as (o: unknown) => unknown)(options) : exported;
  if (!isPlugin(plugin)) {
    issues.add(source, "a default export made with defineProvider, defineAuth or definePlugin", plugin);
    return undefined;
  }
  return { plugin, source };
}

function isPlugin(value: unknown): value is GatewayPlugin {
  const p = value as GatewayPlugin | undefined;
  return typeof p === "object" && p !== null && typeof p.name === "string" && typeof p.setup === "function" && typeof p.kind === "string";
}

function checkNames(prepared: PreparedPlugin[], issues: ConfigIssues): void {
  const seen = new Map<string, string>();
  for (const { plugin, source } of prepared) {
    if (!NAME_RE.test(plugin.name)) {
      issues.add(join(source, "name"), "lowercase letters, digits and dashes (at most 64)", plugin.name);
    }
    const first = seen.get(plugin.name);
    if (first) issues.addText(source, `a plugin name not already used by ${first}`, `"${plugin.name}" again`);
    else seen.set(plugin.name, source);
  }
}

function checkCompat(plugin: GatewayPlugin, source: string, coreVersion: string, issues: ConfigIssues): void {
  if (plugin.compat === undefined) return;
  if (!semver.validRange(plugin.compat)) {
    issues.add(`${source} [plugin:${plugin.name}] compat`, "a semver range", plugin.compat);
  } else if (!semver.satisfies(coreVersion, plugin.compat, { includePrerelease: true })) {
    issues.addText(
      `${source} [plugin:${plugin.name}]`,
      `switchyard ${plugin.compat} (install a version of plugin "${plugin.name}" made for switchyard ${coreVersion})`,
      `switchyard ${coreVersion}`,
    );
  }
}

// Depth-first topological order; array order is kept wherever dependencies allow.
function orderByDependencies(prepared: PreparedPlugin[], issues: ConfigIssues): PreparedPlugin[] {
  const byName = new Map(prepared.map((p) => [p.plugin.name, p]));
  const state = new Map<string, "visiting" | "done">();
  const ordered: PreparedPlugin[] = [];
  const visit = (entry: PreparedPlugin, chain: string[]): void => {
    const { name } = entry.plugin;
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      issues.addText(`${entry.source} [plugin:${name}] dependsOn`, "no dependency cycle", [...chain, name].join(" → "));
      return;
    }
    state.set(name, "visiting");
    for (const dep of entry.plugin.dependsOn ?? []) {
      const target = byName.get(dep);
      if (target) visit(target, [...chain, name]);
      else issues.addText(`${entry.source} [plugin:${name}] dependsOn`, `a configured plugin named "${dep}"`, "no such plugin");
    }
    state.set(name, "done");
    ordered.push(entry);
  };
  for (const entry of prepared) visit(entry, []);
  return ordered;
}

function checkRouteProviders(config: ResolvedGatewayConfig, prepared: PreparedPlugin[], issues: ConfigIssues): void {
  const providers = prepared.filter((p) => p.plugin.kind === "provider").map((p) => p.plugin.name);
  config.routes.forEach((rule, index) => {
    if (typeof rule.provider === "string" && !providers.includes(rule.provider)) {
      const known = providers.length ? `one of ${providers.map((n) => `"${n}"`).join(", ")}` : "a configured provider (none is configured)";
      issues.add(join(join("routes", index), "provider"), known, rule.provider);
    }
  });
}
