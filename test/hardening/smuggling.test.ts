import { readFileSync } from "node:fs";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";
import { type RelayHarness, startRelay } from "../relay/_harness.ts";
import { rawRequest } from "./_raw.ts";

// J1: an ambiguous message frame (CL + TE, two Content-Lengths, chunked not last, obs-fold,
// bare LF) is refused with 400 and the connection closed, so nothing hidden in its body is
// read as a next request; no request reaches the upstream. The parser is never the lenient one.

const BODY = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
const CHUNKED = `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;

/** A complete, valid relay request: what a smuggler hides in the body of the outer one. */
function inner(key: string): string {
  return [
    "POST /v1/messages HTTP/1.1", "host: x", `x-api-key: ${key}`, "anthropic-version: 2023-06-01", "content-type: application/json",
    `content-length: ${BODY.length}`, "", BODY,
  ].join("\r\n");
}

/** Head lines of a relay request that would reach the upstream if the frame were accepted. */
function head(key: string, ...extra: string[]): string[] {
  return ["POST /v1/messages HTTP/1.1", "host: x", `x-api-key: ${key}`, "anthropic-version: 2023-06-01", "content-type: application/json", ...extra];
}

const CASES: Array<[name: string, build: (key: string) => string]> = [
  ["Content-Length and Transfer-Encoding: chunked", (key) => {
    const smuggled = inner(key);
    return [...head(key, `content-length: ${CHUNKED.length + smuggled.length}`, "transfer-encoding: chunked"), "", CHUNKED + smuggled].join("\r\n");
  }],
  ["Transfer-Encoding: chunked before Content-Length", (key) => [...head(key, "transfer-encoding: chunked", "content-length: 4"), "", CHUNKED + inner(key)].join("\r\n")],
  ["two different Content-Length values", (key) => {
    const smuggled = inner(key);
    return [...head(key, `content-length: ${BODY.length}`, `content-length: ${BODY.length + smuggled.length}`), "", BODY + smuggled].join("\r\n");
  }],
  ["a Content-Length list with two values", (key) => {
    const smuggled = inner(key);
    return [...head(key, `content-length: ${BODY.length}, ${BODY.length + smuggled.length}`), "", BODY + smuggled].join("\r\n");
  }],
  ["Transfer-Encoding: chunked, gzip", (key) => [...head(key, "transfer-encoding: chunked, gzip"), "", CHUNKED + inner(key)].join("\r\n")],
  ["Transfer-Encoding chunked then gzip on two lines", (key) => [...head(key, "transfer-encoding: chunked", "transfer-encoding: gzip"), "", CHUNKED + inner(key)].join("\r\n")],
  ["an obs-folded Transfer-Encoding", (key) => [...head(key, `content-length: ${BODY.length}`, "transfer-encoding: identity", " chunked"), "", CHUNKED + inner(key)].join("\r\n")],
  ["an obs-folded ordinary header", (key) => [...head(key, "x-note: first", " folded", `content-length: ${BODY.length}`), "", BODY].join("\r\n")],
  ["an obs-folded header folded with a tab", (key) => [...head(key, "x-note: first", "\tfolded", `content-length: ${BODY.length}`), "", BODY].join("\r\n")],
  ["bare LF line endings throughout", (key) => [...head(key, `content-length: ${BODY.length}`), "", BODY].join("\n")],
  ["one header line ending in a bare LF", (key) => {
    const lines = head(key, `content-length: ${BODY.length}`);
    return `${lines.slice(0, 3).join("\r\n")}\n${lines.slice(3).join("\r\n")}\r\n\r\n${BODY}`;
  }],
  ["a bare LF after a chunk size", (key) => [...head(key, "transfer-encoding: chunked"), "", `${BODY.length.toString(16)}\n${BODY}\r\n0\r\n\r\n`].join("\r\n")],
  ["whitespace before the header colon", (key) => [...head(key, `content-length : ${BODY.length}`, "transfer-encoding : chunked"), "", CHUNKED + inner(key)].join("\r\n")],
];

/**
 * Send `raw` and return what the server wrote once it closed the connection, or as soon as
 * it answered anything but 400 (so an accepted frame fails the test instead of hanging it).
 */
async function exchange(relay: RelayHarness, raw: string, until = /HTTP\/1\.[01] (?!400)\d{3}/): Promise<string> {
  const connection = await rawRequest(relay.url, raw);
  const answered = new Promise<void>((done) => {
    const check = () => {
      if (until.test(connection.received())) done();
    };
    connection.socket.on("data", check);
    check();
  });
  await Promise.race([connection.closed, answered]);
  connection.socket.destroy();
  return connection.received();
}

/** 400 (or no answer at all), never a 2xx anywhere in the bytes, and the upstream untouched. */
function expectRefused(relay: RelayHarness, received: string): void {
  const statuses = [...received.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
  expect(statuses.every((s) => s === 400), `statuses ${statuses.join(",")}`).toBe(true);
  expect(statuses.length).toBeLessThanOrEqual(1);
  expect(relay.anthropic.requests).toHaveLength(0);
  expect(relay.openai.requests).toHaveLength(0);
}

describe("request smuggling (J1)", () => {
  for (const [name, build] of CASES) {
    it(`refuses ${name} with 400 and closes the connection`, async () => {
      const relay = await startRelay();
      const key = await relay.createKey();
      const received = await exchange(relay, build(key));
      expect(received).toMatch(/^HTTP\/1\.1 400 /);
      expectRefused(relay, received);
    });
  }

  it("never answers a request pipelined after a smuggled one", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const smuggled = CASES[0]![1](key);
    const next = [...head(key, `content-length: ${BODY.length}`), "", BODY].join("\r\n");
    const received = await exchange(relay, smuggled + next + next);
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(received.toLowerCase()).toContain("connection: close");
    expectRefused(relay, received);
  });

  it("still answers a well-formed pipelined pair on one connection (the control)", async () => {
    const relay = await startRelay();
    const key = await relay.createKey();
    const one = [...head(key, `content-length: ${BODY.length}`), "", BODY].join("\r\n");
    const last = [...head(key, "transfer-encoding: chunked", "connection: close"), "", CHUNKED].join("\r\n");
    const received = await exchange(relay, one + last, /HTTP\/1\.1 (?!200)\d{3}/);
    expect([...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])).toEqual(["200", "200"]);
    expect(relay.anthropic.requests).toHaveLength(2);
  });

  it("never runs the lenient HTTP parser", async () => {
    const relay = await startRelay();
    const server = relay.server.server as typeof relay.server.server & { insecureHTTPParser?: boolean };
    expect(server.insecureHTTPParser).not.toBe(true);
    expect(process.execArgv.join(" ")).not.toMatch(/insecure-http-parser/);
    expect(process.env.NODE_OPTIONS ?? "").not.toMatch(/insecure-http-parser/);
    // Nothing that launches the gateway (CLI entry, npm scripts, container, unit) turns it on.
    for (const file of ["bin/switchyard.mjs", "package.json", "core/server.ts", "deploy/Dockerfile", "deploy/compose.yaml", "deploy/switchyard.service"]) {
      expect(readFileSync(join(repoRoot, file), "utf8"), file).not.toMatch(/insecure-?http-?parser/i);
    }
  });
});
