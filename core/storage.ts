import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { createStorage, hasDotSegment, normalizeKey } from "unstorage";
import type { Storage } from "unstorage";
import type { GatewayDriver, GatewayStorage, SetOptions } from "./types/storage.ts";

/** Which backend `createGatewayStorage` builds; relative paths resolve against `process.cwd()`. */
export type StorageOptions =
  | {
      driver: "fs";
      /** Folder holding one file per key. Default `.data`. */
      base?: string;
    }
  | { driver: "memory" }
  | {
      driver: "redis";
      /** Connection URL (may carry a password). Default `redis://127.0.0.1:6379`. */
      url?: string;
      /** Prefix of every Redis key. Default `switchyard`. */
      base?: string;
    }
  | {
      driver: "sqlite";
      /** Database file. Default `.data/switchyard.sqlite`. */
      path?: string;
    };

/**
 * Build the storage facade over an unstorage instance wrapping the chosen driver.
 * Client libraries (ioredis, better-sqlite3) are imported on first use.
 */
export async function createGatewayStorage(options: StorageOptions): Promise<GatewayStorage> {
  const driver = await loadDriver(options);
  return createFacade(createStorage({ driver }), driver, "");
}

/**
 * The backend did not answer within its budget (refused, paused, busy): a transient fault, not
 * a bug. Drivers throw it for connection and timeout failures; the gateway answers 503 with
 * `retry-after` in the client's dialect instead of a 500. `cause` holds the driver's error.
 */
export class StorageUnavailableError extends Error {
  override name = "StorageUnavailableError";
  /** The driver that failed (`redis`, `sqlite`, ...). */
  readonly driver: string;
  constructor(driver: string, reason: string, options?: { cause?: unknown }) {
    super(`${TAG} [${driver}] Storage unavailable: ${reason}`, options);
    this.driver = driver;
  }
}

/** True for a {@link StorageUnavailableError}, also when it is the `cause` of a wrapping error. */
export function isStorageUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StorageUnavailableError) return true;
  }
  return false;
}

/**
 * Build a key from arbitrary (untrusted) parts. Each part is escaped so that no part can
 * add, remove or merge segments: `%`, `:`, `/`, `\`, `?`, `#`, `$`, control characters and
 * whitespace become `%XX` (UTF-8), lone surrogates `%uXXXX`, `.`/`..` become `%2E`/`%2E%2E`,
 * and an empty part becomes `%`. Distinct part lists always give distinct keys.
 *
 * @example storageKey("sessions", userId) // "sessions:alice%3A1"
 */
export function storageKey(...parts: string[]): string {
  if (parts.length === 0) throw new Error(`${TAG} storageKey() needs at least one part`);
  return parts.map(escapePart).join(":");
}

// --- internal ---

const TAG = "[switchyard] [storage]";

async function loadDriver(options: StorageOptions): Promise<GatewayDriver> {
  switch (options.driver) {
    case "fs": {
      const { fsDriver } = await import("../storage-drivers/fs.ts");
      return fsDriver({ base: resolve(options.base ?? ".data") });
    }
    case "memory": {
      const { memoryDriver } = await import("../storage-drivers/memory.ts");
      return memoryDriver({});
    }
    case "redis": {
      const { redisDriver } = await import("../storage-drivers/redis.ts");
      return redisDriver({ url: options.url ?? "redis://127.0.0.1:6379", base: options.base ?? "switchyard" });
    }
    case "sqlite": {
      const { sqliteDriver } = await import("../storage-drivers/sqlite.ts");
      const path = options.path === ":memory:" ? ":memory:" : resolve(options.path ?? ".data/switchyard.sqlite");
      return sqliteDriver({ path });
    }
    default:
      throw new Error(
        `${TAG} Unknown driver ${JSON.stringify((options as { driver?: unknown }).driver)}; expected "fs", "memory", "redis" or "sqlite"`,
      );
  }
}

