// Opaque session tokens and personal access tokens. Only keyed hashes are stored; a session
// is valid while its record lives, its expiry is ahead and its epoch equals the user's (so
// bumping the user's epoch ends every session on every instance at once).
import { randomBytes } from "node:crypto";
import { notFound } from "../errors.ts";
import { storageKey } from "../storage.ts";
import type { SecretBox } from "../secret-box.ts";
import type { GatewayStorage } from "../types/storage.ts";
import type { User } from "../types/users.ts";
import type { UserStore } from "./store.ts";

/** A personal access token as its owner sees it (never the secret). */
export interface AccessTokenRecord {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  lastUsedAt?: number;
}

export interface Sessions {
  /** A new session for the user; returns the token (the cookie value) and its expiry. */
  create(user: User): Promise<{ token: string; expiresAt: number }>;
  /** The user of a live session token, or undefined. */
  verify(token: string): Promise<User | undefined>;
  revoke(token: string): Promise<void>;
  /** A single-use pending login for a second factor, 5 minutes. */
  createPending(user: User): Promise<{ ticket: string; expiresAt: number }>;
  /** The pending login (not consumed); undefined when unknown or expired. */
  readPending(ticket: string): Promise<{ userId: string; epoch: number } | undefined>;
  /** Consume a pending login; false when someone else already did. */
  consumePending(ticket: string): Promise<boolean>;
  tokens: {
    create(user: User, name: string): Promise<{ token: string; record: AccessTokenRecord }>;
    list(userId: string): Promise<AccessTokenRecord[]>;
    revoke(userId: string, id: string): Promise<void>;
    /** The user of a personal access token, or undefined. */
    verify(token: string): Promise<User | undefined>;
  };
}

/** Session lifetime: 7 days. Pending second-factor logins: 5 minutes. */
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;
/** Shape of a session token and of a personal access token. */
export const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const ACCESS_TOKEN = /^sy-pat-[A-Za-z0-9_-]{43}$/;

export function createSessions(storage: GatewayStorage, secrets: SecretBox, users: UserStore, now: () => number): Sessions {
  const digest = (token: string, purpose: string) => secrets.hash(token, purpose);
  const sessionKey = (token: string) => `sessions:${digest(token, "session")}`;
  const pendingKey = (ticket: string) => `logins:pending:${digest(ticket, "pending-login")}`;
  const tokenKey = (token: string) => `tokens:${digest(token, "access-token")}`;
  const ownerKey = (userId: string, id: string) => `tokens:by-user:${storageKey(userId)}:${storageKey(id)}`;

  // A record is good only for a user who is still there, active, and on the same epoch.
  async function liveUser(record: { userId: string; epoch: number; expiresAt?: number } | null): Promise<User | undefined> {
    if (!record || (record.expiresAt !== undefined && record.expiresAt <= now())) return undefined;
    const user = await users.get(record.userId);
    if (!user || user.sessionEpoch !== record.epoch) return undefined;
    return user;
  }

  return {
    async create(user) {
      const token = randomBytes(32).toString("base64url");
      const expiresAt = now() + SESSION_TTL_MS;
      await storage.set(sessionKey(token), { userId: user.id, epoch: user.sessionEpoch, createdAt: now(), expiresAt }, { ttlMs: SESSION_TTL_MS });
      return { token, expiresAt };
    },
    async verify(token) {
      if (!SESSION_TOKEN.test(token)) return undefined;
      return liveUser(await storage.get(sessionKey(token)));
    },
    async revoke(token) {
      if (SESSION_TOKEN.test(token)) await storage.remove(sessionKey(token));
    },
    async createPending(user) {
      const ticket = randomBytes(32).toString("base64url");
      const expiresAt = now() + PENDING_LOGIN_TTL_MS;
      await storage.set(pendingKey(ticket), { userId: user.id, epoch: user.sessionEpoch, expiresAt }, { ttlMs: PENDING_LOGIN_TTL_MS });
      return { ticket, expiresAt };
    },
    async readPending(ticket) {
      if (typeof ticket !== "string" || !SESSION_TOKEN.test(ticket)) return undefined;
      const record = await storage.get<{ userId: string; epoch: number; expiresAt: number }>(pendingKey(ticket));
      return record && record.expiresAt > now() ? { userId: record.userId, epoch: record.epoch } : undefined;
    },
    async consumePending(ticket) {
      const record = await storage.get(pendingKey(ticket));
      return record !== null && storage.cas(pendingKey(ticket), record, null);
    },
    tokens: {
      async create(user, name) {
        const token = `sy-pat-${randomBytes(32).toString("base64url")}`;
        const record: AccessTokenRecord = { id: `pat_${randomBytes(8).toString("hex")}`, userId: user.id, name, createdAt: now() };
        await storage.set(tokenKey(token), { ...record, epoch: user.sessionEpoch });
        await storage.set(ownerKey(user.id, record.id), { ...record, digest: digest(token, "access-token") });
        return { token, record };
      },
      async list(userId) {
        const keys = await storage.keys(`tokens:by-user:${storageKey(userId)}`);
        const records = await Promise.all(keys.map((k) => storage.get<AccessTokenRecord & { digest: string }>(k)));
        return records.filter((r) => r !== null).map(({ digest: _, ...record }) => record).sort((a, b) => a.createdAt - b.createdAt);
      },
      async revoke(userId, id) {
        const owned = await storage.get<{ digest: string }>(ownerKey(userId, id));
        if (!owned) throw notFound("No such token");
        await storage.remove(`tokens:${owned.digest}`);
        await storage.remove(ownerKey(userId, id));
      },
      async verify(token) {
        if (!ACCESS_TOKEN.test(token)) return undefined;
        // Bound to the user's epoch like sessions (security.md B4): a password or 2FA change,
        // a role change, a ban or logout-all ends them; a single logout elsewhere does not.
        return liveUser(await storage.get<AccessTokenRecord & { epoch: number }>(tokenKey(token)));
      },
    },
  };
}
