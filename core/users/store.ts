// Users in core storage: `users:<id>` records and a `users:identity:<provider>:<subject>`
// index claimed with compare-and-set, so two instances logging the same person in at once
// still make one user.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { HTTPError } from "h3";
import { notFound } from "../errors.ts";
import { storageKey } from "../storage.ts";
import type { Role } from "../types/auth.ts";
import type { GatewayStorage } from "../types/storage.ts";
import type { User, UserIdentity } from "../types/users.ts";

export interface UserStore {
  findOrCreate(input: { identity: UserIdentity; name: string; role?: Role; meta?: Record<string, unknown> }): Promise<{ user: User; created: boolean }>;
  byIdentity(identity: UserIdentity): Promise<User | null>;
  get(id: string): Promise<User | null>;
  require(id: string): Promise<User>;
  list(): Promise<User[]>;
  /** Atomic change; `undefined` from `change` writes nothing. */
  update(id: string, change: (user: User) => Partial<User> | undefined): Promise<User>;
}

export function createUserStore(storage: GatewayStorage, now: () => number): UserStore {
  const key = (id: string) => `users:${storageKey(id)}`;
  const indexKey = (identity: UserIdentity) => `users:identity:${storageKey(identity.provider)}:${storageKey(identity.subject)}`;

  async function get(id: string): Promise<User | null> {
    return typeof id === "string" && ID_RE.test(id) ? storage.get<User>(key(id)) : null;
  }

  const store: UserStore = {
    async findOrCreate({ identity, name, role = "user", meta = {} }) {
      checkIdentity(identity);
      for (let attempt = 0; attempt < 5; attempt++) {
        const existing = await store.byIdentity(identity);
        if (existing) return { user: existing, created: false };
        const at = now();
        const user: User = { id: `usr_${randomBytes(12).toString("hex")}`, name, role, status: "active", identities: [identity], createdAt: at, updatedAt: at, sessionEpoch: 1, revision: 1, meta };
        // The record first, then the claim: a claim never points at nothing.
        await storage.set(key(user.id), user);
        if (await storage.cas(indexKey(identity), null, user.id)) return { user, created: true };
        await storage.remove(key(user.id)); // another instance won the claim
        await sleep(5);
      }
      throw new HTTPError({ status: 503, message: "Could not create the user; try again" });
    },
    async byIdentity(identity) {
      checkIdentity(identity);
      const id = await storage.get<string>(indexKey(identity));
      return id ? get(id) : null;
    },
    get,
    async require(id) {
      const user = await get(id);
      if (!user) throw notFound(`No user ${JSON.stringify(String(id).slice(0, 80))}`);
      return user;
    },
    async list() {
      const ids = (await storage.keys("users")).filter((k) => !k.startsWith("users:identity:")).map((k) => k.slice("users:".length));
      const users = await Promise.all(ids.map(get));
      return users.filter((u): u is User => u !== null).sort((a, b) => a.createdAt - b.createdAt);
    },
    async update(id, change) {
      for (let attempt = 0; attempt < 100; attempt++) {
        const current = await store.require(id);
        const patch = change(current);
        if (!patch) return current;
        const next: User = { ...current, ...patch, id: current.id, createdAt: current.createdAt, updatedAt: now(), revision: current.revision + 1 };
        if (await storage.cas(key(id), current, next)) return next;
        await sleep(Math.random() * Math.min(2 ** attempt, 20));
      }
      throw new Error(`[switchyard] [users] user ${id} changed too often to update`);
    },
  };
  return store;
}

// --- internal ---

const ID_RE = /^usr_[0-9a-f]{24}$/;

function checkIdentity(identity: UserIdentity): void {
  if (!identity || typeof identity.provider !== "string" || typeof identity.subject !== "string" || !identity.provider || !identity.subject || identity.subject.length > 200) {
    throw new Error("[switchyard] [users] an identity needs a provider and a subject (at most 200 characters)");
  }
}
