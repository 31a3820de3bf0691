// The ChatGPT accounts of the plugin: sealed tokens in the account store, refresh single-flight
// across instances, the operator's view (never a secret), and what `send` needs per call.
import {
  AccountUnavailableError,
  type AccountStore,
  type AccountSummary,
  type ManagedAccount,
  type PluginContext,
  type TokenRefresher,
  badRequest,
  createAccountStore,
  createTokenRefresher,
  overloaded,
  parseProxyUrl,
  registerSecret,
} from "switchyard";
import type { CodexUsage } from "./limits.ts";
import type { ResolvedCodexOptions } from "./options.ts";
import { type CodexCredentials, type CodexIdentity, refreshTokens } from "./tokens.ts";

/** Non-secret account facts (from the id_token). */
export type CodexMeta = CodexIdentity;

/** What one backend call needs. */
export interface AccountInUse {
  id: string;
  credentials: CodexCredentials;
  chatgptAccountId: string;
  proxy: string | undefined;
}

/** The plugin's accounts. */
export interface CodexAccounts {
  store: AccountStore<CodexCredentials, CodexMeta>;
  refresher: TokenRefresher<CodexCredentials>;
  /** Refreshes when a token expires within `sweepWindowMs` (the background job's refresher). */
  sweeper: TokenRefresher<CodexCredentials>;
  sweepWindowMs: number;
  /** Latest usage windows per account (this instance's view). */
  usage: Map<string, CodexUsage>;
  summary(account: ManagedAccount<CodexMeta>): AccountSummary;
  list(): Promise<AccountSummary[]>;
  /** Credentials valid for a call (refreshed if needed), the account id header and the proxy. */
  use(accountId: string | undefined): Promise<AccountInUse>;
  /** The backend refused the account's token: refresh once unless that token was brand new. */
  onAuthFailure(accountId: string, status: number): Promise<boolean>;
  /** Validate an operator's proxy URL (400 when wrong). */
  parseProxy(value: string): { url: string; display: string };
}

/** Build the account machinery of one plugin instance. */
export function createCodexAccounts(ctx: PluginContext, options: ResolvedCodexOptions): CodexAccounts {
  const store = createAccountStore<CodexCredentials, CodexMeta>(ctx);
  const refresh = async ({ credentials, proxy }: { credentials: CodexCredentials; proxy: string | undefined }) => {
    const grant = await refreshTokens(ctx, options, credentials, proxy);
    return { credentials: grant.credentials, expiresAt: grant.expiresAt, ...(grant.identity ? { change: identityChange(grant.identity) } : {}) };
  };
  const common = { store, attempts: 3, accessToken: (c: CodexCredentials) => c.accessToken, refresh };
  const refresher = createTokenRefresher(ctx, { ...common, aheadMs: options.refreshAheadMs });
  const sweepWindowMs = Math.max(SWEEP_WINDOW_MS, options.refreshAheadMs);
  const sweeper = createTokenRefresher(ctx, { ...common, aheadMs: sweepWindowMs });
  const usage = new Map<string, CodexUsage>();
  // The token each account last sent, so a 401 refreshes only when nobody did since.
  const sent = new Map<string, string>();

  const summary = (account: ManagedAccount<CodexMeta>): AccountSummary => store.summary(account, details(account.meta, usage.get(account.id)));

  async function find(accountId: string | undefined): Promise<ManagedAccount<CodexMeta>> {
    const list = await store.list();
    const account = accountId === undefined ? list.find((a) => a.status === "active") : (list.find((a) => a.id === accountId) ?? (await store.get(accountId)));
    if (!account) {
      if (accountId === undefined) throw overloaded(`${ctx.name}: no active account; onboard one with \`switchyard accounts add ${ctx.name}\``, 60);
      throw new AccountUnavailableError(`account ${accountId} does not exist`);
    }
    return account;
  }

  return {
    store, refresher, sweeper, sweepWindowMs, usage, summary,
    list: async () => (await store.list()).map(summary),
    async use(accountId) {
      const account = await find(accountId);
      const credentials = await refresher.fresh(account.id);
      registerSecret(credentials.accessToken);
      sent.set(account.id, credentials.accessToken);
      store.touch(account.id);
      return { id: account.id, credentials, chatgptAccountId: account.meta.chatgptAccountId, proxy: account.proxyDisplay ? await store.proxy(account.id) : undefined };
    },
    async onAuthFailure(accountId, status) {
      const account = await store.get(accountId);
      if (!account || account.status !== "active") return false;
      const current = (await store.credentials(accountId)).accessToken;
      const rejected = sent.get(accountId) ?? current;
      // A token refreshed a moment ago and refused again: refreshing more would only loop.
      if (rejected === current && account.lastRefreshAt !== undefined && ctx.now() - account.lastRefreshAt < FRESH_MS) {
        const lastError = `the Codex backend refused freshly refreshed credentials (${status}); check the account, then refresh it`;
        await store.update(accountId, () => ({ status: "error", lastError }));
        ctx.logger.warn(`account ${accountId}: ${lastError}`);
        return false;
      }
      try {
        return await refresher.afterRejection(accountId, rejected);
      } catch (error) {
        if (error instanceof AccountUnavailableError) return false;
        throw error;
      }
    },
    parseProxy(value) {
      const check = parseProxyUrl(value);
      if (!check.ok) throw badRequest("proxy", `expected ${check.expected}, got ${check.got}`);
      return { url: check.url, display: check.display };
    },
  };
}

/** The account change a new id_token brings: meta and tier. */
export function identityChange(identity: CodexIdentity): { meta: CodexMeta; tier?: string } {
  return { meta: { ...identity }, ...(identity.planType ? { tier: identity.planType } : {}) };
}

// --- internal ---

// The background job refreshes tokens that expire within this window.
const SWEEP_WINDOW_MS = 5 * 60_000;
const FRESH_MS = 60_000;

function details(meta: CodexMeta, usage: CodexUsage | undefined): AccountSummary["details"] {
  const out: Record<string, string | number | boolean> = { chatgptAccountId: meta.chatgptAccountId };
  if (meta.planType) out.plan = meta.planType;
  if (meta.email) out.email = meta.email;
  const org = meta.organizations?.find((o) => o.isDefault) ?? meta.organizations?.[0];
  if (org) {
    out.organizationId = org.id;
    if (org.title) out.organization = org.title;
  }
  for (const [key, value] of Object.entries(usage ?? {})) if (typeof value === "number") out[key] = value;
  return out;
}
