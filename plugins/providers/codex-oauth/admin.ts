// Operator actions: PKCE onboarding with the Codex CLI's authorize parameters (§4.2),
// auth.json import (§11), validation with a real backend call, and the usual changes.
import {
  AccountUnavailableError,
  type AccountAdmin,
  type AccountSummary,
  type PluginContext,
  createOAuthFlows,
  createOAuthState,
  createPkce,
} from "switchyard";
import { type CodexAccounts, identityChange } from "./accounts.ts";
import { parseAuthFile } from "./auth-file.ts";
import type { ResolvedCodexOptions } from "./options.ts";
import { type CodexCredentials, type CodexIdentity, exchangeCode } from "./tokens.ts";
import { probeAccount } from "./validate.ts";

/** The `accounts.admin` of the provider. */
export function createAccountAdmin(ctx: PluginContext, options: ResolvedCodexOptions, accounts: CodexAccounts): AccountAdmin & { validate(id: string): Promise<AccountSummary> } {
  const { store } = accounts;
  const flows = createOAuthFlows<Flow>(ctx);

  async function validate(id: string): Promise<AccountSummary> {
    const account = await store.require(id);
    const result = await probeAccount(ctx, options, {
      credentials: await store.credentials(id),
      chatgptAccountId: account.meta.chatgptAccountId,
      proxy: account.proxyDisplay ? await store.proxy(id) : undefined,
      onUsage: (usage) => accounts.usage.set(id, usage),
    });
    if (result.ok) ctx.logger.info(`account ${id}: validated against the Codex backend${result.note ? ` (${result.note})` : ""}`);
    else ctx.logger.warn(`account ${id}: validation failed: ${result.reason}`);
    const updated = await store.update(id, () => (result.ok ? { status: "active", lastError: result.note } : { status: "error", lastError: `validation failed: ${result.reason}` }));
    return accounts.summary(updated);
  }

  // A login of an account we already have (same workspace and user) replaces its tokens.
  async function save(input: Saved): Promise<AccountSummary> {
    const { identity } = input;
    const change = { ...identityChange(identity), credentials: input.credentials, expiresAt: input.expiresAt, status: "error" as const, lastError: "not validated yet" };
    const existing = identity.email === undefined ? undefined : (await store.list()).find((a) => a.meta.chatgptAccountId === identity.chatgptAccountId && a.meta.email === identity.email);
    let id: string;
    if (existing) {
      // The first donor keeps the credit for an account signed in again; a later login never rewrites it.
      await store.update(existing.id, (current) => ({ ...change, ...(input.name ? { name: input.name } : {}), ...(input.proxy ? { proxy: input.proxy } : {}), ...(input.donor && !current.donor ? { donor: input.donor } : {}) }));
      id = existing.id;
      ctx.logger.info(`account ${id}: signed in again; tokens replaced`);
    } else {
      const created = await store.create({
        ...change,
        name: input.name ?? identity.email ?? `ChatGPT ${identity.chatgptAccountId}`,
        ...(input.scopes ? { scopes: input.scopes } : {}),
        ...(input.proxy ? { proxy: input.proxy } : {}),
        ...(input.donor ? { donor: input.donor } : {}),
      });
      id = created.id;
      ctx.logger.info(`account ${id}: added (${identity.planType ?? "unknown plan"})`);
    }
    return validate(id);
  }

  return {
    validate,
    oauth: {
      async start(input) {
        const proxy = input.proxy === undefined ? undefined : accounts.parseProxy(input.proxy);
        const pkce = createPkce();
        const state = createOAuthState();
        const flowId = await flows.start({ verifier: pkce.verifier, state, ...(proxy ? { proxy } : {}) });
        const url = new URL(options.authorizeURL);
        const params: Record<string, string> = {
          response_type: "code",
          client_id: options.clientId,
          redirect_uri: options.redirectURI,
          scope: options.scopes.join(" "),
          code_challenge: pkce.challenge,
          code_challenge_method: pkce.method,
          id_token_add_organizations: "true",
          codex_cli_simplified_flow: "true",
          state,
          originator: options.originator,
        };
        for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
        return { authUrl: url.href, flowId };
      },
      async exchange(input) {
        const { flow, code } = await flows.redeem({ flowId: input.flowId, code: input.code });
        const grant = await exchangeCode(ctx, options, { code, verifier: flow.verifier, proxy: flow.proxy?.url });
        return save({
          credentials: grant.credentials, expiresAt: grant.expiresAt, identity: grant.identity!, scopes: options.scopes,
          ...(input.name ? { name: input.name } : {}), ...(input.donor ? { donor: input.donor } : {}), ...(flow.proxy ? { proxy: flow.proxy } : {}),
        });
      },
    },
    async import(input) {
      const proxy = input.proxy === undefined ? undefined : accounts.parseProxy(input.proxy);
      const parsed = parseAuthFile(ctx, input.content);
      return save({ ...parsed, ...(input.name ? { name: input.name } : {}), ...(input.donor ? { donor: input.donor } : {}), ...(proxy ? { proxy } : {}) });
    },
    async update(id, patch) {
      const proxy = patch.proxy === undefined ? undefined : patch.proxy === null ? null : accounts.parseProxy(patch.proxy);
      const updated = await store.update(id, (current) => ({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.priority === undefined ? {} : { priority: patch.priority }),
        ...(patch.enabled === false ? { status: "disabled" as const } : {}),
        ...(patch.enabled === true && current.status === "disabled" ? { status: "active" as const, lastError: undefined } : {}),
        ...(proxy === undefined ? {} : { proxy }),
      }));
      return accounts.summary(updated);
    },
    async remove(id) {
      await store.remove(id);
      accounts.usage.delete(id);
    },
    async refresh(id) {
      const before = await store.require(id);
      try {
        await accounts.refresher.now(id);
      } catch (error) {
        if (!(error instanceof AccountUnavailableError)) throw error;
        return accounts.summary(await store.require(id));
      }
      // An account that failed validation is checked again with its new token.
      return before.status === "error" ? validate(id) : accounts.summary(await store.require(id));
    },
  };
}

// --- internal ---

interface Flow {
  verifier: string;
  proxy?: { url: string; display: string };
}

interface Saved {
  credentials: CodexCredentials;
  expiresAt: number;
  identity: CodexIdentity;
  scopes?: string[];
  name?: string;
  donor?: string;
  proxy?: { url: string; display: string };
}
