import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { registerSecret } from "./redact.ts";

/** The record a sealed value belongs to; bound into the AES-GCM additional data. */
export interface SealContext {
  /** Record type, e.g. `"account"`. */
  type: string;
  /** Record id, e.g. the account id. */
  id: string;
  /** Field inside the record, e.g. `"refreshToken"`. */
  field?: string;
}

/** Why a sealed value could not be opened. */
export type SecretBoxErrorReason = "malformed" | "wrong_key" | "auth_failed";

/**
 * Thrown by `open`. The message names the record and the reason, never the plaintext
 * or the ciphertext, so it is safe to log and to store as an account's error.
 */
export class SecretBoxError extends Error {
  override name = "SecretBoxError";
  /** `wrong_key`: sealed under another master key (F3); `auth_failed`: tampered or moved. */
  readonly reason: SecretBoxErrorReason;
  /** The record the caller tried to open. */
  readonly context: SealContext;
  constructor(reason: SecretBoxErrorReason, context: SealContext, detail: string) {
    const where = `${context.type} ${JSON.stringify(context.id)}${context.field ? ` field ${context.field}` : ""}`;
    super(`[switchyard] [secret-box] Cannot open ${where}: ${detail}`);
    this.reason = reason;
    this.context = { ...context };
  }
}

/** Authenticated encryption and keyed hashing under one master key. */
export interface SecretBox {
  /** Public 8-hex-char id of the master key, stored in every sealed value. */
  readonly keyId: string;
  /** Encrypt with AES-256-GCM under a fresh random nonce; returns `sy1.<kid>.<nonce>.<ct+tag>`. */
  seal(plaintext: string, aad: SealContext): string;
  /** Decrypt a value sealed for the same record; throws `SecretBoxError` otherwise. */
  open(sealed: string, aad: SealContext): string;
  /** True when `value` has the shape of a sealed value (any key). */
  isSealed(value: unknown): value is string;
  /** HMAC-SHA-256 of `value` bound to `purpose` (and the scope), as 64 hex chars. */
  hash(value: string, purpose: string): string;
  /** Timing-safe check of a digest made by `hash`; false for any other length. */
  verifyHash(value: string, purpose: string, digest: string): boolean;
  /** A box whose values and hashes are bound to `scope` (e.g. a plugin name) as well. */
  withScope(scope: string): SecretBox;
}

/**
 * Build a `SecretBox` from a master key of at least 32 bytes. Independent subkeys for
 * encryption, hashing and the key id are derived with HKDF-SHA-256.
 *
 * @example
 * const box = createSecretBox(key).withScope("claude-oauth");
 * const stored = box.seal(token, { type: "account", id, field: "refreshToken" });
 */
export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (!(masterKey instanceof Uint8Array) || masterKey.byteLength < 32) {
    throw new Error("[switchyard] [secret-box] The master key must be at least 32 bytes");
  }
  const keys: Keys = {
    enc: derive(masterKey, "aes-256-gcm", 32),
    mac: derive(masterKey, "hmac-sha-256", 32),
    kid: derive(masterKey, "key-id", 4).toString("hex"),
  };
  return makeBox(keys, []);
}

/** True when `value` has the shape of a sealed value (`sy1.<kid>.<nonce>.<ct+tag>`). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && SEALED.test(value);
}

/** The key id inside a sealed value, or undefined when it is not one; for startup checks (F3). */
export function sealedKeyId(value: unknown): string | undefined {
  return isSealed(value) ? value.slice(4, 12) : undefined;
}

// --- internal ---

const VERSION = "sy1";
const SEALED = /^sy1\.([0-9a-f]{8})\.([\w-]{16})\.([\w-]{22,})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Keys {
  enc: Buffer;
  mac: Buffer;
  kid: string;
}

function makeBox(keys: Keys, scope: readonly string[]): SecretBox {
  const aadFor = (ctx: SealContext) => Buffer.from(JSON.stringify([VERSION, keys.kid, scope, ctx.type, ctx.id, ctx.field ?? null]));
  const digest = (value: string, purpose: string) =>
    createHmac("sha256", keys.mac).update(JSON.stringify([VERSION, "hash", scope, purpose, value])).digest("hex");

  return {
    keyId: keys.kid,
    isSealed,
    seal(plaintext, ctx) {
      assertContext(ctx);
      // Lone surrogates would not survive UTF-8, so open() could not return the same string.
      if (typeof plaintext !== "string" || LONE_SURROGATE.test(plaintext)) {
        throw new TypeError("[switchyard] [secret-box] seal() takes a well-formed string");
      }
      registerSecret(plaintext);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", keys.enc, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadFor(ctx));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${keys.kid}.${nonce.toString("base64url")}.${body.toString("base64url")}`;
    },
    open(sealed, ctx) {
      assertContext(ctx);
      const parts = typeof sealed === "string" ? SEALED.exec(sealed) : null;
      const nonce = parts ? Buffer.from(parts[2]!, "base64url") : undefined;
      const body = parts ? Buffer.from(parts[3]!, "base64url") : undefined;
      // Canonical base64url only, so one stored value has exactly one spelling.
      if (!parts || !nonce || !body || nonce.length !== NONCE_BYTES || body.toString("base64url") !== parts[3]) {
        throw new SecretBoxError("malformed", ctx, "the stored value is not a sealed value");
      }
      if (parts[1] !== keys.kid) {
        throw new SecretBoxError("wrong_key", ctx, `sealed under key id ${parts[1]}, the current key id is ${keys.kid} (wrong or changed SWITCHYARD_SECRET)`);
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", keys.enc, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(aadFor(ctx));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
        registerSecret(plain);
        return plain;
      } catch {
        throw new SecretBoxError("auth_failed", ctx, "authentication failed (tampered value, or sealed for another record or scope)");
      }
    },
    hash(value, purpose) {
      return digest(String(value), String(purpose));
    },
    verifyHash(value, purpose, given) {
      if (typeof given !== "string") return false;
      const expected = Buffer.from(digest(String(value), String(purpose)));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
    withScope(name) {
      if (typeof name !== "string" || name === "") throw new TypeError("[switchyard] [secret-box] withScope() needs a non-empty name");
      return makeBox(keys, [...scope, name]);
    },
  };
}

function derive(master: Uint8Array, purpose: string, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", master, "switchyard/secret-box", `switchyard ${VERSION} ${purpose}`, length));
}

function assertContext(ctx: SealContext): void {
  if (!ctx || typeof ctx.type !== "string" || typeof ctx.id !== "string" || !ctx.type || !ctx.id) {
    throw new TypeError("[switchyard] [secret-box] A seal context needs a non-empty type and id");
  }
  if (ctx.field !== undefined && typeof ctx.field !== "string") {
    throw new TypeError("[switchyard] [secret-box] A seal context field must be a string");
  }
}
