import { type ArgsDef, type CommandDef, parseArgs, runCommand, showUsage } from "citty";
import { loadGatewayConfig } from "../config/load.ts";
import { createGateway } from "../gateway.ts";
import type { PluginCommand } from "../types/plugin.ts";
import { configArgs } from "./args.ts";
import { printFailure, reportStartupError } from "./output.ts";

/**
 * Run `switchyard <name> …` where `<name>` is a command a plugin contributed: load the config,
 * set the gateway up without listening, run the command, close. Quiet logs (warnings only).
 */
export async function runPluginCommand(argv: string[]): Promise<number> {
  const [name = "", ...rest] = argv;
  const { config: configPath, cwd, _: positionals } = parseArgs<typeof configArgs>(rest, configArgs);
  let gateway: Awaited<ReturnType<typeof createGateway>>;
  try {
    const { config } = await loadGatewayConfig({ cwd, configFile: configPath, overrides: { logging: { level: "warn" } } });
    gateway = await createGateway(config);
  } catch (error) {
    return reportStartupError(error, rest.includes("--json"));
  }
  try {
    const command = gateway.commands.find((c) => c.name === name);
    if (!command) {
      const known = ["start", "check", ...gateway.commands.map((c) => c.name)].join(", ");
      printFailure(`Unknown command "${name}". Commands: ${known}`);
      return 1;
    }
    const def = toCitty(command);
    if (positionals.length === 0 && command.subCommands) {
      await showUsage(def);
      return 0;
    }
    await runCommand(def, { rawArgs: rest });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    printFailure(error);
    return 1;
  } finally {
    await gateway.close();
  }
}

// --- internal ---

function toCitty(command: Omit<PluginCommand, "name"> & { name?: string }): CommandDef<ArgsDef> {
  const subCommands = command.subCommands
    ? Object.fromEntries(Object.entries(command.subCommands).map(([key, sub]) => [key, toCitty({ ...sub, name: key })]))
    : undefined;
  return {
    meta: { name: command.name, description: command.description },
    args: { ...configArgs, ...(command.args as ArgsDef | undefined) },
    ...(subCommands ? { subCommands } : {}),
    ...(command.run ? { run: ({ args }: { args: Record<string, unknown> }) => command.run?.({ args }) } : {}),
  } as CommandDef<ArgsDef>;
}
