import { describe, expect, it, onTestFinished } from "vitest";
import { startRelay } from "../relay/_harness.ts";
import { bodyOf, rawRequest } from "./_raw.ts";

// J2: a body above `server.bodyLimitBytes` is refused with 413 before it is buffered, whether
// its size is announced (Content-Length) or not (chunked), and the connection is cut rather
// than drained: a client that keeps sending must not keep the server reading.
const LIMIT = 64 * 1024;
const FLOOD = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, "a");

describe("request body cap", () => {
  it("refuses an announced oversize body with 413 from the headers alone", async () => {
    const relay = await startRelay({ config: { server: { bodyLimitBytes: LIMIT } } });
    const key = await relay.createKey();
    const raw = await rawRequest(relay.url, [
      "POST /v1/messages HTTP/1.1", "host: x", `x-api-key: ${key}`, "content-type: application/json", `content-length: ${FLOOD}`, "", "",
    ].join("\r\n"));
    // Not one body byte was sent: the answer cannot come from reading the body.
    expect(await raw.status).toBe(413);
    // And the connection is closed, not kept open to drain 50 MB that will never be read.
    await raw.closed;
    expect(raw.received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(bodyOf(raw.received())).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    expect(relay.anthropic.requests).toHaveLength(0);
  });

  for (const [path, envelope] of [
    ["/v1/messages", { type: "error", error: { type: "request_too_large" } }],
    ["/v1/chat/completions", { error: { type: "invalid_request_error", message: `Request body size exceeds the limit of ${LIMIT} bytes` } }],
  ] as const) {
    it(`cuts off a chunked body that keeps coming on ${path} with 413`, async () => {
      // Cancelling the body once used to detach req.socket and crash listhen's shutdown
      // tracker with an uncaught TypeError: in the CLI, a process exit.
      const uncaught: unknown[] = [];
      const monitor = (error: unknown) => uncaught.push(error);
      process.on("uncaughtExceptionMonitor", monitor);
      onTestFinished(() => void process.off("uncaughtExceptionMonitor", monitor));
      const relay = await startRelay({ config: { server: { bodyLimitBytes: LIMIT } } });
      const key = await relay.createKey();
      const raw = await rawRequest(relay.url, [
        `POST ${path} HTTP/1.1`, "host: x", `authorization: Bearer ${key}`, "content-type: application/json", "transfer-encoding: chunked", "", "",
      ].join("\r\n"));
      let sent = 0;
      // Keep sending until the server closes the connection; a server that drains (or buffers)
      // the body would take all 50 MB.
      while (sent < FLOOD) {
        if (!(await raw.write(Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from("\r\n")])))) break;
        sent += CHUNK.length;
      }
      // The loop ended because the server closed the connection, not because 50 MB went out.
      expect(sent).toBeLessThan(FLOOD);
      await raw.closed;
      expect(await raw.status).toBe(413);
      expect(raw.received()).toMatch(/\r\nconnection: close\r\n/i);
      expect(bodyOf(raw.received())).toMatchObject(envelope);
      expect(relay.anthropic.requests.length + relay.openai.requests.length).toBe(0);
      expect((await fetch(`${relay.url}/health`)).status).toBe(200);
      expect(uncaught).toEqual([]);
    });
  }
});
