import { randomBytes } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { REDACTED, isSensitiveKey, redact, redactString, registerSecret } from "../../core/redact.ts";

/** Every string (keys included) inside a redacted value. */
function strings(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof value === "string") out.push(value);
  if (value === null || typeof value !== "object" || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof Map || value instanceof Headers) {
    for (const [k, v] of value) strings(v, strings(k, out, seen), seen);
  } else if (value instanceof Error) {
    strings([value.message, value.stack, value.cause], out, seen);
  } else {
    for (const [k, v] of Object.entries(value)) strings(v, strings(k, out, seen), seen);
  }
  return out;
}

// Characters that collide with the marker and with the patterns, so overlaps get explored.
const tricky = fc.constantFrom(..."ab[]redacted-_=:/ @.\"'kyBesk");
// fast-check likes to generate "__proto__"; registering it would redact that key in later tests.
const usable = (s: string) => !REDACTED.includes(s) && !"__proto__".includes(s);
const secretArb = fc.string({ unit: tricky, minLength: 8, maxLength: 24 }).filter(usable);
const textArb = fc.string({ unit: tricky, maxLength: 40 });

describe("key rules", () => {
  const keys = [
    "authorization", "Proxy-Authorization", "x-api-key", "api-key", "X-Goog-Api-Key", "cookie", "Set-Cookie", "password",
    "passwd", "secret", "token", "access_token", "refresh_token", "id_token", "client_secret", "api_key", "apiKey", "APIKEY",
    "private_key", "privateKey", "totp", "jwtSecret", "csrfToken", "adminPassword", "TOTP_SECRET",
  ];
  test.each(keys)("redacts the value under %s", (key) => {
    expect(isSensitiveKey(key)).toBe(true);
    expect(redact({ [key]: "hunter2-value", other: "kept" })).toEqual({ [key]: REDACTED, other: "kept" });
    expect(redact({ nested: [{ [key]: { deep: 1 } }] })).toEqual({ nested: [{ [key]: REDACTED }] });
  });

  test("redacts [name, value] pairs such as fetch header tuples", () => {
    expect(redact({ headers: [["X-Api-Key", "k-123"], ["accept", "json"]] })).toEqual({ headers: [["X-Api-Key", REDACTED], ["accept", "json"]] });
    expect(redact(Object.entries({ password: "p", user: "u" }))).toEqual([["password", REDACTED], ["user", "u"]]);
  });

  test("leaves ordinary keys, and empty or missing credentials, alone", () => {
    for (const key of ["model", "max_tokens", "usage", "keyId", "key", "tokens", "status", "secretary"]) expect(isSensitiveKey(key)).toBe(false);
    expect(redact({ token: null, password: undefined, secret: "", max_tokens: 10 })).toEqual({ token: null, password: undefined, secret: "", max_tokens: 10 });
  });
});

