import type { ServerOptions } from "../../types/config.ts";
import { parseCidr } from "../../cidr.ts";
import { GatewayDefaults } from "../defaults.ts";
import { type ConfigIssues, checkKnownKeys, isRecord, join } from "../issues.ts";

/** Validate `server` and fill its defaults. */
export function resolveServerOptions(input: unknown, issues: ConfigIssues): ServerOptions {
  const defaults = GatewayDefaults.server;
  if (input === undefined) return { ...defaults };
  if (!isRecord(input)) {
    issues.add("server", "an object", input);
    return { ...defaults };
  }
  checkKnownKeys(issues, "server", input, Object.keys(defaults));
  const server = { ...defaults, ...input } as ServerOptions;
  if (typeof server.host !== "string" || server.host.trim() === "") {
    issues.add("server.host", "a host name or IP address", server.host);
  }
  checkInteger(issues, join("server", "port"), server.port, 0, 65_535);
  checkInteger(issues, join("server", "readyTimeoutMs"), server.readyTimeoutMs, 1, 60_000);
  checkInteger(issues, join("server", "bodyLimitBytes"), server.bodyLimitBytes, 1024, 1024 ** 3);
  checkInteger(issues, join("server", "shutdownTimeoutMs"), server.shutdownTimeoutMs, 0, 3_600_000);
  checkInteger(issues, join("server", "maxOpenStreams"), server.maxOpenStreams, 0, 1_000_000);
  checkInteger(issues, join("server", "maxHeapMb"), server.maxHeapMb, 0, 1_048_576);
  if (!Array.isArray(server.trustedProxies)) {
    issues.add("server.trustedProxies", "an array of CIDR ranges", server.trustedProxies);
  } else {
    server.trustedProxies.forEach((range, i) => {
      const parsed = parseCidr(range);
      if (typeof parsed === "string") issues.add(join(join("server", "trustedProxies"), i), `a CIDR range (${parsed})`, range);
    });
  }
  return { ...server, trustedProxies: Array.isArray(server.trustedProxies) ? [...server.trustedProxies] : [] };
}

/** Report `value` unless it is an integer in `[min, max]`. */
export function checkInteger(issues: ConfigIssues, path: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    issues.add(path, `an integer from ${min} to ${max}`, value);
  }
}
