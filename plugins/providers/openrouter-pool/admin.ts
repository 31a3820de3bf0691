// Operator actions: the core's AccountAdmin (add a key, rename, enable/disable, proxy, remove)
// and the plugin's own routes for the management API (list/create/delete keys at OpenRouter,
// rotate now, re-check credits now). Answers carry summaries and fingerprints, never a key,
// label or OpenRouter hash.
import { type AccountAdmin, type AccountSummary, HTTPError, type PluginContext, type PluginRoute, badRequest, notFound, parseProxyUrl, registerSecret } from "switchyard";
import type { Lifecycle } from "./lifecycle.ts";
import type { ManagementApi } from "./management.ts";
import type { ResolvedPoolOptions } from "./options.ts";
import type { KeyPool, PoolEntry } from "./pool.ts";

export interface AdminInput {
  ctx: PluginContext;
  options: ResolvedPoolOptions;
  pool: KeyPool;
  api: ManagementApi;
  lifecycle: Lifecycle;
  summarize(entry: PoolEntry): AccountSummary;
  forgetUses(id: string): void;
}

export function createPoolAdmin({ ctx, options, pool, api, lifecycle, summarize, forgetUses }: AdminInput): AccountAdmin {
  const existing = async (id: string) => {
    const entry = await pool.find(id);
    if (!entry) throw notFound(`No account ${JSON.stringify(String(id).slice(0, 80))} in ${ctx.name}`);
    return entry;
  };
  const fromConfig = (entry: PoolEntry, what: string) => badRequest(what, `${entry.id} comes from gateway.config.ts; change it there`);

  return {
    async add({ secret, name, proxy, priority }) {
      if (priority !== undefined) throw badRequest("priority", `${ctx.name} orders its keys by \`selection\`; a priority cannot be set`);
      if (typeof secret !== "string" || !KEY_SHAPE.test(secret)) throw badRequest("key", "expected an OpenRouter key (sk-or-v1-…) without spaces or control characters");
      registerSecret(secret); // before anything could log or echo it
      if (secret === options.managementKey) throw badRequest("key", "this is the managementKey; management keys cannot call completions");
      const parsedProxy = proxy === undefined ? undefined : toProxy(proxy);
      const duplicate = (await pool.entries()).find((e) => e.keyHash === pool.hashOf(secret));
      if (duplicate) throw new HTTPError({ status: 409, message: `This key is already in the pool as ${duplicate.id}` });
      const check = await api.check(secret, parsedProxy?.url);
      if (!check.ok) {
        if (check.status === 401 || check.status === 403) throw badRequest("key", `OpenRouter did not accept the key (${check.status})`);
        throw new HTTPError({ status: 502, message: `Could not check the key: OpenRouter answered ${check.status}` });
      }
      if (check.management) throw badRequest("key", "this is a management key; set it as the managementKey option instead");
      const empty = check.limitRemainingUsd !== null && check.limitRemainingUsd <= 0;
      const entry = await pool.add({
        key: secret,
        name: name ?? `OpenRouter key ${pool.hashOf(secret).slice(0, 8)}`,
        source: "added",
        limitUsd: check.limitUsd,
        ...(parsedProxy ? { proxy: parsedProxy } : {}),
        ...(empty ? { outOfCredits: "out of credits (the key's limit is used up when it was added)" } : {}),
      });
      ctx.logger.info(`key ${entry.id} added by an operator`);
      return summarize(entry);
    },
    async update(id, patch) {
      const entry = await existing(id);
      if (patch.priority !== undefined) throw badRequest("priority", `${ctx.name} orders its keys by \`selection\`; a priority cannot be set`);
      if (entry.source === "config" && patch.name !== undefined) throw fromConfig(entry, "name");
      if (entry.source === "config" && patch.proxy !== undefined) throw fromConfig(entry, "proxy");
      if (entry.retiringSince !== undefined && patch.enabled === true) throw new HTTPError({ status: 409, message: `${id} is being deleted` });
      if (patch.name !== undefined || patch.proxy !== undefined) {
        const proxy = patch.proxy === undefined || patch.proxy === null ? patch.proxy : toProxy(patch.proxy);
        await pool.store.update(id, () => ({ ...(patch.name === undefined ? {} : { name: patch.name }), ...(proxy === undefined ? {} : { proxy }) }));
        pool.forget(id);
      }
      if (patch.enabled !== undefined) await pool.change(id, { kind: "enabled", enabled: patch.enabled });
      return summarize(await existing(id));
    },
    async remove(id) {
      const entry = await existing(id);
      if (entry.source === "config") throw badRequest("id", `${entry.id} comes from gateway.config.ts; remove it there`);
      if (entry.source === "managed") return lifecycle.retire(id);
      await pool.drop(id);
      forgetUses(id);
      ctx.logger.info(`key ${id} removed by an operator`);
    },
  };
}