function createFacade(storage: Storage, driver: GatewayDriver, prefix: string): GatewayStorage {
  const atomics = driver.atomics;
  const full = (key: string): string => prefix + assertKey(key);
  const fullBase = (base?: string): string => (base ? full(base) + ":" : prefix);
  return {
    async get<T = unknown>(key: string): Promise<T | null> {
      const raw: unknown = await storage.getItemRaw(full(key));
      return raw === null || raw === undefined ? null : (parseValue(raw, key) as T);
    },
    async set(key, value, options) {
      const k = full(key);
      if (value === null) return storage.removeItem(k);
      const ttlMs = ttlOption(options, key);
      await storage.setItemRaw(k, serialize(value, key), ttlMs ? { ttl: ttlMs / 1000 } : {});
    },
    has: async (key) => storage.hasItem(full(key)),
    remove: async (key) => storage.removeItem(full(key)),
    async keys(base) {
      const keys = await storage.getKeys(fullBase(base));
      return keys.map((k) => k.slice(prefix.length));
    },
    // unstorage's clear(base) only visits mounts below `base`, never the root mount: ask the driver.
    clear: async (base) => driver.clear?.(fullBase(base), {}),
    async incr(key, by = 1, ttlMs = 0) {
      const k = full(key);
      if (!Number.isSafeInteger(by)) throw new Error(`${TAG} incr(${JSON.stringify(key)}) needs a safe integer, got ${by}`);
      if (!(Number.isFinite(ttlMs) && ttlMs >= 0)) throw new Error(`${TAG} incr(${JSON.stringify(key)}) ttlMs must be >= 0, got ${ttlMs}`);
      return atomics.incr(k, by, Math.ceil(ttlMs));
    },
    counter: async (key) => atomics.counter(full(key)),
    async acquire(key, ttlMs) {
      const k = full(key);
      const ms = ttlOption({ ttlMs }, key);
      if (!ms) throw new Error(`${TAG} acquire(${JSON.stringify(key)}) needs ttlMs > 0`);
      const owner = randomBytes(16).toString("base64url");
      return (await atomics.acquire(k, owner, ms)) ? owner : null;
    },
    release: async (key, owner) => atomics.release(full(key), owner),
    async extend(key, owner, ttlMs) {
      const ms = ttlOption({ ttlMs }, key);
      if (!ms) throw new Error(`${TAG} extend(${JSON.stringify(key)}) needs ttlMs > 0`);
      return atomics.acquire(full(key), owner, ms);
    },
    async cas(key, expected, next, options) {
      const k = full(key);
      const ttlMs = ttlOption(options, key);
      const exp = expected === null ? null : serialize(expected, key);
      return atomics.cas(k, exp, next === null ? null : serialize(next, key), ttlMs);
    },
    withPrefix: (p) => createFacade(storage, driver, prefix + assertKey(p) + ":"),
    ping: (timeoutMs = 1000) => withTimeout(driver.ping(), timeoutMs, () => new StorageUnavailableError(driver.name ?? "unknown", `ping to the ${driver.name} driver timed out after ${timeoutMs} ms`)),
    dispose: () => storage.dispose(),
  };
}

/** Reject keys that unstorage would rewrite, so two logical keys never share one entry. */
function assertKey(key: string): string {
  // Most keys recur (rate windows, sessions, records): remember the ones already checked.
  if (validKeys.has(key)) return key;
  if (typeof key !== "string" || key === "" || normalizeKey(key) !== key || hasDotSegment(key) || key.endsWith("$") || LONE_SURROGATE.test(key)) {
    throw new Error(
      `${TAG} Invalid key ${JSON.stringify(key)}: keys are non-empty \`:\`-separated segments without empty, "." or ".." segments, ` +
        "`/`, `\\`, `?`, lone surrogates or a trailing `$`; build keys from untrusted parts with storageKey()",
    );
  }
  if (validKeys.size >= 10_000) validKeys.clear();
  validKeys.add(key);
  return key;
}
const validKeys = new Set<string>();

/** Canonical JSON: object keys sorted at every depth, so equal values serialize equally. */
function serialize(value: unknown, key: string): string {
  if (value === undefined) throw new Error(`${TAG} Cannot store undefined at ${JSON.stringify(key)}; use remove() or null`);
  const json: string | undefined = JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = Object.create(null);
    for (const name of Object.keys(v).sort()) sorted[name] = (v as Record<string, unknown>)[name];
    return sorted;
  });
  if (json === undefined) throw new Error(`${TAG} Value at ${JSON.stringify(key)} is not JSON-serializable (${typeof value})`);
  return json;
}

function parseValue(raw: unknown, key: string): unknown {
  if (typeof raw !== "string") throw new Error(`${TAG} Stored value at ${JSON.stringify(key)} is not a string (${typeof raw})`);
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new Error(`${TAG} Stored value at ${JSON.stringify(key)} is not valid JSON`, { cause: error });
  }
}

function ttlOption(options: SetOptions | undefined, key: string): number | undefined {
  const ttlMs = options?.ttlMs;
  if (ttlMs === undefined) return undefined;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new Error(`${TAG} ttlMs for ${JSON.stringify(key)} must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

function withTimeout(promise: Promise<void>, ms: number, timedOut: () => Error): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  promise.catch(() => {}); // a late rejection after the timeout must not go unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const LONE_SURROGATE = /\p{Cs}/u;
// Characters unstorage or drivers interpret, plus controls and whitespace that make keys unreadable.
const ESCAPED = /[%:/\\?#$\s\p{Cc}]|\p{Cs}/gu;

function escapePart(part: string): string {
  if (typeof part !== "string") throw new Error(`${TAG} storageKey() parts must be strings, got ${typeof part}`);
  if (part === "") return "%";
  if (part === ".") return "%2E";
  if (part === "..") return "%2E%2E";
  return part.replace(ESCAPED, (ch) => {
    if (LONE_SURROGATE.test(ch)) return `%u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    return [...Buffer.from(ch, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  });
}
