// HTTP routes under /plugins/new-api-binding/: the user's binding and donations (access
// `user`), and the admin's view and settlement of donations (access `admin`).
import { HTTPError, type PluginContext, type PluginRoute, type User, badRequest, forbidden, notFound, readJsonObject } from "switchyard";
import type { DonationFlows } from "./donate.ts";
import type { Binding, BindingStore, Donation, DonationStore } from "./types.ts";

export function addBindingRoutes(ctx: PluginContext, bindings: BindingStore): void {
  ctx.routes.add({
    method: "GET",
    path: "/binding",
    access: "user",
    async handler(event) {
      const user = await currentUser(ctx, event);
      return { binding: publicBinding(await bindings.get(user.id)), linuxdoId: bindings.linuxdoId(user) ?? null };
    },
  });
  ctx.routes.add({
    method: "POST",
    path: "/binding",
    access: "user",
    async handler(event) {
      const body = await readJsonObject(event, ["newApiUserId"]);
      const id = typeof body.newApiUserId === "string" && /^\d{1,15}$/.test(body.newApiUserId) ? Number(body.newApiUserId) : body.newApiUserId;
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) throw badRequest("newApiUserId", "expected your numeric new-api user id");
      const user = await currentUser(ctx, event);
      return { binding: publicBinding(await bindings.bind(user, id)) };
    },
  });
  ctx.routes.add({
    method: "DELETE",
    path: "/binding",
    access: "user",
    async handler(event) {
      const user = await currentUser(ctx, event);
      if (!(await bindings.unbind(user.id))) throw notFound("You have no binding");
      return { binding: null };
    },
  });
}

/** new-api's unit (protocols.md §7.5): 500,000 quota = 1 USD. */
const QUOTA_PER_USD = 500_000;

export function addDonationRoutes(ctx: PluginContext, flows: DonationFlows, donations: DonationStore, offer: { providers: string[]; quotaAmount: number }): void {
  const add = (method: "GET" | "POST", path: string, access: "user" | "admin", handler: (event: H3Event) => unknown) => ctx.routes.add({ method, path, access, handler });

  // What the portal offers: which providers take donations, how, and what a donation earns.
  add("GET", "/donations/options", "user", () => ({
    quotaAmount: offer.quotaAmount,
    quotaPerUsd: QUOTA_PER_USD,
    providers: ctx.accounts.providers().filter((p) => offer.providers.includes(p.name)).map((p) => ({ name: p.name, oauth: p.oauth, import: p.import })),
  }));

  add("POST", "/donations/oauth/start", "user", async (event) => {
    const body = await readJsonObject(event, ["provider"]);
    const started = await flows.start(await currentUser(ctx, event), text(body, "provider"));
    event.res.headers.set("cache-control", "no-store");
    return started;
  });
  add("POST", "/donations/oauth/exchange", "user", async (event) => {
    const body = await readJsonObject(event, ["provider", "flowId", "code"]);
    const input = { provider: text(body, "provider"), flowId: text(body, "flowId"), code: text(body, "code") };
    const result = await flows.exchange(await currentUser(ctx, event), input);
    event.res.status = 201;
    return result;
  });
  add("POST", "/donations/import", "user", async (event) => {
    const body = await readJsonObject(event, ["provider", "content"]);
    const result = await flows.import(await currentUser(ctx, event), { provider: text(body, "provider"), content: text(body, "content") });
    event.res.status = 201;
    return result;
  });
  add("GET", "/donations", "user", async (event) => ({ data: await donations.listByUser(event.context.principal!.id) }));
  add("POST", "/donations/:id/retry", "user", async (event) => {
    const donation = await ownDonation(event, donations);
    if (donation.status === "credit_unknown") throw new HTTPError({ status: 409, message: "The last credit call's outcome is unknown; an admin checks new-api and settles it" });
    return { donation: await donations.credit(donation.id) };
  });

  add("GET", "/donations/all", "admin", async () => ({ data: await donations.listAll() }));
  add("POST", "/donations/:id/resolve", "admin", async (event) => {
    const body = await readJsonObject(event, ["credited"]);
    if (typeof body.credited !== "boolean") throw badRequest("credited", "expected true (new-api shows the quota was added) or false (it was not; send it again)");
    return { donation: await donations.resolve(param(event), body.credited, event.context.principal!.id) };
  });
}

// --- internal ---

type H3Event = Parameters<PluginRoute["handler"]>[0];

/** The logged-in person behind the request (a principal without a user record has no binding). */
async function currentUser(ctx: PluginContext, event: H3Event): Promise<User> {
  const user = await ctx.users.get(event.context.principal!.id);
  if (!user) throw forbidden("Only a logged-in user can do this");
  return user;
}

async function ownDonation(event: H3Event, donations: DonationStore): Promise<Donation> {
  const principal = event.context.principal!;
  const donation = await donations.get(param(event));
  const admin = principal.role === "admin" || principal.role === "root";
  // Someone else's donation answers like a missing one.
  if (!donation || (donation.userId !== principal.id && !admin)) throw notFound("No such donation");
  return donation;
}

function param(event: H3Event): string {
  return decodeURIComponent(event.context.params?.id ?? "");
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value.trim() === "") throw badRequest(field, "expected a non-empty string");
  return field === "content" ? value : value.trim();
}

function publicBinding(binding: Binding | null) {
  if (!binding) return null;
  const { newApiUserId, username, displayName, linuxdoId, boundAt } = binding;
  return { newApiUserId, username, displayName, linuxdoId, boundAt: new Date(boundAt).toISOString() };
}
