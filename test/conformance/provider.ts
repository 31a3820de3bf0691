import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Dialect, Gateway, Provider, UpstreamRequest } from "../../core/index.ts";
import type { FakeUpstream, RecordedRequest } from "../fixtures/upstreams/_server.ts";
import { DIALECTS, readSse } from "./provider-dialects.ts";

export { readSse, type SseRecord } from "./provider-dialects.ts";

/** What `create` returns: a gateway with the provider set up against `upstream`. */
export interface ProviderSubject {
  gateway: Gateway;
  provider: Provider;
  upstream: FakeUpstream;
}

/** What `additionalTests` receives. */
export interface ProviderTestContext {
  /** The subject of the running test (created before each test, closed after it). */
  readonly subject: ProviderSubject;
  /** A request in the suite's dialect; `text` ends up as the last user text. */
  request(options?: RequestOptions): UpstreamRequest;
}

/** What varies between the suite's requests. */
export interface RequestOptions {
  text?: string;
  stream?: boolean;
  accountId?: string;
  signal?: AbortSignal;
  headers?: HeadersInit;
}

/**
 * Input of {@link testProvider}: `create` runs before each test; upstream and gateway are closed
 * after it. Requests the upstream saw while `create` ran (an onboarding validation call) are
 * not the suite's. The hooks describe providers that do not pass requests through as they are.
 */
export interface TestProviderOptions {
  name: string;
  create: () => Promise<ProviderSubject>;
  dialect: Dialect;
  additionalTests?: (ctx: ProviderTestContext) => void;
  /** The credential in a request the upstream saw. Default: the dialect's (`x-api-key` or a Bearer key). */
  credentialOf?: (request: RecordedRequest) => string | undefined;
  /** The body the upstream should see when the client sent `sent`. Default: `sent` unchanged. */
  expectBody?: (sent: Record<string, unknown>) => unknown;
}

/** Client headers that must never reach an upstream, even if a relay forgot to filter them. */
export const CLIENT_CREDENTIALS: Readonly<Record<string, string>> = {
  authorization: "Bearer client-canary-credential",
  "x-api-key": "client-canary-credential",
  "proxy-authorization": "Basic client-canary-credential",
  cookie: "session=client-canary-credential",
};

/** Build an `UpstreamRequest` in `dialect` (also used by plugin tests). */
export function upstreamRequest(dialect: Dialect, options: RequestOptions = {}): UpstreamRequest {
  const stream = options.stream ?? false;
  const spec = DIALECTS[dialect];
  return {
    requestId: `req_conformance_${Math.random().toString(36).slice(2)}`,
    dialect,
    model: spec.model,
    body: spec.body(options.text ?? "hello conformance", stream),
    stream,
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    headers: new Headers(options.headers),
    signal: options.signal ?? new AbortController().signal,
  };
}

/** Resolve once `check()` is true; fail after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The suite every provider plugin runs against a fake upstream (call it inside the plugin
 * test's `describe`): JSON and SSE answers, credentials (the account's, never the client's),
 * abort propagation before and after the first byte, non-2xx answers returned unread,
 * redirects not followed, account listing without secrets, auth-failure marking.
 */
