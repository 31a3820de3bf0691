/** What every redacted value is replaced with. */
export const REDACTED = "[redacted]";

/**
 * True for object keys whose value is a credential, compared case-insensitively with
 * `-`/`_` ignored: `authorization`, `x-api-key`, `cookie`, `password`, `client_secret`,
 * `private_key`, `totp`, … and any key ending in `secret`, `token` or `password`.
 */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_\s]/g, "");
  return SENSITIVE_KEYS.has(k) || k.endsWith("secret") || k.endsWith("token") || k.endsWith("password");
}

/**
 * Remember an exact secret value (a token, a key, an opened sealed value) so that
 * `redact`/`redactString` replace it wherever it appears later. Values shorter than
 * 8 characters are ignored; the set keeps only the most recent 10,000 values.
 */
export function registerSecret(value: unknown): void {
  if (typeof value !== "string" || value.length < MIN_SECRET || value.length > MAX_SECRET) return;
  // A value inside the marker would be re-created by every replacement.
  if (REDACTED.includes(value)) return;
  if (registry.delete(value)) {
    registry.set(value, true); // refresh its age
    return;
  }
  registry.set(value, true);
  totalChars += value.length;
  const prefix = value.slice(0, MIN_SECRET);
  const bucket = byPrefix.get(prefix);
  if (bucket) bucket.add(value);
  else byPrefix.set(prefix, new Set([value]));
  while (registry.size > MAX_COUNT || totalChars > MAX_TOTAL_CHARS) evictOldest();
}

/**
 * Replace credentials inside a string: registered secrets, `Bearer`/`Basic` credentials,
 * `sk-…` keys, sealed `sy1.` values, JWTs, PEM private keys, `key=`/`token=` style
 * parameters, sensitive header lines and quoted pairs, and `user:pass@` in URLs.
 */
export function redactString(input: string): string {
  if (input.length < 8) return input;
  const first = scrubRegistered(input);
  let out = first;
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace);
  // Replacements can join text into a registered value again; scrub once more.
  return out === first ? out : scrubRegistered(out);
}

/**
 * Deep copy of `value` with every secret replaced by `"[redacted]"`: sensitive keys in
 * objects, Maps and Headers, patterns inside every string (see `redactString`), Error
 * messages, stacks and causes. Cycles become `"[Circular]"`, binary data a size note.
 * The input is never modified.
 */
export function redact(value: unknown): unknown {
  return walk(value, 0, new Set(), new WeakMap());
}

// --- internal ---

const SENSITIVE_KEYS = new Set([
  "authorization", "proxyauthorization", "xapikey", "apikey", "xgoogapikey", "cookie", "setcookie",
  "password", "passwd", "passphrase", "secret", "token", "accesstoken", "refreshtoken", "idtoken",
  "clientsecret", "privatekey", "totp", "credential", "credentials",
]);
// Redacted only as URL query parameters (`?code=`), since `code=500` is common in plain text.
const QUERY_KEYS = new Set(["sig", "signature", "code"]);

const MIN_SECRET = 8;
const MAX_SECRET = 16_384;
const MAX_COUNT = 10_000;
const MAX_TOTAL_CHARS = 4_000_000;
const MAX_DEPTH = 32;

const registry = new Map<string, true>(); // insertion order = age
const byPrefix = new Map<string, Set<string>>();
let totalChars = 0;

type Replacer = (match: string, ...rest: unknown[]) => string;
const mask: Replacer = () => REDACTED;

