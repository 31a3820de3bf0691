import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { loadGatewayConfig } from "../config/load.ts";
import { createGateway } from "../gateway.ts";
import { startServer } from "../server.ts";
import { mkdirSync } from "node:fs";
import { resolve } from "pathe";
import { acquireInstanceLock } from "../instance-lock.ts";
import { watchConfigFile } from "./reload.ts";
import { configArgs, parsePort } from "./args.ts";
import { reportStartupError } from "./output.ts";

/** `switchyard start`: load the config and serve the gateway until SIGINT/SIGTERM. */
export const startCommand = defineCommand({
  meta: { name: "start", description: "Serve the gateway" },
  args: {
    ...configArgs,
    port: { type: "string", description: "Port (default: server.port, 8787)" },
    host: { type: "string", description: "Interface to bind (default: server.host, 127.0.0.1)" },
  },
  async run({ args }) {
    let running: Awaited<ReturnType<typeof startServer>>;
    let stopWatching = () => {};
    let releaseStore = () => {};
    try {
      const port = parsePort(args.port);
      const server = { ...(port === undefined ? {} : { port }), ...(args.host ? { host: args.host } : {}) };
      const { config, configFile } = await loadGatewayConfig({ cwd: args.cwd, configFile: args.config, overrides: { server } });
      if (config.storage.driver === "fs") {
        const dir = resolve(config.rootDir, config.storage.base ?? ".data");
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        releaseStore = acquireInstanceLock(dir);
      }
      const gateway = await createGateway(config);
      running = await startServer(gateway, { host: config.server.host, port: config.server.port });
      if (configFile) stopWatching = watchConfigFile(gateway, configFile, { cwd: args.cwd, config: args.config, overrides: { server } });
    } catch (error) {
      releaseStore();
      process.exitCode = reportStartupError(error, false);
      return;
    }
    process.stdout.write(`${colors.green("➜")} Switchyard listening on ${colors.cyan(running.url)}\n`);
    const stop = async (signal: string) => {
      process.stdout.write(`${colors.dim(`${signal}: closing`)}\n`);
      stopWatching();
      await running.close();
      releaseStore();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
  },
});
