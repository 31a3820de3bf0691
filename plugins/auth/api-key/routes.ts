import { type PluginRoute, type PluginRoutes, badRequest, notFound } from "switchyard";
import type { ApiKeyStore } from "./types.ts";

/**
 * Register the admin routes (mounted under `/plugins/<name>/`): `GET /keys`, `GET /keys/:id`,
 * `POST /keys` (the only answer that carries the secret), `PATCH /keys/:id`, `DELETE /keys/:id`.
 * Every route needs the `admin` role; bodies are validated strictly by the store.
 */
export function addAdminRoutes(routes: PluginRoutes, keys: ApiKeyStore): void {
  routes.add({
    method: "GET",
    path: "/keys",
    access: "admin",
    handler: async function listKeys() {
      return { data: await keys.list() };
    },
  });
  routes.add({
    method: "GET",
    path: "/keys/:id",
    access: "admin",
    handler: async function getKey(event) {
      return found(await keys.get(idParam(event)));
    },
  });
  routes.add({
    method: "POST",
    path: "/keys",
    access: "admin",
    handler: async function createKey(event) {
      const created = await keys.create((await readJson(event)) as never);
      event.res.status = 201;
      event.res.headers.set("cache-control", "no-store");
      return created;
    },
  });
  routes.add({
    method: "PATCH",
    path: "/keys/:id",
    access: "admin",
    handler: async function updateKey(event) {
      return found(await keys.update(idParam(event), (await readJson(event)) as never));
    },
  });
  routes.add({
    method: "DELETE",
    path: "/keys/:id",
    access: "admin",
    handler: async function revokeKey(event) {
      const id = idParam(event);
      if (!(await keys.revoke(id))) throw notFound(NOT_FOUND);
      return { id, deleted: true };
    },
  });
}

// --- internal ---

type RouteEvent = Parameters<PluginRoute["handler"]>[0];

const NOT_FOUND = "No key with this id";

function found<T>(value: T | undefined): T {
  if (value === undefined) throw notFound(NOT_FOUND);
  return value;
}

function idParam(event: RouteEvent): string {
  return event.context.params?.id ?? "";
}

async function readJson(event: RouteEvent): Promise<unknown> {
  const text = await event.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest("body", "expected a JSON object");
  }
}
