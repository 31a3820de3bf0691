import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { resolveSecretKey } from "../../core/secret-key.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-key-"));
  dirs.push(dir);
  return dir;
}

/** Resolve with `value` as SWITCHYARD_SECRET and return the rejection message. */
async function refusal(value: string | undefined, production: boolean): Promise<string> {
  const env = value === undefined ? {} : { SWITCHYARD_SECRET: value };
  const error = await resolveSecretKey({ env, production, dataDir: tempDir() }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(/^\[switchyard\] \[secret\] SWITCHYARD_SECRET /);
  expect(message).toContain("openssl rand -base64 32");
  if (value?.trim()) expect(message).not.toContain(value.trim());
  return message;
}

const BAD_VALUES: Array<[string, string, RegExp]> = [
  ["short base64", randomBytes(16).toString("base64"), /decodes to 16 bytes/],
  ["short hex", randomBytes(31).toString("hex"), /decodes to 31 bytes/],
  ["hex zeros", "0".repeat(64), /placeholder/],
  ["repeated bytes", "01".repeat(32), /too few distinct/],
  ["change-me", "change-me-to-a-long-random-string-of-48-chars!!", /placeholder.*"change"/],
  ["your-", "your-api-key-1-your-api-key-1-your-api-key-1-abcdef", /placeholder/],
  ["example", "ExampleKeyExampleKeyExampleKeyExampleKey1234=", /placeholder/],
  ["secret", "supersecretvaluethatislongenoughtopassthelength", /placeholder/],
  ["xxxx", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /placeholder/],
  ["aaaa", "A".repeat(44), /placeholder/],
  ["not base64", "zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz", /neither hex nor base64/],
  ["odd hex", `${randomBytes(32).toString("hex")}a`, /odd number/],
];

describe("resolveSecretKey in production", () => {
  test("refuses to start without SWITCHYARD_SECRET", async () => {
    expect(await refusal(undefined, true)).toContain("is not set");
    expect(await refusal("   ", true)).toContain("is not set");
  });

  test.each(BAD_VALUES)("refuses a %s value without printing it", async (_name, value, reason) => {
    expect(await refusal(value, true)).toMatch(reason);
  });

  test("does not fall back to a key file", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "secret.key"), `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    await expect(resolveSecretKey({ env: {}, production: true, dataDir })).rejects.toThrow(/is not set/);
  });

  test("defaults to production when NODE_ENV is production", async () => {
    await expect(resolveSecretKey({ env: { NODE_ENV: "production" }, dataDir: tempDir() })).rejects.toThrow(/is not set/);
  });
});

describe("resolveSecretKey values", () => {
  test("accepts hex, base64 and base64url of at least 32 random bytes", async () => {
    const bytes = randomBytes(32);
    for (const value of [bytes.toString("hex"), bytes.toString("hex").toUpperCase(), bytes.toString("base64"), bytes.toString("base64url"), ` ${bytes.toString("base64")}\n`]) {
      const resolved = await resolveSecretKey({ env: { SWITCHYARD_SECRET: value }, production: true, dataDir: tempDir() });
      expect(resolved.source).toBe("env");
      expect(Buffer.from(resolved.key).equals(bytes)).toBe(true);
    }
    const long = randomBytes(64);
    const resolved = await resolveSecretKey({ env: { SWITCHYARD_SECRET: long.toString("base64") }, production: true, dataDir: tempDir() });
    expect(Buffer.from(resolved.key).equals(long)).toBe(true);
  });

  test.each(BAD_VALUES)("development also refuses a set-but-bad %s value", async (_name, value, reason) => {
    expect(await refusal(value, false)).toMatch(reason);
  });
});

describe("resolveSecretKey in development", () => {
  test("generates a key into a 0600 file in a 0700 folder, and reads the same key back", async () => {
    const dataDir = join(tempDir(), "nested", ".data");
    const first = await resolveSecretKey({ env: {}, production: false, dataDir });
    expect(first.source).toBe("generated");
    expect(first.key.byteLength).toBe(32);
    const file = join(dataDir, "secret.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir)).toEqual(["secret.key"]); // no temp file left behind
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64").equals(Buffer.from(first.key))).toBe(true);

    const second = await resolveSecretKey({ env: {}, production: false, dataDir });
    expect(second.source).toBe("file");
    expect(Buffer.from(second.key).equals(Buffer.from(first.key))).toBe(true);
  });

  test("concurrent first starts agree on one key", async () => {
    const dataDir = join(tempDir(), "data");
    const results = await Promise.all(Array.from({ length: 8 }, () => resolveSecretKey({ env: {}, production: false, dataDir })));
    const keys = new Set(results.map((r) => Buffer.from(r.key).toString("hex")));
    expect(keys.size).toBe(1);
    expect(results.filter((r) => r.source === "generated").length).toBeLessThanOrEqual(1);
    expect(readdirSync(dataDir)).toEqual(["secret.key"]);
  });

  test("tightens a key file that others can read, and rejects a corrupt one", async () => {
    const dataDir = tempDir();
    const file = join(dataDir, "secret.key");
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`);
    chmodSync(file, 0o644);
    expect((await resolveSecretKey({ env: {}, production: false, dataDir })).source).toBe("file");
    expect(statSync(file).mode & 0o777).toBe(0o600);

    writeFileSync(file, "AAAA\n");
    await expect(resolveSecretKey({ env: {}, production: false, dataDir })).rejects.toThrow(/key file .* decodes to 3 bytes/);
  });

  test("an environment value wins over the key file", async () => {
    const dataDir = tempDir();
    await resolveSecretKey({ env: {}, production: false, dataDir });
    const bytes = randomBytes(32);
    const resolved = await resolveSecretKey({ env: { SWITCHYARD_SECRET: bytes.toString("base64") }, production: false, dataDir });
    expect(resolved.source).toBe("env");
    expect(Buffer.from(resolved.key).equals(bytes)).toBe(true);
  });
});
