// Operator actions on Claude subscription accounts: PKCE onboarding, credentials-file import,
// changes, removal and refresh. Every answer is a summary; tokens only ever go into the
// sealed credentials.
import {
  AccountUnavailableError,
  type AccountAdmin,
  type AccountStore,
  type AccountSummary,
  HTTPError,
  type ManagedAccount,
  type NewAccount,
  type PluginContext,
  type TokenRefresher,
  badRequest,
  createOAuthFlows,
  createOAuthState,
  createPkce,
  parseProxyUrl,
} from "switchyard";
import { parseCredentialsFile } from "./credentials-file.ts";
import type { ResolvedClaudeOAuthOptions } from "./options.ts";
import type { AccountProfile, TokenClient } from "./token.ts";

/** Sealed per account. `refreshToken` is absent only for tokens that cannot be refreshed. */
export interface ClaudeCredentials {
  accessToken: string;
  refreshToken?: string;
}

/** Non-secret facts kept with the account. */
export type ClaudeMeta = AccountProfile;

export type ClaudeStore = AccountStore<ClaudeCredentials, ClaudeMeta>;

/** The operator's view of an account: the store's summary plus who it belongs to. */
export function summarize(store: ClaudeStore, account: ManagedAccount<ClaudeMeta>): AccountSummary {
  const { email, organizationName, organizationId, rateLimitTier, subscriptionType } = account.meta;
  const details: Record<string, string> = {};
  for (const [field, value] of Object.entries({ email, organizationName, organizationId, rateLimitTier, subscriptionType })) if (value !== undefined) details[field] = value;
  return store.summary(account, Object.keys(details).length > 0 ? details : undefined);
}

