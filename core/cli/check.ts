import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { relative } from "pathe";
import { loadGatewayConfig } from "../config/load.ts";
import { preparePlugins } from "../plugin-host.ts";
import { configArgs } from "./args.ts";
import { printJson, reportStartupError } from "./output.ts";

/** `switchyard check`: validate the config and its plugins without starting anything. */
export const checkCommand = defineCommand({
  meta: { name: "check", description: "Validate the config and its plugins, then exit 0 (valid) or 1" },
  args: {
    ...configArgs,
    json: { type: "boolean", description: "Print the result as JSON" },
  },
  async run({ args }) {
    try {
      const { config, configFile } = await loadGatewayConfig({ cwd: args.cwd, configFile: args.config });
      const plugins = await preparePlugins(config);
      const file = configFile ? relative(process.cwd(), configFile) || configFile : "(defaults, no config file)";
      if (args.json) {
        printJson({ ok: true, configFile: configFile ?? null, plugins: plugins.map((p) => ({ name: p.plugin.name, kind: p.plugin.kind })) });
      } else {
        process.stdout.write(`${colors.green("✔")} ${file} is valid (${plugins.length} plugin${plugins.length === 1 ? "" : "s"})\n`);
      }
    } catch (error) {
      process.exitCode = reportStartupError(error, Boolean(args.json));
    }
  },
});
