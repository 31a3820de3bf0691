// How a person is recognised on a request: the session cookie, or a personal access token
// (`Authorization: Bearer sy-pat-…`). A banned user is refused on every route.
import type { NamedAuthStrategy } from "../auth.ts";
import { forbidden } from "../errors.ts";
import type { Principal } from "../types/auth.ts";
import type { User } from "../types/users.ts";
import { readSessionCookie } from "./cookie.ts";
import { ACCESS_TOKEN } from "./sessions.ts";
import type { UserCore } from "./directory.ts";

export function sessionStrategy(users: UserCore): NamedAuthStrategy {
  return {
    name: "session",
    strategy: {
      async authenticate(request) {
        const bearer = /^bearer[ \t]+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
        if (bearer !== undefined && ACCESS_TOKEN.test(bearer)) return toPrincipal(await users.sessions.tokens.verify(bearer), "access-token");
        const cookie = readSessionCookie(request.headers.get("cookie"));
        if (cookie === undefined) return undefined;
        return toPrincipal(await users.sessions.verify(cookie), "session");
      },
    },
  };
}

/** The principal of a user (shared with plugins that authenticate people another way). */
export function userPrincipal(user: User, strategy: string): Principal {
  if (user.status === "banned") throw forbidden("This account is banned");
  return { kind: "user", id: user.id, name: user.name, role: user.role, strategy };
}

// --- internal ---

function toPrincipal(user: User | undefined, strategy: string): Principal | undefined {
  return user ? userPrincipal(user, strategy) : undefined;
}