// Name lengths are bounded so no pattern can go quadratic on long runs of word characters.
const PATTERNS: Array<[RegExp, Replacer]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, mask],
  [
    // Raw header lines; quoted values (JSON, util.inspect) are left to the next pattern.
    /\b(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|set-cookie|cookie)(\s*:[ \t]*)(?![\s"'[])[^\r\n]+/gi,
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
  [
    // "token": "…", 'secret': '…', password: '…' (JSON or util.inspect text inside a string)
    /(["']?)([\w-]{1,64})\1(\s*:\s*)(["'])((?:\\.|(?!\4)[^\\\r\n])*)\4/g,
    (m, q, name, sep, q2) => (isSensitiveKey(String(name)) ? `${q}${name}${q}${sep}${q2}${REDACTED}${q2}` : m),
  ],
  [
    /(?<![\w-])([\w-]{1,48})=([^&\s#"'<>,;]+)/g,
    (m, name, _value, offset, whole) => {
      const n = String(name);
      const inQuery = "?&;".includes(String(whole).charAt(Number(offset) - 1) || " ");
      return isSensitiveKey(n) || n.toLowerCase() === "key" || (inQuery && QUERY_KEYS.has(n.toLowerCase()))
        ? `${n}=${REDACTED}`
        : m;
    },
  ],
  [/\b([a-z][a-z0-9+.-]{0,20}:\/\/)[^\s/?#"'<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  [/\b(bearer|basic)([ \t]+)[\w\-.~+/]+=*/gi, (_m, scheme, sep) => `${scheme}${sep}${REDACTED}`],
  [/(?<![A-Za-z0-9])(?:sk-[\w-]{16,}|AIza[\w-]{30,}|gh[pousr]_[A-Za-z0-9]{30,})/g, mask],
  [/\bsy1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+/g, mask],
  [/(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g, mask],
];

function evictOldest(): void {
  const oldest = registry.keys().next().value;
  if (oldest === undefined) return;
  registry.delete(oldest);
  totalChars -= oldest.length;
  const prefix = oldest.slice(0, MIN_SECRET);
  const bucket = byPrefix.get(prefix);
  bucket?.delete(oldest);
  if (bucket?.size === 0) byPrefix.delete(prefix);
}

/** Replace registered values until none is left (bounded; falls back to the whole string). */
function scrubRegistered(s: string): string {
  let out = s;
  for (let round = 0; round < 4; round++) {
    const next = scrubOnce(out);
    if (next === out) return out;
    out = next;
  }
  return scrubOnce(out) === out ? out : REDACTED;
}

/** One left-to-right pass: every position is looked up by its 8-char prefix, so O(length). */
function scrubOnce(s: string): string {
  if (registry.size === 0 || s.length < MIN_SECRET) return s;
  let out = "";
  let copied = 0; // input before this index is already in `out`
  let end = 0; // end of the current redacted range; overlapping matches extend it
  let found = false;
  for (let i = 0; i + MIN_SECRET <= s.length; i++) {
    const bucket = byPrefix.get(s.slice(i, i + MIN_SECRET));
    if (!bucket) continue;
    let len = 0;
    for (const secret of bucket) if (secret.length > len && s.startsWith(secret, i)) len = secret.length;
    if (len === 0) continue;
    if (!found || i >= end) out += s.slice(copied, i) + REDACTED;
    found = true;
    end = Math.max(end, i + len);
    copied = end;
  }
  return found ? out + s.slice(copied) : s;
}

function walk(value: unknown, depth: number, path: Set<object>, done: WeakMap<object, unknown>): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (path.has(value)) return "[Circular]";
  if (done.has(value)) return done.get(value);
  if (depth >= MAX_DEPTH) return "[Truncated]";
  path.add(value);
  try {
    const out = copy(value, (v) => walk(v, depth + 1, path, done));
    done.set(value, out);
    return out;
  } finally {
    path.delete(value);
  }
}

function copy(value: object, next: (v: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    // [name, value] pairs, as in `headers: [["x-api-key", key]]` or Object.entries output
    if (value.length === 2 && typeof value[0] === "string") return [next(value[0]), field(value[0], value[1], next)];
    return value.map(next);
  }
  if (value instanceof Error) return copyError(value, next);
  if (typeof Headers !== "undefined" && value instanceof Headers) {
    const out = new Headers();
    for (const [k, v] of value) out.append(k, isSensitiveKey(k) ? REDACTED : redactString(v));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value) out.set(next(k), typeof k === "string" ? field(k, v, next) : next(v));
    return out;
  }
  if (value instanceof Set) return new Set([...value].map(next));
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof URL) return redactString(value.href);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) define(out, redactString(key), readField(value, key, next));
  return out;
}

function copyError(err: Error, next: (v: unknown) => unknown): Error {
  const out = new Error(redactString(String(err.message)));
  out.name = String(err.name);
  for (const key of Object.getOwnPropertyNames(err)) {
    if (key === "message") continue;
    if (key === "stack") {
      define(out, "stack", typeof err.stack === "string" ? redactString(err.stack) : undefined, false);
      continue;
    }
    const enumerable = Object.getOwnPropertyDescriptor(err, key)?.enumerable ?? false;
    define(out, key, readField(err, key, next), enumerable);
  }
  return out;
}

function readField(obj: object, key: string, next: (v: unknown) => unknown): unknown {
  try {
    return field(key, (obj as Record<string, unknown>)[key], next);
  } catch {
    return "[Unreadable]"; // a throwing getter must not break logging
  }
}

function field(key: string, value: unknown, next: (v: unknown) => unknown): unknown {
  if (isSensitiveKey(key) && value !== null && value !== undefined && value !== "") return REDACTED;
  return next(value);
}

// defineProperty, so a key such as "__proto__" stays data and never changes the prototype.
function define(target: object, key: string, value: unknown, enumerable = true): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}
