/** One Server-Sent Events record: `event:` (optional), the joined `data:` lines, `id:` (optional). */
export interface SSEEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Options of {@link createSSEParser}. */
export interface SSEParserOptions {
  /** Longest line (and longest record data) accepted, in UTF-8 bytes. Default 1 MiB. */
  maxLineBytes?: number;
}

/** Incremental SSE parser: bytes in, complete records out. */
export interface SSEParser {
  /** Feed the next chunk; returns the records it completed. Throws {@link SSELineTooLongError}. */
  push(chunk: Uint8Array): SSEEvent[];
  /** The stream ended: flush the decoder and return a last record that lacked its blank line. */
  end(): SSEEvent[];
}

/** A line (or a record's data) grew past `maxLineBytes`; the stream cannot be parsed further. */
export class SSELineTooLongError extends Error {
  readonly limit: number;
  constructor(limit: number, what: "line" | "record") {
    super(`SSE ${what} longer than ${limit} bytes`);
    this.name = "SSELineTooLongError";
    this.limit = limit;
  }
}

/** Default line cap of {@link createSSEParser}: 1 MiB. */
export const DEFAULT_SSE_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Create the gateway's one SSE parser (WHATWG rules, protocols.md §0.1): `\n`, `\r\n` and a
 * bare `\r` end a line, even when split across chunks; `data:` lines of one record are
 * joined with `\n`; `:` lines are comments; one space after the colon is stripped; a UTF-8
 * code point split across chunks is decoded whole (a leading BOM is dropped). Differences
 * from a browser's EventSource, which a relay needs: `id` is reported only on the record that
 * carried it, `retry:` is ignored, and at `end()` a record whose last line was complete but
 * whose blank line never came is still delivered (a record cut mid-line is discarded).
 */
export function createSSEParser(options: SSEParserOptions = {}): SSEParser {
  const limit = options.maxLineBytes ?? DEFAULT_SSE_MAX_LINE_BYTES;
  const decoder = new TextDecoder("utf-8");
  let pending = ""; // the current, not yet terminated line
  let pendingBytes = 0;
  let skipLF = false; // the previous chunk ended in `\r`: a leading `\n` belongs to it
  let record = emptyRecord();

  const takeLine = (line: string, out: SSEEvent[]) => {
    if (line === "") {
      const event = dispatch(record);
      record = emptyRecord();
      if (event) out.push(event);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === "data") {
      record.dataBytes += utf8Length(value) + 1;
      if (record.dataBytes > limit) throw new SSELineTooLongError(limit, "record");
      record.data.push(value);
    } else if (field === "event") record.event = value;
    else if (field === "id" && !value.includes("\0")) record.id = value;
  };

  const feed = (text: string, out: SSEEvent[]) => {
    if (text === "") return;
    let start = 0;
    if (skipLF && text.charCodeAt(0) === 10) start = 1;
    skipLF = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const piece = text.slice(start, i);
      const line = pending === "" ? piece : pending + piece;
      if (pendingBytes + utf8Length(piece) > limit) throw new SSELineTooLongError(limit, "line");
      pending = "";
      pendingBytes = 0;
      takeLine(line, out);
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else skipLF = true;
      }
      start = i + 1;
    }
    if (start < text.length) {
      const rest = text.slice(start);
      pendingBytes += utf8Length(rest);
      if (pendingBytes > limit) throw new SSELineTooLongError(limit, "line");
      pending += rest;
    }
  };

  return {
    push(chunk) {
      const out: SSEEvent[] = [];
      feed(decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: SSEEvent[] = [];
      feed(decoder.decode(), out);
      const cut = pending !== ""; // the stream stopped mid-line: drop the unfinished record
      pending = "";
      pendingBytes = 0;
      const event = cut ? undefined : dispatch(record);
      record = emptyRecord();
      if (event) out.push(event);
      return out;
    },
  };
}

/**
 * Serialize one record: `event:` and `id:` lines only when set, one `data:` line per line of
 * `data` (split on `\n`, `\r\n` or `\r`), then the blank line that ends the record.
 */
export function formatSSE(event: SSEEvent): string {
  let out = "";
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

// --- internal ---

interface PartialRecord {
  event: string | undefined;
  id: string | undefined;
  data: string[];
  dataBytes: number;
}

function emptyRecord(): PartialRecord {
  return { event: undefined, id: undefined, data: [], dataBytes: 0 };
}

// A record without any `data:` line is not dispatched (WHATWG: empty data buffer).
function dispatch(record: PartialRecord): SSEEvent | undefined {
  if (record.data.length === 0) return undefined;
  const event: SSEEvent = { data: record.data.join("\n") };
  if (record.event !== undefined && record.event !== "") event.event = record.event;
  if (record.id !== undefined) event.id = record.id;
  return event;
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair is 2 code units and 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
