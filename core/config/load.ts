import { existsSync } from "node:fs";
import { loadConfig } from "c12";
import { basename, dirname, resolve } from "pathe";
import type { GatewayConfig, ResolvedGatewayConfig } from "../types/config.ts";
import { ConfigError } from "./issues.ts";
import { resolveGatewayConfig } from "./resolve.ts";

/** Options for {@link loadGatewayConfig}. */
export interface LoadGatewayConfigOptions {
  /** Directory to look in for `gateway.config.{ts,js,mjs,yaml,…}` and `.env`. Default `process.cwd()`. */
  cwd?: string;
  /** Explicit config file (the CLI's `--config`), relative to `cwd`. */
  configFile?: string;
  /** Load the file again even if it was imported before (hot reload); its plugins are not used. */
  fresh?: boolean;
  /** Applied over the file (CLI flags such as `--port`). */
  overrides?: GatewayConfig;
  /** Environment for `GATEWAY_*` overrides. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A loaded config and the file it came from (absent when no file exists: defaults only). */
export interface LoadedGatewayConfig {
  config: ResolvedGatewayConfig;
  configFile: string | undefined;
}

/**
 * Load `gateway.config.*` with c12 (`.env` included; `$development`/`$production` layers by
 * `NODE_ENV`), then validate and resolve it. Throws `ConfigError` listing every problem.
 */
export async function loadGatewayConfig(options: LoadGatewayConfigOptions = {}): Promise<LoadedGatewayConfig> {
  let cwd = resolve(options.cwd ?? process.cwd());
  let configFile = "gateway.config";
  if (options.configFile) {
    const path = resolve(cwd, options.configFile);
    if (!existsSync(path)) throw new ConfigError([`--config: expected an existing file, got ${JSON.stringify(options.configFile)}`]);
    cwd = dirname(path);
    configFile = basename(path);
  }
  let loaded: { config: unknown; configFile?: string; _configFile?: string };
  try {
    loaded = await loadConfig<GatewayConfig>({
      cwd,
      configFile,
      dotenv: true,
      rcFile: false,
      globalRc: false,
      packageJson: false,
      giget: false,
      extend: false,
      overrides: options.overrides,
      // Native import first: under the CLI (tsx) the config then shares module instances with the core.
      // A reload must read the file again, past every module cache.
      jitiOptions: options.fresh ? { tryNative: false, moduleCache: false, fsCache: false } : { tryNative: true },
    });
  } catch (error) {
    throw new ConfigError([`${configFile}: expected a config file that loads, got an error: ${(error as Error).message}`]);
  }
  const file = loaded._configFile;
  const config = resolveGatewayConfig(loaded.config as GatewayConfig, { rootDir: cwd, env: options.env, source: file });
  return { config, configFile: file };
}
