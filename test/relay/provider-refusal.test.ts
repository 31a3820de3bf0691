import { describe, expect, it } from "vitest";
import { type Provider, badRequest, defineProvider } from "../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { setupGateway } from "../_setup.ts";

// A provider that refuses some requests itself, before any upstream call (e.g. a field its
// upstream cannot take), and counts the attempts.
const picky = defineProvider<{ attempts: string[] }>({
  name: "picky",
  setup(_ctx, options) {
    return {
      dialects: ["openai-chat"],
      models: () => [{ id: "picky-model" }],
      accounts: { list: async () => ["a", "b", "c"].map((id) => ({ id, name: id, status: "active" as const })) },
      async send(request) {
        options.attempts.push(request.accountId ?? "?");
        if ((request.body as { n?: number }).n !== undefined) throw badRequest("n", "this upstream answers one choice only");
        throw new Error("network down");
      },
    } satisfies Provider;
  },
});

describe("a provider's own refusal", () => {
  it("reaches the client as its 4xx, in the client's dialect, with no failover", async () => {
    const attempts: string[] = [];
    const gateway = await setupGateway({ providers: [picky({ attempts })], auth: [apiKey()], routes: [{ models: "picky-*", provider: "picky" }] });
    const { key } = await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "p" });
    const call = (body: Record<string, unknown>) =>
      gateway.request("/v1/chat/completions", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "picky-model", messages: [{ role: "user", content: "x" }], ...body }) });
    const refused = await call({ n: 2 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string; param: string } }).error).toMatchObject({ param: "n", message: expect.stringMatching(/one choice only/) });
    expect(attempts).toHaveLength(1);
    // A network failure still fails over, within the budget.
    attempts.length = 0;
    expect((await call({})).status).toBe(502);
    expect(attempts).toHaveLength(3);
  });
});
