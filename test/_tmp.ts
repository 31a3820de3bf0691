import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "pathe";

/** The repository root. */
export const repoRoot: string = resolve(import.meta.dirname, "..");

/** A scratch project folder; see {@link createTempProject}. */
export interface TempProject {
  dir: string;
  write(path: string, text: string): void;
  link(name: string, target: string): void;
  copy(name: string, source: string): void;
  cleanup(): void;
}

/**
 * A scratch project folder under `test/.tmp/` (inside the repo, so its configs can import
 * "switchyard" by name); removed by `cleanup()`.
 */
export function createTempProject(files: Record<string, string> = {}): TempProject {
  const dir = join(repoRoot, "test/.tmp", `p-${randomBytes(6).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return {
    dir,
    write,
    /** Install a package by symlink: `node_modules/<name>` → `target`. */
    link(name, target) {
      const at = join(dir, "node_modules", name);
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(target, at, "dir");
    },
    /** Install a package by copying its folder into `node_modules/<name>`. */
    copy(name, source) {
      cpSync(source, join(dir, "node_modules", name), { recursive: true });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
