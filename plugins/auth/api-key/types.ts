import type { AuthRequest, AuthStrategy, ClientLimits, Principal } from "switchyard";

/** Options of the `api-key` auth plugin. */
export interface ApiKeyOptions {
  /**
   * How long, in ms, this instance reuses a key lookup (found or not found) before asking
   * storage again. Changes made on this instance apply at once; changes made on another
   * instance apply here within this time. `0` turns the cache off. Default `5000`, at most `60000`.
   */
  cacheTtlMs?: number;
}

/** A client key as shown to admins: everything but the secret (which is never stored). */
export interface ApiKeyRecord {
  /** Short random id (`key_…`); what usage rows, logs and the principal carry. */
  id: string;
  /** Human-readable label. */
  name: string;
  /** First 8 characters of the key (`sk-sy-Ab`), to recognise it in a list; no more, so a listing never reveals a usable part of the secret (security.md H1). */
  prefix: string;
  /** A disabled key authenticates nobody until enabled again. */
  enabled: boolean;
  /** ISO 8601 time of creation. */
  createdAt: string;
  /** ISO 8601 time of the last change through `update`. */
  updatedAt?: string;
  /** ISO 8601 time after which the key stops working. */
  expiresAt?: string;
  /** ISO 8601 time of the last successful authentication (written at most once a minute). */
  lastUsedAt?: string;
  /** Model allow-list as glob patterns (`claude-*`); absent means every routed model. */
  models?: string[];
  /** Client address allow-list as CIDR ranges (`10.0.0.0/8`, `::1/128`); absent means any address. */
  ips?: string[];
  /** Limits the relay enforces for this key. */
  limits: ClientLimits;
  /** Account ids dedicated to this key, tried before the shared pool. */
  accounts?: string[];
  /** Id of the user who owns the key. */
  owner?: string;
}

/** What `keys.create` and `POST /keys` accept. */
export interface CreateKeyInput {
  name: string;
  /** Default `true`. */
  enabled?: boolean;
  /** ISO 8601 time in the future. */
  expiresAt?: string;
  models?: string[];
  ips?: string[];
  limits?: ClientLimits;
  accounts?: string[];
  owner?: string;
}

/**
 * What `keys.update` and `PATCH /keys/:id` accept, with JSON merge-patch meaning: an absent
 * field is left alone, `null` removes an optional field (or one limit inside `limits`).
 */
export interface UpdateKeyInput {
  name?: string;
  enabled?: boolean;
  expiresAt?: string | null;
  models?: string[] | null;
  ips?: string[] | null;
  limits?: { [K in keyof ClientLimits]?: number | null } | null;
  accounts?: string[] | null;
  owner?: string | null;
}

/** A freshly created key: `key` is the secret, returned this once and never again. */
export interface CreatedKey {
  key: string;
  record: ApiKeyRecord;
}

/** Management API of the key store; every method validates its input like the HTTP routes. */
export interface ApiKeyStore {
  /** Create a key; the only time the secret is returned. Throws a 400 `HTTPError` on bad input. */
  create(input: CreateKeyInput): Promise<CreatedKey>;
  /** Every key, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** One key, or `undefined` when there is none with this id. */
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Apply a patch; `undefined` when there is no such key. Throws a 400 `HTTPError` on bad input. */
  update(id: string, patch: UpdateKeyInput): Promise<ApiKeyRecord | undefined>;
  /** Delete the key for good; `false` when there was no such key. */
  revoke(id: string): Promise<boolean>;
}

/** The capability object the `api-key` plugin returns: an auth strategy plus its key store. */
export interface ApiKeyStrategy extends AuthStrategy {
  /** A `client` principal for a valid `sk-sy-` key; `undefined` otherwise; 403 from a disallowed address. */
  authenticate(request: AuthRequest): Promise<Principal | undefined>;
  keys: ApiKeyStore;
}
