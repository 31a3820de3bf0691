import { randomBytes } from "node:crypto";
import { access, constants, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import type { GatewayDriver } from "../core/types/storage.ts";
import { createKeyedMutex, createLocalLocks, isExpired, startSweep, ttlMsFromOptions } from "./_local-atomics.ts";

const DRIVER_NAME = "fs";

/** Options of the file-system driver (the default store; single instance only). */
export interface FsOptions {
  /** Folder holding one file per key; relative paths resolve against `process.cwd()`. Default `.data`. */
  base?: string;
  /** How often expired entries and counters are deleted from disk, in ms. Default 600 000; 0 disables. */
  sweepIntervalMs?: number;
  /** How often changed counters are written to disk, in ms (what a crash can lose). Default 1000. */
  counterFlushMs?: number;
}

interface Envelope<T> {
  value: T;
  expiresAt?: number;
}

/**
 * One file per key under `base`: key `a:b` is `a/b.json`, every segment encoded to
 * `[a-z0-9_-]` plus `%XX` escapes. Writes go to a `.`-prefixed temp file (0600) that is
 * fsynced and renamed over the target, so a crash leaves the old or the new value.
 * Counters are kept in process memory and written behind to `.counters/` every
 * `counterFlushMs` (and on dispose): a counter changes on the request path (rate windows),
 * and an fsync per request would cap throughput at the disk's latency. A crash loses at most
 * the last flush interval of increments. Locks live in process memory. Counters, locks and
 * cas are serialized by an in-process mutex: correct for ONE gateway process per folder only.
 */
export function fsDriver(options: FsOptions = {}): GatewayDriver {
  const root = resolve(options.base ?? ".data");
  const counterRoot = join(root, ".counters");
  const mutex = createKeyedMutex();
  const locks = createLocalLocks();

  const kvFile = (key: string): string => keyPath(root, key);
  const ctrFile = (key: string): string => keyPath(counterRoot, key);

  /** The live value; `drop` deletes an expired file (never pass it while holding the key's mutex). */
  async function getValue(key: string, drop = true): Promise<string | null> {
    const entry = await readEnvelope(kvFile(key), key, "string");
    if (!entry) return null;
    if (!isExpired(entry.expiresAt)) return entry.value;
    if (drop) await dropIfExpired(`kv:${key}`, kvFile(key), key, "string", root);
    return null;
  }

  async function dropIfExpired(lockKey: string, file: string, key: string, kind: ValueKind, top: string): Promise<void> {
    await mutex.run(lockKey, async () => {
      const entry = await readEnvelope(file, key, kind).catch(() => null);
      if (entry && isExpired(entry.expiresAt)) await removeFile(file, top);
    });
  }

  async function setValue(key: string, value: string, ttlMs: number | undefined): Promise<void> {
    const entry: Envelope<string> = ttlMs ? { value, expiresAt: Date.now() + ttlMs } : { value };
    await writeAtomic(kvFile(key), JSON.stringify(entry));
  }

  async function listKeys(base: string, includeExpired: boolean): Promise<string[]> {
    const segments = base.split(":");
    segments.pop(); // the last piece is "" for a `a:b:` base, or a partial segment to filter on
    const keys: string[] = [];
    for await (const key of walk(join(root, ...segments.map(encodeSegment)), segments)) {
      if (!key.startsWith(base)) continue;
      if (includeExpired) keys.push(key);
      else if ((await getValue(key).catch(() => "corrupt")) !== null) keys.push(key); // corrupt entries stay listed
    }
    return keys;
  }

  async function sweep(): Promise<void> {
    for (const key of await listKeys("", true)) await getValue(key).catch(() => null);
    for await (const key of walk(counterRoot, [])) {
      await dropIfExpired(`ctr:${key}`, ctrFile(key), key, "number", counterRoot).catch(() => null);
    }
    locks.sweep();
    await removeStaleTemps(root);
  }
  const timer = startSweep(sweep, options.sweepIntervalMs ?? 600_000);

  // Write-behind counter cache: memory is authoritative, files are the checkpoint.
  const counters = new Map<string, { value: number; expiresAt?: number; dirty: boolean }>();
  async function loadCounter(key: string) {
    let entry = counters.get(key);
    if (!entry) {
      const stored = await readEnvelope(ctrFile(key), key, "number");
      entry = counters.get(key) ?? { value: stored?.value ?? 0, ...(stored?.expiresAt === undefined ? {} : { expiresAt: stored.expiresAt }), dirty: false };
      counters.set(key, entry);
    }
    if (isExpired(entry.expiresAt)) {
      entry.value = 0;
      delete entry.expiresAt;
    }
    return entry;
  }
  let flushing: Promise<void> = Promise.resolve();
  function flushCounters(): Promise<void> {
    flushing = flushing.then(async () => {
      for (const [key, entry] of counters) {
        const expired = isExpired(entry.expiresAt);
        if (entry.dirty) {
          entry.dirty = false;
          const snapshot = entry.expiresAt === undefined ? { value: entry.value } : { value: entry.value, expiresAt: entry.expiresAt };
          try {
            await mutex.run(`ctr:${key}`, () => (expired ? removeFile(ctrFile(key), counterRoot) : writeAtomic(ctrFile(key), JSON.stringify(snapshot))));
          } catch {
            entry.dirty = true; // retried on the next flush
          }
        }
        if (expired && !entry.dirty) counters.delete(key);
      }
    });
    return flushing;
  }
  const counterTimer = setInterval(() => void flushCounters(), options.counterFlushMs ?? 1000);
  counterTimer.unref();

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => root,
    hasItem: async (key) => (await getValue(key)) !== null,
    getItem: (key) => getValue(key),
    getItemRaw: (key) => getValue(key),
    setItem: (key, value, opts) => mutex.run(`kv:${key}`, () => setValue(key, value, ttlMsFromOptions(opts))),
    setItemRaw: (key, value: string, opts) => mutex.run(`kv:${key}`, () => setValue(key, value, ttlMsFromOptions(opts))),
    removeItem: (key) => mutex.run(`kv:${key}`, () => removeFile(kvFile(key), root)),
    getKeys: (base) => listKeys(base ?? "", false),
    async clear(base) {
      for (const key of await listKeys(base ?? "", true)) {
        await mutex.run(`kv:${key}`, () => removeFile(kvFile(key), root));
      }
    },
    async dispose() {
      clearInterval(timer);
      clearInterval(counterTimer);
      locks.clear();
      await flushCounters();
    },
    async ping() {
      await mkdir(root, { recursive: true, mode: 0o700 });
      await access(root, constants.R_OK | constants.W_OK);
    },
    atomics: {
      incr: (key, by, ttlMs) =>
        mutex.run(`ctr-mem:${key}`, async () => {
          const entry = await loadCounter(key);
          entry.value += by;
          if (entry.expiresAt === undefined && ttlMs > 0) entry.expiresAt = Date.now() + ttlMs;
          entry.dirty = true;
          return entry.value;
        }),
      async counter(key) {
        const entry = counters.get(key);
        if (entry) return isExpired(entry.expiresAt) ? 0 : entry.value;
        const stored = await readEnvelope(ctrFile(key), key, "number");
        return stored && !isExpired(stored.expiresAt) ? stored.value : 0;
      },
      acquire: async (key, owner, ttlMs) => locks.acquire(key, owner, ttlMs),
      release: async (key, owner) => locks.release(key, owner),
      cas: (key, expected, next, ttlMs) =>
        mutex.run(`kv:${key}`, async () => {
          if ((await getValue(key, false)) !== expected) return false;
          if (next === null) await removeFile(kvFile(key), root);
          else await setValue(key, next, ttlMs);
          return true;
        }),
    },
  };
}

