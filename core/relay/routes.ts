import type { H3 } from "h3";
import { matchAnyGlob } from "../glob.ts";
import type { RegisteredRoute } from "../gateway.ts";
import type { ModelInfo } from "../types/provider.ts";
import { type RelayContext, countTokens, relayMessage, requireClient } from "./pipeline.ts";
import { keyTotals } from "./usage.ts";

/** Mount the client-facing endpoints; every one needs a gateway key. */
export function registerRelayRoutes(app: H3, ctx: RelayContext, routes: RegisteredRoute[]): void {
  // Legacy prefixes mount the very same handlers (each authenticates inside), not copies.
  const add = (method: "GET" | "POST", path: string, handler: Parameters<H3["on"]>[2]) => {
    for (const prefix of ["", ...ctx.config.relay.legacyPrefixes]) {
      app.on(method, `${prefix}${path}`, handler);
      routes.push({ method, path: `${prefix}${path}`, access: "client", owner: "core" });
    }
  };
  add("POST", "/v1/messages", (event) => relayMessage(event, "anthropic-messages", ctx));
  add("POST", "/v1/messages/count_tokens", (event) => countTokens(event, ctx));
  add("POST", "/v1/chat/completions", (event) => relayMessage(event, "openai-chat", ctx));
  add("POST", "/v1/responses", (event) => relayMessage(event, "openai-responses", ctx));
  add("GET", "/v1/models", async function listModels(event) {
    const principal = await requireClient(event, ctx);
    const models = (await allModels(ctx)).filter((m) => !principal.models || matchAnyGlob(principal.models, m.id));
    return event.req.headers.has("anthropic-version") ? toAnthropicList(models) : toOpenAIList(models);
  });
  add("GET", "/v1/usage", async function ownUsage(event) {
    const principal = await requireClient(event, ctx);
    return { key_id: principal.id, ...(await keyTotals(ctx.storage, ctx.usage, principal.id)) };
  });
  add("GET", "/v1/key-info", async function keyInfo(event) {
    const principal = await requireClient(event, ctx);
    return { id: principal.id, name: principal.name ?? null, models: principal.models ?? null, limits: principal.limits ?? {}, accounts: principal.accounts ?? [] };
  });
}

// --- internal ---

async function allModels(ctx: RelayContext): Promise<(ModelInfo & { owner: string })[]> {
  const seen = new Map<string, ModelInfo & { owner: string }>();
  for (const [name, provider] of ctx.providers) {
    for (const model of await provider.models()) if (!seen.has(model.id)) seen.set(model.id, { ...model, owner: name });
  }
  // Aliases from routes are models too.
  for (const rule of ctx.config.routes) {
    for (const pattern of typeof rule.models === "string" ? [rule.models] : rule.models) {
      if (!/[*?]/.test(pattern) && !seen.has(pattern)) seen.set(pattern, { id: pattern, owner: rule.provider });
    }
  }
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
}

// protocols.md §1.10
function toAnthropicList(models: ModelInfo[]): unknown {
  const data = models.map((m) => ({
    type: "model", id: m.id, display_name: m.displayName ?? m.id,
    created_at: new Date((m.createdAt ?? 0) * 1000).toISOString().replace(".000Z", "Z"),
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

function toOpenAIList(models: (ModelInfo & { owner: string })[]): unknown {
  return { object: "list", data: models.map((m) => ({ id: m.id, object: "model", created: m.createdAt ?? 0, owned_by: m.owner })) };
}
