import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Database } from "better-sqlite3";
import { StorageUnavailableError } from "../core/storage.ts";
import type { GatewayDriver } from "../core/types/storage.ts";
import { startSweep, ttlMsFromOptions } from "./_local-atomics.ts";

const DRIVER_NAME = "sqlite";

/** Options of the SQLite driver (one file; safe for several processes on one machine). */
export interface SqliteOptions {
  /** Database file; relative paths resolve against `process.cwd()`. Default `.data/switchyard.sqlite`. */
  path?: string;
  /**
   * How long a writer waits for another connection's write lock, in ms, before failing with a
   * `StorageUnavailableError` (the gateway answers 503). SQLite calls are synchronous, so the
   * wait blocks this process: keep it short. Default 1000.
   */
  busyTimeoutMs?: number;
  /** How often expired rows are deleted, in ms. Default 60 000; 0 disables. */
  sweepIntervalMs?: number;
}

/**
 * better-sqlite3 driver in WAL mode with tables `kv`, `counters` and `locks`. Every atomic
 * operation is one `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock up front,
 * so it stays atomic across OS processes sharing the file (not across network file systems).
 */
export function sqliteDriver(options: SqliteOptions = {}): GatewayDriver {
  const path = options.path === ":memory:" ? ":memory:" : resolve(options.path ?? ".data/switchyard.sqlite");
  let opened: Promise<Db> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;

  // Lazy: better-sqlite3 (a native module) is loaded and the file opened on first use;
  // a failed open is retried by the next call instead of being remembered.
  const db = (): Promise<Db> => {
    if (disposed) return Promise.reject(new Error(`${TAG} Storage used after dispose()`));
    opened ??= import("better-sqlite3")
      .then(({ default: BetterSqlite3 }) => {
        if (path !== ":memory:") createPrivateFile(path);
        const busyTimeoutMs = options.busyTimeoutMs ?? 1000;
        const handle = openDb(new BetterSqlite3(path, { timeout: busyTimeoutMs }), busyTimeoutMs);
        timer = startSweep(() => handle.sweep(Date.now()), options.sweepIntervalMs ?? 60_000);
        return handle;
      })
      .catch((error: unknown) => {
        opened = undefined;
        throw error;
      });
    return opened;
  };

  // Another connection held the write lock past busyTimeoutMs: a StorageUnavailableError (503).
  const use = async <T>(operation: (handle: Db) => T): Promise<T> => {
    const handle = await db();
    try {
      return operation(handle);
    } catch (error) {
      throw busy(error);
    }
  };

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => opened,
    hasItem: (key) => use((d) => d.get(key, Date.now()) !== null),
    getItem: (key) => use((d) => d.get(key, Date.now())),
    getItemRaw: (key) => use((d) => d.get(key, Date.now())),
    setItem: (key, value, opts) => use((d) => d.set(key, value, expiry(ttlMsFromOptions(opts)))),
    setItemRaw: (key, value: string, opts) => use((d) => d.set(key, value, expiry(ttlMsFromOptions(opts)))),
    removeItem: (key) => use((d) => d.remove(key)),
    getKeys: (base) => use((d) => d.keys(base ?? "", Date.now())),
    clear: (base) => use((d) => d.clear(base ?? "")),
    async dispose() {
      disposed = true;
      clearInterval(timer);
      const pending = opened;
      opened = undefined;
      if (pending) (await pending.catch(() => undefined))?.close();
    },
    ping: () => use((d) => d.ping()),
    atomics: {
      incr: (key, by, ttlMs) => use((d) => d.incr(key, by, ttlMs, Date.now())),
      counter: (key) => use((d) => d.counter(key, Date.now())),
      acquire: (key, owner, ttlMs) => use((d) => d.acquire(key, owner, ttlMs, Date.now())),
      release: (key, owner) => use((d) => d.release(key, owner, Date.now())),
      cas: (key, expected, next, ttlMs) => use((d) => d.cas(key, expected, next, ttlMs, Date.now())),
    },
  };
}

export default sqliteDriver;

// --- internal ---