export function testProvider(options: TestProviderOptions): void {
  const spec = DIALECTS[options.dialect];
  let current: ProviderSubject | undefined;
  const ctx: ProviderTestContext = {
    get subject() {
      if (!current) throw new Error(`${options.name}: subject not created yet`);
      return current;
    },
    request: (o) => upstreamRequest(options.dialect, o),
  };
  let before = 0; // requests the upstream saw while `create` ran
  const seen = (): RecordedRequest[] => ctx.subject.upstream.requests.slice(before);
  const credentialOf = options.credentialOf ?? ((request: RecordedRequest) => spec.credential(request.headers));
  const expectBody = options.expectBody ?? ((sent: Record<string, unknown>) => sent);
  const firstAccount = async () => (await ctx.subject.provider.accounts?.list())?.[0]?.id;
  const send = async (o: RequestOptions = {}) => ctx.subject.provider.send(ctx.request({ accountId: await firstAccount(), headers: CLIENT_CREDENTIALS, ...o }));

  describe(`${options.name} provider conformance (${options.dialect})`, () => {
    beforeEach(async () => {
      current = await options.create();
      before = current.upstream.requests.length;
    });
    afterEach(async () => {
      await current?.upstream.close();
      await current?.gateway.close();
      current = undefined;
    });

    it("speaks the dialect and answers a JSON request with the upstream's body", async () => {
      expect(ctx.subject.provider.dialects).toContain(options.dialect);
      const request = ctx.request({ text: "first request" });
      const response = await ctx.subject.provider.send({ ...request, accountId: await firstAccount(), headers: new Headers(CLIENT_CREDENTIALS) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(spec.jsonText(body)).toBe("echo: first request");
      const [first] = seen();
      expect(first?.method).toBe("POST");
      expect(first?.body).toEqual(expectBody(structuredClone(request.body))); // unchanged unless the provider says otherwise
      expect(spec.input(body)).toBe(Math.round((first?.bodyBytes ?? 0) / 4));
    });

    it("sends the account's credential and none of the client's", async () => {
      const response = await send();
      await response.arrayBuffer();
      const [first] = seen();
      expect(first).toBeDefined();
      expect(ctx.subject.upstream.keys).toContain(credentialOf(first!));
      expect(JSON.stringify(first?.headers)).not.toContain("client-canary");
      expect(first?.headers.cookie).toBeUndefined();
      expect(first?.headers["proxy-authorization"]).toBeUndefined();
      expect(first?.headers["content-type"]).toMatch(/^application\/json/);
    });

    it("returns a stream unread, with the dialect's complete event sequence", async () => {
      const response = await send({ stream: true, text: "stream me please" });
      expect(response.status).toBe(200);
      expect(response.bodyUsed).toBe(false);
      expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
      const records = await readSse(response);
      spec.checkStream(records);
      expect(spec.streamText(records)).toBe("echo: stream me please");
    });

    it("aborts the upstream within 1 s when the signal fires mid-stream", async () => {
      ctx.subject.upstream.script({ chunkDelayMs: 200 });
      const controller = new AbortController();
      const response = await send({ stream: true, signal: controller.signal });
      const reader = response.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      expect(ctx.subject.upstream.aborted).toBe(0);
      controller.abort();
      await expect(reader.read()).rejects.toThrow();
      await waitFor(() => ctx.subject.upstream.aborted === 1, 1000, "the upstream to see the abort");
    });

    it("aborts the upstream within 1 s when the signal fires before the headers", async () => {
      ctx.subject.upstream.script({ stallBeforeHeadersMs: 20_000 });
      const controller = new AbortController();
      const pending = send({ signal: controller.signal });
      await waitFor(() => seen().length === 1, 2000, "the request to arrive");
      controller.abort();
      await expect(pending).rejects.toThrow(/abort/i);
      await waitFor(() => ctx.subject.upstream.aborted === 1, 1000, "the upstream to see the abort");
    });

    for (const status of [429, 401, 500]) {
      it(`returns an upstream ${status} as that status, body unread`, async () => {
        ctx.subject.upstream.script({ status });
        const response = await send();
        expect(response.status).toBe(status);
        expect(response.bodyUsed).toBe(false);
        if (status === 429) expect(response.headers.get("retry-after")).toBe("1");
        spec.checkError((await response.json()) as Record<string, unknown>);
      });
    }

    it("does not follow a redirect (credentials never travel to another origin)", async () => {
      const trap = await startTrap();
      try {
        ctx.subject.upstream.script({ redirectTo: `${trap.url}/v1/steal` });
        // A redirect fails the call (the relay then treats it like a network error).
        await expect(send()).rejects.toThrow();
        expect(seen().length).toBeGreaterThan(0);
        expect(trap.hits).toBe(0);
      } finally {
        await trap.close();
      }
    });

    it("answers every model with an id", async () => {
      const models = await ctx.subject.provider.models();
      for (const model of models) expect(model.id).toMatch(/\S/);
    });

    if (options.dialect === "anthropic-messages") {
      it("counts tokens through the upstream when it offers countTokens", async () => {
        const count = ctx.subject.provider.countTokens;
        expect(count).toBeTypeOf("function");
        const response = await count!(ctx.request({ accountId: await firstAccount() }));
        expect(response.status).toBe(200);
        expect(((await response.json()) as { input_tokens: unknown }).input_tokens).toBeTypeOf("number");
        expect(seen()[0]?.path).toMatch(/\/count_tokens$/);
      });
    }

    it("lists accounts with a status and no secret", async () => {
      const accounts = (await ctx.subject.provider.accounts?.list()) ?? [];
      expect(accounts.length).toBeGreaterThan(0);
      for (const account of accounts) {
        expect(account).toMatchObject({ id: expect.any(String), name: expect.any(String), status: "active" });
      }
      const text = JSON.stringify(accounts);
      for (const key of ctx.subject.upstream.keys) expect(text).not.toContain(key);
    });

    it("marks the account when the upstream refuses its credentials", async () => {
      const pool = ctx.subject.provider.accounts;
      expect(pool?.onAuthFailure).toBeTypeOf("function");
      const id = (await firstAccount())!;
      const retry = await pool!.onAuthFailure!(id, 401);
      const after = (await pool!.list()).find((a) => a.id === id);
      if (retry) return void expect(after?.status).toBe("active"); // refreshed: usable again
      expect(after?.status).toMatch(/^(disabled|needs_reauth|error)$/);
      expect(after?.lastError).toMatch(/\S/);
      for (const key of ctx.subject.upstream.keys) expect(JSON.stringify(after)).not.toContain(key);
    });

    options.additionalTests?.(ctx);
  });
}

// --- internal ---

async function startTrap(): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const server = createServer((_req, res) => {
    state.hits++;
    res.end("trapped");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get hits() {
      return state.hits;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
