// A hash of everything the console build is made from, written next to the build as
// dist/.source-hash; test/console/build.test.ts recomputes it to catch a stale build.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** The folder of the console project. */
export const CONSOLE_ROOT: string = import.meta.dirname;

/** Where the build writes its stamp. */
export const SOURCE_HASH_FILE: string = join(CONSOLE_ROOT, "dist", ".source-hash");

/** SHA-256 over the sorted paths and contents (line endings normalised) of the console's sources and configs. */
export function consoleSourceHash(root: string = CONSOLE_ROOT): string {
  const files = [...walk(join(root, "src")), ...CONFIGS.map((name) => join(root, name))].map((file) => relative(root, file).split(sep).join("/")).sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file).update("\0");
    hash.update(readFileSync(join(root, file), "utf8").replace(/\r\n/g, "\n")).update("\0");
  }
  return hash.digest("hex");
}

// --- internal ---

const CONFIGS = ["vite.config.ts", "build.ts", "source-hash.ts", "tsconfig.json"];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}