describe("string patterns", () => {
  const cases: Array<[string, string, string]> = [
    ["Bearer", "sent Bearer abc.DEF-123_~+/= to upstream", "sent Bearer [redacted] to upstream"],
    ["Basic", "auth Basic dXNlcjpwYXNz done", "auth Basic [redacted] done"],
    ["header line", "x-api-key: 0123456789abcdef\nnext", "x-api-key: [redacted]\nnext"],
    ["gateway key", "key sk-sy-AbCdEfGhIjKlMnOpQrSt1234 denied", "key [redacted] denied"],
    ["anthropic key", "using sk-ant-api03-AAAAAAAAAAAAAAAAAAAA-BBBB", "using [redacted]"],
    ["openrouter key", "(sk-or-v1-0123456789abcdef0123456789abcdef)", "([redacted])"],
    ["openai key", "sk-proj-0123456789ABCDEFGHIJ", "[redacted]"],
    ["sealed value", "stored sy1.0a1b2c3d.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBB.", "stored [redacted]."],
    ["key= query", "GET /v1beta/models?key=AIzaSyD-0123&alt=sse", "GET /v1beta/models?key=[redacted]&alt=sse"],
    ["token= query", "https://x.test/cb?token=abc&access_token=def&api_key=ghi#f", "https://x.test/cb?token=[redacted]&access_token=[redacted]&api_key=[redacted]#f"],
    ["oauth code", "callback?code=ac_123&state=s1", "callback?code=[redacted]&state=s1"],
    ["url credentials", "proxy http://user:p%40ss@10.0.0.1:8080 down", "proxy http://[redacted]@10.0.0.1:8080 down"],
    ["url credentials with @", "redis://default:pa@ss@redis:6379/0", "redis://[redacted]@redis:6379/0"],
    ["jwt", "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl ok", "got [redacted] ok"],
    ["unsigned jwt", "alg none eyJhbGciOiJub25lIn0.eyJhIjoxfQ. end", "alg none [redacted] end"],
    ["json pair", '{"access_token":"at-1","expires_in":3600,"refresh_token":"rt\\"2"}', '{"access_token":"[redacted]","expires_in":3600,"refresh_token":"[redacted]"}'],
    ["inspect pair", "{ password: 'hunter22', user: 'bob' }", "{ password: '[redacted]', user: 'bob' }"],
    ["pem", "k=-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- x", "k=[redacted] x"],
  ];
  test.each(cases)("%s", (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  test("keeps ordinary text", () => {
    for (const text of ["status code=500", "Basic\nusage of the API", "risk-assessment-level ok", "sk-short", "monkey=banana", "https://example.com/a@b", "sy1 is the format", "desk-0123456789abcdefghij"]) {
      expect(redactString(text)).toBe(text);
    }
  });

  test.prop([fc.string({ unit: tricky, maxLength: 80 })])("is idempotent", (text) => {
    const once = redactString(text);
    expect(redactString(once)).toBe(once);
  });
});

describe("structures", () => {
  test("handles cycles and shared references, and never mutates the input", () => {
    const shared = { note: "Bearer abcdefgh" };
    const input: Record<string, unknown> = { a: shared, b: shared, list: [shared] };
    input.self = input;
    (input.list as unknown[]).push(input.list);
    const out = redact(input) as Record<string, unknown>;
    expect(out.self).toBe("[Circular]");
    expect((out.list as unknown[])[1]).toBe("[Circular]");
    expect(out.a).toEqual({ note: `Bearer ${REDACTED}` });
    expect(out.a).toBe(out.b);
    expect(shared.note).toBe("Bearer abcdefgh");
    expect(input.self).toBe(input);
  });

  test("redacts Error messages, stacks, causes and fields", () => {
    const error = new Error("upstream 401 for Bearer sk-ant-0123456789abcdefghij", { cause: new Error("token=abcdef12345") });
    Object.assign(error, { status: 401, headers: { authorization: "Bearer zzz" } });
    const out = redact(error) as Error & { status: number; headers: unknown };
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe(`upstream 401 for Bearer ${REDACTED}`);
    expect(out.stack).toContain(`Bearer ${REDACTED}`);
    expect(out.stack).not.toContain("sk-ant");
    expect((out.cause as Error).message).toBe(`token=${REDACTED}`);
    expect(out.status).toBe(401);
    expect(out.headers).toEqual({ authorization: REDACTED });
    expect(error.message).toContain("sk-ant-0123456789abcdefghij");
  });

  test("redacts Headers, Maps, Sets, URLs and binary data", () => {
    const headers = new Headers({ Authorization: "Bearer abc", "x-api-key": "k", accept: "text/event-stream", "x-note": "sk-sy-0123456789abcdefghij" });
    const out = redact(headers) as Headers;
    expect(out).toBeInstanceOf(Headers);
    expect(Object.fromEntries(out)).toEqual({ accept: "text/event-stream", authorization: REDACTED, "x-api-key": REDACTED, "x-note": REDACTED });
    expect(headers.get("authorization")).toBe("Bearer abc");

    const map = redact(new Map<unknown, unknown>([["refresh_token", "r"], ["url", "https://u:p@h/"], [1, "Basic Zm9vOmJhcg=="]])) as Map<unknown, unknown>;
    expect([...map]).toEqual([["refresh_token", REDACTED], ["url", `https://${REDACTED}@h/`], [1, `Basic ${REDACTED}`]]);
    expect(redact(new Set(["Bearer abcdefgh"]))).toEqual(new Set([`Bearer ${REDACTED}`]));
    expect(redact(new URL("https://u:p@h.test/x?key=abc"))).toBe(`https://${REDACTED}@h.test/x?key=${REDACTED}`);
    expect(redact(Buffer.from("secret bytes"))).toBe("[binary 12 bytes]");
    const date = new Date(0);
    expect(redact({ date })).toEqual({ date });
  });

  test("survives hostile objects", () => {
    const hostile = Object.defineProperty({ ok: 1 }, "boom", { enumerable: true, get: () => { throw new Error("no"); } });
    expect(redact(hostile)).toEqual({ ok: 1, boom: "[Unreadable]" });
    const proto = redact(JSON.parse('{"__proto__": {"token": "x"}}')) as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value).toEqual({ token: REDACTED });
    let deep: unknown = "Bearer abcdefgh";
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(JSON.stringify(redact(deep))).toContain("[Truncated]");
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBe(null);
  });
});

// Last: these register random secrets, which stay registered for the rest of the file.
describe("registered secrets", () => {
  test("are replaced wherever they appear; short values are ignored", () => {
    const secret = `canary-${randomBytes(8).toString("hex")}`;
    registerSecret(secret);
    registerSecret("short12");
    expect(redactString(`a${secret}b ${secret}`)).toBe(`a${REDACTED}b ${REDACTED}`);
    expect(redactString("a short12 b")).toBe("a short12 b");
    expect(redact({ list: [`x ${secret}`], [secret]: 1 })).toEqual({ list: [`x ${REDACTED}`], [REDACTED]: 1 });
  });

  test("overlapping secrets are removed as one range", () => {
    registerSecret("OVERLAP-aaaa-1111");
    registerSecret("aaaa-1111-bbbb-2222");
    expect(redactString("<OVERLAP-aaaa-1111-bbbb-2222>")).toBe(`<${REDACTED}>`);
  });

  test("a replacement never forms the secret again", () => {
    registerSecret("d]abcdefgh");
    expect(redactString("d]abcdefghabcdefgh")).not.toContain("d]abcdefgh");
  });

  test("a pattern replacement never forms a registered secret either", () => {
    registerSecret("d]@hostxyz");
    expect(redactString("https://user:pw@hostxyz/")).not.toContain("d]@hostxyz");
  });

  test("keeps only the most recent 10,000 values", () => {
    const first = `evict-me-${randomBytes(8).toString("hex")}`;
    registerSecret(first);
    for (let i = 0; i < 10_000; i++) registerSecret(`filler-${i.toString().padStart(6, "0")}`);
    expect(redactString(first)).toBe(first);
    expect(redactString("filler-009999")).toBe(REDACTED);
  });

  test.prop([secretArb, textArb, textArb])("never survive inside a string", (secret, before, after) => {
    registerSecret(secret);
    expect(redactString(before + secret + after + secret)).not.toContain(secret);
  });

  test.prop([
    fc.string({ unit: "grapheme", minLength: 8, maxLength: 32 }).filter(usable),
    fc.object({ maxDepth: 3 }),
    fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }),
    textArb,
    fc.boolean(),
  ])("never survive anywhere in a nested object", (secret, base, path, around, asKey) => {
    registerSecret(secret);
    let node: object = base;
    for (const key of path.slice(0, -1)) {
      const child = {};
      define(node, key, child);
      node = child;
    }
    define(node, asKey ? `${around}${secret}` : path.at(-1)!, asKey ? 1 : `${around}${secret}${around}`);
    expect(strings(base).some((text) => text.includes(secret))).toBe(true); // the secret is really in the input
    for (const text of strings(redact(base))) expect(text).not.toContain(secret);
  });
});

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
