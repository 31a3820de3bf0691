import type { AuthRequest, AuthStrategy, Principal } from "switchyard";

/** An admin declared in config; created (or updated) when the gateway starts. */
export interface ConfigAdmin {
  /** Login name: 1 to 64 of `a-z 0-9 . _ @ + -` (compared lowercased). */
  username: string;
  /**
   * A scrypt hash from `switchyard admin hash-password` (`scrypt$N$r$p$salt$hash`, N ≥ 32768),
   * never a plain password. `undefined` is allowed by the type so `process.env.X` fits, and
   * refused at start.
   */
  passwordHash: string | undefined;
  /** Default `root`. */
  role?: "admin" | "root";
}

/** Options of the signed tokens (JWTs) handed out at login. */
export interface JwtOptions {
  /**
   * HS256 signing key, at least 32 bytes. Default: a random key generated once and kept
   * sealed in storage, so every instance on that storage shares it.
   */
  secret?: string;
  /** `iss` claim. Default `switchyard`. */
  issuer?: string;
  /** `aud` claim. Default `switchyard-admin`. */
  audience?: string;
  /** Lifetime in seconds (60 to 86400). Default `900`. */
  ttlSeconds?: number;
}

/** Self-service accounts for API users (off by default). */
export interface RegistrationOptions {
  /** Mount `POST /auth/register`. Default `false`. */
  enabled?: boolean;
  /** Registered users send `derived_key` (a key derived on the client) instead of `password`. Default `false`. */
  derivedKey?: boolean;
  /** Keep every local username (admins too) only as a keyed hash in storage. Default `false`. */
  hashUsernames?: boolean;
  /** Registrations per client address per hour. Default `20`. */
  perIpPerHour?: number;
}

/** Failed password attempts per username before a pause. */
export interface ThrottleOptions {
  /** Failures that start the pause. Default `10`. */
  maxFailures?: number;
  /** Window for counting failures and length of the pause, in seconds. Default `900`. */
  windowSeconds?: number;
}

/** Options of the `jwt-admin` auth plugin. */
export interface JwtAdminOptions {
  admins?: ConfigAdmin[];
  jwt?: JwtOptions;
  registration?: RegistrationOptions;
  throttle?: ThrottleOptions;
}

/** The options after validation. */
export interface ResolvedJwtAdminOptions {
  admins: Array<{ username: string; passwordHash: string; role: "admin" | "root" }>;
  jwt: { secret: string | undefined; issuer: string; audience: string; ttlSeconds: number };
  registration: { enabled: boolean; derivedKey: boolean; hashUsernames: boolean; perIpPerHour: number };
  throttle: { maxFailures: number; windowSeconds: number };
}

/** What is stored per local user (under `passwords:<user id>`); never returned or logged. */
export interface PasswordRecord {
  /** `scrypt$N$r$p$salt$hash`. */
  hash: string;
  /** Which field the user logs in with. */
  kind: "password" | "derived_key";
  /** Who set it: the config (changed only there), the CLI, registration, or the user. */
  source: "config" | "cli" | "register" | "user";
  updatedAt: number;
}

/** The capability object: an auth strategy for `Authorization: Bearer <JWT>`. */
export interface JwtAdminStrategy extends AuthStrategy {
  /** A `user` principal for a valid JWT; `undefined` for anything that is not a JWT; 401 for a bad one. */
  authenticate(request: AuthRequest): Promise<Principal | undefined>;
}
