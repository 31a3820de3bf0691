// Canary secrets (security.md H1/H2): distinct random values, a record of every place the
// gateway could have written them (sinks), and a scan that reports each occurrence by sink.
import { randomBytes } from "node:crypto";

/** A distinctive random secret, `canary-<kind>-<24 hex>`. */
export function canary(kind: string): string {
  return `canary-${kind}-${randomBytes(12).toString("hex")}`;
}

/** One text the gateway produced; `allow` lists canary values it may hold (e.g. the answer that issues them). */
export interface SinkEntry {
  sink: string;
  text: string;
  allow?: ReadonlySet<string>;
}

/** One occurrence of a canary in a sink. */
export interface Leak {
  kind: string;
  form: string;
  sink: string;
  /** Up to 60 characters around the hit, the canary itself replaced by `<kind>`. */
  context: string;
}

/** Named canary values, with every encoded form worth scanning for. */
export class Canaries {
  readonly values = new Map<string, string>();

  add(kind: string, value: string): string {
    if (value.length < 8) throw new Error(`canary ${kind} is too short to scan for`);
    const existing = this.values.get(kind);
    if (existing !== undefined && existing !== value) return this.add(`${kind}+`, value);
    this.values.set(kind, value);
    return value;
  }

  /** Forms of each canary: raw, base64, base64url, percent-encoded, JSON-escaped and, for `canary-…`, the random tail alone. */
  forms(): Array<{ kind: string; value: string; form: string; needle: string }> {
    const out: Array<{ kind: string; value: string; form: string; needle: string }> = [];
    for (const [kind, value] of this.values) {
      const seen = new Set<string>();
      const push = (form: string, needle: string) => {
        if (needle.length < 8 || seen.has(needle)) return;
        seen.add(needle);
        out.push({ kind, value, form, needle });
      };
      push("raw", value);
      push("base64", Buffer.from(value).toString("base64").replace(/=+$/, ""));
      push("base64url", Buffer.from(value).toString("base64url"));
      push("percent", encodeURIComponent(value));
      push("json", JSON.stringify(value).slice(1, -1));
      const tail = /^canary-[a-z0-9-]+-([0-9a-f]{24})$/.exec(value)?.[1];
      if (tail) push("tail", tail);
    }
    return out;
  }

  /** Every occurrence of every form of every canary in `entries`, except those an entry allows. */
  scan(entries: readonly SinkEntry[]): Leak[] {
    const leaks: Leak[] = [];
    const forms = this.forms();
    for (const entry of entries) {
      for (const { kind, value, form, needle } of forms) {
        if (entry.allow?.has(value)) continue;
        const at = entry.text.indexOf(needle);
        if (at < 0) continue;
        const around = entry.text.slice(Math.max(0, at - 30), at + needle.length + 30).split(needle).join(`<${kind}>`);
        leaks.push({ kind, form, sink: entry.sink, context: around });
      }
    }
    return leaks;
  }
}
