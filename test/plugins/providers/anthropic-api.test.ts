import { afterEach, describe, expect, it } from "vitest";
import { join } from "pathe";
import { captureLogs } from "../../../core/logger.ts";
import { type GatewayConfig, HTTPError, createLogger } from "../../../core/index.ts";
import anthropicApi, { type AnthropicApiOptions, DEFAULT_ANTHROPIC_MODELS } from "../../../plugins/providers/anthropic-api/index.ts";
import { setupGateway } from "../../_setup.ts";
import { createTempProject } from "../../_tmp.ts";
import { testProvider, upstreamRequest } from "../../conformance/provider.ts";
import { type FakeUpstream, startFakeAnthropic } from "../../fixtures/upstreams/anthropic.ts";

const KEY = "canary-anthropic-key-one-7f3a9c";
const KEY2 = "canary-anthropic-key-two-51d0e2";

const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function start(options: Partial<AnthropicApiOptions> = {}, config: GatewayConfig = {}) {
  const upstream = await startFakeAnthropic({ keys: [KEY, KEY2] });
  upstreams.push(upstream);
  const gateway = await setupGateway({ ...config, providers: [anthropicApi({ keys: [KEY], baseURL: upstream.url, ...options })] });
  return { gateway, upstream, provider: gateway.providers.get("anthropic-api")! };
}

