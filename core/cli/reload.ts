// `switchyard start` reloads the config file when it changes (and on SIGHUP): routes, pricing,
// relay tuning and the log level apply at once; a bad file keeps the last good config.
import { watch } from "node:fs";
import { basename, dirname } from "node:path";
import { applyConfigReload } from "../config/reload.ts";
import { ConfigError } from "../config/issues.ts";
import { type LoadGatewayConfigOptions, loadGatewayConfig } from "../config/load.ts";
import type { Gateway } from "../gateway.ts";

/** Watch `configFile` for `gateway`; returns a function that stops watching. */
export function watchConfigFile(gateway: Gateway, configFile: string, load: { cwd?: string; config?: string; overrides?: LoadGatewayConfigOptions["overrides"] }): () => void {
  const logger = gateway.logger.withTag("config");
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      try {
        const { config } = await loadGatewayConfig({ cwd: load.cwd, configFile: load.config, overrides: load.overrides, fresh: true });
        const { applied, restartNeeded } = applyConfigReload(gateway, config);
        if (applied.length) logger.info(`reloaded ${applied.join(", ")}`);
        if (restartNeeded.length) logger.warn(`changed but only applied after a restart: ${restartNeeded.join(", ")}`);
        if (!applied.length && !restartNeeded.length) logger.debug("config file touched; nothing changed");
      } catch (error) {
        const problems = error instanceof ConfigError ? error.issues.join("; ") : (error as Error).message;
        logger.error(`reload refused, the last good config stays: ${problems}`);
      }
    });
  };
  // Editors often replace the file (rename), so the folder is watched and the name filtered.
  const watcher = watch(dirname(configFile), (_event, name) => {
    if (name !== basename(configFile)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 200);
  });
  const onHup = () => reload();
  process.on("SIGHUP", onHup);
  return () => {
    clearTimeout(timer);
    watcher.close();
    process.off("SIGHUP", onHup);
  };
}
