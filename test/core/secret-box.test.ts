import { randomBytes } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { redactString } from "../../core/redact.ts";
import { type SealContext, SecretBoxError, createSecretBox, isSealed, sealedKeyId } from "../../core/secret-box.ts";

const key = randomBytes(32);
const box = createSecretBox(key);
const ctx: SealContext = { type: "account", id: "acc_1", field: "refreshToken" };
const plaintext = "rt-canary-7f3a9c2e51d04b68";

/** Expect `fn` to throw a SecretBoxError with `reason`, and return it. */
function openError(fn: () => unknown, reason: SecretBoxError["reason"]): SecretBoxError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as SecretBoxError).reason).toBe(reason);
    return error as SecretBoxError;
  }
  throw new Error(`expected a SecretBoxError (${reason}), nothing was thrown`);
}

function split(sealed: string): { kid: string; nonce: Buffer; body: Buffer } {
  const [, kid, nonce, body] = sealed.split(".");
  return { kid: kid!, nonce: Buffer.from(nonce!, "base64url"), body: Buffer.from(body!, "base64url") };
}

function join(kid: string, nonce: Buffer, body: Buffer): string {
  return `sy1.${kid}.${nonce.toString("base64url")}.${body.toString("base64url")}`;
}

describe("secret box", () => {
  test.prop([fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.option(fc.string(), { nil: undefined })])(
    "opens what it sealed for the same record",
    (value, type, id, field) => {
      const at = { type, id, field };
      const sealed = box.seal(value, at);
      expect(sealed).toMatch(/^sy1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]{22,}$/);
      expect(box.isSealed(sealed)).toBe(true);
      expect(box.open(sealed, at)).toBe(value);
    },
  );

  test.prop([fc.nat()], { numRuns: 300 })("fails to open when any single bit of nonce, ciphertext or tag is flipped", (n) => {
    const sealed = box.seal(plaintext, ctx);
    const { kid, nonce, body } = split(sealed);
    const bytes = Buffer.concat([nonce, body]);
    const bit = n % (bytes.length * 8);
    bytes[bit >> 3] = bytes[bit >> 3]! ^ (1 << (bit & 7));
    const tampered = join(kid, bytes.subarray(0, 12), bytes.subarray(12));
    openError(() => box.open(tampered, ctx), "auth_failed");
  });

  test("fails when the first or last bit of each part is flipped", () => {
    const { kid, nonce, body } = split(box.seal(plaintext, ctx));
    const tagStart = body.length - 16;
    for (const [which, index, mask] of [["n", 0, 1], ["n", 11, 0x80], ["b", 0, 1], ["b", tagStart - 1, 0x80], ["b", tagStart, 1], ["b", body.length - 1, 0x80]] as const) {
      const n = Buffer.from(nonce);
      const b = Buffer.from(body);
      const target = which === "n" ? n : b;
      target[index] = target[index]! ^ mask;
      openError(() => box.open(join(kid, n, b), ctx), "auth_failed");
    }
  });

  test("fails when the value is moved to another record id, type, field or scope", () => {
    const sealed = box.seal(plaintext, ctx);
    openError(() => box.open(sealed, { ...ctx, id: "acc_2" }), "auth_failed");
    openError(() => box.open(sealed, { ...ctx, type: "user" }), "auth_failed");
    openError(() => box.open(sealed, { ...ctx, field: "accessToken" }), "auth_failed");
    openError(() => box.open(sealed, { type: ctx.type, id: ctx.id }), "auth_failed");
    openError(() => box.withScope("plugin:a").open(sealed, ctx), "auth_failed");
    expect(box.open(sealed, { ...ctx })).toBe(plaintext);
  });

  test("encodes the record unambiguously", () => {
    const sealed = box.seal(plaintext, { type: "a:b", id: "c" });
    openError(() => box.open(sealed, { type: "a", id: "b:c" }), "auth_failed");
    const withEmptyField = box.seal(plaintext, { type: "a", id: "b", field: "" });
    openError(() => box.open(withEmptyField, { type: "a", id: "b" }), "auth_failed");
  });

  test("a scope cannot open another scope's values, and the same scope always can", () => {
    const a = box.withScope("plugin:a");
    const sealed = a.seal(plaintext, ctx);
    openError(() => box.withScope("plugin:b").open(sealed, ctx), "auth_failed");
    openError(() => box.open(sealed, ctx), "auth_failed");
    openError(() => a.withScope("x").open(sealed, ctx), "auth_failed");
    openError(() => a.open(box.seal(plaintext, ctx), ctx), "auth_failed");
    expect(createSecretBox(key).withScope("plugin:a").open(sealed, ctx)).toBe(plaintext);
    expect(() => box.withScope("")).toThrow(TypeError);
  });

  test("a box with another master key reports a wrong key, not a tampered value", () => {
    const other = createSecretBox(randomBytes(32));
    expect(other.keyId).not.toBe(box.keyId);
    const error = openError(() => other.open(box.seal(plaintext, ctx), ctx), "wrong_key");
    expect(error.message).toContain("wrong or changed SWITCHYARD_SECRET");
    expect(error.message).toContain(box.keyId);
    // Rewriting the key id in the value does not help the other key either.
    const { nonce, body } = split(box.seal(plaintext, ctx));
    openError(() => other.open(join(other.keyId, nonce, body), ctx), "auth_failed");
  });

  test("rejects malformed values", () => {
    const sealed = box.seal(plaintext, ctx);
    for (const bad of ["", plaintext, "sy1.", `${sealed}.x`, sealed.replace("sy1.", "sy2."), `${sealed.slice(0, -1)}!`]) {
      openError(() => box.open(bad, ctx), "malformed");
    }
    // A truncated body is refused either way: as non-canonical base64url when its last character
    // carries unused bits that happen to be set (random ciphertext), else by the tag.
    expect(() => box.open(sealed.slice(0, -30), ctx)).toThrow(SecretBoxError);
    for (let cut = 1; cut < 40; cut++) {
      try {
        box.open(sealed.slice(0, -cut), ctx);
        throw new Error(`a value cut by ${cut} opened`);
      } catch (error) {
        expect(["malformed", "auth_failed"]).toContain((error as SecretBoxError).reason);
      }
    }
    openError(() => box.open(42 as unknown as string, ctx), "malformed");
    // A non-canonical spelling of the last base64url character (same bytes) is refused too.
    const short = box.seal("x", ctx); // 17-byte body: the last character carries 2 unused bits
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const alt = short.slice(0, -1) + alphabet[alphabet.indexOf(short.at(-1)!) ^ 1];
    expect(Buffer.from(alt.split(".")[3]!, "base64url")).toEqual(Buffer.from(short.split(".")[3]!, "base64url"));
    openError(() => box.open(alt, ctx), "malformed");
  });

  test("error messages name the record and reason but never the plaintext or ciphertext", () => {
    const sealed = box.seal(plaintext, ctx);
    const { body } = split(sealed);
    const errors = [
      openError(() => box.open(sealed, { ...ctx, id: "acc_9" }), "auth_failed"),
      openError(() => createSecretBox(randomBytes(32)).open(sealed, ctx), "wrong_key"),
      openError(() => box.open(sealed.slice(0, 40), ctx), "malformed"),
    ];
    for (const error of errors) {
      const text = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain(sealed.split(".")[3]!.slice(0, 16));
      expect(text).not.toContain(body.toString("hex").slice(0, 16));
      expect(error.message).toMatch(/^\[switchyard\] \[secret-box\] Cannot open account/);
    }
    expect(errors[0]!.message).toContain('"acc_9"');
    expect(errors[0]!.message).toContain("authentication failed");
  });

  test("10,000 seals of the same plaintext use 10,000 distinct nonces", () => {
    const nonces = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const [, , nonce, body] = box.seal(plaintext, ctx).split(".");
      nonces.add(nonce!);
      bodies.add(body!);
    }
    expect(nonces.size).toBe(10_000);
    expect(bodies.size).toBe(10_000);
  });

  test("opens known answers (the format is stable across versions) and registers what it opens", () => {
    // Produced by this module and checked with an independent AES-GCM/HKDF implementation.
    const fixed = createSecretBox(Uint8Array.from({ length: 32 }, (_, i) => i));
    expect(fixed.keyId).toBe("3852c35a");
    const sealed = "sy1.3852c35a.WgEHqRl28LRwkM9J.AnepzA03caQOUN-rozsMke-EFAkaoa_lx-mj_Itsl2VYpGlJ7c4d7Z8";
    expect(redactString("known-answer-plaintext-42")).toBe("known-answer-plaintext-42"); // not seen yet
    expect(fixed.open(sealed, { type: "account", id: "acc_kat", field: "accessToken" })).toBe("known-answer-plaintext-42");
    expect(redactString("got known-answer-plaintext-42")).toBe("got [redacted]");
    const scoped = "sy1.3852c35a.O2cEz57iKVSFwKsr.r6K6u5sD9WviWANC7zXma_580Ebv5SCGyQs2tgSgvWRawosk8eA";
    expect(fixed.withScope("plugin:kat").open(scoped, { type: "account", id: "acc_kat" })).toBe("scoped-known-answer-77");
    expect(fixed.hash("sk-sy-known", "api-key")).toBe("41ae31df6467648e1ecb9df1c238849d3f00a09d4f69109d265b5d7b1d8e0063");
  });

  test("registers sealed and opened plaintexts with the redactor", () => {
    const secret = `oauth-${randomBytes(12).toString("hex")}`;
    const sealed = box.seal(secret, ctx);
    const fresh = createSecretBox(key); // same key, so opening works in another box too
    expect(fresh.open(sealed, ctx)).toBe(secret);
    expect(redactString(`token is ${secret}!`)).toBe("token is [redacted]!");
  });

  test("key id, shape helpers and input checks", () => {
    expect(box.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(createSecretBox(Uint8Array.from(key)).keyId).toBe(box.keyId);
    const sealed = box.seal("x", ctx);
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed("sy1.nothing")).toBe(false);
    expect(isSealed(undefined)).toBe(false);
    expect(sealedKeyId(sealed)).toBe(box.keyId);
    expect(sealedKeyId("plain")).toBeUndefined();
    expect(() => createSecretBox(randomBytes(31))).toThrow(/at least 32 bytes/);
    expect(() => box.seal("x", { type: "", id: "a" })).toThrow(TypeError);
    expect(() => box.seal("\uD800x", ctx)).toThrow(TypeError);
  });
});

