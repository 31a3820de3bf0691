import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { GatewayDriver } from "../core/types/storage.ts";
import { ttlMsFromOptions } from "./_local-atomics.ts";

const DRIVER_NAME = "redis";

/** Options of the Redis driver (the shared store for many gateway instances). */
export interface RedisOptions {
  /** Connection URL; may carry a password, so it never appears in errors. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key this driver touches. Default `switchyard`. */
  base?: string;
  /** A command that gets no answer within this many ms fails. Default 500. */
  commandTimeoutMs?: number;
  /** Budget for establishing a connection, in ms. Default 2000. */
  connectTimeoutMs?: number;
}

/**
 * ioredis-backed driver. Layout: `<base>:kv:<key>` (strings, native PX expiry),
 * `<base>:ctr:<key>` (INCRBY), `<base>:lock:<key>` (owner token). Counters, locks and cas
 * are single Lua scripts or single commands, so they are atomic across every instance
 * sharing the server. A dead server fails commands within `commandTimeoutMs`.
 */
export function redisDriver(options: RedisOptions = {}): GatewayDriver {
  const base = options.base ?? "switchyard";
  const kv = `${base}:kv:`;
  const ctr = `${base}:ctr:`;
  const lock = `${base}:lock:`;
  let client: Promise<Redis> | undefined;
  let disposed = false;

  // Lazy: ioredis is imported and connected on first use, not when the config is loaded.
  const getClient = (): Promise<Redis> => {
    if (disposed) return Promise.reject(new Error("[switchyard] [storage] [redis] Storage used after dispose()"));
    return (client ??= import("ioredis").then(({ Redis: RedisClient }) => {
      const redis = new RedisClient(options.url ?? "redis://127.0.0.1:6379", {
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        commandTimeout: options.commandTimeoutMs ?? 500,
        connectTimeout: options.connectTimeoutMs ?? 2000,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      });
      // Connection errors surface as failed commands; without a listener ioredis prints them.
      redis.on("error", () => {});
      return redis;
    }));
  };

  const run = async (script: string, keys: string[], args: (string | number)[]): Promise<unknown> => {
    const redis = await getClient();
    const sha = shaOf(script);
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return redis.eval(script, keys.length, ...keys, ...args);
    }
  };

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => client,
    hasItem: async (key) => (await (await getClient()).exists(kv + key)) === 1,
    getItem: async (key) => (await getClient()).get(kv + key),
    getItemRaw: async (key) => (await getClient()).get(kv + key),
    async setItem(key, value, opts) {
      await set(await getClient(), kv + key, value, ttlMsFromOptions(opts));
    },
    async setItemRaw(key, value: string, opts) {
      await set(await getClient(), kv + key, value, ttlMsFromOptions(opts));
    },
    async removeItem(key) {
      await (await getClient()).unlink(kv + key);
    },
    async getKeys(prefix) {
      const keys = await scan(await getClient(), kv + (prefix ?? ""));
      return keys.map((key) => key.slice(kv.length));
    },
    async clear(prefix) {
      const redis = await getClient();
      const keys = await scan(redis, kv + (prefix ?? ""));
      for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    },
    async dispose() {
      disposed = true;
      const pending = client;
      client = undefined;
      if (!pending) return;
      const redis = await pending;
      await redis.quit().catch(() => redis.disconnect());
    },
    async ping() {
      await (await getClient()).ping();
    },
    atomics: {
      incr: async (key, by, ttlMs) => Number(await run(INCR, [ctr + key], [by, ttlMs])),
      async counter(key) {
        const value = await (await getClient()).get(ctr + key);
        return value === null ? 0 : Number(value);
      },
      async acquire(key, owner, ttlMs) {
        const redis = await getClient();
        if ((await redis.set(lock + key, owner, "PX", ttlMs, "NX")) === "OK") return true;
        return (await run(EXTEND, [lock + key], [owner, ttlMs])) === 1;
      },
      release: async (key, owner) => (await run(RELEASE, [lock + key], [owner])) === 1,
      async cas(key, expected, next, ttlMs) {
        const args = [expected === null ? "0" : "1", expected ?? "", next === null ? "0" : "1", next ?? "", ttlMs ?? 0];
        return (await run(CAS, [kv + key], args)) === 1;
      },
    },
  };
}

export default redisDriver;

// --- internal ---

// Fixed window: the expiry is set by the first increment only.
const INCR = `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

// Re-acquiring one's own lock extends it.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// ARGV: hasExpected, expected, hasNext, next, ttlMs (GET of a missing key is false in Lua).
const CAS = `local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then return 0 end
if ARGV[3] == '0' then redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else redis.call('SET', KEYS[1], ARGV[4]) end
return 1`;

async function set(redis: Redis, key: string, value: string, ttlMs: number | undefined): Promise<void> {
  if (ttlMs) await redis.set(key, value, "PX", ttlMs);
  else await redis.set(key, value);
}

/** SCAN (never KEYS, which blocks the server) for every key starting with `prefix`. */
async function scan(redis: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>(); // SCAN may return a key more than once
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", escapeGlob(prefix) + "*", "COUNT", 1000);
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== "0");
  return [...found];
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^-]/g, "\\$&");
}

// The scripts are a handful of constants: hash each once, not on every call.
const shas = new Map<string, string>();
function shaOf(script: string): string {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = sha1(script)));
  return sha;
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
