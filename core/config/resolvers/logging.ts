import type { LoggingOptions } from "../../types/config.ts";
import { GatewayDefaults } from "../defaults.ts";
import { type ConfigIssues, checkKnownKeys, isRecord } from "../issues.ts";

const LEVELS = ["silent", "error", "warn", "info", "debug", "trace"];
const FORMATS = ["pretty", "json"];

/** Validate `logging` and fill its defaults. */
export function resolveLoggingOptions(input: unknown, issues: ConfigIssues): LoggingOptions {
  const defaults = GatewayDefaults.logging;
  if (input === undefined) return { ...defaults };
  if (!isRecord(input)) {
    issues.add("logging", "an object { level, format }", input);
    return { ...defaults };
  }
  checkKnownKeys(issues, "logging", input, Object.keys(defaults));
  const logging = { ...defaults, ...input } as LoggingOptions;
  if (!LEVELS.includes(logging.level)) issues.add("logging.level", `one of ${LEVELS.join(", ")}`, logging.level);
  if (!FORMATS.includes(logging.format)) issues.add("logging.format", `one of ${FORMATS.join(", ")}`, logging.format);
  return logging;
}
