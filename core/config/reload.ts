// Hot reload: a changed config file swaps routes, pricing, relay tuning and the log level in
// place; everything else needs a restart and is named. A config that does not validate, or
// routes to a provider that is not running, changes nothing.
import type { Gateway } from "../gateway.ts";
import type { ResolvedGatewayConfig } from "../types/config.ts";

/** What a reload did. */
export interface ReloadResult {
  applied: string[];
  /** Sections that changed but only take effect after a restart. */
  restartNeeded: string[];
}

/** Apply `next` to a running gateway; throws (changing nothing) when it cannot be applied. */
export function applyConfigReload(gateway: Gateway, next: ResolvedGatewayConfig): ReloadResult {
  const current = gateway.config;
  for (const [i, rule] of next.routes.entries()) {
    if (!gateway.providers.has(rule.provider)) throw new Error(`routes[${i}].provider: expected a running provider (${[...gateway.providers.keys()].join(", ")}), got "${rule.provider}"; adding a provider needs a restart`);
  }
  const applied: string[] = [];
  const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  if (changed(current.routes, next.routes)) {
    current.routes = next.routes;
    applied.push("routes");
  }
  if (changed(current.pricing, next.pricing)) {
    current.pricing = next.pricing;
    applied.push("pricing");
  }
  const { legacyPrefixes, ...tuning } = next.relay;
  const { legacyPrefixes: runningPrefixes, ...runningTuning } = current.relay;
  // In place: the scheduler and admission hold this very object.
  if (changed(runningTuning, tuning)) {
    Object.assign(current.relay, tuning);
    applied.push("relay");
  }
  if (current.logging.level !== next.logging.level) {
    current.logging.level = next.logging.level;
    gateway.logger.level = next.logging.level;
    applied.push("logging.level");
  }
  const restartNeeded: string[] = [];
  if (changed(runningPrefixes, legacyPrefixes)) restartNeeded.push("relay.legacyPrefixes");
  if (changed(current.server, next.server)) restartNeeded.push("server");
  if (changed(current.storage, next.storage)) restartNeeded.push("storage");
  if (current.logging.format !== next.logging.format) restartNeeded.push("logging.format");
  for (const section of ["providers", "auth", "plugins"] as const) {
    if (changed(pluginShapes(current[section]), pluginShapes(next[section]))) restartNeeded.push(section);
  }
  return { applied, restartNeeded };
}

// --- internal ---

// Plugins are compared by name and options (a new upstream key is a change that needs a restart).
function pluginShapes(list: ResolvedGatewayConfig["providers"]): unknown[] {
  return list.filter(Boolean).map((p) => (typeof p === "string" || Array.isArray(p) ? p : { name: (p as { name: string }).name, options: (p as { options?: unknown }).options }));
}
