import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

/**
 * The browser tests need Debian's chromium: install it when missing (scripts/ensure-chromium.sh;
 * a failure leaves the browser tests to fail with the reason, never to skip).
 */
function ensureChromium(): void {
  if (existsSync("/usr/bin/chromium")) return;
  spawnSync("bash", [join(import.meta.dirname, "../scripts/ensure-chromium.sh")], { stdio: "inherit" });
}

/**
 * The suite needs a Redis (storage conformance, multi-instance limits). Use the one on
 * REDIS_URL / 127.0.0.1:6379 when it answers; otherwise start a throwaway `redis-server`
 * (nothing saved) and stop it afterwards. No Redis at all fails the Redis suites loudly.
 */
export default async function setup(): Promise<() => void> {
  ensureChromium();
  const url = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const port = Number(url.port || 6379);
  const local = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if ((await answers(url.hostname, port)) || !local) return () => {};
  const started = spawnSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes"], { stdio: "ignore" });
  if (started.status !== 0) return () => {};
  for (let i = 0; i < 50 && !(await answers(url.hostname, port)); i++) await new Promise((r) => setTimeout(r, 100));
  return () => void spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
