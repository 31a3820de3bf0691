// `switchyard totp reset --user <id>`: the break-glass for a user who lost both the
// authenticator and the backup codes. Runs with the operator's access to config and storage.
import type { PluginCommand, PluginContext } from "switchyard";
import type { Codes } from "./codes.ts";
import type { StateStore } from "./store.ts";

export function totpCommand(ctx: PluginContext, store: StateStore, codes: Codes): PluginCommand {
  return {
    name: "totp",
    description: "Two-factor login (TOTP)",
    subCommands: {
      reset: {
        description: "Turn off a user's two-factor login and end their sessions",
        args: { user: { type: "string", description: "User id (usr_…), as GET /admin/users lists it", required: true } },
        async run({ args }) {
          const unknown = Object.keys(args).find((k) => !["_", "config", "cwd", "user"].includes(k));
          if (unknown !== undefined) throw new Error(`Unknown option --${unknown}. Options: --user`);
          const user = await ctx.users.get(String(args.user));
          if (!user) throw new Error(`No user ${JSON.stringify(String(args.user).slice(0, 80))} (see GET /admin/users)`);
          const state = await store.get(user.id);
          if (state) await store.replace(user.id, state, null);
          await codes.dropBackup(user.id);
          await ctx.users.revokeSessions(user.id);
          ctx.logger.info(`two-factor login reset from the CLI for ${user.id}`);
          process.stdout.write(`${state?.enabled ? "Turned off" : "There was no"} two-factor login for ${user.id}; their sessions ended\n`);
        },
      },
    },
  };
}
