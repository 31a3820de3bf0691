import type { ClientLimits, PluginCommand } from "switchyard";
import type { ApiKeyRecord, ApiKeyStore, CreateKeyInput } from "./types.ts";
import { LIMIT_FIELDS } from "./validate.ts";

/**
 * The `switchyard keys` command: `create` (prints a summary, then the key alone on the last
 * line), `list` (a table, or `--json`; never a secret) and `revoke <id>`. Bad input throws,
 * which the CLI prints and turns into exit code 1.
 */
export function keysCommand(keys: ApiKeyStore): PluginCommand {
  return {
    name: "keys",
    description: "Manage client API keys (sk-sy-…)",
    subCommands: {
      create: {
        description: "Create a key and print it once",
        args: CREATE_ARGS,
        async run({ args }) {
          checkArgs(args, CREATE_ARGS, 0);
          const { key, record } = await keys.create(toCreateInput(args));
          const lines = [`Created key ${record.id} (${record.name})`, ...summary(record), "Copy the key now: it is not stored and cannot be shown again.", key];
          process.stdout.write(`${lines.join("\n")}\n`);
        },
      },
      list: {
        description: "List keys (never shows a secret)",
        args: LIST_ARGS,
        async run({ args }) {
          checkArgs(args, LIST_ARGS, 0);
          const records = await keys.list();
          if (args.json === true) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
          else process.stdout.write(records.length === 0 ? "No keys.\n" : `${table(records)}\n`);
        },
      },
      revoke: {
        description: "Delete a key for good",
        args: REVOKE_ARGS,
        async run({ args }) {
          checkArgs(args, REVOKE_ARGS, 1);
          const id = String(args.id);
          if (!(await keys.revoke(id))) throw new Error(`No key with id ${JSON.stringify(id)} (see \`switchyard keys list\`)`);
          process.stdout.write(`Revoked key ${id}\n`);
        },
      },
    },
  };
}

// --- internal ---

type Args = NonNullable<PluginCommand["args"]>;

const COMMON: Args = { config: { type: "string" }, cwd: { type: "string" } };
const CREATE_ARGS: Args = {
  name: { type: "string", description: "Label shown in lists and logs", required: true },
  models: { type: "string", description: "Comma-separated model globs, e.g. 'claude-*,gpt-*' (default: every model)" },
  ips: { type: "string", description: "Comma-separated CIDR ranges allowed to use the key, e.g. '10.0.0.0/8,::1/128'" },
  accounts: { type: "string", description: "Comma-separated dedicated account ids" },
  owner: { type: "string", description: "Owner user id" },
  concurrency: { type: "string", description: "Requests in flight at once" },
  rpm: { type: "string", description: "Requests per minute" },
  tpm: { type: "string", description: "Tokens per minute" },
  "daily-usd": { type: "string", description: "Spend per UTC day, USD" },
  "budget-usd": { type: "string", description: "Total spend, USD" },
  expires: { type: "string", description: "Lifetime (30d, 12h, 90m, 2w) or an ISO 8601 date-time" },
};
const LIST_ARGS: Args = { json: { type: "boolean", description: "Print the records as JSON" } };
const REVOKE_ARGS: Args = { id: { type: "positional", description: "Key id (key_…)", required: true } };
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

// citty accepts any flag; a typo such as --rmp must not silently create an unlimited key.
function checkArgs(args: Record<string, unknown>, defs: Args, positionals: number): void {
  const known = new Set<string>(["_"]);
  for (const name of Object.keys({ ...COMMON, ...defs })) {
    known.add(name);
    known.add(name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
  }
  const unknown = Object.keys(args).find((k) => !known.has(k));
  if (unknown !== undefined) throw new Error(`Unknown option --${unknown}. Options: ${Object.keys(defs).map((n) => `--${n}`).join(", ")}`);
  const rest = Array.isArray(args._) ? args._ : [];
  if (rest.length > positionals) throw new Error(`Unexpected argument ${JSON.stringify(String(rest[positionals]))}`);
}

function toCreateInput(args: Record<string, unknown>): CreateKeyInput {
  const input: CreateKeyInput = { name: stringArg(args, "name") ?? "" };
  const limits: ClientLimits = {};
  for (const [flag, field] of [["concurrency", "concurrency"], ["rpm", "rpm"], ["tpm", "tpm"]] as const) {
    const value = stringArg(args, flag);
    if (value !== undefined) limits[field] = count(flag, value);
  }
  for (const [flag, field] of [["daily-usd", "dailyUsd"], ["budget-usd", "budgetUsd"]] as const) {
    const value = stringArg(args, flag);
    if (value !== undefined) limits[field] = usd(flag, value);
  }
  if (Object.keys(limits).length > 0) input.limits = limits;
  for (const field of ["models", "ips", "accounts"] as const) {
    const value = stringArg(args, field);
    if (value !== undefined) input[field] = value.split(",").map((s) => s.trim()).filter(Boolean);
  }
  const owner = stringArg(args, "owner");
  if (owner !== undefined) input.owner = owner;
  const expires = stringArg(args, "expires");
  if (expires !== undefined) input.expiresAt = expiry(expires);
  return input;
}

function stringArg(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new Error(`--${name}: expected a value`);
  return value.trim();
}

function count(flag: string, value: string): number {
  if (!/^\d{1,12}$/.test(value) || Number(value) < 1) throw new Error(`--${flag}: expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

function usd(flag: string, value: string): number {
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(value)) throw new Error(`--${flag}: expected an amount in USD such as 25 or 2.50, got ${JSON.stringify(value)}`);
  return Number(value);
}

function expiry(value: string): string {
  const relative = /^(\d{1,6})([mhdw])$/.exec(value);
  const ms = relative ? Date.now() + Number(relative[1]) * (UNITS[relative[2] ?? "d"] ?? 0) : Date.parse(value);
  if (!Number.isFinite(ms) || ms <= Date.now() || (!relative && !/^\d{4}-\d{2}-\d{2}/.test(value))) {
    throw new Error(`--expires: expected a lifetime such as 30d, 12h, 90m or 2w, or a future ISO 8601 date-time, got ${JSON.stringify(value)}`);
  }
  return new Date(ms).toISOString();
}

function summary(record: ApiKeyRecord): string[] {
  return [
    `  prefix   ${record.prefix}`,
    `  models   ${record.models?.join(", ") ?? "all"}`,
    `  limits   ${limitsText(record.limits)}`,
    ...(record.ips ? [`  ips      ${record.ips.join(", ")}`] : []),
    ...(record.accounts ? [`  accounts ${record.accounts.join(", ")}`] : []),
    ...(record.owner ? [`  owner    ${record.owner}`] : []),
    `  expires  ${record.expiresAt ?? "never"}`,
  ];
}

function limitsText(limits: ClientLimits): string {
  const names = Object.keys(LIMIT_FIELDS) as (keyof ClientLimits)[];
  const parts = names.filter((name) => limits[name] !== undefined).map((name) => `${name}=${limits[name]}`);
  return parts.length > 0 ? parts.join(" ") : "none";
}

function table(records: ApiKeyRecord[]): string {
  const rows = [
    ["ID", "NAME", "PREFIX", "ENABLED", "EXPIRES", "LIMITS"],
    ...records.map((r) => [r.id, r.name, r.prefix, r.enabled ? "yes" : "no", r.expiresAt ?? "never", limitsText(r.limits)]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join("  ").trimEnd()).join("\n");
}