describe("keyed hashes", () => {
  test("are deterministic, hex, and separated by purpose, scope and key", () => {
    const digest = box.hash("sk-sy-client-key", "api-key");
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(createSecretBox(key).hash("sk-sy-client-key", "api-key")).toBe(digest);
    expect(box.hash("sk-sy-client-key", "backup-code")).not.toBe(digest);
    expect(box.withScope("plugin:a").hash("sk-sy-client-key", "api-key")).not.toBe(digest);
    expect(createSecretBox(randomBytes(32)).hash("sk-sy-client-key", "api-key")).not.toBe(digest);
    // The purpose/value boundary is unambiguous.
    expect(box.hash("b:c", "a")).not.toBe(box.hash("c", "a:b"));
  });

  test.prop([fc.string({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 0xffff })])(
    "verifyHash accepts the value and rejects a one-character change",
    (value, at, delta) => {
      const digest = box.hash(value, "api-key");
      expect(box.verifyHash(value, "api-key", digest)).toBe(true);
      const i = at % value.length;
      const changed = value.slice(0, i) + String.fromCharCode((value.charCodeAt(i) + delta) % 0x10000) + value.slice(i + 1);
      if (changed !== value) expect(box.verifyHash(changed, "api-key", digest)).toBe(false);
      const j = at % digest.length;
      const flipped = digest.slice(0, j) + (digest[j] === "0" ? "1" : "0") + digest.slice(j + 1);
      expect(box.verifyHash(value, "api-key", flipped)).toBe(false);
      expect(box.verifyHash(value, "other", digest)).toBe(false);
    },
  );

  test("verifyHash returns false for wrong lengths and non-strings without throwing", () => {
    const digest = box.hash("value", "p");
    for (const bad of ["", digest.slice(0, -1), `${digest}0`, digest.toUpperCase(), "é".repeat(64), undefined, null, 1]) {
      expect(box.verifyHash("value", "p", bad as string)).toBe(false);
    }
  });
});
