// Fuzzing the stream path (security.md J): the SSE parser and every stream translator take any
// bytes — mutated recordings from test/fixtures/sse/, random records, huge lines — without
// throwing anything but the parser's own line-length error, without hanging, and with bounded
// memory. The committed seed corpus is the recorded streams themselves.
import { readFileSync, readdirSync } from "node:fs";
import { fc, test as prop } from "@fast-check/vitest";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import { SSELineTooLongError, createSSEParser } from "../../core/relay/sse.ts";
import { createStreamTranslator } from "../../core/translate/index.ts";
import type { Dialect } from "../../core/types/provider.ts";
import { repoRoot } from "../_tmp.ts";

const DIALECTS: Dialect[] = ["anthropic-messages", "openai-chat", "openai-responses"];
const corpusDir = join(repoRoot, "test/fixtures/sse");
const corpus = readdirSync(corpusDir).filter((f) => f.endsWith(".sse")).map((f) => ({ name: f, bytes: readFileSync(join(corpusDir, f)) }));
const dialectOf = (name: string): Dialect => (name.startsWith("anthropic") ? "anthropic-messages" : name.startsWith("openai-chat") ? "openai-chat" : "openai-responses");

/** Feed `bytes` in `cuts` pieces through the parser and a translator; returns the output size. */
function run(bytes: Uint8Array, cuts: number[], from: Dialect, to: Dialect): number {
  const parser = createSSEParser();
  const translator = createStreamTranslator(from, to, { model: "m", requestId: "req_fuzz", created: 1 });
  let out = 0;
  let start = 0;
  const points = [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  try {
    for (const end of points) {
      if (end < start) continue;
      for (const event of parser.push(bytes.subarray(start, end))) out += translator.push(event).length;
      start = end;
    }
    for (const event of parser.end()) out += translator.push(event).length;
    out += translator.end().length;
  } catch (error) {
    if (!(error instanceof SSELineTooLongError)) throw error;
  }
  return out;
}

function mutate(bytes: Uint8Array, edits: Array<{ at: number; kind: number; byte: number }>): Uint8Array {
  const out = Array.from(bytes);
  for (const { at, kind, byte } of edits) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 0) out[i] = byte;
    else if (kind === 1) out.splice(i, 1);
    else out.splice(i, 0, byte);
  }
  return Uint8Array.from(out);
}

describe("SSE fuzzing", () => {
  it("has a seed corpus of recorded streams for every dialect", () => {
    expect(new Set(corpus.map((c) => dialectOf(c.name)))).toEqual(new Set(DIALECTS));
  });

  prop.prop(
    [fc.integer({ min: 0, max: corpus.length - 1 }), fc.constantFrom(...DIALECTS), fc.array(fc.record({ at: fc.nat(), kind: fc.integer({ min: 0, max: 2 }), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 })],
    { numRuns: 300 },
  )("mutated recordings never crash a translator", (index, to, edits, cuts) => {
    const seed = corpus[index]!;
    const bytes = mutate(seed.bytes, edits);
    expect(run(bytes, cuts, dialectOf(seed.name), to)).toBeGreaterThanOrEqual(0);
  });

  prop.prop(
    [fc.constantFrom(...DIALECTS), fc.constantFrom(...DIALECTS), fc.array(fc.record({ event: fc.option(fc.string({ maxLength: 30 })), data: fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 })) }), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 6 })],
    { numRuns: 300 },
  )("random records (JSON or not, known event names or not) never crash", (from, to, records, cuts) => {
    const text = records.map((r) => `${r.event === null ? "" : `event: ${r.event.replace(/[\r\n]/g, " ")}\n`}data: ${r.data.replace(/[\r\n]/g, " ")}\n\n`).join("");
    expect(run(new TextEncoder().encode(text), cuts, from, to)).toBeGreaterThanOrEqual(0);
  });

  it("a 10 MB line is refused by the parser with bounded memory, in any chunking", () => {
    const line = new Uint8Array(10 * 1024 * 1024).fill(0x61);
    const before = process.memoryUsage().heapUsed;
    const parser = createSSEParser();
    const data = new TextEncoder().encode("data: ");
    expect(() => {
      parser.push(data);
      for (let i = 0; i < line.length; i += 64 * 1024) parser.push(line.subarray(i, i + 64 * 1024));
    }).toThrow(SSELineTooLongError);
    // The parser keeps at most its 1 MiB cap, not the 10 MB it was fed.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });
});
