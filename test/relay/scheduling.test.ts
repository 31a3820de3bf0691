import { describe, expect, it } from "vitest";
import { ANTHROPIC_KEYS, type RelayHarness, startRelay } from "./_harness.ts";

// Each rule of the scheduler, observed at the fake upstream by which key it received.
const MODEL = "claude-sonnet-4-5";

async function ask(relay: RelayHarness, key: string, init: { session?: string; stream?: boolean; text?: string } = {}) {
  const headers: Record<string, string> = { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" };
  if (init.session) headers["x-session-id"] = init.session;
  const res = await fetch(`${relay.url}/v1/messages`, {
    method: "POST", headers,
    body: JSON.stringify({ model: MODEL, max_tokens: 32, stream: init.stream ?? false, messages: [{ role: "user", content: init.text ?? "hi" }] }),
  });
  return { res, text: await res.text() };
}
const usedKey = (relay: RelayHarness, index = -1) => relay.anthropic.requests.at(index)!.headers["x-api-key"];
const account = (upstreamKey: string | undefined) => `key-${ANTHROPIC_KEYS.indexOf(upstreamKey!) + 1}`;

describe("scheduling", () => {
  it("spreads requests by least-recent use when nothing else applies", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    // Distinct openings, so no two requests share a sticky session.
    for (let i = 0; i < 4; i++) expect((await ask(relay, key, { text: `question ${i}` })).res.status).toBe(200);
    expect(relay.anthropic.requests.map((r) => account(r.headers["x-api-key"]))).toEqual(["key-1", "key-2", "key-1", "key-2"]);
  });

  it("keeps a session on its account (sticky mapping) while least-recent use would alternate", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    await ask(relay, key, { session: "conversation-1" });
    const first = usedKey(relay);
    for (let i = 0; i < 3; i++) {
      await ask(relay, key); // another client moves the least-recently-used pointer
      await ask(relay, key, { session: "conversation-1" });
      expect(usedKey(relay)).toBe(first);
    }
    // The same system prompt + first message sticks too, with no session header.
    await ask(relay, key, { text: "same opening" });
    const opening = usedKey(relay);
    await ask(relay, key);
    await ask(relay, key, { text: "same opening" });
    expect(usedKey(relay)).toBe(opening);
  });

  it("uses a key's dedicated account first and falls back to the pool when it is cooling", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey({ name: "vip", accounts: ["key-2"] });
    for (let i = 0; i < 3; i++) {
      await ask(relay, key);
      expect(account(usedKey(relay))).toBe("key-2");
    }
    relay.anthropic.script({ status: 429, headers: { "retry-after": "30" } });
    const { res } = await ask(relay, key);
    expect(res.status).toBe(200);
    expect(relay.anthropic.requests.slice(-2).map((r) => account(r.headers["x-api-key"]))).toEqual(["key-2", "key-1"]);
    await ask(relay, key);
    expect(account(usedKey(relay))).toBe("key-1"); // key-2 still cooling
  });

  it("cools a 429'd account until the upstream's reset, shared through storage", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    relay.anthropic.script({ status: 429, headers: { "retry-after": "42" } });
    const before = Date.now();
    expect((await ask(relay, key)).res.status).toBe(200); // failed over to key-2
    const cooled = account(relay.anthropic.requests[0]!.headers["x-api-key"]);
    const stored = await relay.gateway.storage.get<{ until: number }>(`relay:cool:anthropic-api:${cooled}`);
    expect(stored!.until).toBeGreaterThanOrEqual(before + 42_000);
    expect(stored!.until).toBeLessThanOrEqual(Date.now() + 42_000);
    for (let i = 0; i < 3; i++) {
      await ask(relay, key);
      expect(account(usedKey(relay))).not.toBe(cooled);
    }
  });

  it("fails over before the first byte: a 500 and a 529 go to the next account, within the budget", async () => {
    const relay = await startRelay({ anthropicKeys: 2, config: { relay: { maxAccountsPerRequest: 2 } } });
    const key = await relay.createKey();
    relay.anthropic.script({ status: 500 });
    const ok = await ask(relay, key, { text: "after a 500" });
    expect(ok.res.status).toBe(200);
    expect(JSON.parse(ok.text).content[0].text).toBe("echo: after a 500");
    expect(relay.anthropic.requests).toHaveLength(2);
    relay.anthropic.script({ status: 500 }, { status: 500 });
    const failed = await ask(relay, key);
    expect(failed.res.status).toBe(502);
    expect(JSON.parse(failed.text)).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(relay.anthropic.requests).toHaveLength(4); // two accounts, never a third try
    relay.anthropic.script({ status: 529 });
    expect((await ask(relay, key, { text: "after a 529" })).res.status).toBe(200);
    expect(relay.anthropic.requests).toHaveLength(6);
    // Overloaded is the upstream's state, not the account's: a short cooldown, status unchanged.
    const overloaded = account(relay.anthropic.requests[4]!.headers["x-api-key"]);
    const cool = await relay.gateway.storage.get<{ until: number }>(`relay:cool:anthropic-api:${overloaded}`);
    expect(cool!.until - Date.now()).toBeLessThanOrEqual(5000);
    const accounts = await relay.gateway.providers.get("anthropic-api")!.accounts!.list();
    expect(accounts.every((a) => a.status === "active")).toBe(true);
  });

  it("never fails over once bytes reached the client: a mid-stream reset ends in a native error event", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    relay.anthropic.script({ resetAfterBytes: 400 });
    const { res, text } = await ask(relay, key, { stream: true, text: "a long enough reply to be cut" });
    expect(res.status).toBe(200);
    expect(text).toContain("event: message_start");
    expect(text).toContain("event: error");
    expect(text).not.toContain("event: message_stop");
    expect(relay.anthropic.requests).toHaveLength(1);
  });

  it("answers 429 with retry-after = the soonest reset when every account is cooling", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    relay.anthropic.script({ status: 429, headers: { "retry-after": "30" } }, { status: 429, headers: { "retry-after": "9" } });
    const { res, text } = await ask(relay, key);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(8);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(9);
    expect(JSON.parse(text)).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const again = await ask(relay, key);
    expect(again.res.status).toBe(429);
    expect(relay.anthropic.requests).toHaveLength(2); // cooling accounts are not even tried
  });

  it("never follows an upstream redirect: the request fails over and the target sees nothing", async () => {
    const relay = await startRelay({ anthropicKeys: 1 });
    const key = await relay.createKey();
    relay.anthropic.script({ redirectTo: `${relay.openai.url}/v1/messages` });
    const { res, text } = await ask(relay, key);
    expect(res.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(relay.openai.requests).toHaveLength(0);
  });

  it("disables an account whose key the upstream refuses and serves from the others", async () => {
    const relay = await startRelay({ anthropicKeys: 2 });
    const key = await relay.createKey();
    relay.anthropic.script({ status: 401 });
    expect((await ask(relay, key)).res.status).toBe(200);
    const refused = account(relay.anthropic.requests[0]!.headers["x-api-key"]);
    const accounts = await relay.gateway.providers.get("anthropic-api")!.accounts!.list();
    expect(accounts.find((a) => a.id === refused)).toMatchObject({ status: "disabled", lastError: expect.stringContaining("401") });
    for (let i = 0; i < 2; i++) {
      await ask(relay, key);
      expect(account(usedKey(relay))).not.toBe(refused);
    }
  });
});
