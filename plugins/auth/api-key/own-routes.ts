import { type PluginContext, badRequest, notFound, readJsonObject } from "switchyard";
import type { ApiKeyRecord, ApiKeyStore } from "./types.ts";

/**
 * Self-service routes for logged-in users (the portal): `GET /me/keys`, `POST /me/keys`
 * `{ name, models? }` (the secret is in this answer only), `DELETE /me/keys/:id` and
 * `GET /me/keys/:id/usage`. A user sees and changes only keys they own; limits, IP ranges and
 * dedicated accounts stay the admin's to set.
 */
export function addOwnKeyRoutes(ctx: PluginContext, keys: ApiKeyStore): void {
  const owned = async (owner: string, id: string): Promise<ApiKeyRecord> => {
    const record = await keys.get(id);
    // Someone else's key answers like a missing one: ids are not probed this way.
    if (!record || record.owner !== owner) throw notFound("No key with this id");
    return record;
  };
  ctx.routes.add({
    method: "GET",
    path: "/me/keys",
    access: "user",
    handler: async (event) => ({ data: (await keys.list()).filter((k) => k.owner === event.context.principal!.id) }),
  });
  ctx.routes.add({
    method: "POST",
    path: "/me/keys",
    access: "user",
    async handler(event) {
      const body = await readJsonObject(event, ["name", "models"]);
      if (typeof body.name !== "string") throw badRequest("name", "expected a name");
      const created = await keys.create({ name: body.name, ...(body.models === undefined ? {} : { models: body.models as string[] }), owner: event.context.principal!.id });
      event.res.status = 201;
      event.res.headers.set("cache-control", "no-store");
      return created;
    },
  });
  ctx.routes.add({
    method: "DELETE",
    path: "/me/keys/:id",
    access: "user",
    async handler(event) {
      const record = await owned(event.context.principal!.id, event.context.params?.id ?? "");
      await keys.revoke(record.id);
      return { id: record.id, deleted: true };
    },
  });
  ctx.routes.add({
    method: "GET",
    path: "/me/keys/:id/usage",
    access: "user",
    async handler(event) {
      const record = await owned(event.context.principal!.id, event.context.params?.id ?? "");
      return { keyId: record.id, ...(await ctx.usage.keyTotals(record.id)) };
    },
  });
}
