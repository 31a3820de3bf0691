import { describe, expect, it } from "vitest";
import { startRelay } from "../relay/_harness.ts";
import { rawRequest } from "./_raw.ts";

// J3: a request head over 16 KiB or with more than 100 header lines is refused with 431 and
// the connection closed, before any route (or authentication) runs.
const head = (lines: string[]) => ["GET /health HTTP/1.1", "host: x", ...lines, "", ""].join("\r\n");

describe("request header limits", () => {
  it("refuses more than 100 header lines with 431 and serves 100", async () => {
    const relay = await startRelay();
    const lines = (n: number) => Array.from({ length: n - 1 }, (_, i) => `x-h${i}: v`); // + host
    const atLimit = await rawRequest(relay.url, head([...lines(100), "connection: close"].slice(1)));
    expect(await atLimit.status).toBe(200);
    for (const n of [101, 150, 1000]) {
      const over = await rawRequest(relay.url, head(lines(n)));
      expect(await over.status).toBe(431);
      await over.closed;
      expect(over.received()).toMatch(/\r\nconnection: close\r\n/i);
    }
  });

  it("refuses a header block over 16 KiB with 431 and serves one just under", async () => {
    const relay = await startRelay();
    const under = await rawRequest(relay.url, head([`x-big: ${"a".repeat(15 * 1024)}`, "connection: close"]));
    expect(await under.status).toBe(200);
    // Node's own default is 16 KiB too, unless --max-http-header-size raises it; the server sets it.
    for (const lines of [[`x-big: ${"a".repeat(17 * 1024)}`], Array.from({ length: 40 }, (_, i) => `x-h${i}: ${"b".repeat(500)}`)]) {
      const over = await rawRequest(relay.url, head(lines));
      expect(await over.status).toBe(431);
      await over.closed;
    }
  });

  it("sets the limits on the server it starts", async () => {
    const relay = await startRelay();
    expect(relay.server.server.maxHeadersCount).toBe(100);
    expect((relay.server.server as { maxHeaderSize?: number }).maxHeaderSize).toBe(16 * 1024);
  });
});
