import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { StorageUnavailableError } from "../core/storage.ts";
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
 * sharing the server. A dead or paused server fails commands within `commandTimeoutMs` (at
 * once while the connection is down) with a `StorageUnavailableError`.
 */
export function redisDriver(options: RedisOptions = {}): GatewayDriver {
  const base = options.base ?? "switchyard";
  const kv = `${base}:kv:`;
  const ctr = `${base}:ctr:`;
  const lock = `${base}:lock:`;
  let client: Promise<Redis> | undefined;
  let disposed = false;

  // Lazy: ioredis is imported and connected on first use, not when the config is loaded. The
  // first connection is awaited (within connectTimeoutMs); a failed one is dropped so the next
  // call tries again. After that ioredis reconnects by itself, and with no offline queue a
  // command sent while the connection is down fails at once instead of waiting (and running
  // late, after its caller gave up).
  const connect = (): Promise<Redis> => {
    if (disposed) return Promise.reject(new Error(`${TAG} Storage used after dispose()`));
    return (client ??= import("ioredis").then(async ({ Redis: RedisClient }) => {
      const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
      const redis = new RedisClient(options.url ?? "redis://127.0.0.1:6379", {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: options.commandTimeoutMs ?? 500,
        connectTimeout: connectTimeoutMs,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      });
      // Connection errors surface as failed commands; without a listener ioredis prints them.
      redis.on("error", () => {});
      try {
        await within(redis.connect(), connectTimeoutMs, `connecting timed out after ${connectTimeoutMs} ms`);
        return redis;
      } catch (error) {
        redis.disconnect();
        client = undefined;
        throw error;
      }
    }));
  };
  // Every command goes through here: connection and timeout failures become StorageUnavailableError.
  const use = async <T>(command: (redis: Redis) => Promise<T>): Promise<T> => {
    try {
      return await command(await connect());
    } catch (error) {
      throw unavailable(error);
    }
  };

  const run = (script: string, keys: string[], args: (string | number)[]): Promise<unknown> =>
    use(async (redis) => {
      const sha = shaOf(script);
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
        return redis.eval(script, keys.length, ...keys, ...args);
      }
    });

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => client,
    hasItem: (key) => use(async (redis) => (await redis.exists(kv + key)) === 1),
    getItem: (key) => use((redis) => redis.get(kv + key)),
    getItemRaw: (key) => use((redis) => redis.get(kv + key)),
    setItem: (key, value, opts) => use((redis) => set(redis, kv + key, value, ttlMsFromOptions(opts))),
    setItemRaw: (key, value: string, opts) => use((redis) => set(redis, kv + key, value, ttlMsFromOptions(opts))),
    removeItem: (key) => use(async (redis) => void (await redis.unlink(kv + key))),
    getKeys: (prefix) => use(async (redis) => (await scan(redis, kv + (prefix ?? ""))).map((key) => key.slice(kv.length))),
    clear: (prefix) =>
      use(async (redis) => {
        const keys = await scan(redis, kv + (prefix ?? ""));
        for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
      }),
    async dispose() {
      disposed = true;
      const pending = client;
      client = undefined;
      const redis = await pending?.catch(() => undefined);
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
    ping: () => use(async (redis) => void (await redis.ping())),
    atomics: {
      incr: async (key, by, ttlMs) => Number(await run(INCR, [ctr + key], [by, ttlMs])),
      counter: (key) =>
        use(async (redis) => {
          const value = await redis.get(ctr + key);
          return value === null ? 0 : Number(value);
        }),
      async acquire(key, owner, ttlMs) {
        if ((await use((redis) => redis.set(lock + key, owner, "PX", ttlMs, "NX"))) === "OK") return true;
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

const TAG = "[switchyard] [storage] [redis]";

// Replies that mean "not now" rather than "wrong": the server is loading, busy or failing over.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

/**
 * Connection, timeout and "not now" failures become StorageUnavailableError; other Redis
 * replies (a wrong type, a script error) are bugs and pass through. The message never holds
 * the URL (it may carry a password).
 */
function unavailable(error: unknown): unknown {
  if (error instanceof StorageUnavailableError || !(error instanceof Error)) return error;
  if (error.message.includes("used after dispose")) return error;
  if (error.name === "ReplyError" && !TRANSIENT_REPLY.test(error.message)) return error;
  return new StorageUnavailableError(DRIVER_NAME, error.message, { cause: error });
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  promise.catch(() => {}); // a late rejection after the timeout must not go unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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
