import { type IncomingHttpHeaders, createServer } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { inspect } from "node:util";
import { fc, test as prop } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpClient, createHttpClient } from "../../core/http-client.ts";
import { parseProxyUrl } from "../../core/proxy-url.ts";
import { type TestProxy, startHttpProxy, startSocks5Proxy } from "../fixtures/proxies.ts";

const AUTH = { user: "acct-7", pass: "hunter2-S3cret/@:pass" };
const WRONG = { user: "acct-7", pass: "wrong-Passw0rd/@:x" };

interface Target {
  url: string;
  port: number;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function target(): Promise<Target> {
  const requests: Target["requests"] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? "", headers: req.headers });
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  cleanups.push(close);
  return { url: `http://127.0.0.1:${port}`, port, requests, close };
}

function client(): HttpClient {
  const c = createHttpClient();
  cleanups.push(() => c.close());
  return c;
}

async function proxy(kind: "http" | "socks5", auth?: typeof AUTH): Promise<TestProxy> {
  const p = kind === "http" ? await startHttpProxy({ auth }) : await startSocks5Proxy({ auth });
  cleanups.push(() => p.close());
  return p;
}

/** Everything an error could show: messages, stacks, causes, own properties. */
const everything = (error: unknown) => inspect(error, { depth: 10, showHidden: true });
const secretForms = (pass: string) => [pass, encodeURIComponent(pass), Buffer.from(`${AUTH.user}:${pass}`).toString("base64")];
/** Let undici put a finished keep-alive connection back into its pool. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("requests through a proxy", () => {
  it("an http proxy gets plain-http targets as absolute-form requests, authenticated, and the answer comes back", async () => {
    const t = await target();
    const p = await proxy("http", AUTH);
    const res = await client().fetch(`${t.url}/v1/models?x=1`, { proxy: p.urlWith(AUTH), headers: { authorization: "Bearer upstream-key" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, path: "/v1/models?x=1" });
    expect(p.connections).toEqual([{ target: `${t.url}/v1/models?x=1`, kind: "forward", authenticated: true }]);
    // The upstream's own credential arrives untouched; the proxy's never does.
    expect(t.requests[0]!.headers.authorization).toBe("Bearer upstream-key");
    expect(t.requests[0]!.headers.host).toBe(`127.0.0.1:${t.port}`);
    expect(JSON.stringify(t.requests[0]!.headers)).not.toContain(Buffer.from(`${AUTH.user}:${AUTH.pass}`).toString("base64"));
  });

  it("https targets go through an authenticated CONNECT tunnel that carries the TLS handshake", async () => {
    const firstBytes: number[] = [];
    const tls = createNetServer((socket) => socket.once("data", (chunk: Buffer) => (firstBytes.push(chunk[0]!), socket.destroy())));
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => tls.close(() => resolve())));
    const port = (tls.address() as AddressInfo).port;
    const p = await proxy("http", AUTH);
    const error = await client().fetch(`https://127.0.0.1:${port}/v1/messages`, { proxy: p.urlWith(AUTH) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(p.connections).toEqual([{ target: `127.0.0.1:${port}`, kind: "connect", authenticated: true }]);
    expect(firstBytes).toEqual([0x16]); // a TLS handshake record reached the target through the tunnel
    expect((error as Error).message).toContain(`through proxy http://127.0.0.1:${p.port}`);
    for (const secret of secretForms(AUTH.pass)) expect(everything(error)).not.toContain(secret);
  });

  it("a socks5 proxy tunnels to the target with RFC 1929 credentials (IPv4 address)", async () => {
    const t = await target();
    const p = await proxy("socks5", AUTH);
    const res = await client().fetch(`${t.url}/v1/chat/completions`, { method: "POST", body: '{"a":1}', proxy: p.urlWith(AUTH) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, path: "/v1/chat/completions" });
    expect(p.connections).toEqual([{ target: `127.0.0.1:${t.port}`, kind: "socks5", authenticated: true }]);
    expect(t.requests).toHaveLength(1);
  });

  it("socks5h:// is accepted and host names go to the proxy to resolve (domain address type)", async () => {
    const t = await target();
    const p = await proxy("socks5");
    const res = await client().fetch(`http://localhost:${t.port}/v1/x`, { proxy: p.url.replace("socks5:", "socks5h:") });
    expect(res.status).toBe(200);
    await res.text();
    expect(p.connections).toEqual([{ target: `localhost:${t.port}`, kind: "socks5", authenticated: false }]);
  });

  const refusals = [
    { name: "http proxy, plain-http target (407 to the absolute-form request)", kind: "http" as const, https: false, reason: /407/ },
    { name: "http proxy, https target (407 to CONNECT)", kind: "http" as const, https: true, reason: /407/ },
    { name: "socks5 proxy (RFC 1929 failure)", kind: "socks5" as const, https: false, reason: /Authentication failed/ },
  ];
  for (const { name, kind, https, reason } of refusals) {
    it(`wrong credentials fail without the password anywhere in the error: ${name}`, async () => {
      const t = await target();
      const p = await proxy(kind, AUTH);
      const url = https ? `https://127.0.0.1:${t.port}/v1/x` : `${t.url}/v1/x`;
      const error = await client().fetch(url, { proxy: p.urlWith(WRONG) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain(`through proxy ${kind}://127.0.0.1:${p.port}`);
      expect((error as Error).message).toMatch(reason);
      for (const secret of secretForms(WRONG.pass)) expect(everything(error)).not.toContain(secret);
      expect(p.connections.map((c) => c.authenticated)).toEqual([false]);
      expect(t.requests).toEqual([]);
    });
  }

  it("a proxy that closes the connection instead of answering CONNECT fails the request (no reconnect loop)", async () => {
    let accepted = 0;
    const rude = createNetServer((socket) => (accepted++, socket.destroy()));
    await new Promise<void>((resolve) => rude.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => rude.close(() => resolve())));
    const port = (rude.address() as AddressInfo).port;
    const error = await client().fetch("https://api.example.test/v1/x", { proxy: `http://u:${encodeURIComponent(AUTH.pass)}@127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/through proxy http:\/\/127\.0\.0\.1:\d+: proxy closed the connection before answering CONNECT/);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe("ECONNRESET");
    expect(accepted).toBe(1);
    for (const secret of secretForms(AUTH.pass)) expect(everything(error)).not.toContain(secret);
  });

  it("without a proxy option the proxies see nothing", async () => {
    const t = await target();
    const http = await proxy("http");
    const socks = await proxy("socks5");
    const c = client();
    const res = await c.fetch(`${t.url}/v1/x`, { proxy: undefined });
    expect(res.status).toBe(200);
    await res.text();
    expect(t.requests).toHaveLength(1);
    expect([http.connections, socks.connections, http.sockets(), socks.sockets()]).toEqual([[], [], 0, 0]);
  });

  it("an invalid proxy is refused before anything is sent, without echoing it", async () => {
    const t = await target();
    const error = await client().fetch(`${t.url}/v1/x`, { proxy: `ftp://user:${AUTH.pass}@127.0.0.1:21` }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`fetch failed: invalid proxy: expected a proxy URL (http://, https://, socks5:// or socks5h://) with [user:pass@]host:port and nothing after the port, got a URL with protocol ftp:`);
    expect(t.requests).toEqual([]);
  });
});

describe("one dispatcher per proxy URL", () => {
  it("two requests through the same http proxy share one keep-alive connection to it", async () => {
    const t = await target();
    const p = await proxy("http", AUTH);
    const c = client();
    for (const path of ["/a", "/b"]) {
      const res = await c.fetch(`${t.url}${path}`, { proxy: p.urlWith(AUTH) });
      await res.text();
      await settle();
    }
    expect(p.connections.map((x) => x.target)).toEqual([`${t.url}/a`, `${t.url}/b`]);
    expect(p.sockets()).toBe(1);
  });

  it("two requests through the same socks5 proxy share one tunnel; another proxy URL gets its own", async () => {
    const t = await target();
    const p = await proxy("socks5", AUTH);
    const other = await proxy("socks5");
    const c = client();
    for (const via of [p.urlWith(AUTH), p.urlWith(AUTH), other.url]) {
      const res = await c.fetch(`${t.url}/x`, { proxy: via });
      await res.text();
      await settle();
    }
    expect(p.connections).toEqual([{ target: `127.0.0.1:${t.port}`, kind: "socks5", authenticated: true }]);
    expect(other.connections).toHaveLength(1);
    expect(t.requests).toHaveLength(3);
  });

  it("keeps at most 256 proxy dispatchers, evicting the least recently used", async () => {
    const t = await target();
    const p = await proxy("http"); // no auth: every user name is a distinct proxy URL to the same proxy
    const c = client();
    const via = async (user: string) => {
      const res = await c.fetch(`${t.url}/x`, { proxy: p.urlWith({ user, pass: "pw" }) });
      await res.text();
      await settle();
    };
    for (let i = 0; i < 256; i++) await via(`u${i}`);
    expect(p.sockets()).toBe(256);
    await via("u0"); // cached: reuses its connection and becomes the most recently used
    expect(p.sockets()).toBe(256);
    await via("u256"); // 257th URL: evicts u1, the least recently used
    await via("u0");
    expect(p.sockets()).toBe(257);
    await via("u1"); // evicted earlier: a new dispatcher, a new connection
    expect(p.sockets()).toBe(258);
  });

  it("close() closes the proxy dispatchers and their connections; later proxied calls fail", async () => {
    const t = await target();
    const p = await proxy("socks5");
    const c = createHttpClient();
    const res = await c.fetch(`${t.url}/x`, { proxy: p.url });
    await res.text();
    expect(p.sockets()).toBe(1);
    await c.close();
    await p.drained(); // hangs (and the test times out) if the tunnel stayed open
    const error = await c.fetch(`${t.url}/x`, { proxy: p.url }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("closed");
    expect(p.sockets()).toBe(1);
  });
});

describe("parseProxyUrl", () => {
  const accepted: Array<[string, string, string]> = [
    ["http://proxy.example:8080", "http://proxy.example:8080", "http://proxy.example:8080"],
    ["HTTP://Proxy.Example:8080/", "http://proxy.example:8080", "http://proxy.example:8080"],
    ["http://proxy.example:80", "http://proxy.example:80", "http://proxy.example:80"],
    ["https://u:p%40ss@proxy.example:443", "https://u:p%40ss@proxy.example:443", "https://proxy.example:443"],
    ["http://user@10.0.0.2:3128", "http://user@10.0.0.2:3128", "http://10.0.0.2:3128"],
    ["socks5://u:p@127.0.0.1:1080", "socks5://u:p@127.0.0.1:1080", "socks5://127.0.0.1:1080"],
    ["socks5h://u:p@gw.example:1080", "socks5h://u:p@gw.example:1080", "socks5h://gw.example:1080"],
    ["http://[::1]:3128", "http://[::1]:3128", "http://[::1]:3128"],
  ];
  it.each(accepted)("accepts %s", (input, url, display) => {
    expect(parseProxyUrl(input)).toEqual({ ok: true, url, display });
  });

  const refused: Array<[unknown, string]> = [
    [undefined, "nothing"],
    [8080, "8080"],
    ["", "a string that is not a URL"],
    ["proxy.example:8080", "a string that is not a URL"],
    ["user:TopSecret1@proxy.example:8080", "a string that is not a URL"],
    ["ftp://proxy.example:21", "a URL with protocol ftp:"],
    ["socks4://proxy.example:1080", "a URL with protocol socks4:"],
    ["socks://proxy.example:1080", "a URL with protocol socks:"],
    ["http://u:TopSecret1@proxy.example", "http://proxy.example without a port"],
    ["http://proxy.example:0", "http://proxy.example:0 (port 0)"],
    ["http://u:TopSecret1@proxy.example:99999", "a http:// URL with an invalid host, port or credentials (hidden)"],
    ["http://u:TopSecret1@:8080", "a http:// URL with an invalid host, port or credentials (hidden)"],
    ["http://proxy.example:8080/TopSecret1", "http://proxy.example:8080 with a path, query or fragment (hidden)"],
    ["http://proxy.example:8080?key=TopSecret1", "http://proxy.example:8080 with a path, query or fragment (hidden)"],
    ["http://proxy.example:8080#TopSecret1", "http://proxy.example:8080 with a path, query or fragment (hidden)"],
    ["http://:TopSecret1@proxy.example:8080", "http://proxy.example:8080 with a password but no user name"],
    ["http://u:Top%zzSecret1@proxy.example:8080", "http://proxy.example:8080 with credentials that are not valid percent-encoding (hidden)"],
    ["socks5://user@proxy.example:1080", "socks5://proxy.example:1080 with other credentials (hidden)"],
    [`socks5://u:${"x".repeat(256)}@proxy.example:1080`, "socks5://proxy.example:1080 with other credentials (hidden)"],
    ["socks5://[::1]:1080", "socks5://[::1]:1080"],
  ];
  it.each(refused)("refuses %s", (input, got) => {
    const result = parseProxyUrl(input);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ got });
    expect(JSON.stringify(result)).not.toContain("TopSecret1");
  });

  const scheme = fc.constantFrom("http", "https", "socks5", "socks5h");
  const host = fc.oneof(
    fc.ipV4(),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,15}(\.[a-z][a-z0-9]{0,8}){0,3}$/).filter((h) => !h.split(".").some((l) => l.startsWith("xn--"))),
  );
  const port = fc.integer({ min: 1, max: 65535 });
  const user = fc.string({ minLength: 1, maxLength: 30 });
  // "§" never occurs in a host or a port, so finding the password in a display means a leak.
  const pass = fc.string({ maxLength: 40 }).map((s) => `§${s}`);

  prop.prop([scheme, user, pass, host, port], { numRuns: 300 })("display never holds the password; url keeps the credentials", (s, u, pw, h, p) => {
    const result = parseProxyUrl(`${s}://${encodeURIComponent(u)}:${encodeURIComponent(pw)}@${h}:${p}`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.display).toBe(`${s}://${h}:${p}`);
    expect(result.display).not.toContain(pw);
    expect(result.display).not.toContain(encodeURIComponent(pw));
    const reparsed = new URL(result.url.replace(/^[a-z0-9]+:/, "http:"));
    expect([decodeURIComponent(reparsed.username), decodeURIComponent(reparsed.password)]).toEqual([u, pw]);
    expect(parseProxyUrl(result.url)).toEqual(result);
  });

  const tail = fc.constantFrom("", "/", "/path", "?q=1", "#f", ":", ":0", ":70000");
  prop.prop([scheme, user, pass, host, fc.option(port, { nil: undefined }), tail, fc.boolean()], { numRuns: 300 })(
    "whatever the input, neither display nor a refusal mentions a raw or encoded password",
    (s, u, pw, h, p, t, encode) => {
      const secret = encode ? encodeURIComponent(pw) : pw;
      const result = parseProxyUrl(`${s}://${encodeURIComponent(u)}:${secret}@${h}${p === undefined ? "" : `:${p}`}${t}`);
      const shown = result.ok ? result.display : `${result.expected} ${result.got}`;
      expect(shown).not.toContain("§");
      expect(shown).not.toContain("%C2%A7");
    },
  );
});
