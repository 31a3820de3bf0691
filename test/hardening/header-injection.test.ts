import { type Server, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient, defineProvider } from "../../core/index.ts";
import { ANTHROPIC_KEYS, startRelay } from "../relay/_harness.ts";
import { startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";
import { rawRequest } from "./_raw.ts";

// CR, LF or NUL in a value bound for an outbound header is refused before anything is sent;
// the error names the header, never the value; a client gets a clean error, never a hang.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A TCP listener that only counts connections: nothing may reach it. */
async function countingListener(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  closers.push(() => new Promise((done) => server.close(() => done())));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, connections: () => connections };
}

const SECRET = "sk-canary-value-0001";
const BAD_VALUES = [`${SECRET}\r\nX-Injected: 1`, `${SECRET}\nX-Injected: 1`, `${SECRET}\r`, `\r\n${SECRET}`, `${SECRET}\0`, `${SECRET}\r\n`];

describe("outbound header values", () => {
  it("refuses CR, LF and NUL in any header form, naming the header and not the value, sending nothing", async () => {
    const target = await countingListener();
    const http = createHttpClient();
    closers.push(() => http.close());
    for (const value of BAD_VALUES) {
      for (const headers of [{ "x-token": value }, [["x-token", value]] as [string, string][]]) {
        const error = await http.fetch(target.url, { method: "POST", headers, body: "{}" }).then(() => undefined, (e: unknown) => e as Error);
        expect(error).toBeInstanceOf(TypeError);
        expect(error!.message).toContain('"x-token"');
        expect(error!.message).not.toContain(SECRET);
        expect(error!.message).not.toContain("Injected");
      }
    }
    // Through a proxy too: the check runs before the proxy is dialled.
    const proxy = await countingListener();
    const viaProxy = await http.fetch(target.url, { headers: { "x-token": BAD_VALUES[0]! }, proxy: proxy.url.replace(/\/$/, "") }).catch((e: unknown) => e as Error);
    expect((viaProxy as Error).message).not.toContain(SECRET);
    expect(target.connections() + proxy.connections()).toBe(0);
  });

  it("answers a clean 502 when a provider builds a header from client input holding CR LF", async () => {
    // A plugin forwarding a client-chosen value (here metadata.user_id) as a header value.
    const leaky = defineProvider<{ baseURL: string }>({
      name: "leaky",
      setup: (ctx, options) => ({
        dialects: ["anthropic-messages"],
        models: () => [{ id: "claude-leaky" }],
        send: (request) =>
          ctx.http.fetch(`${options.baseURL}/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": ANTHROPIC_KEYS[0]!, "x-user": String((request.body.metadata as { user_id?: unknown } | undefined)?.user_id ?? "") },
            body: JSON.stringify(request.body),
            signal: request.signal,
          }),
      }),
    });
    const upstream = await startFakeAnthropic({ keys: ANTHROPIC_KEYS });
    closers.push(() => upstream.close());
    const withLeaky = await startRelay({ config: { providers: [leaky({ baseURL: upstream.url })], routes: [{ models: "claude-*", provider: "leaky" }] } });
    const key = await withLeaky.createKey();
    const body = { model: "claude-leaky", max_tokens: 8, messages: [{ role: "user", content: "hi" }] };
    const send = (userId: string) =>
      fetch(`${withLeaky.url}/v1/messages`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify({ ...body, metadata: { user_id: userId } }) });
    const ok = await send("user-1");
    expect(ok.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers["x-user"]).toBe("user-1");
    const before = upstream.requests.length;
    for (const value of BAD_VALUES) {
      const refused = await send(value);
      expect(refused.status).toBe(502);
      const text = await refused.text();
      expect(JSON.parse(text)).toMatchObject({ type: "error", error: { type: expect.any(String) } });
      expect(text).not.toContain(SECRET);
    }
    expect(upstream.requests.length).toBe(before);
    expect(upstream.requests.some((r) => "x-injected" in r.headers)).toBe(false);
  });

  it("never lets a client's header smuggle another one upstream through anthropic-beta", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const body = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    const post = (beta: string) =>
      rawRequest(relay.url, [
        "POST /v1/messages HTTP/1.1", "host: x", `x-api-key: ${key}`, "content-type: application/json", `content-length: ${body.length}`, "connection: close",
        `anthropic-beta: ${beta}`, "", body,
      ].join("\r\n"));
    // CRLF on the wire ends the header: X-Injected is a client header of its own, never forwarded.
    const split = await post("tools-2024\r\nX-Injected: 1");
    expect(await split.status).toBe(200);
    await split.closed;
    expect(relay.anthropic.requests.at(-1)!.headers).toMatchObject({ "anthropic-beta": "tools-2024", "x-api-key": ANTHROPIC_KEYS[0] });
    expect(relay.anthropic.requests.at(-1)!.headers).not.toHaveProperty("x-injected");
    // A bare CR, a bare LF or a NUL inside the value: Node's strict parser answers 400 and closes.
    for (const beta of ["tools\rX-Injected: 1", "tools\nX-Injected: 1", "tools\0x"]) {
      const refused = await post(beta);
      expect(await refused.status).toBe(400);
      await refused.closed;
    }
    expect(relay.anthropic.requests).toHaveLength(1);
  });
});
