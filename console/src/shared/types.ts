// Wire types of the gateway's public APIs, as the console and the portal read them.
// They mirror the docs pages (docs/guide/*.md, docs/auth/*.md); nothing here is computed.

export type Role = "user" | "admin" | "root";

/** A user as `/auth/me` and `/admin/users` answer it (no secrets). */
export interface User {
  id: string;
  name: string;
  role: Role;
  status: "active" | "banned";
  identities: Array<{ provider: string; subject: string }>;
  createdAt: number;
  meta: Record<string, unknown>;
}

/** One way to log in (`GET /auth/methods`): a password form posting to `url`, or a redirect to `url`. */
export interface LoginMethod {
  id: string;
  kind: "password" | "redirect";
  url: string;
  label: string;
  registerUrl?: string;
}

/** `GET /auth/methods`. */
export interface AuthMethods {
  methods: LoginMethod[];
  secondFactors: string[];
}

/** `POST /auth/login` and `POST /auth/login/2fa`. */
export type LoginAnswer =
  | { status: "ok"; user: User; expiresAt: number }
  | { status: "2fa_required"; ticket: string; expiresAt: number; factors: string[] };

/** `GET /auth/2fa/status`. */
export interface TwoFactorStatus {
  enabled: boolean;
  pending: boolean;
  backupCodesRemaining: number;
  locked: boolean;
  retryAfterSeconds?: number;
}

/** `POST /auth/2fa/setup`. */
export interface TwoFactorSetup {
  secret: string;
  uri: string;
  qrSvg: string;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costUsd: number;
}

/** `GET /admin/usage?days=N`. */
export interface UsageReport {
  days: number;
  today: UsageTotals & { day: string };
  total: UsageTotals;
  daily: Array<UsageTotals & { day: string }>;
  byModel: Array<UsageTotals & { name: string }>;
  byProvider: Array<UsageTotals & { name: string }>;
}

/** `GET /admin/usage/keys/:id` and `GET /plugins/api-key/me/keys/:id/usage`. */
export interface KeyUsage {
  keyId: string;
  today: UsageTotals;
  month: UsageTotals;
  total: UsageTotals;
}

export type AccountStatus = "active" | "cooling" | "needs_reauth" | "disabled" | "error";

/** An account as `/admin/accounts` answers it. */
export interface Account {
  id: string;
  provider: string;
  name: string;
  status: AccountStatus;
  coolingUntil?: number;
  priority?: number;
  lastUsedAt?: number;
  lastError?: string;
  tier?: string;
  scopes?: string[];
  expiresAt?: number;
  lastRefreshAt?: number;
  proxy?: string;
  donor?: string;
  createdAt?: number;
  details?: Record<string, string | number | boolean>;
}

/** `GET /admin/providers`. */
export interface ProviderInfo {
  name: string;
  dialects: string[];
  oauth: boolean;
  import: boolean;
  add: boolean;
  managed: boolean;
}

/** `POST …/oauth/start`. */
export interface OAuthStart {
  authUrl: string;
  flowId: string;
}

export interface KeyLimits {
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  dailyUsd?: number;
  budgetUsd?: number;
}

/** A client key record (never the secret). */
export interface KeyRecord {
  id: string;
  name: string;
  prefix: string;
  enabled: boolean;
  createdAt: string;
  updatedAt?: string;
  expiresAt?: string;
  lastUsedAt?: string;
  models?: string[];
  ips?: string[];
  limits: KeyLimits;
  accounts?: string[];
  owner?: string;
}

/** The one answer that holds a key's secret. */
export interface CreatedKey {
  key: string;
  record: KeyRecord;
}

/** `GET /plugins/new-api-binding/binding`. */
export interface Binding {
  newApiUserId: number;
  username: string;
  displayName: string;
  linuxdoId: string;
  boundAt: string;
}

export type DonationStatus = "pending" | "crediting" | "credited" | "credit_unknown" | "failed";

export interface Donation {
  id: string;
  userId: string;
  newApiUserId: number;
  linuxdoId: string;
  provider: string;
  accountId: string;
  amount: number;
  status: DonationStatus;
  createdAt: number;
  creditedAt?: number;
  attempts: number;
  lastAttemptAt?: number;
  lastError?: string;
  resolvedBy?: string;
  resolvedAt?: number;
}

/** `GET /plugins/new-api-binding/donations/options`: what a donation earns, and which providers take donations how. */
export interface DonationOptions {
  quotaAmount: number;
  /** new-api quota units per USD. */
  quotaPerUsd: number;
  providers: Array<{ name: string; oauth: boolean; import: boolean }>;
}

/** `{ data: [...] }` lists. */
export interface List<T> {
  data: T[];
}
