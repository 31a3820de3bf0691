import { defineCommand, runMain } from "citty";
import { CORE_VERSION } from "../version.ts";
import { checkCommand } from "./check.ts";
import { runPluginCommand } from "./plugin-commands.ts";
import { startCommand } from "./start.ts";

const coreCommands = { start: startCommand, check: checkCommand };

/** The `switchyard` command: core commands, plus any a configured plugin contributes. */
export const main = defineCommand({
  meta: { name: "switchyard", version: CORE_VERSION, description: "Plugin-based LLM API gateway (plugins may add commands, e.g. `keys`)" },
  subCommands: coreCommands,
});

const first = process.argv[2];
if (first && !first.startsWith("-") && !(first in coreCommands)) {
  process.exitCode = await runPluginCommand(process.argv.slice(2));
} else {
  await runMain(main);
}