/** `AccountAdmin` of the plugin. */
export function createClaudeAdmin(input: { ctx: PluginContext; options: ResolvedClaudeOAuthOptions; store: ClaudeStore; tokens: TokenClient; refresher: TokenRefresher<ClaudeCredentials> }): AccountAdmin {
  const { ctx, options, store, tokens, refresher } = input;
  const flows = createOAuthFlows<{ verifier: string; proxy?: string }>(ctx);
  const view = (account: ManagedAccount<ClaudeMeta>) => summarize(store, account);

  // The same Claude account onboarded again (same account uuid, or the same refresh token in a
  // re-imported file) gets its tokens replaced instead of a second record; its first donor stays.
  async function save(input: NewAccount<ClaudeCredentials, ClaudeMeta>): Promise<ManagedAccount<ClaudeMeta>> {
    const existing = await findSame(input);
    if (!existing) return store.create(input);
    const { credentials, expiresAt, scopes, tier, proxy, donor, meta } = input;
    ctx.logger.info(`account ${existing.id}: onboarded again; tokens replaced`);
    return store.update(existing.id, (current) => ({
      credentials, expiresAt, scopes, tier, meta: { ...current.meta, ...meta }, status: "active", lastError: undefined,
      ...(proxy ? { proxy } : {}), ...(donor && !current.donor ? { donor } : {}),
    }));
  }
  async function findSame(input: NewAccount<ClaudeCredentials, ClaudeMeta>): Promise<ManagedAccount<ClaudeMeta> | undefined> {
    const accounts = await store.list();
    const uuid = input.meta.accountUuid;
    if (uuid) return accounts.find((a) => a.meta.accountUuid === uuid);
    for (const account of accounts) {
      if (input.credentials.refreshToken && (await store.credentials(account.id)).refreshToken === input.credentials.refreshToken) return account;
    }
    return undefined;
  }

  return {
    oauth: {
      async start({ proxy }) {
        const parsed = proxy === undefined ? undefined : toProxy(proxy);
        const pkce = createPkce(32);
        const state = createOAuthState();
        const flowId = await flows.start({ verifier: pkce.verifier, state, ...(parsed ? { proxy: parsed.url } : {}) });
        const url = new URL(options.authorizeURL);
        const params: Record<string, string> = {
          code: "true",
          client_id: options.clientId,
          response_type: "code",
          redirect_uri: options.redirectURI,
          scope: options.scopes.join(" "),
          code_challenge: pkce.challenge,
          code_challenge_method: pkce.method,
          state,
        };
        for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
        return { authUrl: url.href, flowId };
      },
      async exchange({ flowId, code, name, donor }) {
        const { flow, code: authCode } = await flows.redeem({ flowId, code });
        const answer = await tokens.exchange({ code: authCode, verifier: flow.verifier, state: flow.state, proxy: flow.proxy });
        const proxy = flow.proxy === undefined ? undefined : toProxy(flow.proxy);
        const account = await save({
          name: name ?? answer.profile.email ?? "Claude account",
          credentials: { accessToken: answer.accessToken, ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}) },
          expiresAt: answer.expiresAt,
          lastRefreshAt: ctx.now(),
          ...tierOf(answer.profile),
          ...(answer.scopes ? { scopes: answer.scopes } : {}),
          ...(proxy ? { proxy } : {}),
          ...(donor ? { donor } : {}),
          meta: answer.profile,
        });
        ctx.logger.info(`account ${account.id} onboarded through OAuth`);
        return view(account);
      },
    },
    async import({ content, name, proxy, donor }) {
      const parsedProxy = proxy === undefined ? undefined : toProxy(proxy);
      const file = parseCredentialsFile(content);
      const account = await save({
        name: name ?? file.profile.email ?? "Claude Code import",
        credentials: { accessToken: file.accessToken, refreshToken: file.refreshToken },
        // Unknown expiry: treat as expired, so the first use refreshes and learns it.
        expiresAt: file.expiresAt ?? ctx.now(),
        ...tierOf(file.profile),
        ...(file.scopes ? { scopes: file.scopes } : {}),
        ...(parsedProxy ? { proxy: parsedProxy } : {}),
        ...(donor ? { donor } : {}),
        meta: file.profile,
      });
      ctx.logger.info(`account ${account.id} imported from a credentials file`);
      return view(account);
    },
    async update(id, patch) {
      const proxy = patch.proxy === undefined || patch.proxy === null ? patch.proxy : toProxy(patch.proxy);
      if (patch.name !== undefined && (typeof patch.name !== "string" || patch.name.trim() === "")) throw badRequest("name", "expected a non-empty string");
      if (patch.priority !== undefined && (typeof patch.priority !== "number" || !Number.isFinite(patch.priority))) throw badRequest("priority", "expected a number");
      const account = await store.update(id, () => ({
        ...(patch.name === undefined ? {} : { name: patch.name.trim() }),
        ...(patch.priority === undefined ? {} : { priority: patch.priority }),
        ...(proxy === undefined ? {} : { proxy }),
        // Enabling is an explicit operator decision: whatever stopped the account, try it again.
        ...(patch.enabled === undefined ? {} : patch.enabled ? { status: "active" as const, lastError: undefined } : { status: "disabled" as const }),
      }));
      return view(account);
    },
    remove: (id) => store.remove(id),
    async refresh(id) {
      await store.require(id);
      try {
        await refresher.now(id);
      } catch (error) {
        if (!(error instanceof AccountUnavailableError)) throw error;
        throw new HTTPError({ status: 409, message: `Refresh failed: ${error.message}` });
      }
      return view(await store.require(id));
    },
  };
}

/** A validated proxy for the store, or a 400 that never echoes its credentials. */
export function toProxy(value: unknown): { url: string; display: string } {
  const check = parseProxyUrl(value);
  if (!check.ok) throw badRequest("proxy", `expected ${check.expected}, got ${check.got}`);
  return { url: check.url, display: check.display };
}

// --- internal ---

/** The plan when known (`max`, `pro`), else the rate-limit tier. */
function tierOf(profile: AccountProfile): { tier?: string } {
  const tier = profile.subscriptionType ?? profile.rateLimitTier;
  return tier === undefined ? {} : { tier };
}