type Db = ReturnType<typeof openDb>;
const TAG = "[switchyard] [storage] [sqlite]";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
`;
const LIVE = "(expires_at IS NULL OR expires_at > ?)";

function openDb(sqlite: Database, busyTimeoutMs: number) {
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL"); // durable across process crashes in WAL mode
  sqlite.exec(SCHEMA);

  const getKv = sqlite.prepare<[string, number], string>(`SELECT value FROM kv WHERE key = ? AND ${LIVE}`).pluck();
  const upsertKv = sqlite.prepare<[string, string, number | null]>(
    "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
  );
  const deleteKv = sqlite.prepare<[string]>("DELETE FROM kv WHERE key = ?");
  const listKv = sqlite.prepare<[string, number], string>(`SELECT key FROM kv WHERE key GLOB ? AND ${LIVE}`).pluck();
  const clearKv = sqlite.prepare<[string]>("DELETE FROM kv WHERE key GLOB ?");
  const getCounter = sqlite.prepare<[string], { value: number; expires_at: number | null }>(
    "SELECT value, expires_at FROM counters WHERE key = ?",
  );
  const upsertCounter = sqlite.prepare<[string, number, number | null]>(
    "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
  );
  const getLock = sqlite.prepare<[string, number], string>("SELECT owner FROM locks WHERE key = ? AND expires_at > ?").pluck();
  const upsertLock = sqlite.prepare<[string, string, number]>(
    "INSERT INTO locks (key, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
  );
  const deleteLock = sqlite.prepare<[string, string, number]>("DELETE FROM locks WHERE key = ? AND owner = ? AND expires_at > ?");

  // `.immediate` = BEGIN IMMEDIATE: the write lock is taken before the read, so no other
  // process can change the row between our read and our write.
  const incr = sqlite
    .transaction((key: string, by: number, ttlMs: number, now: number): number => {
      const row = getCounter.get(key);
      const live = row && (row.expires_at === null || row.expires_at > now) ? row : undefined;
      const value = (live?.value ?? 0) + by;
      upsertCounter.run(key, value, live?.expires_at ?? (ttlMs > 0 ? now + ttlMs : null));
      return value;
    })
    .immediate;
  const acquire = sqlite.transaction((key: string, owner: string, ttlMs: number, now: number): boolean => {
    const holder = getLock.get(key, now);
    if (holder !== undefined && holder !== owner) return false;
    upsertLock.run(key, owner, now + ttlMs);
    return true;
  }).immediate;
  const cas = sqlite.transaction(
    (key: string, expected: string | null, next: string | null, ttlMs: number | undefined, now: number): boolean => {
      if ((getKv.get(key, now) ?? null) !== expected) return false;
      if (next === null) deleteKv.run(key);
      else upsertKv.run(key, next, ttlMs ? now + ttlMs : null);
      return true;
    },
  ).immediate;

  return {
    get: (key: string, now: number): string | null => getKv.get(key, now) ?? null,
    set: (key: string, value: string, expiresAt: number | null): void => void upsertKv.run(key, value, expiresAt),
    remove: (key: string): void => void deleteKv.run(key),
    keys: (base: string, now: number): string[] => listKv.all(escapeGlob(base) + "*", now),
    clear: (base: string): void => void clearKv.run(escapeGlob(base) + "*"),
    incr,
    counter(key: string, now: number): number {
      const row = getCounter.get(key);
      return row && (row.expires_at === null || row.expires_at > now) ? row.value : 0;
    },
    acquire,
    release: (key: string, owner: string, now: number): boolean => deleteLock.run(key, owner, now).changes > 0,
    cas,
    ping: (): void => void sqlite.prepare("SELECT 1").get(),
    sweep(now: number): void {
      for (const table of ["kv", "counters", "locks"]) sqlite.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now);
    },
    close: (): void => void sqlite.close(),
  };
}

/** SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) mean "not now", not "wrong". */
function busy(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^SQLITE_(BUSY|LOCKED)/.test(code)) return error;
  return new StorageUnavailableError(DRIVER_NAME, `the database is locked by another connection (${code})`, { cause: error });
}

function expiry(ttlMs: number | undefined): number | null {
  return ttlMs ? Date.now() + ttlMs : null;
}

/** Parent folder 0700 and database file 0600 before SQLite creates it (WAL files copy the mode). */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
}

/** GLOB is case-sensitive (LIKE is not); `*`, `?` and `[` are matched literally inside brackets. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[]/g, "[$&]");
}
