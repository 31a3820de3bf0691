import { randomBytes, timingSafeEqual } from "node:crypto";
import { type GatewayStorage, type Logger, type SecretBox, overloaded, registerSecret, storageKey } from "switchyard";
import type { ApiKeyRecord, ApiKeyStore, UpdateKeyInput } from "./types.ts";
import { validateCreate, validatePatch } from "./validate.ts";

/** Every client key starts with this. */
export const KEY_PREFIX = "sk-sy-";
/** Purpose string of the keyed hash that stores a client key. */
export const HASH_PURPOSE = "client-key";
/** `sk-sy-` plus base64url of at least 32 bytes (43 characters). */
export const KEY_SHAPE: RegExp = /^sk-sy-[A-Za-z0-9_-]{43,128}$/;
/** How often, at most, one instance writes a key's `lastUsedAt`. */
export const TOUCH_INTERVAL_MS = 60_000;

/** A key as stored: the public record (without `lastUsedAt`) plus the HMAC digest of the secret. */
export interface StoredKey extends Omit<ApiKeyRecord, "lastUsedAt"> {
  digest: string;
}

/** The key store plus what `authenticate` needs. */
export interface KeyStore extends ApiKeyStore {
  /** The key whose secret has this digest, or `undefined`; cached for `cacheTtlMs`. */
  lookup(digest: string): Promise<StoredKey | undefined>;
  /** Note a successful use; writes at most once per {@link TOUCH_INTERVAL_MS} per key. */
  touch(id: string, now: number): void;
  /** Wait for `lastUsedAt` writes in flight (called before storage closes). */
  flush(): Promise<void>;
}

/**
 * A key store over plugin storage. Layout: `keys:<id>` the record, `digest:<hmac>` → id (the
 * only way a secret is found: by its digest, never by scanning), `used:<id>` the last use time.
 */
