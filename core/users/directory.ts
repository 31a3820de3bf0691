// `ctx.users`: the user store, sessions and second factors behind one object, plus the
// login step every first factor (password, LinuxDO, …) ends in.
import type { H3Event } from "h3";
import { setSessionCookie } from "./cookie.ts";
import type { Sessions } from "./sessions.ts";
import type { UserStore } from "./store.ts";
import type { SecondFactor, User, UserDirectory } from "../types/users.ts";

/** The directory plus what core's own routes need. */
export interface UserCore extends UserDirectory {
  sessions: Sessions;
  factors: SecondFactor[];
  /** Start a session and set its cookie (after every factor passed). */
  startSession(event: H3Event, user: User): Promise<{ expiresAt: number }>;
}

export function createUserDirectory(store: UserStore, sessions: Sessions): UserCore {
  const factors: SecondFactor[] = [];
  const directory: UserCore = {
    sessions,
    factors,
    findOrCreate: (input) => store.findOrCreate(input),
    byIdentity: (identity) => store.byIdentity(identity),
    get: (id) => store.get(id),
    require: (id) => store.require(id),
    list: () => store.list(),
    update(id, change) {
      return store.update(id, (user) => {
        const patch = change(user);
        if (!patch) return undefined;
        // A ban or a role change must not leave a session carrying the old rights.
        const endSessions = (patch.status !== undefined && patch.status !== user.status) || (patch.role !== undefined && patch.role !== user.role);
        return endSessions ? { ...patch, sessionEpoch: user.sessionEpoch + 1 } : patch;
      });
    },
    async revokeSessions(id) {
      await store.update(id, (user) => ({ sessionEpoch: user.sessionEpoch + 1 }));
    },
    async login(event, user) {
      const needed: string[] = [];
      for (const factor of factors) if (await factor.required(user)) needed.push(factor.name);
      if (needed.length > 0) {
        const pending = await sessions.createPending(user);
        return { status: "2fa_required", ticket: pending.ticket, expiresAt: pending.expiresAt, factors: needed };
      }
      const { expiresAt } = await directory.startSession(event, user);
      return { status: "ok", user, expiresAt };
    },
    addSecondFactor(factor) {
      if (factors.some((f) => f.name === factor.name)) throw new Error(`[switchyard] [users] second factor "${factor.name}" registered twice`);
      factors.push(factor);
    },
    async startSession(event, user) {
      const { token, expiresAt } = await sessions.create(user);
      setSessionCookie(event, token, expiresAt);
      return { expiresAt };
    },
  };
  return directory;
}
