import { readFileSync, readdirSync } from "node:fs";
import { fc, test } from "@fast-check/vitest";
import { join } from "pathe";
import { describe, expect } from "vitest";
import { SSELineTooLongError, type SSEEvent, createSSEParser, formatSSE } from "../../core/relay/sse.ts";
import { repoRoot } from "../_tmp.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Parse `chunks` (strings or bytes) through one parser, `end()` included. */
function parse(chunks: Array<string | Uint8Array>, options?: { maxLineBytes?: number }): SSEEvent[] {
  const parser = createSSEParser(options);
  const out = chunks.flatMap((c) => parser.push(typeof c === "string" ? bytes(c) : c));
  return [...out, ...parser.end()];
}

/** Cut `data` at the given offsets (any order, duplicates allowed). */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), data.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(last, p));
    last = p;
  }
  return out;
}

const fixtureDir = join(repoRoot, "test/fixtures/sse");
const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith(".sse")).sort();

describe("SSE framing", () => {
  test("reads event and data fields; a blank line ends a record", () => {
    expect(parse(["event: ping\ndata: {}\n\ndata: second\n\n"])).toEqual([{ event: "ping", data: "{}" }, { data: "second" }]);
  });

  test("accepts \\n, \\r\\n and a bare \\r as line endings, alone and mixed", () => {
    const expected = [{ event: "a", data: "1\n2" }, { data: "3" }];
    expect(parse(["event: a\ndata: 1\ndata: 2\n\ndata: 3\n\n"])).toEqual(expected);
    expect(parse(["event: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n"])).toEqual(expected);
    expect(parse(["event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r"])).toEqual(expected);
    expect(parse(["event: a\r\ndata: 1\rdata: 2\n\r\ndata: 3\r\n\n"])).toEqual(expected);
  });

  test("a CRLF split between two chunks is one line ending, not two", () => {
    expect(parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"])).toEqual([{ data: "a\nb" }]);
    // A bare CR at a chunk end followed by a new line's text is still one ending.
    expect(parse(["data: a\r", "data: b\r", "\r"])).toEqual([{ data: "a\nb" }]);
    // An empty chunk between CR and LF changes nothing.
    expect(parse(["data: a\r", new Uint8Array(0), "\n\n"])).toEqual([{ data: "a" }]);
  });

  test("joins several data lines with \\n, keeping empty ones", () => {
    expect(parse(["data: one\ndata:\ndata: three\n\n"])).toEqual([{ data: "one\n\nthree" }]);
  });

  test("skips comment lines, including a record made only of comments", () => {
    expect(parse([": OPENROUTER PROCESSING\n\n:keep-alive\ndata: x\n: inside\n\n"])).toEqual([{ data: "x" }]);
  });

  test("strips exactly one space after the colon", () => {
    expect(parse(["data:x\n\ndata: x\n\ndata:  x\n\nevent:  e\ndata:\ty\n\n"])).toEqual([
      { data: "x" }, { data: "x" }, { data: " x" }, { event: " e", data: "\ty" },
    ]);
  });

  test("a field name without a colon has an empty value; unknown fields and retry are ignored", () => {
    expect(parse(["data\ndata\n\nretry: 1000\nfoo: bar\ndata: z\n\n"])).toEqual([{ data: "\n" }, { data: "z" }]);
  });

  test("reports id on the record that carried it; an id with NUL is ignored", () => {
    expect(parse(["id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n"])).toEqual([{ id: "7", data: "a" }, { data: "b" }, { data: "c" }]);
  });

  test("a record without data is not dispatched, and its event name does not leak into the next", () => {
    expect(parse(["event: lonely\n\ndata: next\n\n"])).toEqual([{ data: "next" }]);
  });

  test("decodes a UTF-8 code point split across chunks, and drops a leading BOM", () => {
    const data = bytes("\uFEFFdata: café ☕ 你好 🚀\n\n");
    const oneByOne = Array.from(data, (b) => Uint8Array.of(b));
    expect(parse(oneByOne)).toEqual([{ data: "café ☕ 你好 🚀" }]);
    const rocket = data.indexOf(0xf0); // first byte of the 4-byte emoji
    expect(parse([data.subarray(0, rocket + 2), data.subarray(rocket + 2)])).toEqual([{ data: "café ☕ 你好 🚀" }]);
  });

  test("end(): delivers a last record whose blank line never came, drops one cut mid-line", () => {
    expect(parse(["data: [DONE]\n"])).toEqual([{ data: "[DONE]" }]);
    expect(parse(["data: [DONE]\r"])).toEqual([{ data: "[DONE]" }]);
    expect(parse(["data: ok\n\ndata: {\"type\":\"content_blo"])).toEqual([{ data: "ok" }]);
    expect(parse(["data: a\ndata: b"])).toEqual([]);
  });
});

describe("line cap", () => {
  test("a line longer than the cap throws a clear error, also when it arrives in pieces", () => {
    expect(() => parse([`data: ${"x".repeat(20)}\n\n`], { maxLineBytes: 16 })).toThrow(SSELineTooLongError);
    expect(() => parse([`data: ${"x".repeat(20)}\n\n`], { maxLineBytes: 16 })).toThrow("SSE line longer than 16 bytes");
    const pieces = Array.from({ length: 10 }, () => "xxxx");
    expect(() => parse(["data: ", ...pieces], { maxLineBytes: 16 })).toThrow(SSELineTooLongError);
  });

  test("counts bytes, not characters, and accepts a line exactly at the cap", () => {
    expect(parse(["data: 12345678\n\n"], { maxLineBytes: 14 })).toEqual([{ data: "12345678" }]);
    expect(() => parse(["data: 1234567€\n\n"], { maxLineBytes: 14 })).toThrow(SSELineTooLongError); // € is 3 bytes
  });

  test("caps the data of one record too (many short data lines)", () => {
    expect(() => parse([`${"data: abcd\n".repeat(10)}\n`], { maxLineBytes: 32 })).toThrow("SSE record longer than 32 bytes");
  });

  test("the default cap is 1 MiB", () => {
    const big = "x".repeat(1024 * 1024 - 6);
    expect(parse([`data: ${big}\n\n`])[0]!.data).toHaveLength(big.length);
    expect(() => parse([`data: ${big}xx\n\n`])).toThrow(SSELineTooLongError);
  });
});

describe("formatSSE", () => {
  test("writes the event line only when set, one data line per line, and a blank line", () => {
    expect(formatSSE({ data: "[DONE]" })).toBe("data: [DONE]\n\n");
    expect(formatSSE({ event: "message_stop", data: '{"type":"message_stop"}' })).toBe('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    expect(formatSSE({ data: "a\nb\r\nc" })).toBe("data: a\ndata: b\ndata: c\n\n");
    expect(formatSSE({ event: "e", id: "1", data: "" })).toBe("event: e\nid: 1\ndata: \n\n");
  });

  const text = fc.string({ unit: fc.constantFrom("a", " ", ":", "\n", "é", "🚀", "{", "\"") });
  test.prop([fc.array(fc.record({ event: fc.option(fc.stringMatching(/^[a-z_.]{1,12}$/), { nil: undefined }), data: text }), { maxLength: 8 })], { numRuns: 200 })(
    "parse(format(events)) gives the events back",
    (events) => {
      const clean = events.map((e) => (e.event === undefined ? { data: e.data } : { event: e.event, data: e.data }));
      expect(parse([clean.map(formatSSE).join("")])).toEqual(clean);
    },
  );
});

describe("recorded fixtures split at random byte offsets", () => {
  const variants = fixtures.flatMap((name) => {
    const text = readFileSync(join(fixtureDir, name), "utf8");
    return [
      { name: `${name} (LF)`, data: bytes(text) },
      { name: `${name} (CRLF)`, data: bytes(text.replaceAll("\n", "\r\n")) },
      { name: `${name} (CR)`, data: bytes(text.replaceAll("\n", "\r")) },
    ];
  });

  test("every fixture parses into records", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
    for (const { name, data } of variants) expect(parse([data]).length, name).toBeGreaterThan(2);
  });

  test("CRLF and CR variants give the same records as LF", () => {
    for (let i = 0; i < variants.length; i += 3) {
      const lf = parse([variants[i]!.data]);
      expect(parse([variants[i + 1]!.data])).toEqual(lf);
      expect(parse([variants[i + 2]!.data])).toEqual(lf);
    }
  });

  test("one byte at a time gives the same records", () => {
    for (const { name, data } of variants) expect(parse(Array.from(data, (b) => Uint8Array.of(b))), name).toEqual(parse([data]));
  });

  // Offsets inside multi-byte characters and between CR and LF are drawn often on purpose.
  const arb = fc.nat({ max: variants.length - 1 }).chain((i) => {
    const data = variants[i]!.data;
    const tricky: number[] = [];
    data.forEach((b, k) => {
      if ((b & 0xc0) === 0x80 || (b === 10 && data[k - 1] === 13)) tricky.push(k);
    });
    const offset = tricky.length ? fc.oneof(fc.constantFrom(...tricky), fc.nat({ max: data.length })) : fc.nat({ max: data.length });
    return fc.tuple(fc.constant(i), fc.array(offset, { maxLength: 40 }));
  });
  test.prop([arb], { numRuns: 300 })("splitting anywhere yields identical records", ([i, cuts]) => {
    const { data } = variants[i]!;
    expect(parse(split(data, cuts))).toEqual(parse([data]));
  });
});
