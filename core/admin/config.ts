// The resolved config for the console's settings page: read-only, every secret masked.
import { addGuardedRoute, type RouteHost } from "../routes/guarded.ts";
import { redact } from "../redact.ts";
import type { ResolvedGatewayConfig } from "../types/config.ts";
import type { GatewayPlugin, PluginInput } from "../types/plugin.ts";

/** What stands in for a masked value. */
export const MASK = "••••••";

export function registerConfigRoute(host: RouteHost, config: ResolvedGatewayConfig): void {
  addGuardedRoute(host, { method: "GET", path: "/admin/config", access: "admin", handler: () => maskedConfig(config) }, "core");
}

/** The config as an admin may see it: values of secret-looking fields and URL credentials masked. */
export function maskedConfig(config: ResolvedGatewayConfig): unknown {
  const { server, storage, routes, pricing, logging, relay } = config;
  const plugins = (kind: string, list: PluginInput[]) =>
    list.filter((p): p is Exclude<PluginInput, false | null | undefined> => Boolean(p)).map((p) => describePlugin(kind, p));
  return redact({
    server, storage: mask(storage), routes, pricing, logging, relay,
    plugins: [...plugins("provider", config.providers), ...plugins("auth", config.auth), ...plugins("extension", config.plugins)],
  });
}

// --- internal ---

const SECRET_FIELD = /key|token|secret|password|passwd|hash|credential|cookie|authorization/i;

function describePlugin(kind: string, input: Exclude<PluginInput, false | null | undefined>): unknown {
  if (typeof input === "string") return { kind, package: input };
  if (Array.isArray(input)) return { kind, package: input[0], options: mask(input[1]) };
  const plugin = input as GatewayPlugin;
  return { kind, name: plugin.name, ...(plugin.options === undefined ? {} : { options: mask(plugin.options) }) };
}

function mask(value: unknown, field = ""): unknown {
  if (SECRET_FIELD.test(field) && value !== undefined && value !== null && typeof value !== "boolean" && typeof value !== "number") return MASK;
  if (typeof value === "string") return maskUrl(value);
  if (Array.isArray(value)) return value.map((v) => mask(v, field));
  if (typeof value === "function") return "[function]";
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  return value;
}

function maskUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password) url.password = MASK;
    if (url.username) url.username = MASK;
    return url.href;
  } catch {
    return MASK;
  }
}