export function createKeyStore(deps: { storage: GatewayStorage; secrets: SecretBox; logger: Logger; cacheTtlMs: number }): KeyStore {
  const { storage, secrets, logger, cacheTtlMs } = deps;
  const cache = new Map<string, { value: StoredKey | undefined; at: number }>();
  const touched = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  let generation = 0; // bumped by every change, so a lookup racing a change never caches stale data
  const forget = (digest: string) => {
    generation++;
    cache.delete(digest);
  };

  const store: KeyStore = {
    async create(input) {
      const now = Date.now();
      const valid = validateCreate(input, now);
      const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
      const digest = secrets.hash(key, HASH_PURPOSE);
      const id = `key_${randomBytes(9).toString("base64url")}`;
      const { limits, enabled, ...rest } = valid;
      const stored: StoredKey = { id, prefix: key.slice(0, 8), enabled: enabled ?? true, createdAt: iso(now), limits: limits ?? {}, ...rest, digest };
      if (!(await storage.cas(recordKey(id), null, stored))) throw new Error(`[switchyard] [plugin:api-key] key id ${id} already exists`);
      if (!(await storage.cas(digestKey(digest), null, id))) {
        await storage.remove(recordKey(id));
        throw new Error("[switchyard] [plugin:api-key] key digest collision; try again");
      }
      forget(digest);
      registerSecret(key);
      logger.info(`created key ${id} (${JSON.stringify(stored.name)})`);
      return { key, record: toRecord(stored, undefined) };
    },
    async list() {
      const ids = (await storage.keys("keys")).filter((k) => k.startsWith("keys:")).map((k) => k.slice(5));
      const records = await Promise.all(ids.map((id) => store.get(id)));
      return records.filter((r) => r !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },
    async get(id) {
      if (!isId(id)) return undefined;
      const [stored, used] = await Promise.all([storage.get<StoredKey>(recordKey(id)), storage.get<string>(usedKey(id))]);
      return stored ? toRecord(stored, used ?? undefined) : undefined;
    },
    async update(id, input) {
      const patch = validatePatch(input);
      if (!isId(id)) return undefined;
      for (let attempt = 0; attempt < 20; attempt++) {
        const current = await storage.get<StoredKey>(recordKey(id));
        if (!current) return undefined;
        const next = applyPatch(current, patch, Date.now());
        if (await storage.cas(recordKey(id), current, next)) {
          forget(current.digest);
          logger.info(`updated key ${id} (${Object.keys(patch).join(", ") || "no fields"})`);
          return store.get(id);
        }
      }
      throw overloaded("The key changed too often to update; try again");
    },
    async revoke(id) {
      const stored = isId(id) ? await storage.get<StoredKey>(recordKey(id)) : null;
      if (!stored) return false;
      forget(stored.digest);
      await storage.remove(digestKey(stored.digest));
      await storage.remove(recordKey(id));
      await storage.remove(usedKey(id));
      forget(stored.digest);
      logger.info(`revoked key ${id} (${JSON.stringify(stored.name)})`);
      return true;
    },
    async lookup(digest) {
      const now = Date.now();
      const hit = cache.get(digest);
      if (hit && now - hit.at < cacheTtlMs) return hit.value;
      const seen = generation;
      let value: StoredKey | undefined;
      try {
        const id = await storage.get<string>(digestKey(digest));
        const stored = typeof id === "string" && isId(id) ? await storage.get<StoredKey>(recordKey(id)) : null;
        value = stored && secretsMatch(stored.digest, digest) ? stored : undefined;
      } catch (error) {
        logger.warn(`key lookup failed: ${(error as Error).message}`);
        throw overloaded("The key store is not reachable; try again");
      }
      if (cacheTtlMs > 0 && seen === generation) {
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
        cache.set(digest, { value, at: now });
      }
      return value;
    },
    touch(id, now) {
      const last = touched.get(id);
      if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
      if (touched.size >= MAX_ENTRIES) touched.clear();
      touched.set(id, now);
      const write: Promise<void> = storage
        .set(usedKey(id), iso(now))
        .catch((error: unknown) => logger.warn(`could not record the use of key ${id}: ${(error as Error).message}`))
        .finally(() => pending.delete(write));
      pending.add(write);
    },
    async flush() {
      await Promise.allSettled([...pending]);
    },
  };
  return store;
}

/** Whether a stored key may authenticate at `now` (enabled and not expired). */
export function isUsable(stored: StoredKey, now: number): boolean {
  return stored.enabled === true && (stored.expiresAt === undefined || Date.parse(stored.expiresAt) > now);
}

// --- internal ---

const MAX_ENTRIES = 10_000;
const ID_SHAPE = /^key_[A-Za-z0-9_-]{12}$/;

const isId = (id: unknown): id is string => typeof id === "string" && ID_SHAPE.test(id);
const recordKey = (id: string) => storageKey("keys", id);
const digestKey = (digest: string) => storageKey("digest", digest);
const usedKey = (id: string) => storageKey("used", id);
const iso = (ms: number) => new Date(ms).toISOString();

// The index already matched by digest; this guards against a stale or tampered index entry.
function secretsMatch(stored: unknown, digest: string): boolean {
  if (typeof stored !== "string") return false;
  const a = Buffer.from(stored);
  const b = Buffer.from(digest);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toRecord(stored: StoredKey, lastUsedAt: string | undefined): ApiKeyRecord {
  const { digest: _digest, ...record } = stored;
  return lastUsedAt === undefined ? record : { ...record, lastUsedAt };
}

function applyPatch(current: StoredKey, patch: UpdateKeyInput, now: number): StoredKey {
  const next: Record<string, unknown> = { ...current, updatedAt: iso(now) };
  for (const field of ["name", "enabled", "expiresAt", "models", "ips", "accounts", "owner"] as const) {
    const value = patch[field];
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  if (patch.limits !== undefined) {
    const limits: Record<string, unknown> = patch.limits === null ? {} : { ...current.limits };
    for (const [name, value] of Object.entries(patch.limits ?? {})) {
      if (value === null) delete limits[name];
      else if (value !== undefined) limits[name] = value;
    }
    next.limits = limits;
  }
  return next as unknown as StoredKey;
}
