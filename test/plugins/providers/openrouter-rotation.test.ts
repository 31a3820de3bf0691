import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { type LogCapture, captureLogs } from "../../../core/logger.ts";
import { type Gateway, createGateway, createLogger, resolveGatewayConfig, startServer } from "../../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../../plugins/auth/api-key/index.ts";
import openrouterPool from "../../../plugins/providers/openrouter-pool/index.ts";
import { testSecret } from "../../_setup.ts";
import { waitFor } from "../../conformance/provider.ts";
import { type FakeOpenRouter, openRouterKeyHash, startFakeOpenRouter } from "../../fixtures/upstreams/openrouter.ts";

// Rotation under load: autocannon keeps 10 connections busy against the gateway (127.0.0.1)
// while the pool rotates its key three times. No request may fail, every rotated key must be
// deleted at OpenRouter (and never used after its deletion), and the pool ends with the newest key.

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}
type Autocannon = (options: { url: string; method: "POST"; connections: number; amount: number; headers: Record<string, string>; body: string }) => PromiseLike<AutocannonResult>;
// autocannon ships no types; this is the slice of its programmatic API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const MGMT = `sk-or-v1-${"8e".repeat(32)}`;
const ADMIN_TOKEN = "canary-rotation-admin-token-1f2e3d4c5b6a79";
const TOTAL = 1200; // about 2 s here
const ROTATE_AFTER = [150, 500, 850]; // chat requests seen upstream before each rotation

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((stop) => stop()));
});

describe("openrouter-pool rotation under load", () => {
  it("rotates three times during a 10-connection run with zero failed requests", { timeout: 60_000 }, async () => {
    const logs: LogCapture = captureLogs();
    const fake: FakeOpenRouter = await startFakeOpenRouter({ keys: [], managementKey: MGMT });
    const env = { SWITCHYARD_SECRET: testSecret, SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN };
    const config = resolveGatewayConfig(
      {
        storage: { driver: "memory" },
        providers: [openrouterPool({ baseURL: `${fake.url}/api/v1`, managementKey: MGMT, rotation: { everyMs: 3_600_000, creditLimitUsd: 50 } })],
        auth: [apiKey()],
        routes: [{ models: "*", provider: "openrouter-pool" }],
      },
      { env },
    );
    const gateway: Gateway = await createGateway(config, { env, logger: createLogger({ level: "debug" }) });
    const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
    cleanup.push(async () => {
      logs.stop();
      await server.close();
      await fake.close();
    });
    const url = server.url.replace(/\/$/, "");
    const clientKey = (await (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys.create({ name: "load" })).key;
    const keys = new Set<string>();
    const answers: string[] = [];
    const admin = async (method: string, path: string) => {
      const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const text = await response.text();
      answers.push(text);
      for (const key of fake.keys) keys.add(key);
      expect(response.status, text).toBe(200);
      return JSON.parse(text) as Record<string, any>;
    };
    const chats = () => fake.requests.filter((r) => r.path === "/api/v1/chat/completions");

    const created = [(await admin("POST", "/plugins/openrouter-pool/rotate")).created as string];
    const run = autocannon({
      url: `${url}/v1/chat/completions`, method: "POST", connections: 10, amount: TOTAL,
      headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hello, rotation" }] }),
    });
    for (const after of ROTATE_AFTER) {
      await waitFor(() => chats().length >= after, 30_000, `${after} upstream requests`);
      const rotation = await admin("POST", "/plugins/openrouter-pool/rotate");
      expect(rotation).toMatchObject({ rotated: true, retiring: [created.at(-1)] });
      created.push(rotation.created as string);
    }
    const result = await run;
    expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
    expect(result["2xx"]).toBe(TOTAL);
    // One upstream call per request: no request met a deleted key and had to fail over.
    expect(chats()).toHaveLength(TOTAL);

    // Traffic moved to every new key while the load ran.
    const bearer = (h: Record<string, string>) => /^Bearer (.+)$/.exec(h.authorization ?? "")?.[1] ?? "";
    const servedBy = new Set(chats().map((r) => bearer(r.headers)));
    expect(servedBy.size).toBe(4);

    // Every old key is deleted at OpenRouter, and none was used after its deletion.
    await waitFor(() => fake.keys.length === 1, 10_000, "the rotated keys to be deleted");
    const deletions = fake.requests.filter((r) => r.method === "DELETE");
    expect(deletions).toHaveLength(3);
    for (const deletion of deletions) {
      const key = [...keys].find((k) => deletion.path === `/api/v1/keys/${openRouterKeyHash(k)}`);
      expect(key, "the deleted key was one the pool created").toBeDefined();
      expect(chats().filter((r) => bearer(r.headers) === key && r.time > deletion.time)).toEqual([]);
    }
    // The pool holds exactly the newest key, and it is the one left at OpenRouter.
    const accounts = (await admin("GET", "/admin/accounts")).data as Array<Record<string, any>>;
    expect(accounts.map((a) => [a.id, a.status])).toEqual([[created.at(-1), "active"]]);
    const remaining = (await admin("GET", "/plugins/openrouter-pool/keys")).data as Array<Record<string, any>>;
    expect(remaining).toEqual([expect.objectContaining({ accountId: created.at(-1), limitUsd: 50 })]);
    expect(fake.usesOf(fake.keys[0]!)).toBeGreaterThan(0);

    // No key, hash or label in any admin answer or log line.
    for (const r of fake.requests) if (bearer(r.headers)) keys.add(bearer(r.headers));
    keys.add(MGMT);
    const haystack = [...answers, logs.text()].join("\n");
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const key of keys) {
      for (const needle of [key, openRouterKeyHash(key), `${key.slice(0, 12)}...${key.slice(-3)}`]) expect(haystack.includes(needle)).toBe(false);
    }
  });
});
