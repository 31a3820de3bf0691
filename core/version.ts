import { readFileSync } from "node:fs";

/** The version of the switchyard core, checked against each plugin's `compat` range. */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