describe("anthropic-api provider", () => {
  testProvider({ name: "anthropic-api", dialect: "anthropic-messages", create: () => start() });

  it.each<[string, Partial<AnthropicApiOptions> | Record<string, unknown>, RegExp]>([
    ["no keys", { keys: [] }, /keys: expected a non-empty array of API keys, got an empty array/],
    ["keys missing", { keys: undefined }, /keys: expected a non-empty array of API keys, got nothing/],
    ["an unset environment variable", { keys: [undefined] }, /keys\[0\]: expected a non-empty API key, got nothing \(is the environment variable set\?\)/],
    ["an empty key", { keys: [KEY, ""] }, /keys\[1\]: expected a non-empty API key, got an empty string/],
    ["an empty key in an object", { keys: [{ key: "" }] }, /keys\[0\]\.key: expected a non-empty API key/],
    ["a key with a line break", { keys: [`${KEY}\n`] }, /keys\[0\]: expected a key without spaces, line breaks or control characters/],
    ["the same key twice", { keys: [KEY, { key: KEY, id: "again" }] }, /keys\[1\]\.key: expected each key once, got the same key as keys\[0\]/],
    ["a duplicate id", { keys: [KEY, { id: "key-1", key: KEY2 }] }, /keys\[1\]\.id: expected a unique account id, got "key-1" again/],
    ["a bad id", { keys: [{ id: "a b", key: KEY }] }, /keys\[0\]\.id: expected letters, digits/],
    ["a bad priority", { keys: [{ key: KEY, priority: Number.NaN }] }, /keys\[0\]\.priority: expected a finite number, got NaN/],
    ["a baseURL that is no URL", { baseURL: "api.anthropic.com" }, /baseURL: expected an http\(s\) URL .*, got a string that is not a URL/],
    ["a baseURL with another protocol", { baseURL: "ftp://api.anthropic.com" }, /baseURL: expected an http\(s\) URL .*, got a URL with protocol ftp:/],
    ["a baseURL with a query", { baseURL: "https://proxy.example/?key=s3cret-query-value" }, /baseURL: expected .*"https:\/\/proxy\.example\/" with credentials, a query or a fragment \(hidden\)/],
    ["plain http to a remote host", { baseURL: "http://api.example.com" }, /baseURL: expected https \(plain http only to a loopback host, or with allowInsecureHttp: true\)/],
    ["a bad anthropicVersion", { anthropicVersion: "" }, /anthropicVersion: expected a version such as "2023-06-01", got ""/],
    ["bad models", { models: ["claude-x", ""] }, /models: expected an array of model ids/],
    ["a misspelt option", { baseUrl: "http://127.0.0.1:1" }, /baseUrl: expected one of keys, baseURL, .*, got an unknown option/],
  ])("refuses %s at setup with a [plugin:anthropic-api] message", async (_what, options, message) => {
    const error = await start(options as Partial<AnthropicApiOptions>).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/\[switchyard\] \[plugin:anthropic-api\] 1 problem\(s\) in the options:/);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain("s3cret-query-value");
  });

  it("reports every option problem at once", async () => {
    await expect(start({ keys: [], baseURL: "nope", models: "claude" as unknown as string[] })).rejects.toThrow(/3 problem\(s\)/);
  });

  it("allows plain http to a remote host only when told to, with a warning", async () => {
    const logs = captureLogs();
    try {
      const gateway = await setupGateway(
        { providers: [anthropicApi({ keys: [KEY], baseURL: "http://anthropic.internal:8080/", allowInsecureHttp: true })] },
        { logger: createLogger({ level: "debug" }) },
      );
      expect(gateway.providers.has("anthropic-api")).toBe(true);
      expect(logs.text()).toMatch(/\[plugin:anthropic-api\] sending API keys over plain http to http:\/\/anthropic\.internal:8080/);
    } finally {
      logs.stop();
    }
  });

  it("turns several keys into several accounts and sends the scheduler's choice", async () => {
    const { provider, upstream } = await start({ keys: [KEY, { id: "backup", name: "Backup key", key: KEY2, priority: 2 }] });
    expect(await provider.accounts!.list()).toEqual([
      { id: "key-1", name: "key-1", status: "active" },
      { id: "backup", name: "Backup key", status: "active", priority: 2 },
    ]);
    for (const accountId of ["backup", "key-1", undefined]) {
      const response = await provider.send(upstreamRequest("anthropic-messages", accountId === undefined ? {} : { accountId }));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(upstream.requests.map((r) => r.headers["x-api-key"])).toEqual([KEY2, KEY, KEY]);
    await expect(provider.send(upstreamRequest("anthropic-messages", { accountId: "key-9" }))).rejects.toThrow(/unknown account "key-9"/);
  });

  it("disables a refused key: resolves false, falls back to the next key, then answers 503", async () => {
    const { provider, upstream } = await start({ keys: [KEY, KEY2] });
    expect(await provider.accounts!.onAuthFailure!("key-1", 401)).toBe(false);
    expect((await provider.accounts!.list())[0]).toEqual({ id: "key-1", name: "key-1", status: "disabled", lastError: "upstream refused the key (401)" });
    await (await provider.send(upstreamRequest("anthropic-messages"))).arrayBuffer();
    expect(upstream.requests[0]?.headers["x-api-key"]).toBe(KEY2);
    expect(await provider.accounts!.onAuthFailure!("key-2", 403)).toBe(false);
    expect((await provider.accounts!.list())[1]?.lastError).toBe("upstream refused the key (403)");
    const error = await provider.send(upstreamRequest("anthropic-messages")).catch((e: unknown) => e);
    expect(HTTPError.isError(error) && error.status).toBe(503);
    expect(await provider.accounts!.onAuthFailure!("nobody", 401)).toBe(false);
  });

  it("keeps a disabled key disabled across restarts, and enables the account when its key is replaced", async () => {
    const project = createTempProject();
    try {
      const storage = { storage: { driver: "fs" as const, base: join(project.dir, "data") } };
      const first = await start({}, storage);
      await first.provider.accounts!.onAuthFailure!("key-1", 401);
      await first.gateway.close();
      const again = await start({}, storage);
      expect((await again.provider.accounts!.list())[0]?.status).toBe("disabled");
      await again.gateway.close();
      const replaced = await start({ keys: [KEY2] }, storage);
      expect((await replaced.provider.accounts!.list())[0]).toEqual({ id: "key-1", name: "key-1", status: "active" });
    } finally {
      project.cleanup();
    }
  });

  it("sends anthropic-version and forwards anthropic-beta, but no other client header", async () => {
    const custom = await start({ anthropicVersion: "2099-01-01" });
    const headers = { "anthropic-beta": "prompt-caching-2024-07-31,context-1m", "x-stainless-os": "Linux", "x-forwarded-for": "10.0.0.1", origin: "https://evil.example" };
    await (await custom.provider.send(upstreamRequest("anthropic-messages", { headers }))).arrayBuffer();
    const seen = custom.upstream.requests[0]!.headers;
    expect(seen["anthropic-version"]).toBe("2099-01-01");
    expect(seen["anthropic-beta"]).toBe("prompt-caching-2024-07-31,context-1m");
    for (const name of ["x-stainless-os", "x-forwarded-for", "origin"]) expect(seen[name]).toBeUndefined();
  });

  it("defaults anthropic-version to 2023-06-01 and joins a baseURL with a path prefix", async () => {
    const upstream = await startFakeAnthropic({ keys: [KEY] });
    upstreams.push(upstream);
    const gateway = await setupGateway({ providers: [anthropicApi({ keys: [KEY], baseURL: `${upstream.url}/proxy/` })] });
    const response = await gateway.providers.get("anthropic-api")!.send(upstreamRequest("anthropic-messages"));
    expect(response.status).toBe(404); // the fake serves /v1 only: the prefix was kept
    await response.arrayBuffer();
    expect(upstream.requests[0]).toMatchObject({ path: "/proxy/v1/messages", headers: { "anthropic-version": "2023-06-01" } });
  });

  it("counts tokens without max_tokens and stream", async () => {
    const { provider, upstream } = await start();
    const request = upstreamRequest("anthropic-messages", { stream: true });
    const response = await provider.countTokens!(request);
    expect(await response.json()).toEqual({ input_tokens: Math.round(upstream.requests[0]!.bodyBytes / 4) });
    expect(upstream.requests[0]!.body).toEqual({ model: request.body.model, messages: request.body.messages });
  });

  it("refuses a request in another dialect", async () => {
    const { provider, upstream } = await start();
    await expect(provider.send(upstreamRequest("openai-chat"))).rejects.toThrow(/cannot send openai-chat/);
    expect(upstream.requests).toEqual([]);
  });

  it("serves the configured models, or the default list", async () => {
    expect(await (await start()).provider.models()).toEqual(DEFAULT_ANTHROPIC_MODELS.map((id) => ({ id })));
    expect(await (await start({ models: ["claude-a", "claude-b"] })).provider.models()).toEqual([{ id: "claude-a" }, { id: "claude-b" }]);
  });

  it("never puts a key in a log line, an error or an account summary", async () => {
    const logs = captureLogs();
    try {
      const logger = createLogger({ level: "trace" });
      const upstream = await startFakeAnthropic({ keys: [KEY2] });
      upstreams.push(upstream);
      const gateway = await setupGateway({ providers: [anthropicApi({ keys: [KEY, KEY2], baseURL: upstream.url })] }, { logger });
      const provider = gateway.providers.get("anthropic-api")!;
      const refused = await provider.send(upstreamRequest("anthropic-messages", { accountId: "key-1" }));
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain(KEY);
      await provider.accounts!.onAuthFailure!("key-1", refused.status);
      const summaries = JSON.stringify(await provider.accounts!.list());
      await upstream.close();
      const network = await provider.send(upstreamRequest("anthropic-messages")).catch((e: unknown) => e);
      const duplicate = await start({ keys: [KEY, KEY] }).catch((e: unknown) => e);
      const texts = [logs.text(), summaries, String(network), String((network as Error).cause), String(duplicate)];
      expect(logs.text()).toContain("account key-1 disabled: upstream refused the key (401)");
      for (const text of texts) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain(KEY2);
      }
    } finally {
      logs.stop();
    }
  });

});
