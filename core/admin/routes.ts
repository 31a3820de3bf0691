// The admin API for provider accounts: OAuth onboarding, imports, listing and changes.
// Every route needs the `admin` role (a logged-in admin, or the opt-in admin token).
import type { H3Event } from "h3";
import { badRequest } from "../errors.ts";
import { readJsonObject } from "../routes/body.ts";
import { type RouteHost, addGuardedRoute } from "../routes/guarded.ts";
import type { AccountPatch } from "../types/accounts.ts";
import type { RouteMethod } from "../types/plugin.ts";
import type { AccountsService } from "./accounts.ts";

/** Mount `/admin/providers…` and `/admin/accounts…`. */
export function registerAdminRoutes(host: RouteHost, accounts: AccountsService): void {
  const add = (method: RouteMethod, path: string, handler: (event: H3Event) => unknown) => addGuardedRoute(host, { method, path, access: "admin", handler }, "core");

  add("GET", "/admin/providers", () => ({ data: accounts.providers() }));
  add("POST", "/admin/providers/:provider/oauth/start", async (event) => {
    const body = await readJsonObject(event, ["proxy"]);
    const started = await accounts.admin(param(event, "provider"), "oauth").oauth!.start(optionalStrings(body, ["proxy"]));
    event.res.headers.set("cache-control", "no-store");
    return started;
  });
  add("POST", "/admin/providers/:provider/oauth/exchange", async (event) => {
    const body = await readJsonObject(event, ["flowId", "code", "callbackUrl", "name"]);
    const provider = param(event, "provider");
    const code = body.code ?? body.callbackUrl;
    if (typeof body.flowId !== "string") throw badRequest("flowId", "expected the flowId returned by oauth/start");
    if (typeof code !== "string") throw badRequest("code", "expected the code (or callbackUrl) shown after authorizing");
    const summary = await accounts.admin(provider, "oauth").oauth!.exchange({ flowId: body.flowId, code, ...optionalStrings(body, ["name"]) });
    event.res.status = 201;
    return accounts.view(provider, summary);
  });

  add("GET", "/admin/accounts", async (event) => {
    const provider = event.url.searchParams.get("provider") ?? undefined;
    return { data: await accounts.list(provider) };
  });
  add("POST", "/admin/accounts", async (event) => {
    const body = await readJsonObject(event, ["provider", "import", "key", "name", "proxy", "priority"]);
    if (typeof body.provider !== "string") throw badRequest("provider", "expected a provider name (GET /admin/providers)");
    if ((body.import === undefined) === (body.key === undefined)) throw badRequest("import", "expected exactly one of import (a credentials file's text) or key");
    const extra = optionalStrings(body, ["name", "proxy"]);
    let summary;
    if (body.import !== undefined) {
      if (typeof body.import !== "string") throw badRequest("import", "expected the credentials file's text");
      summary = await accounts.admin(body.provider, "import").import!({ content: body.import, ...extra });
    } else {
      if (typeof body.key !== "string" || body.key === "") throw badRequest("key", "expected the upstream key");
      const priority = body.priority === undefined ? {} : { priority: finiteNumber(body.priority, "priority") };
      summary = await accounts.admin(body.provider, "add").add!({ secret: body.key, ...extra, ...priority });
    }
    event.res.status = 201;
    return accounts.view(body.provider, summary);
  });
  add("GET", "/admin/accounts/:id", async (event) => accounts.find(param(event, "id"), providerQuery(event)));
  add("PATCH", "/admin/accounts/:id", async (event) => {
    const found = await accounts.find(param(event, "id"), providerQuery(event));
    const summary = await accounts.admin(found.provider).update(found.id, toPatch(await readJsonObject(event, ["name", "enabled", "proxy", "priority"])));
    return accounts.view(found.provider, summary);
  });
  add("DELETE", "/admin/accounts/:id", async (event) => {
    const found = await accounts.find(param(event, "id"), providerQuery(event));
    await accounts.admin(found.provider).remove(found.id);
    return { id: found.id, provider: found.provider, deleted: true };
  });
  add("POST", "/admin/accounts/:id/refresh", async (event) => {
    const found = await accounts.find(param(event, "id"), providerQuery(event));
    return accounts.view(found.provider, await accounts.admin(found.provider, "refresh").refresh!(found.id));
  });
}

// --- internal ---

function param(event: H3Event, name: string): string {
  return decodeURIComponent(event.context.params?.[name] ?? "");
}

function providerQuery(event: H3Event): string | undefined {
  return event.url.searchParams.get("provider") ?? undefined;
}

function optionalStrings<K extends string>(body: Record<string, unknown>, names: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || value.trim() === "") throw badRequest(name, "expected a non-empty string");
    out[name] = value.trim();
  }
  return out;
}

function finiteNumber(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw badRequest(name, "expected a number");
  return value;
}

function toPatch(body: Record<string, unknown>): AccountPatch {
  const patch: AccountPatch = { ...optionalStrings(body, ["name"]) };
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") throw badRequest("enabled", "expected true or false");
    patch.enabled = body.enabled;
  }
  if (body.proxy !== undefined) {
    if (body.proxy !== null && (typeof body.proxy !== "string" || body.proxy.trim() === "")) throw badRequest("proxy", "expected a proxy URL, or null to remove it");
    patch.proxy = body.proxy === null ? null : (body.proxy as string).trim();
  }
  if (body.priority !== undefined) patch.priority = finiteNumber(body.priority, "priority");
  if (Object.keys(patch).length === 0) throw badRequest("body", "expected at least one of name, enabled, proxy, priority");
  return patch;
}
