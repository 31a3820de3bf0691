// LinuxDO people as core users: identity `(linuxdo, <id>)`, facts in `meta.linuxdo`, and the
// role rule for the configured admin list.
import type { PluginContext, Role, User } from "switchyard";
import type { LinuxDoUser } from "./upstream.ts";

/** Identity provider name of LinuxDO users. */
export const IDENTITY_PROVIDER = "linuxdo";

/** What `meta.linuxdo` of a user holds (no secrets). */
export interface LinuxDoMeta {
  id: string;
  username: string;
  name: string;
  trustLevel: number;
  active: boolean;
  silenced: boolean;
  avatarTemplate?: string;
  /** The avatar at 120 px when the template is an absolute http(s) URL. */
  avatarURL?: string;
  /** True while the user's `admin` role came from the `admins` option (and so goes with it). */
  adminFromList: boolean;
  lastLoginAt: number;
}

/**
 * The role rule, applied at every login (and, for removals, at startup):
 * - `root` is never touched;
 * - an id in `admins` gets `admin` (the list wins, also over an earlier demotion by an admin);
 * - an id not in `admins` loses `admin` only when the list gave it; an `admin` role granted by
 *   an operator through the admin API stays; everyone else keeps their role (new users: `user`).
 */
export function nextRole(current: { role: Role; adminFromList: boolean } | undefined, inList: boolean): { role: Role; adminFromList: boolean } {
  if (current?.role === "root") return { role: "root", adminFromList: false };
  if (inList) return { role: "admin", adminFromList: current?.role === "admin" ? current.adminFromList : true };
  if (current?.role === "admin" && current.adminFromList) return { role: "user", adminFromList: false };
  return { role: current?.role ?? "user", adminFromList: false };
}

/** Find or create the user of a LinuxDO login, refresh `meta.linuxdo` and apply the role rule. */
export async function upsertUser(ctx: PluginContext, profile: LinuxDoUser, admins: ReadonlySet<string>): Promise<User> {
  const inList = admins.has(profile.id);
  const first = nextRole(undefined, inList);
  const { user, created } = await ctx.users.findOrCreate({
    identity: { provider: IDENTITY_PROVIDER, subject: profile.id },
    name: profile.name,
    role: first.role,
    meta: { linuxdo: metaOf(profile, first.adminFromList, ctx.now()) },
  });
  if (created) return user;
  return ctx.users.update(user.id, (current) => {
    const next = nextRole({ role: current.role, adminFromList: linuxdoMeta(current)?.adminFromList === true }, inList);
    return { role: next.role, meta: { ...current.meta, linuxdo: metaOf(profile, next.adminFromList, ctx.now()) } };
  });
}

/**
 * Take `admin` back from users who got it from the list and whose id is no longer in it, so a
 * removal applies at the next start, not only at that person's next login. Returns how many.
 */
export async function demoteRemovedAdmins(ctx: PluginContext, admins: ReadonlySet<string>): Promise<number> {
  let count = 0;
  for (const user of await ctx.users.list()) {
    if (!isListAdminRemoved(user, admins)) continue;
    const updated = await ctx.users.update(user.id, (current) => {
      if (!isListAdminRemoved(current, admins)) return undefined;
      return { role: "user", meta: { ...current.meta, linuxdo: { ...linuxdoMeta(current), adminFromList: false } } };
    });
    if (updated.role === "user") {
      count++;
      ctx.logger.info(`user ${user.id} (LinuxDO ${subjectOf(user)}) is no longer in admins: role set to user`);
    }
  }
  return count;
}

// --- internal ---

function linuxdoMeta(user: User): LinuxDoMeta | undefined {
  const meta = user.meta.linuxdo;
  return typeof meta === "object" && meta !== null ? (meta as LinuxDoMeta) : undefined;
}

function subjectOf(user: User): string | undefined {
  return user.identities.find((i) => i.provider === IDENTITY_PROVIDER)?.subject;
}

function isListAdminRemoved(user: User, admins: ReadonlySet<string>): boolean {
  const subject = subjectOf(user);
  return user.role === "admin" && linuxdoMeta(user)?.adminFromList === true && subject !== undefined && !admins.has(subject);
}

function metaOf(profile: LinuxDoUser, adminFromList: boolean, now: number): LinuxDoMeta {
  const avatarURL = profile.avatarTemplate ? absoluteAvatar(profile.avatarTemplate) : undefined;
  return {
    id: profile.id,
    username: profile.username,
    name: profile.name,
    trustLevel: profile.trustLevel,
    active: profile.active,
    silenced: profile.silenced,
    ...(profile.avatarTemplate ? { avatarTemplate: profile.avatarTemplate } : {}),
    ...(avatarURL ? { avatarURL } : {}),
    adminFromList,
    lastLoginAt: now,
  };
}

function absoluteAvatar(template: string): string | undefined {
  try {
    const url = new URL(template.replaceAll("{size}", "120"));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
