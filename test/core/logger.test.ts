import { randomBytes } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { afterEach, describe, expect, vi } from "vitest";
import { type LogLevel, captureLogs, createLogger } from "../../core/logger.ts";
import { registerSecret } from "../../core/redact.ts";

/** A logger whose lines land in an array. */
function collect(options: { level?: LogLevel; json?: boolean; tag?: string } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: "trace", ...options, reporter: (line) => lines.push(line) });
  return { logger, lines, text: () => lines.join("\n") };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createLogger", () => {
  test("redacts every argument before the reporter sees it", () => {
    const { logger, text } = collect();
    logger.info("calling upstream", { headers: { authorization: "Bearer abc123def", accept: "json" }, url: "https://x.test/?key=AIzaXYZ" });
    logger.warn(new Map([["x-api-key", "plain-key-123456"]]));
    expect(text()).toContain("calling upstream");
    expect(text()).toContain("accept");
    for (const secret of ["abc123def", "AIzaXYZ", "plain-key-123456"]) expect(text()).not.toContain(secret);
  });

  test("prints a logged Error redacted: message, stack and cause", () => {
    const { logger, text } = collect();
    const token = `sk-ant-${randomBytes(16).toString("hex")}`;
    const error = new Error(`upstream rejected Authorization: Bearer ${token}`, { cause: new Error(`retry with ${token}`) });
    logger.error(error);
    logger.error("request failed", error);
    expect(text()).toContain("upstream rejected Authorization");
    expect(text()).toContain("[redacted]");
    expect(text()).toContain("at "); // the stack is still there
    expect(text()).not.toContain(token);
    expect(error.message).toContain(token); // the caller's Error is untouched
  });

  test("catches a secret split across arguments", () => {
    const { logger, text } = collect();
    logger.info("Bearer", "abc.def.ghi-jkl");
    expect(text()).toBe("[info] Bearer [redacted]");
  });

  test("registered secrets never reach the output, however they are logged", () => {
    const secret = `canary-${randomBytes(10).toString("hex")}`;
    registerSecret(secret);
    const { logger, text } = collect();
    logger.debug(`x${secret}y`, [secret], { nested: { deeper: secret } }, new Error(secret));
    logger.withTag(secret).info("tagged");
    expect(text()).not.toContain(secret);
    expect(text().match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(5);
  });

  test("respects levels; withTag shares the level; silent prints nothing", () => {
    const { logger, lines } = collect({ level: "info", tag: "core" });
    const child = logger.withTag("plugin:mistral");
    logger.debug("hidden");
    child.trace("hidden");
    child.success("shown");
    logger.level = "debug";
    child.debug("now shown");
    expect(lines).toEqual(["[info] [core:plugin:mistral] shown", "[debug] [core:plugin:mistral] now shown"]);
    logger.level = "silent";
    logger.error("nope");
    child.error("nope");
    expect(lines).toHaveLength(2);
    expect(child.level).toBe("silent");
    expect(() => {
      logger.level = "loud" as LogLevel;
    }).toThrow(/Unknown log level "loud"/);
    expect(() => createLogger({ level: "verbose" as LogLevel })).toThrow(/Unknown log level/);
  });

  test("repeated lines are not throttled and a lone object is data, not log options", () => {
    const { logger, lines } = collect();
    for (let i = 0; i < 8; i++) logger.info("same line");
    logger.info({ message: "looks like a log object", type: "error", token: "abcdefghijk" });
    expect(lines.slice(0, 8)).toEqual(Array(8).fill("[info] same line"));
    expect(lines[8]).toMatch(/^\[info\] \{ message: 'looks like a log object', type: 'error', token: '\[redacted\]' \}$/);
  });
});

describe("json mode", () => {
  test("prints one parseable object per line with time, level, tag, msg and data", () => {
    const { logger, lines } = collect({ json: true, tag: "switchyard" });
    logger.info("started", { port: 8787, token: "abcdefghi" });
    logger.success("ready");
    logger.withTag("plugin:x").error(new Error("failed with Bearer zzz-secret-1"), { attempt: 2 });
    logger.warn({ headers: new Headers({ authorization: "Basic abcd" }), big: 10n, set: new Set([1]) });
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ level: "info", tag: "switchyard", msg: "started", data: { port: 8787, token: "[redacted]" } });
    expect(Date.parse(String(entries[0]!.time))).not.toBeNaN();
    expect(entries[1]).toMatchObject({ level: "info", msg: "ready" });
    expect(entries[1]).not.toHaveProperty("data");
    expect(entries[2]).toMatchObject({ level: "error", tag: "switchyard:plugin:x", msg: "failed with Bearer [redacted]" });
    const [error, extra] = entries[2]!.data as [Record<string, unknown>, unknown];
    expect(error).toMatchObject({ name: "Error", message: "failed with Bearer [redacted]" });
    expect(String(error.stack)).toContain("failed with Bearer [redacted]");
    expect(extra).toEqual({ attempt: 2 });
    expect(entries[3]).toMatchObject({ level: "warn", msg: "", data: { headers: { authorization: "[redacted]" }, big: "10", set: [1] } });
    expect(lines.join("\n")).not.toContain("zzz-secret-1");
  });

  test("writes to stdout when no reporter is given", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    createLogger({ json: true }).info("to stdout", { password: "hunter2hunter2" });
    expect(write).toHaveBeenCalledTimes(1);
    const printed = String(write.mock.calls[0]![0]);
    expect(JSON.parse(printed)).toMatchObject({ level: "info", msg: "to stdout", data: { password: "[redacted]" } });
  });
});

describe("default output and captureLogs", () => {
  test("consola's own reporter prints redacted text", () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const logger = createLogger({ level: "info" });
    logger.info("hello", { authorization: "Bearer visible-if-broken" });
    logger.error(new Error("boom token=visible-if-broken"));
    const printed = [...out.mock.calls, ...err.mock.calls].map((call) => String(call[0])).join("");
    expect(printed).toContain("hello");
    expect(printed).toContain("boom token=[redacted]");
    expect(printed).not.toContain("visible-if-broken");
  });

  test("captures every logger's lines and mutes normal output until stopped", () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const before = createLogger({ level: "debug" });
    const capture = captureLogs();
    const after = createLogger({ level: "debug", json: true }).withTag("t");
    before.debug("from before", { cookie: "session=abcdefgh" });
    after.info("from after");
    expect(capture.lines).toHaveLength(2);
    expect(capture.lines[0]).toBe("[debug] from before { cookie: '[redacted]' }");
    expect(JSON.parse(capture.lines[1]!)).toMatchObject({ tag: "t", msg: "from after" });
    expect(out).not.toHaveBeenCalled();
    capture.clear();
    expect(capture.text()).toBe("");
    capture.stop();
    before.info("after stop");
    expect(capture.lines).toHaveLength(0);
    expect(out).toHaveBeenCalled();
  });

  test.prop([
    fc.string({ unit: fc.constantFrom(..."abcdefXYZ0123-_.:=/[] "), minLength: 8, maxLength: 24 }).filter((s) => !"[redacted]".includes(s)),
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  ])("a registered secret placed anywhere in a logged value never appears in text or json output", (secret, base, path, json) => {
    registerSecret(secret);
    const value: Record<string, unknown> = { base };
    let node = value;
    for (const key of path) node = node[key] = {} as Record<string, unknown>;
    node.leaf = `pre ${secret} post`;
    const { logger, text } = collect({ json });
    logger.info(`message with ${secret}`, value);
    expect(text()).toContain("pre [redacted] post");
    expect(text()).not.toContain(secret);
  });
});
