import { type AccountSummary, defineProvider, overloaded, type Provider } from "switchyard";
import { createPoolAdmin, poolRoutes } from "./admin.ts";
import { createLifecycle } from "./lifecycle.ts";
import { createManagementApi } from "./management.ts";
import { type OpenRouterPoolOptions, resolvePoolOptions } from "./options.ts";
import { type PoolEntry, createKeyPool } from "./pool.ts";
import { createUseTracker } from "./select.ts";
import { createUpstream } from "./upstream.ts";

export { DEFAULT_OPENROUTER_MODELS, type LimitReset, type OpenRouterPoolOptions, type RotationOptions, type Selection } from "./options.ts";
export type { KeyInput } from "switchyard";

/**
 * A pool of OpenRouter API keys behind the gateway (OpenAI Chat Completions upstream).
 * Keys come from the config, from operators (`switchyard accounts add openrouter-pool`), or
 * from the management API (`managementKey`), which also rotates them on a schedule. Each
 * request takes an active key by `selection`; a 402 takes a key out until it has credits
 * again, a 429 cools it, a 401 disables it. No key, label or hash ever leaves the plugin.
 *
 * @example
 * providers: [openrouterPool({ keys: [process.env.OPENROUTER_KEY_1, process.env.OPENROUTER_KEY_2], title: "My app" })]
 */
export const openrouterPool = defineProvider<OpenRouterPoolOptions>({
  name: "openrouter-pool",
  setup(ctx, input) {
    const options = resolvePoolOptions(ctx.name, input);
    if (input.allowInsecureHttp && options.baseURL.startsWith("http:")) ctx.logger.warn(`sending API keys over plain http to ${options.baseURL} (allowInsecureHttp)`);
    const pool = createKeyPool(ctx, options.keys, options.managementKey);
    const tracker = createUseTracker(ctx, options.selection);
    const api = createManagementApi({ ctx, baseURL: options.baseURL, managementKey: options.managementKey, sensitive: () => pool.sensitive() });
    const lifecycle = createLifecycle({ ctx, options, pool, tracker, api });

    const summarize = (entry: PoolEntry, rank?: number): AccountSummary => summary(entry, rank, tracker.uses(entry.id), tracker.lastUsedAt(entry.id));
    // The scheduler picks the lowest priority among healthy accounts: the strategy's ranks.
    async function list(): Promise<AccountSummary[]> {
      const entries = await pool.entries();
      const ranks = tracker.rank(entries.filter((e) => e.status === "active").map((e) => e.id));
      return entries.map((e) => summarize(e, ranks.get(e.id) ?? entries.length));
    }
    const next = async () => {
      const first = (await list()).filter((a) => a.status === "active").sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))[0];
      if (!first) throw overloaded(`${ctx.name}: no active OpenRouter key`, 60);
      return first.id;
    };
    const upstream = createUpstream({ ctx, options, pool, tracker, next });
    const adminInput = { ctx, options, pool, api, lifecycle, summarize: (e: PoolEntry) => summarize(e), forgetUses: (id: string) => tracker.forget(id) };
    for (const route of poolRoutes(adminInput)) ctx.routes.add(route);

    ctx.jobs.every("recheck", options.recheckMs, async () => void (await lifecycle.recheck()));
    if (options.rotation) ctx.jobs.every("rotate", options.rotation.everyMs, async () => void (await lifecycle.rotate()));
    ctx.hooks.hook("close", () => lifecycle.close());
    if (options.keys.length === 0 && !options.rotation) {
      ctx.logger.info(`no keys in the config: add one with \`switchyard accounts add ${ctx.name}\`${options.managementKey ? ` or POST /plugins/${ctx.name}/keys` : ""}`);
    }

    return {
      dialects: ["openai-chat"],
      models: () => options.models.map((id) => ({ id })),
      accounts: {
        list,
        async onAuthFailure(accountId, status) {
          const entry = await pool.change(accountId, { kind: "refused", status });
          if (entry?.status === "disabled" && entry.retiringSince === undefined) ctx.logger.warn(`key ${accountId} disabled: OpenRouter refused it (${status})`);
          return false; // API keys cannot refresh
        },
        admin: createPoolAdmin(adminInput),
      },
      send: upstream.send,
      classify: upstream.classify,
    } satisfies Provider;
  },
});

export default openrouterPool;

// --- internal ---

function summary(entry: PoolEntry, rank: number | undefined, uses: number, usedAt: number | undefined): AccountSummary {
  const lastUsedAt = Math.max(entry.lastUsedAt ?? 0, usedAt ?? 0);
  const details: Record<string, string | number | boolean> = { source: entry.source, fingerprint: entry.keyHash.slice(0, 8), uses };
  if (entry.origin) details.createdBy = entry.origin;
  if (typeof entry.limitUsd === "number") details.limitUsd = entry.limitUsd;
  if (entry.limitReset) details.limitReset = entry.limitReset;
  if (entry.retiringSince !== undefined) details.retiring = true;
  return {
    id: entry.id,
    name: entry.name,
    status: entry.status,
    ...(rank === undefined ? {} : { priority: rank }),
    ...(entry.lastError ? { lastError: entry.lastError } : {}),
    ...(entry.createdAt === undefined ? {} : { createdAt: entry.createdAt }),
    ...(lastUsedAt > 0 ? { lastUsedAt } : {}),
    ...(entry.proxy ? { proxy: entry.proxy } : {}),
    details,
  };
}
