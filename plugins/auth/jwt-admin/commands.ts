// `switchyard admin …`: create an admin, set a password, or hash one for config. Passwords are
// read from stdin (typed without echo on a terminal), never from the command line.
import type { PluginCommand, PluginContext } from "switchyard";
import type { LocalAccounts } from "./accounts.ts";
import { USERNAME, normalizeUsername } from "./options.ts";
import { hashPassword } from "./password.ts";
import { PASSWORD_LENGTH } from "./routes.ts";

export function adminCommand(ctx: PluginContext, accounts: LocalAccounts, ready: () => Promise<void>): PluginCommand {
  return {
    name: "admin",
    description: "Local admin accounts (passwords are read from stdin)",
    subCommands: {
      create: {
        description: "Create an admin; the password is read from stdin",
        args: CREATE_ARGS,
        async run({ args }) {
          checkArgs(args, CREATE_ARGS);
          const username = readUsername(args.username);
          const role = args.role ?? "root";
          if (role !== "root" && role !== "admin") throw new Error(`--role: expected root or admin, got ${JSON.stringify(String(role))}`);
          const password = await readNewPassword();
          await ready();
          const { user, created } = await ctx.users.findOrCreate({ identity: accounts.identity(username), name: accounts.displayName(username), role });
          if (!created) throw new Error(`A local user ${JSON.stringify(username)} already exists (to change the password: switchyard admin set-password --username ${username})`);
          await accounts.replace(user.id, null, { hash: await hashPassword(password), kind: "password", source: "cli", updatedAt: ctx.now() });
          process.stdout.write(`Created ${role} ${JSON.stringify(username)} (${user.id})\n`);
        },
      },
      "set-password": {
        description: "Set a local user's password (read from stdin) and end their sessions",
        args: SET_ARGS,
        async run({ args }) {
          checkArgs(args, SET_ARGS);
          const username = readUsername(args.username);
          const password = await readNewPassword();
          await ready();
          const user = await ctx.users.byIdentity(accounts.identity(username));
          const record = user ? await accounts.record(user.id) : null;
          if (!user || !record) throw new Error(`No local user ${JSON.stringify(username)}`);
          if (record.source === "config") throw new Error(`The password of ${JSON.stringify(username)} is set in gateway.config.ts (admins); change it there`);
          if (!(await accounts.replace(user.id, record, { hash: await hashPassword(password), kind: record.kind, source: "cli", updatedAt: ctx.now() }))) throw new Error("The password changed meanwhile; try again");
          await ctx.users.revokeSessions(user.id);
          process.stdout.write(`Set the password of ${JSON.stringify(username)} and ended their sessions\n`);
        },
      },
      "hash-password": {
        description: "Print a scrypt hash of the password on stdin, for `admins[].passwordHash` in config",
        args: {},
        async run({ args }) {
          checkArgs(args, {});
          process.stdout.write(`${await hashPassword(await readNewPassword())}\n`);
        },
      },
    },
  };
}

// --- internal ---

type Args = NonNullable<PluginCommand["args"]>;

const COMMON = ["_", "config", "cwd"];
const CREATE_ARGS: Args = {
  username: { type: "string", description: "Login name (a-z 0-9 . _ @ + -)", required: true },
  role: { type: "string", description: "root (default) or admin" },
};
const SET_ARGS: Args = { username: { type: "string", description: "Login name", required: true } };

function checkArgs(args: Record<string, unknown>, defs: Args): void {
  const unknown = Object.keys(args).find((k) => !COMMON.includes(k) && !(k in defs));
  if (unknown === "password") throw new Error("Never pass a password on the command line; pipe it on stdin (or type it when asked)");
  if (unknown !== undefined) throw new Error(`Unknown option --${unknown}. Options: ${Object.keys(defs).map((n) => `--${n}`).join(", ") || "none"}`);
  const rest = Array.isArray(args._) ? args._ : [];
  if (rest.length > 0) throw new Error(`Unexpected argument ${JSON.stringify(String(rest[0]))}`);
}

function readUsername(value: unknown): string {
  const username = typeof value === "string" ? normalizeUsername(value) : "";
  if (!USERNAME.test(username)) throw new Error("--username: expected 1 to 64 of a-z 0-9 . _ @ + -, starting with a letter or digit");
  return username;
}

async function readNewPassword(): Promise<string> {
  const password = process.stdin.isTTY ? await promptHidden("Password: ") : await readAll();
  if (process.stdin.isTTY && (await promptHidden("Again: ")) !== password) throw new Error("The passwords differ");
  if ([...password].length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw new Error(`Expected a password of ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters on stdin`);
  }
  return password;
}

/** Everything on stdin, without one trailing line break. */
async function readAll(): Promise<string> {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, "");
}

/** A line typed on the terminal without echo. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let line = "";
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new Error("Cancelled"));
        if (char === "\u007f" || char === "\b") line = line.slice(0, -1);
        else line += char;
      }
    };
    stdin.on("data", onData);
  });
}
