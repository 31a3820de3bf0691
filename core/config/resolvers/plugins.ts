import type { PluginInput, PluginKind } from "../../types/plugin.ts";
import { type ConfigIssues, isRecord, join } from "../issues.ts";

/** Config keys that list plugins, and the kind each expects. */
export const PLUGIN_LISTS: Record<"providers" | "auth" | "plugins", PluginKind> = {
  providers: "provider",
  auth: "auth",
  plugins: "extension",
};

/**
 * Validate one plugin list's shape. Falsy entries are dropped (so `env.X && plugin()`
 * works); package names stay strings and are imported when plugins load.
 */
export function resolvePluginList(key: keyof typeof PLUGIN_LISTS, input: unknown, issues: ConfigIssues): PluginInput[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    issues.add(key, "an array of plugins", input);
    return [];
  }
  const kind = PLUGIN_LISTS[key];
  const out: PluginInput[] = [];
  input.forEach((entry: unknown, index) => {
    if (!entry) return;
    const path = join(key, index);
    if (typeof entry === "string") {
      if (entry.trim() === "") issues.add(path, "a package name", entry);
      else out.push(entry);
    } else if (Array.isArray(entry)) {
      if (entry.length !== 2 || typeof entry[0] !== "string") issues.add(path, "[packageName, options]", entry);
      else out.push(entry as [string, unknown]);
    } else if (isRecord(entry) && typeof entry.name === "string" && typeof entry.setup === "function") {
      if (entry.kind !== kind) issues.add(path, `a ${kind} plugin`, entry);
      else out.push(entry as unknown as PluginInput);
    } else {
      issues.add(path, `a ${kind} plugin (a factory call such as myPlugin({...}) or a package name)`, entry);
    }
  });
  return out;
}
