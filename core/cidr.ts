import { isIPv4, isIPv6 } from "node:net";

/** A parsed CIDR range. IPv4-mapped IPv6 ranges (`::ffff:0:0/96` and narrower) are stored as IPv4. */
export interface Cidr {
  v6: boolean;
  bytes: Uint8Array;
  bits: number;
}

/**
 * Parse `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a single-address range).
 * Returns the reason as a string when the text is not a CIDR range; host bits must be zero,
 * so `10.0.0.1/8` is refused rather than silently widened.
 */
export function parseCidr(text: string): Cidr | string {
  if (typeof text !== "string") return "expected a string";
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseAddress(addressText, false);
  if (!address) return `${JSON.stringify(addressText)} is not an IPv4 or IPv6 address`;
  const max = address.v6 ? 128 : 32;
  const bitsText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > max) return `prefix length must be an integer from 0 to ${max}`;
  const range = normalizeMapped({ ...address, bits: Number(bitsText) });
  const masked = mask(range.bytes, range.bits);
  if (!masked.every((b, i) => b === range.bytes[i])) {
    return `host bits are set (did you mean ${format(masked, range.v6)}/${range.bits}?)`;
  }
  return range;
}

/** Whether the client address `ip` lies in any of `ranges` (CIDR text). An unknown address matches nothing. */
export function ipAllowed(ip: string | undefined, ranges: readonly string[]): boolean {
  if (typeof ip !== "string") return false;
  const address = parseAddress(ip, true);
  if (!address) return false;
  const client = normalizeMapped({ ...address, bits: address.v6 ? 128 : 32 });
  for (const text of ranges) {
    const range = parseCidr(text);
    if (typeof range === "string" || range.v6 !== client.v6) continue;
    if (mask(client.bytes, range.bits).every((b, i) => b === range.bytes[i])) return true;
  }
  return false;
}

// --- internal ---

function parseAddress(text: string, allowZone: boolean): { v6: boolean; bytes: Uint8Array } | undefined {
  // A socket may report a link-local address with its zone (`fe80::1%eth0`); ranges never carry one.
  const bare = allowZone && text.includes("%") ? text.slice(0, text.indexOf("%")) : text;
  if (isIPv4(bare)) return { v6: false, bytes: Uint8Array.from(bare.split(".").map(Number)) };
  if (!isIPv6(bare) || bare.includes("%")) return undefined;
  const bytes = v6Bytes(bare);
  return bytes ? { v6: true, bytes } : undefined;
}

function v6Bytes(text: string): Uint8Array | undefined {
  let s = text;
  if (s.includes(".")) {
    // Embedded IPv4 tail (`::ffff:1.2.3.4`): rewrite it as two hex groups.
    const colon = s.lastIndexOf(":");
    const v4 = s.slice(colon + 1).split(".").map(Number);
    if (v4.length !== 4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    s = `${s.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((h) => Number.parseInt(h, 16)) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const all = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function normalizeMapped(range: Cidr): Cidr {
  const b = range.bytes;
  const mapped = range.v6 && range.bits >= 96 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? { v6: false, bytes: b.slice(12), bits: range.bits - 96 } : range;
}

function mask(bytes: Uint8Array, bits: number): Uint8Array {
  return bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

function format(bytes: Uint8Array, v6: boolean): string {
  if (!v6) return [...bytes].join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}
