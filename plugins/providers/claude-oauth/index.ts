import { type Provider, TokenRefreshError, createAccountStore, createTokenRefresher, defineProvider, registerSecret } from "switchyard";
import { type ClaudeCredentials, type ClaudeMeta, createClaudeAdmin, summarize } from "./accounts.ts";
import { type ClaudeOAuthOptions, resolveOptions } from "./options.ts";
import { createClaudeRelay } from "./relay.ts";
import { createTokenClient } from "./token.ts";

export { type ClaudeOAuthOptions, CLAUDE_OAUTH_DEFAULTS, DEFAULT_BETAS, DEFAULT_CLAUDE_OAUTH_MODELS, DEFAULT_SCOPES, DEFAULT_USER_AGENT } from "./options.ts";
export { CLAUDE_CODE_IDENTITY } from "./shape.ts";
export type { ClaudeCredentials, ClaudeMeta } from "./accounts.ts";

/**
 * Claude subscription accounts (Claude Code / claude.ai Pro–Max) onboarded at run time with
 * OAuth 2.0 + PKCE or a Claude Code `.credentials.json`, relayed to `/v1/messages` the way
 * Claude Code calls it (protocols.md §2). Tokens are sealed, refreshed single-flight across
 * instances ahead of expiry and after a 401; each account may have its own proxy.
 * Operators must follow Anthropic's terms for subscription credentials (see the docs page).
 *
 * @example
 * providers: [claudeOAuth()]
 * // then: switchyard accounts add claude-oauth
 */
export const claudeOAuth = defineProvider<ClaudeOAuthOptions>({
  name: "claude-oauth",
  setup(ctx, input) {
    const options = resolveOptions(ctx.name, input);
    if (options.insecure && (options.tokenURL.startsWith("http:") || options.apiBaseURL.startsWith("http:"))) {
      ctx.logger.warn(`sending OAuth tokens over plain http (allowInsecureHttp): ${options.tokenURL.startsWith("http:") ? "tokenURL" : "apiBaseURL"}`);
    }
    const store = createAccountStore<ClaudeCredentials, ClaudeMeta>(ctx);
    const tokens = createTokenClient(ctx, options);
    const refresher = createTokenRefresher<ClaudeCredentials, ClaudeMeta>(ctx, {
      store,
      aheadMs: options.refreshAheadMs,
      accessToken: (credentials) => credentials.accessToken,
      async refresh({ account, credentials, proxy }) {
        if (!credentials.refreshToken) throw new TokenRefreshError("the account has no refresh token; log in again", { permanent: true });
        registerSecret(credentials.refreshToken);
        const answer = await tokens.refresh({ refreshToken: credentials.refreshToken, proxy });
        // A refresh without a new refresh token keeps the old one (never wipe it).
        const refreshToken = answer.refreshToken ?? credentials.refreshToken;
        const meta = { ...account.meta, ...answer.profile };
        return { credentials: { accessToken: answer.accessToken, refreshToken }, expiresAt: answer.expiresAt, change: { meta, ...(answer.scopes ? { scopes: answer.scopes } : {}) } };
      },
    });
    const relay = createClaudeRelay({ ctx, options, store, refresher });
    return {
      dialects: ["anthropic-messages"],
      models: () => options.models.map((id) => ({ id })),
      accounts: {
        list: async () => (await store.list()).map((account) => summarize(store, account)),
        onAuthFailure: relay.onAuthFailure,
        admin: createClaudeAdmin({ ctx, options, store, tokens, refresher }),
      },
      send: relay.send,
      countTokens: relay.countTokens,
      classify: relay.classify,
    } satisfies Provider;
  },
});

export default claudeOAuth;
