// Local accounts: core users with the identity ("local", username) — or ("local", keyed hash
// of the username) with `hashUsernames` — and a scrypt password record per user id.
import { randomBytes } from "node:crypto";
import { type PluginContext, type User, type UserIdentity, storageKey } from "switchyard";
import { hashPassword, verifyPassword } from "./password.ts";
import type { PasswordRecord, ResolvedJwtAdminOptions } from "./types.ts";

/** Identity provider name of local accounts. */
export const LOCAL_PROVIDER = "local";

/** A config admin's username belongs to an existing non-admin user; the gateway must not start. */
export class AdminConflictError extends Error {
  constructor(username: string) {
    super(`admins: the username ${JSON.stringify(username)} belongs to an existing user with the user role; pick another username, or promote that user with PATCH /admin/users/:id`);
  }
}

export interface LocalAccounts {
  identity(username: string): UserIdentity;
  /** What `user.name` holds for a username (a neutral label when usernames are hashed). */
  displayName(username: string): string;
  /** The storage-safe id a username's failure counters use (always a keyed hash). */
  throttleId(username: string): string;
  /**
   * The user when `secret` is their password (or derived key, by `kind`); `undefined` for an
   * unknown user, a wrong secret or the wrong kind, in about the same time for each.
   */
  check(username: string, kind: PasswordRecord["kind"], secret: string): Promise<User | undefined>;
  record(userId: string): Promise<PasswordRecord | null>;
  /** Replace the record only if it is still `expected` (null: none yet). */
  replace(userId: string, expected: PasswordRecord | null, next: PasswordRecord): Promise<boolean>;
  /** Create or update the admins listed in config (idempotent; safe on many instances at once). */
  syncConfigAdmins(): Promise<void>;
}

export function createLocalAccounts(ctx: PluginContext, options: ResolvedJwtAdminOptions): LocalAccounts {
  const recordKey = (userId: string) => storageKey("passwords", userId);
  const hashed = (username: string) => ctx.secrets.hash(username, "username");
  const configIds = new Set<string>();
  // Unknown users cost one scrypt too, so timing does not tell who exists.
  const dummy = hashPassword(randomBytes(16).toString("base64url"));

  const accounts: LocalAccounts = {
    identity: (username) => ({ provider: LOCAL_PROVIDER, subject: options.registration.hashUsernames ? hashed(username) : username }),
    displayName: (username) => (options.registration.hashUsernames ? `user-${hashed(username).slice(0, 10)}` : username),
    throttleId: (username) => hashed(username).slice(0, 32),
    async check(username, kind, secret) {
      const user = await ctx.users.byIdentity(accounts.identity(username));
      const record = user ? await accounts.record(user.id) : null;
      // A removed config admin keeps the user record, but no longer a password.
      const usable = record !== null && (record.source !== "config" || configIds.has(user!.id));
      const matches = await verifyPassword(usable ? record.hash : await dummy, secret);
      return usable && matches && record.kind === kind ? (user ?? undefined) : undefined;
    },
    record: (userId) => ctx.storage.get<PasswordRecord>(recordKey(userId)),
    replace: (userId, expected, next) => ctx.storage.cas(recordKey(userId), expected, next),
    async syncConfigAdmins() {
      for (const admin of options.admins) {
        const { user, created } = await ctx.users.findOrCreate({ identity: accounts.identity(admin.username), name: accounts.displayName(admin.username), role: admin.role });
        // Promoting a self-registered account would hand its personal tokens the admin role.
        if (!created && user.role === "user") throw new AdminConflictError(admin.username);
        configIds.add(user.id);
        const current = await accounts.record(user.id);
        if (current?.hash !== admin.passwordHash || current.source !== "config") {
          const next: PasswordRecord = { hash: admin.passwordHash, kind: "password", source: "config", updatedAt: ctx.now() };
          // Another instance starting with the same config may win; its record is the same.
          if ((await accounts.replace(user.id, current, next)) && current !== null) await ctx.users.revokeSessions(user.id);
        }
        if (user.role !== admin.role) await ctx.users.update(user.id, () => ({ role: admin.role }));
      }
    },
  };
  return accounts;
}