/** The plugin's routes under `/plugins/<name>/` (admin role). */
export function poolRoutes({ ctx, options, pool, api, lifecycle, summarize }: AdminInput): PluginRoute[] {
  const ref = (hash: string) => ctx.secrets.hash(hash, "openrouter-hash").slice(0, 16);
  // OpenRouter hash → pool account id, for the managed keys the pool holds.
  const accountsByHash = async () => {
    const out = new Map<string, PoolEntry>();
    for (const entry of await pool.entries()) {
      if (entry.source !== "managed") continue;
      const { hash } = await pool.material(entry.id).catch(() => ({ hash: undefined }));
      if (hash) out.set(hash, entry);
    }
    return out;
  };
  const routes: PluginRoute[] = [
    {
      method: "POST", path: "/recheck", access: "admin",
      handler: async function recheckCredits() {
        return lifecycle.recheck();
      },
    },
  ];
  if (!options.managementKey) return routes;
  routes.push(
    {
      method: "GET", path: "/keys", access: "admin",
      handler: async function listManagedKeys() {
        const [keys, accounts] = await Promise.all([api.list(), accountsByHash()]);
        return {
          data: keys.map((k) => ({
            ref: ref(k.hash), name: k.name, disabled: k.disabled, limitUsd: k.limitUsd, limitRemainingUsd: k.limitRemainingUsd,
            limitReset: k.limitReset, usageUsd: k.usageUsd, createdAt: k.createdAt ?? null, accountId: accounts.get(k.hash)?.id ?? null,
          })),
        };
      },
    },
    {
      method: "POST", path: "/keys", access: "admin",
      handler: async function createManagedKey(event) {
        const body = await readObject(event, ["name", "limitUsd", "limitReset"]);
        if (body.name !== undefined && (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 100)) throw badRequest("name", "expected a non-empty string (at most 100 characters)");
        if (body.limitUsd !== undefined && (typeof body.limitUsd !== "number" || !Number.isFinite(body.limitUsd) || body.limitUsd <= 0)) throw badRequest("limitUsd", "expected a positive number of USD");
        if (body.limitReset !== undefined && body.limitReset !== null && !["daily", "weekly", "monthly"].includes(body.limitReset as string)) throw badRequest("limitReset", 'expected "daily", "weekly", "monthly" or null');
        const entry = await lifecycle.create({
          origin: "operator",
          ...(typeof body.name === "string" ? { name: body.name.trim() } : {}),
          ...(typeof body.limitUsd === "number" ? { limitUsd: body.limitUsd } : {}),
          ...(body.limitReset !== undefined ? { limitReset: body.limitReset as string | null } : {}),
        });
        event.res.status = 201;
        return summarize(entry);
      },
    },
    {
      method: "DELETE", path: "/keys/:ref", access: "admin",
      handler: async function deleteManagedKey(event) {
        const wanted = event.context.params?.ref ?? "";
        const found = (await api.list()).find((k) => ref(k.hash) === wanted);
        if (!found) throw notFound("No key with this ref at OpenRouter");
        const account = (await accountsByHash()).get(found.hash);
        if (account) await lifecycle.retire(account.id);
        else await api.remove(found.hash);
        return { ref: wanted, deleted: true, accountId: account?.id ?? null };
      },
    },
    {
      method: "POST", path: "/rotate", access: "admin",
      handler: async function rotateNow() {
        return lifecycle.rotate();
      },
    },
  );
  return routes;
}

// --- internal ---

const KEY_SHAPE = /^[^\s\p{Cc}]{8,512}$/u;

function toProxy(value: unknown): { url: string; display: string } {
  const check = parseProxyUrl(value);
  if (!check.ok) throw badRequest("proxy", `expected ${check.expected}, got ${check.got}`);
  return { url: check.url, display: check.display };
}

async function readObject(event: Parameters<PluginRoute["handler"]>[0], known: readonly string[]): Promise<Record<string, unknown>> {
  const text = await event.req.text();
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest("body", "expected a JSON object");
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body", "expected a JSON object");
  const unknownField = Object.keys(body).find((k) => !known.includes(k));
  if (unknownField !== undefined) throw badRequest(unknownField.slice(0, 40), `unknown field; expected ${known.join(", ")}`);
  return body as Record<string, unknown>;
}
