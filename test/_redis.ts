import { connect } from "node:net";
import { connect as connectTls } from "node:tls";
import { describe, it } from "vitest";

/** The Redis the tests use: `REDIS_URL`, else the local default. */
export const redisUrl: string = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** True when Redis answered a PING within 500 ms when this module loaded. */
export const redisAvailable: boolean = await probe(redisUrl, 500);

/**
 * `describe` for suites that need Redis. The global setup starts one when none answers, so
 * a missing Redis here is a real failure (a test that says where it looked), never a skip.
 */
export function describeRedis(name: string, fn: () => void): void {
  if (redisAvailable) return void describe(name, fn);
  describe(name, () => {
    it("has a Redis server", () => {
      throw new Error(`Redis required at ${redactUrl(redisUrl)}: start redis-server or set REDIS_URL`);
    });
  });
}

// --- internal ---

/** Any RESP reply to PING (even -NOAUTH) proves a Redis is listening. */
function probe(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return resolve(false);
    }
    const options = { host: parsed.hostname || "127.0.0.1", port: Number(parsed.port || 6379) };
    const socket = parsed.protocol === "rediss:" ? connectTls({ ...options, servername: options.host }) : connect(options);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once(parsed.protocol === "rediss:" ? "secureConnect" : "connect", () => socket.write("PING\r\n"));
    socket.once("data", () => done(true));
    socket.once("error", () => done(false));
  });
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable REDIS_URL)";
  }
}
