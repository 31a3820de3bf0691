import type { AccountSummary } from "./provider.ts";

/**
 * Operator actions on a provider's accounts: what the admin API (`/admin/accounts`,
 * `/admin/providers/:provider/oauth/*`) and `switchyard accounts` call. Every method returns
 * summaries only, never a secret. A provider implements the parts that apply to it.
 */
export interface AccountAdmin {
  /** OAuth onboarding (PKCE): start a flow, then exchange what the operator pasted. */
  oauth?: {
    start(input: OAuthStartInput): Promise<OAuthStart>;
    exchange(input: OAuthExchangeInput): Promise<AccountSummary>;
  };
  /** Import a credentials file the operator already has (its text). */
  import?(input: AccountImportInput): Promise<AccountSummary>;
  /** Add an account from a plain credential (e.g. an upstream API key). */
  add?(input: AccountAddInput): Promise<AccountSummary>;
  /** Change what an operator may change; unknown ids reject with a 404 `HTTPError`. */
  update(id: string, patch: AccountPatch): Promise<AccountSummary>;
  /** Remove an account and its secrets. */
  remove(id: string): Promise<void>;
  /** Refresh the account's tokens now (OAuth providers). */
  refresh?(id: string): Promise<AccountSummary>;
}

export interface OAuthStartInput {
  /** Proxy for the token exchange and for the account afterwards. */
  proxy?: string;
}

export interface OAuthStart {
  /** Open this in a browser. */
  authUrl: string;
  /** Single-use id of the pending flow (expires after 10 minutes). */
  flowId: string;
}

export interface OAuthExchangeInput {
  flowId: string;
  /** The bare code, `code#state`, or the full callback URL. */
  code: string;
  name?: string;
  /** Who gave the account (a user id), for donated accounts. */
  donor?: string;
}

export interface AccountImportInput {
  /** The file's text; read once, sealed, never echoed. */
  content: string;
  name?: string;
  proxy?: string;
  donor?: string;
}

export interface AccountAddInput {
  /** The credential (e.g. an API key). */
  secret: string;
  name?: string;
  proxy?: string;
  priority?: number;
}

/** Fields an operator may change. `proxy: null` removes the proxy. */
export interface AccountPatch {
  name?: string;
  enabled?: boolean;
  proxy?: string | null;
  priority?: number;
}
