import { colors } from "consola/utils";
import { ConfigError } from "../config/issues.ts";
import { redactString } from "../redact.ts";

/** Print data as one JSON document on stdout (for `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print config problems, one `<key path>: expected …, got …` line each, on stderr. */
export function printConfigProblems(error: ConfigError): void {
  for (const line of error.issues) {
    const colon = line.indexOf(": ");
    const text = colon > 0 ? `${colors.bold(line.slice(0, colon))}${line.slice(colon)}` : line;
    process.stderr.write(`${colors.red("✖")} ${redactString(text)}\n`);
  }
}

/** Print a startup failure that is not a config problem. */
export function printFailure(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${colors.red("✖")} ${redactString(message)}\n`);
}

/** Print any startup failure the right way and return the exit code. */
export function reportStartupError(error: unknown, json: boolean): number {
  if (json) {
    printJson({ ok: false, problems: error instanceof ConfigError ? error.issues : [redactString((error as Error).message ?? String(error))] });
  } else if (error instanceof ConfigError) {
    printConfigProblems(error);
  } else {
    printFailure(error);
  }
  return 1;
}