export default fsDriver;

// --- internal ---

type ValueKind = "string" | "number";
const TAG = "[switchyard] [storage] [fs]";
const SUFFIX = ".json";
const TEMP_FILE = /^\.[0-9a-f]{16}\.tmp$/;
// Names Windows refuses whatever the extension; escaping the first letter keeps them usable.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/;

/**
 * Segment → file name: bytes outside `[a-z0-9_-]` become `%XX` (uppercase hex). Uppercase
 * letters are escaped too so that keys differing only in case never share a file on
 * case-insensitive file systems (macOS, Windows); a leading `.` can never appear.
 */
function encodeSegment(segment: string): string {
  let name = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    name += isPlain(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (WINDOWS_RESERVED.test(name)) name = `%${name.charCodeAt(0).toString(16).toUpperCase()}${name.slice(1)}`;
  if (Buffer.byteLength(name) + SUFFIX.length > 255) {
    throw new Error(`${TAG} Key segment too long for a file name once encoded (max 250 bytes): ${JSON.stringify(segment.slice(0, 40))}…`);
  }
  return name;
}

/** File name → segment, or null for names this driver never writes (foreign files are ignored). */
function decodeSegment(name: string): string | null {
  try {
    const segment = decodeURIComponent(name);
    return encodeSegment(segment) === name ? segment : null;
  } catch {
    return null;
  }
}

function isPlain(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f;
}

function keyPath(top: string, key: string): string {
  const segments = key.split(":").map(encodeSegment);
  return join(top, ...segments) + SUFFIX;
}

/** Keys of every `.json` file below `dir`; `.`-prefixed entries (temp files, `.counters`) are skipped. */
async function* walk(dir: string, segments: string[]): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (code(error) === "ENOENT" || code(error) === "ENOTDIR") return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory()) {
      const segment = decodeSegment(entry.name);
      if (segment !== null) yield* walk(join(dir, entry.name), [...segments, segment]);
    } else if (entry.isFile() && entry.name.endsWith(SUFFIX)) {
      const segment = decodeSegment(entry.name.slice(0, -SUFFIX.length));
      if (segment !== null) yield [...segments, segment].join(":");
    }
  }
}

