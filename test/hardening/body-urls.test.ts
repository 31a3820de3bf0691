import { type Server, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RelayHarness, startRelay } from "../relay/_harness.ts";

// I1: a client cannot choose where the gateway connects. Upstream-URL fields in the body (top
// level, in `metadata`, inside a message) and `x-*-base-url` / `x-*-custom-host` headers are
// ignored or refused; every request reaches the configured upstream or gets a 400, and a
// loopback catch-all listener they all point at records zero connections.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A TCP listener on 127.0.0.1 that records every connection and answers nothing. */
async function catchAll(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  closers.push(() => new Promise((done) => server.close(() => done())));
  return { port: (server.address() as { port: number }).port, connections: () => connections };
}

const URL_KEYS = ["api_base", "base_url", "baseURL", "custom_host"];
const URL_HEADERS = ["x-base-url", "x-custom-host", "x-anthropic-base-url", "x-openai-base-url"];

type Endpoint = "/v1/messages" | "/v1/chat/completions" | "/v1/responses";
type Upstream = "anthropic" | "openai";
type Body = Record<string, unknown>;

/** A minimal request per endpoint; `carry` is merged into the one user message. */
function baseBody(endpoint: Endpoint, model: string, carry: Body = {}): Body {
  const message = { role: "user", content: "hi", ...carry };
  if (endpoint === "/v1/responses") return { model, input: [message], max_output_tokens: 8 };
  if (endpoint === "/v1/chat/completions") return { model, messages: [message], max_tokens: 8 };
  return { model, max_tokens: 8, messages: [message] };
}

/** Each way of carrying `target`: one key at a time and all of them at once. */
function carriers(target: string): Array<{ name: string; body?: Body; message?: Body; headers?: Record<string, string> }> {
  const all = Object.fromEntries(URL_KEYS.map((k) => [k, target]));
  return [
    ...URL_KEYS.map((k) => ({ name: `top-level ${k}`, body: { [k]: target } })),
    ...URL_KEYS.map((k) => ({ name: `metadata.${k}`, body: { metadata: { [k]: target } } })),
    ...URL_KEYS.map((k) => ({ name: `message ${k}`, message: { [k]: target } })),
    ...URL_HEADERS.map((h) => ({ name: `header ${h}`, headers: { [h]: target } })),
    { name: "provider overrides", body: { extra_headers: { host: target }, headers: { "x-base-url": target }, provider: { base_url: target, api_base: target } } },
    { name: "every field and header", body: { ...all, metadata: { ...all } }, message: all, headers: Object.fromEntries(URL_HEADERS.map((h) => [h, target])) },
  ];
}

const ROUTES: Array<[Endpoint, string, Upstream]> = [
  ["/v1/messages", "claude-sonnet-4-5", "anthropic"],
  ["/v1/messages", "gpt-4o-mini", "openai"],
  ["/v1/chat/completions", "gpt-4o-mini", "openai"],
  ["/v1/chat/completions", "claude-sonnet-4-5", "anthropic"],
  ["/v1/responses", "gpt-4o-mini", "openai"],
  ["/v1/responses", "claude-sonnet-4-5", "anthropic"],
];

/** Per route and stream mode, every carrier: 200 from the right upstream or a 400 that sent nothing. */
async function sendAll(relay: RelayHarness, key: string, target: string, outcomes: string[]): Promise<void> {
  for (const [endpoint, model, upstream] of ROUTES) {
    for (const stream of [false, true]) {
      for (const carrier of carriers(target)) {
        const label = `${endpoint} ${model} stream=${stream} ${carrier.name}`;
        const before = { anthropic: relay.anthropic.requests.length, openai: relay.openai.requests.length };
        const body = { ...baseBody(endpoint, model, carrier.message), ...carrier.body, ...(stream ? { stream: true } : {}) };
        const response = await fetch(`${relay.url}${endpoint}`, {
          method: "POST",
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", authorization: `Bearer ${key}`, ...carrier.headers },
          body: JSON.stringify(body),
        });
        const text = await response.text();
        expect([200, 400], `${label}: ${text.slice(0, 200)}`).toContain(response.status);
        const other = upstream === "anthropic" ? "openai" : "anthropic";
        expect(relay[other].requests.length, label).toBe(before[other]);
        expect(relay[upstream].requests.length, label).toBe(before[upstream] + (response.status === 200 ? 1 : 0));
        if (response.status === 200 && stream) expect(text, label).toMatch(/^(event|data):/m);
        // Translation rebuilds the body from known fields: a cross-dialect request carries none of them.
        // (Same dialect, the body is relayed as is, unknown fields included: see core/translate/index.ts.)
        const dialect = { "/v1/messages": "anthropic", "/v1/chat/completions": "openai", "/v1/responses": "openai" }[endpoint];
        const translated = dialect !== upstream || (endpoint === "/v1/responses") !== (relay[upstream].requests.at(-1)?.path === "/v1/responses");
        if (response.status === 200 && translated) expect(relay[upstream].requests.at(-1)!.rawBody, label).not.toContain(target);
        outcomes.push(`${response.status} ${label}`);
      }
    }
  }
}

describe("client-supplied upstream URLs (I1)", () => {
  for (const form of ["http://127.0.0.1:{port}", "http://127.0.0.1:{port}/v1", "http://localhost:{port}/"]) {
    it(`never connects where a body or header says (${form})`, async () => {
      const trap = await catchAll();
      const relay = await startRelay();
      const key = await relay.createKey();
      const target = form.replace("{port}", String(trap.port));
      const outcomes: string[] = [];
      await sendAll(relay, key, target, outcomes);
      expect(outcomes).toHaveLength(ROUTES.length * 2 * carriers(target).length);
      // The control: the same requests without the fields reach the upstreams (so 200s above are real).
      expect(outcomes.filter((o) => o.startsWith("200 ")).length).toBeGreaterThan(0);
      expect(trap.connections()).toBe(0);
      // The fields never reach the upstream as headers (the client's own headers stay behind).
      for (const recorded of [...relay.anthropic.requests, ...relay.openai.requests]) {
        expect(JSON.stringify(recorded.headers)).not.toContain(String(trap.port));
      }
    });
  }

  it("the catch-all itself counts a connection (the listener works)", async () => {
    const trap = await catchAll();
    await fetch(`http://127.0.0.1:${trap.port}/`).catch(() => undefined);
    expect(trap.connections()).toBe(1);
  });
});
