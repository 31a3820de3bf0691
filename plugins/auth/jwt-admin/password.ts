// Password hashing with scrypt (memory-hard), parameters kept in the hash string:
// `scrypt$N$r$p$<salt>$<key>` with salt and key in base64url without padding.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** Cost used for every hash the plugin makes: N = 2^15, r = 8, p = 1 (32 MiB, ~50–100 ms). */
export const SCRYPT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
/** The lowest N a configured hash may have. */
export const MIN_CONFIG_N = 2 ** 15;

/** scrypt parameters. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** A parsed hash string. */
export interface ParsedHash extends ScryptCost {
  salt: Buffer;
  key: Buffer;
}

/**
 * Hash a password (or a client-derived key). `cost` exists for tests and benchmarks only;
 * the plugin always uses {@link SCRYPT_COST}.
 */
export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_COST): Promise<string> {
  checkCost(cost);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** True when `candidate` is the password behind `stored`; false for any malformed hash. Constant time on the keys. */
export async function verifyPassword(stored: string, candidate: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (typeof parsed === "string" || typeof candidate !== "string") return false;
  const key = await derive(candidate, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** The parts of a hash string, or why it is not one. `minN` is the lowest cost accepted. */
export function parsePasswordHash(value: unknown, minN = MIN_VERIFY_N): ParsedHash | string {
  if (typeof value !== "string") return "not a string";
  const parts = value.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return "not a scrypt hash (scrypt$N$r$p$salt$hash)";
  const [N, r, p] = parts.slice(1, 4).map((n) => (/^[1-9]\d{0,9}$/.test(n ?? "") ? Number(n) : Number.NaN)) as [number, number, number];
  const salt = fromBase64url(parts[4] ?? "");
  const key = fromBase64url(parts[5] ?? "");
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p)) return "N, r and p must be whole numbers";
  const problem = costProblem({ N, r, p }, minN);
  if (problem) return problem;
  if (!salt || salt.length < 16 || salt.length > 64) return "the salt must be 16 to 64 bytes of base64url";
  if (!key || key.length < 16 || key.length > 64) return "the key must be 16 to 64 bytes of base64url";
  return { N, r, p, salt, key };
}

// --- internal ---

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Verification accepts cheaper hashes (tests make them); config and new hashes never are. */
const MIN_VERIFY_N = 2 ** 10;
const MAX_N = 2 ** 20;

function checkCost(cost: ScryptCost): void {
  const problem = costProblem(cost, MIN_VERIFY_N);
  if (problem) throw new Error(`[switchyard] [plugin:jwt-admin] scrypt cost: ${problem}`);
}

function costProblem({ N, r, p }: ScryptCost, minN: number): string | undefined {
  if (N < minN || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from ${minN} to ${MAX_N}`;
  if (r < 1 || r > 32) return "r must be 1 to 32";
  if (p < 1 || p > 16) return "p must be 1 to 16";
  return undefined;
}

function derive(password: string, salt: Buffer, length: number, { N, r, p }: ScryptCost): Promise<Buffer> {
  // NFKC, so the same password typed on two keyboards gives the same hash.
  const input = password.normalize("NFKC");
  return new Promise((resolve, reject) => {
    scrypt(input, salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function fromBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}
