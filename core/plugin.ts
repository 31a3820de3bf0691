import type { GatewayPlugin, PluginDefinition, PluginFactory, PluginKind } from "./types/plugin.ts";

/**
 * Define a provider plugin. Returns an options factory; nothing runs until the gateway
 * calls `setup`.
 *
 * @example
 * export default defineProvider<{ apiKey: string }>({
 *   name: "mistral",
 *   compat: "^0.1.0",
 *   setup(ctx, options) {
 *     return { dialects: ["openai-chat"], models: () => [], send: (req) => fetchUpstream(req, options) };
 *   },
 * });
 */
export function defineProvider<O = Record<string, never>>(definition: PluginDefinition<O, "provider">): PluginFactory<O, "provider"> {
  return toFactory("provider", definition);
}

/**
 * Define an auth plugin: `setup` returns an `AuthStrategy`.
 *
 * @example
 * export default defineAuth({ name: "static-key", setup: () => ({ authenticate: (req) => undefined }) });
 */
export function defineAuth<O = Record<string, never>>(definition: PluginDefinition<O, "auth">): PluginFactory<O, "auth"> {
  return toFactory("auth", definition);
}

/**
 * Define an extension plugin: hooks and routes under `/plugins/<name>/`, no capability object.
 *
 * @example
 * export default definePlugin({ name: "audit", setup(ctx) { ctx.hooks.hook("response", (info) => ctx.logger.info(info)) } });
 */
export function definePlugin<O = Record<string, never>>(definition: PluginDefinition<O, "extension">): PluginFactory<O, "extension"> {
  return toFactory("extension", definition);
}

// --- internal ---

function toFactory<O, K extends PluginKind>(kind: K, definition: PluginDefinition<O, K>): PluginFactory<O, K> {
  const { name, compat, dependsOn } = definition;
  const factory = (options?: O): GatewayPlugin<K> => ({
    name,
    kind,
    ...(compat === undefined ? {} : { compat }),
    ...(dependsOn === undefined ? {} : { dependsOn: [...dependsOn] }),
    ...(options === undefined ? {} : { options }),
    setup: (ctx) => definition.setup(ctx, (options ?? {}) as O),
  });
  return factory as PluginFactory<O, K>;
}
