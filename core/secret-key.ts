import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

/** Name of the environment variable holding the master key. */
export const SECRET_ENV = "SWITCHYARD_SECRET";

/** Options of `resolveSecretKey`. */
export interface ResolveSecretKeyOptions {
  /** Environment to read `SWITCHYARD_SECRET` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Production refuses to start without a good `SWITCHYARD_SECRET`; defaults to `NODE_ENV === "production"`. */
  production?: boolean;
  /** Folder for the development key file `secret.key`. */
  dataDir: string;
}

/** The master key and where it came from; callers warn when the source is not `"env"`. */
export interface ResolvedSecretKey {
  key: Uint8Array;
  source: "env" | "file" | "generated";
}

/**
 * Find the master key for sealing secrets. `SWITCHYARD_SECRET` is hex when it consists
 * only of hex digits, base64/base64url otherwise, and must decode to at least 32 bytes
 * that do not look like a placeholder. A set-but-bad value is always an error; a
 * missing one is an error in production and in development falls back to
 * `<dataDir>/secret.key`, generated on first use (folder 0700, file 0600).
 * Errors never contain the value.
 */
export async function resolveSecretKey(options: ResolveSecretKeyOptions): Promise<ResolvedSecretKey> {
  const env = options.env ?? process.env;
  const production = options.production ?? env.NODE_ENV === "production";
  const raw = env[SECRET_ENV];
  if (raw !== undefined && raw.trim() !== "") return { key: parseSecret(raw), source: "env" };
  if (production) throw fail("is not set; production mode needs a random key of at least 32 bytes");
  return loadOrCreateKeyFile(options.dataDir);
}

/**
 * Decode and check a `SWITCHYARD_SECRET` value; throws a `[switchyard] [secret]` Error
 * with a fix hint (and without the value) when it is malformed, short or a placeholder.
 */
export function parseSecret(raw: string): Uint8Array {
  const value = raw.trim();
  const lower = value.toLowerCase();
  const word = PLACEHOLDER_WORDS.find((w) => lower.includes(w));
  if (word) throw fail(`looks like a placeholder (it contains "${word}")`);
  if (/(.)\1{7,}/.test(value)) throw fail("looks like a placeholder (one character repeated many times)");
  return checkBytes(decode(value), fail);
}

// --- internal ---

const KEY_FILE = "secret.key";
const MIN_BYTES = 32;
const MIN_DISTINCT_BYTES = 16;
const PLACEHOLDER_WORDS = [
  "change", "example", "placeholder", "your-", "your_", "secret", "xxxx", "replace", "dummy", "sample",
  "default", "password", "insecure",
];
const HINT =
  "Generate one with `openssl rand -base64 32` " +
  "(or `node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\"`) " +
  `and set it as ${SECRET_ENV} in the environment.`;

function fail(problem: string): Error {
  return new Error(`[switchyard] [secret] ${SECRET_ENV} ${problem}. ${HINT}`);
}

function decode(value: string): Buffer {
  if (/^[0-9a-fA-F]+$/.test(value)) {
    if (value.length % 2 !== 0) throw fail("looks like hex but has an odd number of digits");
    return Buffer.from(value, "hex");
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw fail("is neither hex nor base64");
  return Buffer.from(value, "base64"); // Node's base64 decoder also accepts the url-safe alphabet
}

function checkBytes(bytes: Buffer, error: (problem: string) => Error): Uint8Array {
  if (bytes.length < MIN_BYTES) throw error(`decodes to ${bytes.length} bytes; at least ${MIN_BYTES} random bytes are required`);
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) throw error("does not look random (too few distinct byte values)");
  return new Uint8Array(bytes);
}

async function loadOrCreateKeyFile(dataDir: string): Promise<ResolvedSecretKey> {
  const file = join(dataDir, KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return { key: existing, source: "file" };

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(MIN_BYTES);
  // Write a private temp file, then hard-link it into place: readers never see a partial
  // file, and when two processes start at once the first link wins and both use its key.
  const tmp = join(dataDir, `.${KEY_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(`${key.toString("base64")}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, file);
  } catch (error) {
    if (errorCode(error) === "EEXIST") {
      const winner = await readKeyFile(file);
      if (winner) return { key: winner, source: "file" };
    }
    await rename(tmp, file); // file systems without hard links
    return { key: new Uint8Array(key), source: "generated" };
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return { key: new Uint8Array(key), source: "generated" };
}

async function readKeyFile(file: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw new Error(`[switchyard] [secret] Cannot read the key file ${file}: ${errorCode(error) ?? "unknown error"}`);
  }
  // A world-readable key file is tightened rather than trusted as is.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  const value = text.trim();
  const fileError = (problem: string) =>
    new Error(`[switchyard] [secret] The key file ${file} ${problem}. Delete it to generate a new key (values sealed with the old key become unreadable), or set ${SECRET_ENV}.`);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw fileError("is not base64");
  // Only structural checks: the file is machine-written, so word checks would only misfire.
  return checkBytes(Buffer.from(value, "base64"), fileError);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
