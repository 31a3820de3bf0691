// The public entry of switchyard: what gateway.config.ts and plugins import.
export { HTTPError } from "h3";
export { defineGatewayConfig } from "./config/define.ts";
export { GatewayDefaults } from "./config/defaults.ts";
export { ConfigError } from "./config/issues.ts";
export { loadGatewayConfig, type LoadGatewayConfigOptions, type LoadedGatewayConfig } from "./config/load.ts";
export { resolveGatewayConfig } from "./config/resolve.ts";
export { defineAuth, definePlugin, defineProvider } from "./plugin.ts";
export { createGateway, type CreateGatewayOptions, type Gateway, type RegisteredRoute } from "./gateway.ts";
export { startServer, type RunningServer, type StartServerOptions } from "./server.ts";
export { createGatewayStorage, storageKey, type StorageOptions } from "./storage.ts";
export { createSecretBox, type SecretBox, type SealContext } from "./secret-box.ts";
export { createLogger, type Logger, type LogLevel } from "./logger.ts";
export { redact, redactString, registerSecret } from "./redact.ts";
export {
  badRequest,
  clientClosed,
  errorDialectFor,
  forbidden,
  formatErrorBody,
  notFound,
  overloaded,
  rateLimited,
  toErrorResponse,
  unauthorized,
  upstreamFailed,
  upstreamTimeout,
  type ErrorDialect,
} from "./errors.ts";
export {
  OptionProblems,
  checkKnownOptions,
  createKeyAccounts,
  parseBaseURL,
  parseHttpUrl,
  parseKeys,
  parseModels,
  type KeyAccount,
  type KeyAccounts,
  type KeyInput,
  type HttpUrlOptions,
} from "./key-accounts.ts";
export {
  createAttemptLimiter,
  createRateLimiter,
  type AttemptLimiter,
  type AttemptLimiterOptions,
  type RateLimiter,
  type RateLimiterOptions,
} from "./limits.ts";
export { ipAllowed, parseCidr, type Cidr } from "./cidr.ts";
export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequestInit } from "./http-client.ts";
export { parseProxyUrl, type ProxyUrlCheck } from "./proxy-url.ts";
export {
  createAccountStore,
  type AccountChange,
  type AccountStore,
  type ManagedAccount,
  type NewAccount,
} from "./accounts/store.ts";
export {
  AccountUnavailableError,
  TokenRefreshError,
  createTokenRefresher,
  type Refreshed,
  type TokenRefresher,
  type TokenRefresherOptions,
} from "./accounts/refresh.ts";
export {
  OAUTH_FLOW_TTL_MS,
  clampExpiresIn,
  createOAuthFlows,
  createOAuthState,
  createPkce,
  parseAuthorizationInput,
  type ExpiryBounds,
  type OAuthFlows,
  type PkcePair,
} from "./oauth.ts";
export type { PluginJob, PluginJobs } from "./jobs.ts";
export type { AccountsService, AdminAccount } from "./admin/accounts.ts";
export { SSELineTooLongError, createSSEParser, formatSSE, type SSEEvent, type SSEParser, type SSEParserOptions } from "./relay/sse.ts";
export { readJsonObject } from "./routes/body.ts";
export { userPrincipal } from "./users/strategy.ts";
export { publicUser } from "./users/routes.ts";
export { CORE_VERSION } from "./version.ts";
export type * from "./types/accounts.ts";
export type * from "./types/auth.ts";
export type * from "./types/config.ts";
export type * from "./types/hooks.ts";
export type * from "./types/plugin.ts";
export type * from "./types/provider.ts";
export type * from "./types/storage.ts";
export type * from "./types/users.ts";
