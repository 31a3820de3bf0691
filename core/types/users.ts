import type { H3Event } from "h3";
import type { Role } from "./auth.ts";

/** A login method's id for a person: `(provider, subject)`, e.g. `("linuxdo", "12345")`. */
export interface UserIdentity {
  provider: string;
  subject: string;
}

/** Everyone who logs in: console admins, portal users, self-registered API users. */
export interface User {
  id: string;
  name: string;
  role: Role;
  status: "active" | "banned";
  identities: UserIdentity[];
  createdAt: number;
  updatedAt: number;
  /** Bumped to end every session of the user on every instance (logout-all, ban, 2FA or password change). */
  sessionEpoch: number;
  revision: number;
  /** Facts plugins keep about the user (trust level, avatar, …); never secrets. */
  meta: Record<string, unknown>;
}

/** A second login factor (TOTP): asked after a first factor succeeded. */
export interface SecondFactor {
  name: string;
  /** Whether this user must pass the factor. */
  required(user: User): Promise<boolean>;
  /** Check a code; throw an `HTTPError` (e.g. 429 while locked) to refuse outright. */
  verify(user: User, code: string): Promise<boolean>;
}

/** The answer to a first-factor login. */
export type LoginResult =
  | { status: "ok"; user: User; expiresAt: number }
  | { status: "2fa_required"; ticket: string; expiresAt: number; factors: string[] };

/** Users, sessions and second factors, as core keeps them; plugins reach it as `ctx.users`. */
export interface UserDirectory {
  /** The user with this identity, created (as `role`, default `user`) when there is none. Race-free across instances. */
  findOrCreate(input: { identity: UserIdentity; name: string; role?: Role; meta?: Record<string, unknown> }): Promise<{ user: User; created: boolean }>;
  byIdentity(identity: UserIdentity): Promise<User | null>;
  get(id: string): Promise<User | null>;
  /** Like `get`; a 404 when missing. */
  require(id: string): Promise<User>;
  list(): Promise<User[]>;
  /** Change name, role, status or meta atomically. A ban or role change ends the user's sessions. */
  update(id: string, change: (user: User) => Partial<Pick<User, "name" | "role" | "status" | "meta">> | undefined): Promise<User>;
  /** End every session of the user on every instance. */
  revokeSessions(id: string): Promise<void>;
  /**
   * The first factor succeeded: start a session (cookie set on `event`), or, when a second
   * factor is required, a pending login whose ticket `POST /auth/login/2fa` completes.
   */
  login(event: H3Event, user: User): Promise<LoginResult>;
  /** Register a second factor (the totp plugin does). */
  addSecondFactor(factor: SecondFactor): void;
}
