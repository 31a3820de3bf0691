// A small SSE record splitter for the Codex stream: the plugin drops `codex.rate_limits`
// records, looks at the first events before answering, and collects non-stream answers.
// Line endings are normalized to `\n`; records keep their text otherwise.

/** One complete record. */
export interface SseRecord {
  /** The record's lines joined with `\n`, without the blank line that ended it. */
  raw: string;
  /** `event:` when present, else `type` of the JSON data. */
  type: string | undefined;
  /** The joined `data:` lines. */
  data: string;
}

/** A record grew past the cap: the stream cannot be parsed further. */
export class SseTooLargeError extends Error {
  override name = "SseTooLargeError";
}

/** Feed text, get complete records. */
export interface RecordSplitter {
  push(text: string): SseRecord[];
  /** The stream ended: a last record that lacked its blank line. */
  end(): SseRecord[];
}

/** Build a splitter; `maxRecordChars` caps one record (default 16 MiB). */
export function createRecordSplitter(maxRecordChars = 16 * 1024 * 1024): RecordSplitter {
  let buffer = "";
  let scanFrom = 0;
  let heldCR = false;
  return {
    push(text) {
      let chunk = heldCR ? `\r${text}` : text;
      heldCR = chunk.endsWith("\r");
      if (heldCR) chunk = chunk.slice(0, -1);
      buffer += chunk.includes("\r") ? chunk.replace(/\r\n?/g, "\n") : chunk;
      const out: SseRecord[] = [];
      let start = 0;
      for (;;) {
        const at = buffer.indexOf("\n\n", Math.max(start, scanFrom - 1));
        if (at === -1) break;
        const raw = buffer.slice(start, at);
        start = at + 2;
        const record = parseRecord(raw);
        if (record) out.push(record);
      }
      buffer = buffer.slice(start);
      scanFrom = buffer.length;
      if (buffer.length > maxRecordChars) throw new SseTooLargeError(`an SSE record is longer than ${maxRecordChars} characters`);
      return out;
    },
    end() {
      const rest = buffer;
      buffer = "";
      const record = parseRecord(rest.replace(/\n+$/, ""));
      return record ? [record] : [];
    },
  };
}

/** Serialize records back to wire text. */
export function formatRecords(records: readonly SseRecord[]): string {
  let out = "";
  for (const record of records) out += `${record.raw}\n\n`;
  return out;
}

/** The record's data as a JSON object, or undefined. */
export function recordJson(record: SseRecord): Record<string, unknown> | undefined {
  if (!record.data.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(record.data);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// --- internal ---

function parseRecord(raw: string): SseRecord | undefined {
  const text = raw.replace(/^\n+/, "");
  if (text === "") return undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  const record: SseRecord = { raw: text, type: event, data: data.join("\n") };
  if (record.type === undefined && data.length > 0) {
    const type = recordJson(record)?.type;
    if (typeof type === "string") record.type = type;
  }
  // A record of comments only carries nothing.
  return event === undefined && data.length === 0 ? undefined : record;
}
