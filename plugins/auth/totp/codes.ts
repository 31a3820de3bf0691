// Checking codes: TOTP through otplib with each (user, time step) claimed once in shared
// storage, and single-use backup codes kept only as keyed hashes.
import { randomBytes, randomInt } from "node:crypto";
import { verify } from "otplib";
import { type PluginContext, storageKey } from "switchyard";
import type { ResolvedTotpOptions } from "./types.ts";

export interface Codes {
  /** True when `code` is valid for `secret` now and its time step was not used before by this user. */
  checkTotp(userId: string, secret: string, code: string): Promise<boolean>;
  /** True when `code` is an unused backup code of the user's current `batch`; it is used up. */
  consumeBackup(userId: string, batch: string | undefined, code: string): Promise<boolean>;
  /** A new batch of backup codes (`XXXX-XXXX`); only their hashes are stored. */
  createBackup(userId: string): Promise<{ batch: string; codes: string[] }>;
  /** Unused codes of `batch`. */
  remainingBackup(userId: string, batch: string | undefined): Promise<number>;
  /** Delete stored codes of every batch but `keep`. */
  dropBackup(userId: string, keep?: string): Promise<void>;
}

/** Backup code alphabet (new-api's): A–Z and 0–9. */
export const BACKUP_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Uppercase, spaces and dashes removed: the form a backup code is hashed in. */
export function normalizeBackupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

export function createCodes(ctx: PluginContext, options: ResolvedTotpOptions): Codes {
  const backupKey = (userId: string, digest: string) => storageKey("backup", userId, digest);
  const digestOf = (userId: string, code: string) => ctx.secrets.hash(`${userId}:${normalizeBackupCode(code)}`, "backup-code");
  // A used step must stay claimed while its code is still accepted: 2 × window + 1 periods.
  const usedTtlMs = (2 * options.window + 2) * options.period * 1000;

  return {
    async checkTotp(userId, secret, code) {
      const token = code.replace(/\s/g, "");
      if (!new RegExp(`^\\d{${options.digits}}$`).test(token)) return false;
      const epoch = Math.floor(ctx.now() / 1000);
      const result = await verify({
        secret,
        token,
        algorithm: "sha1",
        digits: options.digits,
        period: options.period,
        epoch,
        epochTolerance: options.period * options.window,
      });
      if (!result.valid) return false;
      // SET NX on (user, step): of two instances given the same code at once, one wins (RFC 6238 §5.2).
      const step = Math.floor(epoch / options.period) + result.delta;
      return ctx.storage.cas(storageKey("used", userId, String(step)), null, 1, { ttlMs: usedTtlMs });
    },
    async consumeBackup(userId, batch, code) {
      if (batch === undefined || !BACKUP_SHAPE.test(normalizeBackupCode(code))) return false;
      const key = backupKey(userId, digestOf(userId, code));
      const stored = await ctx.storage.get<{ batch: string }>(key);
      if (!stored || stored.batch !== batch) return false;
      // Removing it is the use: of two concurrent uses one removes it, the other finds it gone.
      return ctx.storage.cas(key, stored, null);
    },
    async createBackup(userId) {
      const batch = randomBytes(9).toString("base64url");
      const codes = Array.from({ length: options.backupCodes }, () => {
        const raw = Array.from({ length: 8 }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join("");
        return `${raw.slice(0, 4)}-${raw.slice(4)}`;
      });
      await Promise.all(codes.map((code) => ctx.storage.set(backupKey(userId, digestOf(userId, code)), { batch, createdAt: ctx.now() })));
      return { batch, codes };
    },
    async remainingBackup(userId, batch) {
      if (batch === undefined) return 0;
      const entries = await backupEntries(userId);
      return entries.filter((entry) => entry.value?.batch === batch).length;
    },
    async dropBackup(userId, keep) {
      const entries = await backupEntries(userId);
      await Promise.all(entries.filter((entry) => entry.value?.batch !== keep).map((entry) => ctx.storage.remove(entry.key)));
    },
  };

  async function backupEntries(userId: string): Promise<Array<{ key: string; value: { batch: string } | null }>> {
    const base = storageKey("backup", userId);
    const keys = (await ctx.storage.keys(base)).filter((key) => key.startsWith(`${base}:`));
    return Promise.all(keys.map(async (key) => ({ key, value: await ctx.storage.get<{ batch: string }>(key) })));
  }
}

// --- internal ---

const BACKUP_SHAPE = /^[A-Z0-9]{8}$/;
