// The provider accounts an operator manages, across every provider: one service that the
// admin API and `switchyard accounts` share, so both answer the same way.
import { HTTPError } from "h3";
import { badRequest, notFound } from "../errors.ts";
import type { Scheduler } from "../relay/scheduler.ts";
import type { AccountAdmin } from "../types/accounts.ts";
import type { AccountSummary, Provider } from "../types/provider.ts";

/** An account as the admin API shows it: the summary, its provider, and live cooling. */
export type AdminAccount = AccountSummary & { provider: string };

export interface AccountsService {
  /** Providers with what each supports. */
  providers(): Array<{ name: string; dialects: readonly string[]; oauth: boolean; import: boolean; add: boolean; managed: boolean }>;
  list(provider?: string): Promise<AdminAccount[]>;
  /** The account with this id (`provider` narrows when two providers use one id). */
  find(id: string, provider?: string): Promise<AdminAccount>;
  /** The provider's admin actions, or a 404/400 naming what is missing. */
  admin(provider: string, action?: keyof AccountAdmin): AccountAdmin;
  /** The summary with live cooling applied. */
  view(provider: string, summary: AccountSummary): Promise<AdminAccount>;
}

export function createAccountsService(providers: Map<string, Provider>, scheduler: Pick<Scheduler, "coolingUntil">): AccountsService {
  async function view(provider: string, summary: AccountSummary): Promise<AdminAccount> {
    const until = summary.status === "active" ? await scheduler.coolingUntil(provider, summary.id) : 0;
    return until > Date.now() ? { ...summary, provider, status: "cooling", coolingUntil: until } : { ...summary, provider };
  }
  const service: AccountsService = {
    providers() {
      return [...providers].map(([name, p]) => ({
        name,
        dialects: p.dialects,
        oauth: Boolean(p.accounts?.admin?.oauth),
        import: Boolean(p.accounts?.admin?.import),
        add: Boolean(p.accounts?.admin?.add),
        managed: Boolean(p.accounts?.admin),
      }));
    },
    async list(provider) {
      const names = provider === undefined ? [...providers.keys()] : [requireProvider(providers, provider).name];
      const lists = await Promise.all(
        names.map(async (name) => {
          const pool = providers.get(name)?.accounts;
          return pool ? Promise.all((await pool.list()).map((a) => view(name, a))) : [];
        }),
      );
      return lists.flat();
    },
    async find(id, provider) {
      const matches = (await service.list(provider)).filter((a) => a.id === id);
      if (matches.length === 0) throw notFound(`No account with id ${JSON.stringify(id.slice(0, 80))}`);
      if (matches.length > 1) throw new HTTPError({ status: 409, message: `Account id ${JSON.stringify(id)} exists in ${matches.map((a) => a.provider).join(" and ")}; add ?provider=<name>` });
      return matches[0]!;
    },
    admin(provider, action) {
      const { name, value } = requireProvider(providers, provider);
      const admin = value.accounts?.admin;
      if (!admin) throw badRequest("provider", `${name} takes its accounts from gateway.config.ts only`);
      if (action && !admin[action]) throw badRequest("provider", `${name} does not support ${ACTION_NAMES[action]}`);
      return admin;
    },
    view,
  };
  return service;
}

// --- internal ---

const ACTION_NAMES: Record<keyof AccountAdmin, string> = {
  oauth: "OAuth onboarding",
  import: "importing a credentials file",
  add: "adding an account from a key",
  update: "changing accounts",
  remove: "removing accounts",
  refresh: "refreshing tokens",
};

function requireProvider(providers: Map<string, Provider>, name: string): { name: string; value: Provider } {
  const value = providers.get(name);
  if (!value) throw notFound(`No provider ${JSON.stringify(name.slice(0, 80))}; configured: ${[...providers.keys()].join(", ") || "none"}`);
  return { name, value };
}
