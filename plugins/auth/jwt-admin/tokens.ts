// Short-lived HS256 JWTs: `sub` = user id, `epoch` = the user's session epoch, so whatever ends
// the user's sessions (password or 2FA change, ban, role change, logout-all) ends them too.
import { randomBytes } from "node:crypto";
import { SignJWT, decodeProtectedHeader, jwtVerify } from "jose";
import type { PluginContext, User } from "switchyard";
import type { ResolvedJwtAdminOptions } from "./types.ts";

/** The claims a verified token carries that the strategy needs. */
export interface TokenClaims {
  sub: string;
  epoch: number;
}

export interface TokenIssuer {
  sign(user: User): Promise<{ token: string; expiresAt: number }>;
  /** The claims of a valid token; `undefined` for any invalid one (the caller answers 401). */
  verify(token: string): Promise<TokenClaims | undefined>;
}

/** `Authorization: Bearer` values shaped like a compact JWS (an empty signature included, as in `alg: none`). */
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Allowed clock skew on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export function createTokenIssuer(ctx: PluginContext, options: ResolvedJwtAdminOptions["jwt"]): TokenIssuer {
  let key: Promise<Uint8Array> | undefined;
  // Loaded on first use (storage may be down at start); a failure is retried next time.
  const signingKey = () => {
    key ??= loadKey(ctx, options.secret).catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };

  return {
    async sign(user) {
      const issuedAt = Math.floor(ctx.now() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({ epoch: user.sessionEpoch })
        .setProtectedHeader({ alg: ALGORITHM, typ: TYP })
        .setSubject(user.id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomBytes(12).toString("base64url"))
        .sign(await signingKey());
      return { token, expiresAt: expiresAt * 1000 };
    },
    async verify(token) {
      const secret = await signingKey();
      try {
        // Only alg and typ: a kid, jku, jwk, x5u, x5c or crit header is not ours (RFC 8725 §3.1).
        if (Object.keys(decodeProtectedHeader(token)).some((name) => name !== "alg" && name !== "typ")) return undefined;
        const { payload } = await jwtVerify(token, secret, {
          algorithms: [ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          typ: TYP,
          requiredClaims: ["exp", "iat", "sub", "epoch"],
          maxTokenAge: options.ttlSeconds,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(ctx.now()),
        });
        const { sub, epoch } = payload as { sub?: unknown; epoch?: unknown };
        if (typeof sub !== "string" || typeof epoch !== "number" || !Number.isSafeInteger(epoch)) return undefined;
        return { sub, epoch };
      } catch {
        return undefined;
      }
    },
  };
}

// --- internal ---

const ALGORITHM = "HS256";
const TYP = "JWT";
const KEY_ENTRY = "jwt:key";
const SEAL = { type: "jwt-key", id: "hs256" };

/** The configured secret, or a random key created once and shared through storage, sealed. */
async function loadKey(ctx: PluginContext, secret: string | undefined): Promise<Uint8Array> {
  if (secret !== undefined) return new TextEncoder().encode(secret);
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await ctx.storage.get<string>(KEY_ENTRY);
    if (stored !== null) return new Uint8Array(Buffer.from(ctx.secrets.open(stored, SEAL), "base64url"));
    const fresh = randomBytes(32).toString("base64url");
    if (await ctx.storage.cas(KEY_ENTRY, null, ctx.secrets.seal(fresh, SEAL))) return new Uint8Array(Buffer.from(fresh, "base64url"));
  }
  throw new Error("[switchyard] [plugin:jwt-admin] could not create the JWT signing key in storage");
}
