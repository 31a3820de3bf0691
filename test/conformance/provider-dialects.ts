import { expect } from "vitest";
import type { Dialect } from "../../core/index.ts";

/** One SSE record as read off the wire. */
export interface SseRecord {
  event?: string;
  data: string;
}

/** What the provider suite knows about each dialect: request bodies and answer checks. */
export interface DialectSpec {
  model: string;
  body(text: string, stream: boolean): Record<string, unknown>;
  /** The credential the upstream received. */
  credential(headers: Record<string, string>): string | undefined;
  /** Reply text of a JSON answer. */
  jsonText(body: Record<string, unknown>): string;
  /** Uncached input tokens of a JSON answer. */
  input(body: Record<string, unknown>): number;
  /** Assert the protocol's event sequence (start, deltas, usage, terminal event). */
  checkStream(records: SseRecord[]): void;
  /** Reply text assembled from the stream's deltas. */
  streamText(records: SseRecord[]): string;
  /** Assert a native error body. */
  checkError(body: Record<string, unknown>): void;
}

/** Read a whole SSE body into records (a small parser for tests: `\n\n`-separated, `:` comments skipped). */
export async function readSse(response: Response): Promise<SseRecord[]> {
  const text = (await response.text()).replace(/\r\n?/g, "\n");
  const records: SseRecord[] = [];
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n").filter((l) => l !== "" && !l.startsWith(":"));
    if (lines.length === 0) continue;
    const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
    records.push({ ...(event === undefined ? {} : { event }), data });
  }
  return records;
}

const json = (record: SseRecord | undefined): Record<string, unknown> => JSON.parse(record?.data ?? "null") as Record<string, unknown>;
// Wire JSON in assertions: loosely typed on purpose.
type Obj = Record<string, any>;

/** Specs per dialect, matching protocols.md §1 and §3. */
export const DIALECTS: Record<Dialect, DialectSpec> = {
  "anthropic-messages": {
    model: "claude-sonnet-4-5",
    body: (text, stream) => ({ model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user", content: text }], ...(stream ? { stream } : {}) }),
    credential: (h) => h["x-api-key"],
    jsonText: (b: Obj) => (b.content as Obj[]).filter((c) => c.type === "text").map((c) => c.text).join(""),
    input: (b: Obj) => b.usage.input_tokens,
    checkStream(records) {
      const types = records.map((r) => json(r).type);
      for (const r of records) expect(r.event).toBe(json(r).type);
      expect(types[0]).toBe("message_start");
      expect(types.at(-1)).toBe("message_stop");
      expect(types.at(-2)).toBe("message_delta");
      expect(types).toContain("content_block_start");
      expect(types).toContain("content_block_stop");
      expect((json(records[0]) as Obj).message.usage.input_tokens).toBeTypeOf("number");
      expect((json(records.at(-2)) as Obj).usage.output_tokens).toBeGreaterThan(0);
    },
    streamText: (records) =>
      records
        .map((r) => json(r) as Obj)
        .filter((d) => d.type === "content_block_delta" && d.delta.type === "text_delta")
        .map((d) => d.delta.text)
        .join(""),
    checkError(body: Obj) {
      expect(body.type).toBe("error");
      expect(body.error.type).toMatch(/_error$/);
    },
  },
  "openai-chat": {
    model: "gpt-4o",
    body: (text, stream) => ({
      model: "gpt-4o",
      messages: [{ role: "user", content: text }],
      ...(stream ? { stream, stream_options: { include_usage: true } } : {}),
    }),
    credential: (h) => /^Bearer (.+)$/.exec(h.authorization ?? "")?.[1],
    jsonText: (b: Obj) => b.choices[0].message.content,
    input: (b: Obj) => b.usage.prompt_tokens - (b.usage.prompt_tokens_details?.cached_tokens ?? 0),
    checkStream(records) {
      expect(records.at(-1)?.data).toBe("[DONE]");
      const chunks = records.slice(0, -1).map((r) => json(r) as Obj);
      for (const c of chunks) expect(c.object).toBe("chat.completion.chunk");
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage.completion_tokens).toBeGreaterThan(0);
      expect(chunks.at(-2)?.choices[0].finish_reason).toBe("stop");
    },
    streamText: (records) =>
      records
        .slice(0, -1)
        .map((r) => json(r) as Obj)
        .map((c) => c.choices[0]?.delta?.content ?? "")
        .join(""),
    checkError(body: Obj) {
      expect(body.error.message).toBeTypeOf("string");
    },
  },
  "openai-responses": {
    model: "gpt-5",
    body: (text, stream) => ({ model: "gpt-5", input: [{ role: "user", content: [{ type: "input_text", text }] }], ...(stream ? { stream } : {}) }),
    credential: (h) => /^Bearer (.+)$/.exec(h.authorization ?? "")?.[1],
    jsonText: (b: Obj) => (b.output as Obj[]).flatMap((o) => (o.type === "message" ? o.content : [])).map((c: Obj) => c.text).join(""),
    input: (b: Obj) => b.usage.input_tokens - (b.usage.input_tokens_details?.cached_tokens ?? 0) - (b.usage.input_tokens_details?.cache_write_tokens ?? 0),
    checkStream(records) {
      const events = records.map((r) => json(r) as Obj);
      for (const [i, r] of records.entries()) expect(r.event).toBe(events[i]?.type);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events[0]?.type).toBe("response.created");
      expect(events.at(-1)?.type).toBe("response.completed");
      expect(events.at(-1)?.response.usage.output_tokens).toBeGreaterThan(0);
    },
    streamText: (records) =>
      records
        .map((r) => json(r) as Obj)
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
    checkError(body: Obj) {
      expect(body.error.message).toBeTypeOf("string");
    },
  },
};
