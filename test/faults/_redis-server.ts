import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../_tmp.ts";

/**
 * A throwaway `redis-server` this test owns (never the shared one on 6379), so it can be
 * stopped (connection refused) and frozen (SIGSTOP) at will. It saves to its own folder
 * only when told (`stop()` runs SAVE first), so a restart on the same port keeps the data.
 */
export interface OwnRedis {
  port: number;
  url: string;
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SAVE, then SIGTERM and wait for the exit: the port refuses connections. */
  stop(): Promise<void>;
  /** Start again on the same port with the saved data. */
  start(): Promise<void>;
  /** Stop for good and remove the folder. */
  cleanup(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = join(repoRoot, "test/.tmp", `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
    if (!(await answers(port))) throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill("SIGCONT");
    spawnSync("redis-cli", ["-p", String(port), "save"], { stdio: "ignore" });
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    stop,
    start,
    async cleanup() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- internal ---

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(300, () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", () => done(true));
    socket.once("error", () => done(false));
  });
}
