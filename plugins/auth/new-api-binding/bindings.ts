// Bindings of gateway users to new-api users. A binding is made only when new-api's own
// record of the user carries the caller's LinuxDO id (`linux_do_id`): that is the proof the
// caller controls the new-api account. Two claims make it race-free across instances:
// `users:<userId>` (one binding per gateway user) and `new-api-users:<id>` (one gateway user
// per new-api user), both taken with compare-and-set.
import { HTTPError, type PluginContext, type User, createRateLimiter, forbidden, notFound, storageKey } from "switchyard";
import type { NewApiClient } from "./new-api.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Binding, BindingStore } from "./types.ts";

/** Binding attempts one user may make per window (each may cost a new-api lookup). */
export const BIND_ATTEMPTS = 10;
export const BIND_WINDOW_MS = 10 * 60_000;

export function createBindings(ctx: PluginContext, options: ResolvedOptions, client: NewApiClient): BindingStore {
  const userKey = (userId: string) => `users:${storageKey(userId)}`;
  const claimKey = (newApiUserId: number) => `new-api-users:${newApiUserId}`;
  const attempts = createRateLimiter(ctx.storage, { name: "attempts", limit: `${BIND_ATTEMPTS} binding attempts per ${BIND_WINDOW_MS / 60_000} minutes`, max: BIND_ATTEMPTS, windowMs: BIND_WINDOW_MS });

  const store: BindingStore = {
    get: (userId) => ctx.storage.get<Binding>(userKey(userId)),
    linuxdoId: (user) => user.identities.find((i) => i.provider === options.linuxdoProvider)?.subject,

    async bind(user: User, newApiUserId: number) {
      const linuxdoId = store.linuxdoId(user);
      if (linuxdoId === undefined) throw forbidden("Log in with LinuxDO first: a new-api account is bound through your LinuxDO id");
      await attempts.take(user.id);
      const existing = await store.get(user.id);
      if (existing?.newApiUserId === newApiUserId) return existing;
      if (existing) throw conflict(`You are already bound to new-api user ${existing.newApiUserId}; unbind first`);

      const remote = await client.getUser(newApiUserId);
      if (!remote) throw notFound(`No new-api user with id ${newApiUserId}`);
      // Never say what the stored id is: that would tell anyone whose LinuxDO account it is.
      if (remote.linuxDoId === "" || remote.linuxDoId !== linuxdoId) throw forbidden("That new-api user is not linked to your LinuxDO account");
      if (remote.status !== 1) throw forbidden("That new-api user is disabled");

      const binding: Binding = { userId: user.id, newApiUserId, linuxdoId, username: remote.username, displayName: remote.displayName, boundAt: ctx.now() };
      if (!(await ctx.storage.cas(userKey(user.id), null, binding))) throw conflict("Another binding of yours is in progress; reload and try again");
      if (!(await ctx.storage.cas(claimKey(newApiUserId), null, user.id))) {
        const holder = await ctx.storage.get<string>(claimKey(newApiUserId));
        // A claim of our own left by an interrupted unbind is ours to keep.
        if (holder !== user.id) {
          await ctx.storage.cas(userKey(user.id), binding, null);
          throw conflict("That new-api user is already bound to another account");
        }
      }
      ctx.logger.info(`user ${user.id} bound to new-api user ${newApiUserId}`);
      return binding;
    },

    async unbind(userId) {
      const binding = await store.get(userId);
      if (!binding) return false;
      if (!(await ctx.storage.cas(userKey(userId), binding, null))) throw conflict("The binding changed meanwhile; reload and try again");
      await ctx.storage.cas(claimKey(binding.newApiUserId), userId, null);
      ctx.logger.info(`user ${userId} unbound from new-api user ${binding.newApiUserId}`);
      return true;
    },

    async stillMatches(binding) {
      const remote = await client.getUser(binding.newApiUserId);
      return remote !== null && remote.linuxDoId === binding.linuxdoId && remote.status === 1;
    },
  };
  return store;
}

// --- internal ---

function conflict(message: string): HTTPError {
  return new HTTPError({ status: 409, message });
}
