// Validation of the jwt-admin options: every problem at once, never a secret value echoed.
import { OptionProblems, checkKnownOptions, registerSecret } from "switchyard";
import { MIN_CONFIG_N, parsePasswordHash } from "./password.ts";
import type { JwtAdminOptions, ResolvedJwtAdminOptions } from "./types.ts";

/** Defaults of the options (documented in docs/auth/jwt-admin.md). */
export const JWT_ADMIN_DEFAULTS = {
  issuer: "switchyard",
  audience: "switchyard-admin",
  ttlSeconds: 900,
  perIpPerHour: 20,
  maxFailures: 10,
  windowSeconds: 900,
} as const;

/** Shape of a username after normalisation. */
export const USERNAME = /^[a-z0-9][a-z0-9._@+-]{0,63}$/;

/** Lowercase, NFKC, trimmed: the form usernames are compared and stored in. */
export function normalizeUsername(value: string): string {
  return value.normalize("NFKC").trim().toLowerCase();
}

/** Validate every option; throws one `[switchyard] [plugin:<name>]` error listing all problems. */
export function resolveOptions(name: string, input: JwtAdminOptions | undefined): ResolvedJwtAdminOptions {
  const options = (input ?? {}) as Record<string, unknown>;
  const problems = new OptionProblems();
  checkKnownOptions(options, ["admins", "jwt", "registration", "throttle"], problems);
  const jwt = section(options, "jwt", ["secret", "issuer", "audience", "ttlSeconds"], problems);
  const registration = section(options, "registration", ["enabled", "derivedKey", "hashUsernames", "perIpPerHour"], problems);
  const throttle = section(options, "throttle", ["maxFailures", "windowSeconds"], problems);
  const resolved: ResolvedJwtAdminOptions = {
    admins: admins(options.admins, problems),
    jwt: {
      secret: jwtSecret(jwt.secret, problems),
      issuer: text(jwt.issuer, "jwt.issuer", JWT_ADMIN_DEFAULTS.issuer, problems),
      audience: text(jwt.audience, "jwt.audience", JWT_ADMIN_DEFAULTS.audience, problems),
      ttlSeconds: whole(jwt.ttlSeconds, "jwt.ttlSeconds", JWT_ADMIN_DEFAULTS.ttlSeconds, 60, 86_400, problems),
    },
    registration: {
      enabled: flag(registration.enabled, "registration.enabled", problems),
      derivedKey: flag(registration.derivedKey, "registration.derivedKey", problems),
      hashUsernames: flag(registration.hashUsernames, "registration.hashUsernames", problems),
      perIpPerHour: whole(registration.perIpPerHour, "registration.perIpPerHour", JWT_ADMIN_DEFAULTS.perIpPerHour, 1, 100_000, problems),
    },
    throttle: {
      maxFailures: whole(throttle.maxFailures, "throttle.maxFailures", JWT_ADMIN_DEFAULTS.maxFailures, 1, 1000, problems),
      windowSeconds: whole(throttle.windowSeconds, "throttle.windowSeconds", JWT_ADMIN_DEFAULTS.windowSeconds, 1, 86_400, problems),
    },
  };
  problems.throwIfAny(name);
  return resolved;
}

// --- internal ---

const MIN_SECRET_BYTES = 32;
// Values copied from examples and templates (security.md F2).
const PLACEHOLDER = /change[-_ ]?(me|this)|your[-_ ]|example|placeholder|xxxxxx|secret[-_]?key|replace[-_ ]?me/i;

function section(options: Record<string, unknown>, key: string, known: string[], problems: OptionProblems): Record<string, unknown> {
  const value = options[key];
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.add(key, "an object", value);
    return {};
  }
  for (const name of Object.keys(value)) if (!known.includes(name)) problems.addText(`${key}.${name}`, `one of ${known.join(", ")}`, "an unknown option");
  return value as Record<string, unknown>;
}

function admins(value: unknown, problems: OptionProblems): ResolvedJwtAdminOptions["admins"] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add("admins", "an array of { username, passwordHash, role? }", value);
    return [];
  }
  const out: ResolvedJwtAdminOptions["admins"] = [];
  for (const [index, entry] of value.entries()) {
    const path = `admins[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.add(path, "an object { username, passwordHash, role? }", entry, { secret: true });
      continue;
    }
    const item = entry as Record<string, unknown>;
    for (const key of Object.keys(item)) {
      if (key === "password") problems.addText(`${path}.password`, "passwordHash (make one with `switchyard admin hash-password`)", "a plain password (value hidden; never put one in config)");
      else if (!["username", "passwordHash", "role"].includes(key)) problems.addText(`${path}.${key}`, "one of username, passwordHash, role", "an unknown option");
    }
    registerSecret(item.passwordHash);
    const username = typeof item.username === "string" ? normalizeUsername(item.username) : "";
    if (!USERNAME.test(username)) problems.add(`${path}.username`, "1 to 64 of a-z 0-9 . _ @ + - (starting with a letter or digit)", item.username);
    else if (out.some((a) => a.username === username)) problems.addText(`${path}.username`, "each username once", JSON.stringify(username));
    const hash = parsePasswordHash(item.passwordHash, MIN_CONFIG_N);
    if (typeof hash === "string") {
      const got = item.passwordHash === undefined ? "nothing (is the environment variable set?)" : `a value that is not one: ${hash} (value hidden)`;
      problems.addText(`${path}.passwordHash`, "a scrypt hash from `switchyard admin hash-password` (scrypt$N$r$p$salt$hash, N >= 32768)", got);
    }
    const role = item.role ?? "root";
    if (role !== "admin" && role !== "root") problems.add(`${path}.role`, '"admin" or "root"', item.role);
    out.push({ username, passwordHash: String(item.passwordHash), role: role === "admin" ? "admin" : "root" });
  }
  return out;
}

function jwtSecret(value: unknown, problems: OptionProblems): string | undefined {
  if (value === undefined) return undefined;
  registerSecret(value);
  if (typeof value !== "string") problems.add("jwt.secret", "a string of at least 32 bytes", value, { secret: true });
  else if (Buffer.byteLength(value) < MIN_SECRET_BYTES) problems.addText("jwt.secret", `at least ${MIN_SECRET_BYTES} bytes (try: openssl rand -base64 48)`, `${Buffer.byteLength(value)} bytes (value hidden)`);
  else if (PLACEHOLDER.test(value) || new Set(value).size < 10) problems.addText("jwt.secret", "a random secret (try: openssl rand -base64 48)", "a placeholder or low-variety value (hidden)");
  else return value;
  return undefined;
}

function text(value: unknown, path: string, fallback: string, problems: OptionProblems): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.trim() === "" || value.length > 200) {
    problems.add(path, "a non-empty string of at most 200 characters", value);
    return fallback;
  }
  return value;
}

function whole(value: unknown, path: string, fallback: number, min: number, max: number, problems: OptionProblems): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.add(path, `a whole number from ${min} to ${max}`, value);
    return fallback;
  }
  return value;
}

function flag(value: unknown, path: string, problems: OptionProblems): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") problems.add(path, "true or false", value);
  return value === true;
}
