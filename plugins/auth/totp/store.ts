// The 2FA record of each user, changed only by compare-and-set; secrets sealed with the
// user id (and the field) as additional data, so a record copied to another user does not open.
import { HTTPError, type PluginContext, storageKey } from "switchyard";
import type { TotpState } from "./types.ts";

export interface StateStore {
  get(userId: string): Promise<TotpState | null>;
  /** Replace `expected` by `next` (null removes); a 409 when someone changed it meanwhile. */
  replace(userId: string, expected: TotpState | null, next: TotpState | null): Promise<void>;
  seal(userId: string, field: "secret" | "pending", secret: string): string;
  open(userId: string, field: "secret" | "pending", sealed: string): string;
}

export function createStateStore(ctx: PluginContext): StateStore {
  const key = (userId: string) => storageKey("state", userId);
  const aad = (userId: string, field: string) => ({ type: "totp", id: userId, field });
  return {
    get: (userId) => ctx.storage.get<TotpState>(key(userId)),
    async replace(userId, expected, next) {
      if (!(await ctx.storage.cas(key(userId), expected, next))) throw new HTTPError({ status: 409, message: "Two-factor settings changed meanwhile; reload and try again" });
    },
    seal: (userId, field, secret) => ctx.secrets.seal(secret, aad(userId, field)),
    open: (userId, field, sealed) => ctx.secrets.open(sealed, aad(userId, field)),
  };
}
