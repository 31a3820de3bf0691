/** Arguments shared by commands that read the config. */
export const configArgs = {
  config: { type: "string", description: "Path to the config file (default: gateway.config.* in the current folder)" },
  cwd: { type: "string", description: "Project folder (default: current folder)" },
} as const;

/** Parse a `--port` value; undefined when absent. Throws on garbage rather than guessing. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: expected an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
}
