// `npm run console:build`: build the console and the portal with Vite, then stamp the build
// with the hash of its sources (dist/.source-hash) so a stale build is caught by the tests.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { CONSOLE_ROOT, SOURCE_HASH_FILE, consoleSourceHash } from "./source-hash.ts";

for (const app of ["console", "portal"]) {
  await build({ configFile: join(CONSOLE_ROOT, "vite.config.ts"), mode: app, logLevel: "warn" });
  process.stdout.write(`built ${app} → console/dist/${app}\n`);
}
writeFileSync(SOURCE_HASH_FILE, `${consoleSourceHash()}\n`);
