import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// In CI a JSON report is written next to the default output so `.ci/run` can count results.
const ci = process.env.CI === "true" || process.env.CI === "1";

export default defineConfig({
  // Example plugin packages (examples/*) import "switchyard" as a peer they cannot resolve from
  // their own folder in this repo; point it at the core's public entry.
  resolve: { alias: [{ find: /^switchyard$/, replacement: fileURLToPath(new URL("./core/index.ts", import.meta.url)) }] },
  test: {
    include: ["test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    globalSetup: ["test/_global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ci ? ["default", "json"] : ["default"],
    outputFile: ci ? { json: "test/.tmp/vitest-results.json" } : undefined,
    // Plugin packages installed into scratch projects ship TypeScript source; transform them
    // like our own files instead of handing them to Node, which cannot run .ts on v20.
    server: { deps: { inline: [/switchyard-plugin-/] } },
  },
});