async function readEnvelope<K extends ValueKind>(
  file: string,
  key: string,
  kind: K,
): Promise<Envelope<K extends "string" ? string : number> | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (code(error) === "ENOENT") return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const envelope = parsed as { value?: unknown; expiresAt?: unknown } | undefined;
  const valid =
    typeof envelope === "object" &&
    envelope !== null &&
    typeof envelope.value === kind &&
    (envelope.expiresAt === undefined || typeof envelope.expiresAt === "number");
  if (!valid) throw new Error(`${TAG} Corrupt entry for key ${JSON.stringify(key)} in ${file}; fix or delete the file`);
  return envelope as Envelope<K extends "string" ? string : number>;
}

/** Temp file (0600, fsynced) renamed over the target: readers see the old or the new file, never a torn one. */
async function writeAtomic(file: string, data: string): Promise<void> {
  const dir = dirname(file);
  for (let attempt = 0; ; attempt++) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.${randomBytes(8).toString("hex")}.tmp`); // matches TEMP_FILE
    let handle;
    try {
      handle = await open(temp, "wx", 0o600);
    } catch (error) {
      // A concurrent removeFile may prune the folder between mkdir and open; retry.
      if (code(error) === "ENOENT" && attempt < 5) continue;
      throw error;
    }
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
      await handle.close();
      await rename(temp, file);
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await syncDir(dir);
    return;
  }
}

/** Temp files left by a crashed writer; an hour is far longer than any write takes. */
async function removeStaleTemps(root: string): Promise<void> {
  const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  for (const name of names) {
    if (!TEMP_FILE.test(basename(name))) continue;
    const file = join(root, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 3_600_000) await rm(file, { force: true });
  }
}

/** Make the rename durable; not every platform can fsync a folder, so failures are ignored. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    await handle.sync().finally(() => handle.close());
  } catch {
    // best effort
  }
}

/** Delete a file, then the folders it leaves empty up to (not including) `top`. */
async function removeFile(file: string, top: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (code(error) !== "ENOENT") throw error;
    return;
  }
  for (let dir = dirname(file); dir.startsWith(top + sep); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
