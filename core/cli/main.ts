import { defineCommand, runMain } from "citty";
import { CORE_VERSION } from "../version.ts";
import { checkCommand } from "./check.ts";
import { startCommand } from "./start.ts";

/** The `switchyard` command. */
export const main = defineCommand({
  meta: { name: "switchyard", version: CORE_VERSION, description: "Plugin-based LLM API gateway" },
  subCommands: { start: startCommand, check: checkCommand },
});

await runMain(main);
