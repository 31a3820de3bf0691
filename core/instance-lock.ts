// One serving process per fs store (security.md F4): the fs driver keeps counters and locks in
// process memory, so a second `switchyard start` on the same folder would silently double every
// limit. Short CLI commands (keys, accounts) do not take the lock: they only read and write
// entries, which the fs driver does atomically.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** Take the serving lock of an fs store; returns its release. Throws when another live process holds it. */
export function acquireInstanceLock(storeDir: string): () => void {
  const file = join(storeDir, ".instance.lock");
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: "wx", mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, "utf8") === mine) rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readHolder(file);
      if (holder && holder.host === hostname() && alive(holder.pid)) {
        throw new Error(
          `[switchyard] [storage] another Switchyard process (pid ${holder.pid}, since ${holder.since}) serves this fs store (${storeDir}). ` +
            "fs storage is for one instance: stop it, or use redis (or sqlite) storage to run several.",
        );
      }
      // A stale lock (its process is gone, or unreadable): take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`[switchyard] [storage] could not take the serving lock of ${storeDir}`);
}

// --- internal ---

function readHolder(file: string): { pid: number; host: string; since: string } | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown; host?: unknown; since?: unknown };
    return typeof value.pid === "number" && typeof value.host === "string" ? { pid: value.pid, host: value.host, since: String(value.since) } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
