import { describe, expect, it } from "vitest";
import { ANTHROPIC_KEYS, OPENAI_KEYS, startRelay } from "../relay/_harness.ts";
import { rawRequest } from "./_raw.ts";

// Hop-by-hop headers (RFC 9110 §7.6.1, including those named in Connection) and the client's
// credentials never travel upstream; the upstream sees only the provider's own credential.
const NEVER = ["x-custom", "keep-alive", "te", "transfer-encoding", "upgrade", "proxy-authorization", "cookie", "x-forwarded-for", "forwarded", "x-real-ip"];

describe("headers sent upstream", () => {
  for (const [path, model, fake, credential] of [
    ["/v1/messages", "claude-sonnet-4-5", "anthropic", { "x-api-key": ANTHROPIC_KEYS[0] }],
    ["/v1/messages/count_tokens", "claude-sonnet-4-5", "anthropic", { "x-api-key": ANTHROPIC_KEYS[0] }],
    ["/v1/chat/completions", "gpt-4o-mini", "openai", { authorization: `Bearer ${OPENAI_KEYS[0]}` }],
  ] as const) {
    it(`drops hop-by-hop headers and client credentials on ${path}`, async () => {
      const relay = await startRelay();
      const key = await relay.createKey();
      const body = JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
      const raw = await rawRequest(relay.url, [
        `POST ${path} HTTP/1.1`, "host: client.example", "content-type: application/json", "anthropic-version: 2023-06-01",
        "connection: x-custom, keep-alive", "x-custom: 1", "keep-alive: timeout=600", "te: trailers", "upgrade: h2c",
        "proxy-authorization: Basic cHJveHk6c2VjcmV0", "cookie: sy_session=client-cookie", `authorization: Bearer ${key}`, `x-api-key: ${key}`,
        "x-forwarded-for: 10.0.0.1", "forwarded: for=10.0.0.1", "x-real-ip: 10.0.0.1",
        "transfer-encoding: chunked", "", `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ].join("\r\n"));
      expect(await raw.status).toBe(200);
      raw.socket.end();
      const seen = relay[fake].requests.at(-1)!.headers;
      for (const name of NEVER) expect(seen, name).not.toHaveProperty(name);
      expect(seen).toMatchObject(credential);
      // The one credential header the provider does not set itself is absent too.
      expect(seen).not.toHaveProperty(fake === "anthropic" ? "authorization" : "x-api-key");
      expect(seen.connection ?? "").not.toMatch(/x-custom/i);
      expect(seen.host).not.toBe("client.example");
      expect(JSON.stringify(seen)).not.toContain(key);
    });
  }
});
