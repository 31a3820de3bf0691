// `SWITCHYARD_ADMIN_TOKEN`: an opt-in bearer token for automation that acts as a root user
// on the admin API. Compared in constant time on digests, so neither length nor content leaks.
import { createHash, timingSafeEqual } from "node:crypto";
import type { NamedAuthStrategy } from "../auth.ts";
import { registerSecret } from "../redact.ts";

/** Shortest token accepted: a guessable admin token is worse than none. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** The strategy for `token`, or undefined when no token is configured. Throws when it is too short. */
export function adminTokenStrategy(token: string | undefined): NamedAuthStrategy | undefined {
  if (token === undefined || token === "") return undefined;
  if (token.length < ADMIN_TOKEN_MIN_LENGTH || /\s/.test(token)) {
    throw new Error(`[switchyard] [admin] SWITCHYARD_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters without spaces (try: openssl rand -base64 32)`);
  }
  registerSecret(token);
  const expected = digest(token);
  return {
    name: "admin-token",
    strategy: {
      authenticate(request) {
        const header = request.headers.get("authorization");
        if (!header || !/^bearer /i.test(header)) return undefined;
        if (!timingSafeEqual(digest(header.slice(7).trim()), expected)) return undefined;
        return { kind: "user", id: "admin-token", name: "admin token", role: "root", strategy: "admin-token", service: true };
      },
    },
  };
}

// --- internal ---

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
