import type { Driver } from "unstorage";

/**
 * Atomic operations the gateway needs on top of unstorage's key-value API.
 * Every storage driver in `storage-drivers/` implements them natively
 * (Redis commands and Lua, SQLite transactions, an in-process implementation
 * for fs and memory that is correct for a single instance only).
 *
 * Keys passed here are already normalized and prefixed by the facade.
 * Values are the facade's serialized strings; drivers never parse them.
 */
export interface AtomicOps {
  /**
   * Add `by` (a safe integer, may be negative or 0) to the counter at `key` and return
   * the new value. A missing or expired counter starts at 0. When `ttlMs > 0` and
   * the counter has no expiry yet, it expires `ttlMs` after this call (fixed window:
   * later increments never extend it). Counters live apart from key-value entries.
   */
  incr(key: string, by: number, ttlMs: number): Promise<number>;
  /** Current value of a counter, 0 when missing or expired. Never creates it. */
  counter(key: string): Promise<number>;
  /**
   * Take the lock at `key` for `owner` unless another owner holds an unexpired one.
   * Returns true when `owner` now holds it (re-acquiring one's own lock extends it).
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Release the lock only if `owner` holds it. Returns true when released. */
  release(key: string, owner: string): Promise<boolean>;
  /**
   * Compare-and-set on a key-value entry: when the stored serialized value equals
   * `expected` (`null` = absent or expired), store `next` (`null` = remove) and return
   * true; otherwise change nothing and return false. `ttlMs` applies to `next`.
   */
  cas(key: string, expected: string | null, next: string | null, ttlMs?: number): Promise<boolean>;
}

/**
 * A gateway storage driver: an unstorage `Driver` whose `getItem`/`setItem` take and
 * return strings verbatim (the facade serializes), honour `{ ttl }` in seconds
 * (fractional allowed) on `setItem`, and carry native atomic operations.
 */
export interface GatewayDriver extends Driver {
  atomics: AtomicOps;
  /** Answer a trivial round trip to the backend; rejects when it is unreachable. */
  ping(): Promise<void>;
}

/** Options accepted by `set`. */
export interface SetOptions {
  /** Expire the entry this many milliseconds from now. */
  ttlMs?: number;
}

/**
 * The storage facade plugins and core use. JSON values in, the same JSON values out
 * (serialized canonically: object keys sorted); `null` means absent throughout.
 * Keys are non-empty `:`-separated segments; a key unstorage would rewrite (`/`, `\`, `?`,
 * empty, `.` or `..` segments, a trailing `$`) is rejected, so two logical keys never share
 * an entry. Use `storageKey()` to build one from untrusted parts.
 */
export interface GatewayStorage {
  /** The stored value, or `null` when absent or expired. */
  get<T = unknown>(key: string): Promise<T | null>;
  /**
   * Store a JSON value (`undefined` and values JSON cannot represent are refused).
   * `null` removes the entry, since `get` could not tell a stored `null` from absence.
   */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  has(key: string): Promise<boolean>;
  /** Remove the entry; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** Keys under `base` (relative to this storage's prefix), without the prefix. */
  keys(base?: string): Promise<string[]>;
  /** Remove every key-value entry under `base` (counters and locks are left alone). */
  clear(base?: string): Promise<void>;
  /** See {@link AtomicOps.incr}. `by` defaults to 1 and must be a safe integer; `ttlMs` defaults to 0 (no expiry). */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** See {@link AtomicOps.counter}. */
  counter(key: string): Promise<number>;
  /**
   * Take a short lock for `ttlMs` (> 0); resolves to a fresh random owner token, or `null`
   * when someone else holds it. Locks live apart from key-value entries and counters.
   */
  acquire(key: string, ttlMs: number): Promise<string | null>;
  /** Release a lock taken with `acquire`; only its owner token can. */
  release(key: string, owner: string): Promise<boolean>;
  /**
   * Extend a lock `owner` still holds by `ttlMs` from now (leases of long operations).
   * Returns false when the lock expired and someone else took it.
   */
  extend(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Compare-and-set: store `next` only if the current value equals `expected`
   * (deep JSON equality; `null` means absent). `next === null` removes the entry.
   */
  cas(key: string, expected: unknown, next: unknown, options?: SetOptions): Promise<boolean>;
  /** A view of this storage with every key (entries, counters, locks) under `prefix`. */
  withPrefix(prefix: string): GatewayStorage;
  /** Resolve when the backend answers a round trip within `timeoutMs` (default 1000); reject otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  /** Close connections and timers. Views from `withPrefix` share them: disposing one disposes all. */
  dispose(): Promise<void>;
}
