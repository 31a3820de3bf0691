// `switchyard accounts …`: the admin API's account actions from a terminal. It runs in a
// gateway that is set up but not listening, on the same storage as the running instances.
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { colors } from "consola/utils";
import type { AccountsService, AdminAccount } from "../admin/accounts.ts";
import { readCliProxyApiDir } from "./cliproxyapi.ts";
import type { PluginCommand } from "../types/plugin.ts";

/** The `accounts` command over the shared accounts service. */
export function accountsCommand(accounts: AccountsService): PluginCommand {
  const done = (verb: string, account: AdminAccount, json: boolean) =>
    json ? print(JSON.stringify(account, null, 2)) : print(`${colors.green("✔")} ${verb} ${account.provider} account ${account.id} (${account.name}): ${account.status}`);
  return {
    name: "accounts",
    description: "Manage provider accounts (OAuth onboarding, imports, status)",
    subCommands: {
      add: {
        description: "Onboard an account: prints the authorize URL, then reads the pasted code or callback URL (or an API key for key providers) from stdin",
        args: { provider: { type: "positional", required: true, description: "Provider name" }, name: { type: "string" }, proxy: { type: "string", description: "http://, https:// or socks5:// proxy for this account" }, json: { type: "boolean" } },
        async run({ args }) {
          const provider = String(args.provider);
          const json = args.json === true;
          const proxy = optional(args, "proxy");
          const name = optional(args, "name");
          const admin = accounts.admin(provider);
          if (!admin.oauth) {
            const add = accounts.admin(provider, "add").add!;
            const secret = await readLine("Paste the key and press Enter:");
            return done("Added", await accounts.view(provider, await add({ secret, ...(name ? { name } : {}), ...(proxy ? { proxy } : {}) })), json);
          }
          const { authUrl, flowId } = await admin.oauth.start(proxy ? { proxy } : {});
          process.stderr.write("Open this URL, sign in and authorize, then paste the code or the callback URL shown afterwards:\n");
          print(authUrl);
          const code = await readLine("Code or callback URL:");
          return done("Added", await accounts.view(provider, await admin.oauth.exchange({ flowId, code, ...(name ? { name } : {}) })), json);
        },
      },
      import: {
        description: "Import a credentials file (Claude Code .credentials.json, Codex auth.json, …), or with --from cliproxyapi every auth file of a CLIProxyAPI folder",
        args: {
          provider: { type: "positional", required: true, description: "Provider name (or, with --from, the folder)" },
          file: { type: "string", description: "Path of the file" },
          from: { type: "string", description: "Migrate from another relay: cliproxyapi" },
          name: { type: "string" },
          proxy: { type: "string" },
          json: { type: "boolean" },
        },
        async run({ args }) {
          if (args.from !== undefined) return importFrom(accounts, String(args.from), String(args.provider), args.json === true);
          if (typeof args.file !== "string") throw new Error("--file: expected the path of the credentials file");
          const provider = String(args.provider);
          const content = await readFile(String(args.file), "utf8");
          const name = optional(args, "name");
          const proxy = optional(args, "proxy");
          const summary = await accounts.admin(provider, "import").import!({ content, ...(name ? { name } : {}), ...(proxy ? { proxy } : {}) });
          done("Imported", await accounts.view(provider, summary), args.json === true);
        },
      },
      list: {
        description: "List accounts with status (never a secret)",
        args: { provider: { type: "string", description: "Only this provider" }, json: { type: "boolean" } },
        async run({ args }) {
          const list = await accounts.list(optional(args, "provider"));
          if (args.json === true) print(JSON.stringify(list, null, 2));
          else print(list.length === 0 ? "No accounts." : table(list));
        },
      },
      disable: byId("Disable an account (the scheduler skips it)", "Disabled", (a, id, p) => a.admin(p).update(id, { enabled: false })),
      enable: byId("Enable an account", "Enabled", (a, id, p) => a.admin(p).update(id, { enabled: true })),
      refresh: byId("Refresh an account's tokens now", "Refreshed", (a, id, p) => a.admin(p, "refresh").refresh!(id)),
      remove: {
        description: "Remove an account and its stored secrets",
        args: ID_ARGS,
        async run({ args }) {
          const found = await accounts.find(String(args.id), optional(args, "provider"));
          await accounts.admin(found.provider).remove(found.id);
          if (args.json === true) print(JSON.stringify({ id: found.id, provider: found.provider, deleted: true }));
          else print(`${colors.green("✔")} Removed ${found.provider} account ${found.id} (${found.name})`);
        },
      },
    },
  };

  function byId(description: string, verb: string, act: (a: AccountsService, id: string, provider: string) => Promise<Parameters<AccountsService["view"]>[1]>) {
    return {
      description,
      args: ID_ARGS,
      async run({ args }: { args: Record<string, unknown> }) {
        const found = await accounts.find(String(args.id), optional(args, "provider"));
        done(verb, await accounts.view(found.provider, await act(accounts, found.id, found.provider)), args.json === true);
      },
    };
  }
}

// --- internal ---

// One line per file as it goes (a folder can hold many); a failed file does not stop the rest.
async function importFrom(accounts: AccountsService, source: string, dir: string, json: boolean): Promise<void> {
  if (source !== "cliproxyapi") throw new Error(`--from: expected "cliproxyapi", got ${JSON.stringify(source)}`);
  const results: Array<{ file: string; provider?: string; id?: string; status?: string; skipped?: string; error?: string }> = [];
  for (const item of await readCliProxyApiDir(dir)) {
    if ("skipped" in item) {
      results.push(item);
      if (!json) process.stderr.write(`${colors.dim("–")} ${item.file}: skipped, ${item.skipped}\n`);
      continue;
    }
    try {
      const summary = await accounts.admin(item.provider, "import").import!({ content: item.content, ...(item.name ? { name: item.name } : {}) });
      results.push({ file: item.file, provider: item.provider, id: summary.id, status: summary.status });
      if (!json) print(`${colors.green("✔")} ${item.file} → ${item.provider} account ${summary.id} (${summary.name}): ${summary.status}`);
    } catch (error) {
      const message = (error as Error).message;
      results.push({ file: item.file, provider: item.provider, error: message });
      if (!json) process.stderr.write(`${colors.red("✖")} ${item.file}: ${message}\n`);
    }
  }
  if (json) print(JSON.stringify(results, null, 2));
  if (results.some((r) => r.error)) process.exitCode = 1;
}

const ID_ARGS: NonNullable<PluginCommand["args"]> = { id: { type: "positional", required: true, description: "Account id" }, provider: { type: "string" }, json: { type: "boolean" } };

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function optional(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new Error(`--${name}: expected a value`);
  return value.trim();
}

// One line from stdin; the prompt goes to stderr so stdout stays the URL and the result.
async function readLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${prompt} `);
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) if (line.trim() !== "") return line.trim();
  } finally {
    lines.close();
  }
  throw new Error("Nothing was pasted (stdin ended)");
}

function table(list: AdminAccount[]): string {
  const when = (ms: number | undefined) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, "Z") : "-");
  const rows = [
    ["PROVIDER", "ID", "NAME", "STATUS", "TIER", "EXPIRES", "LAST USED", "LAST ERROR"],
    ...list.map((a) => [a.provider, a.id, a.name, a.status === "cooling" ? `cooling until ${when(a.coolingUntil)}` : a.status, a.tier ?? "-", when(a.expiresAt), when(a.lastUsedAt), (a.lastError ?? "").slice(0, 60)]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join("  ").trimEnd()).join("\n");
}
