/**
 * Config problems, collected rather than thrown one at a time, so an operator sees
 * every mistake in one run. Each renders as `<key path>: expected <what>, got <what>`.
 */
export class ConfigIssues {
  readonly lines: string[] = [];

  /** Record a problem. With `secret`, the found value is described by type only. */
  add(path: string, expected: string, got: unknown, options: { secret?: boolean } = {}): void {
    this.lines.push(`${path || "(config)"}: expected ${expected}, got ${describeValue(got, options.secret)}`);
  }

  /** Record a problem whose found part is already a safe description. */
  addText(path: string, expected: string, gotText: string): void {
    this.lines.push(`${path || "(config)"}: expected ${expected}, got ${gotText}`);
  }

  get ok(): boolean {
    return this.lines.length === 0;
  }

  /** Throw a `ConfigError` carrying every line when there is any. */
  throwIfAny(source?: string): void {
    if (!this.ok) throw new ConfigError(this.lines, source);
  }
}

/** Thrown when a config does not validate; `issues` holds one line per problem. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[], source?: string) {
    const where = source ? ` in ${source}` : "";
    super(`[switchyard] [config] ${issues.length} problem(s)${where}:\n${issues.map((l) => `  ${l}`).join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Short, safe description of a found value for an issue line. */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (secret) return `a ${typeof value} (value hidden)`;
  switch (typeof value) {
    case "string":
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "function":
      return "a function";
    default:
      break;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const plugin = value as { name?: unknown; kind?: unknown };
  if (typeof plugin.name === "string" && typeof plugin.kind === "string") return `${plugin.kind} plugin "${plugin.name}"`;
  return "an object";
}

/** `true` for `{}`-style objects (not arrays, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Report every key of `value` that is not in `known`. */
export function checkKnownKeys(issues: ConfigIssues, path: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) issues.addText(join(path, key), `one of the known keys (${known.join(", ")})`, "an unknown key");
  }
}

/** Join a key path: `join("server", "port")` → `server.port`. */
export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}
