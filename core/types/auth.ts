/** Roles of people who log in, lowest first. */
export type Role = "user" | "admin" | "root";

/** Limits attached to a client key; the relay's admission step enforces them. */
export interface ClientLimits {
  /** Concurrent requests in flight. */
  concurrency?: number;
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
  /** Spend per UTC day, in USD. */
  dailyUsd?: number;
  /** Total spend over the key's life, in USD. */
  budgetUsd?: number;
}

/**
 * Who is calling. Produced by an auth strategy; `strategy` is filled in by the core
 * with the name of the plugin that recognised the credentials.
 */
export interface Principal {
  /** `client`: a gateway API key calling the relay; `user`: a person (session or personal token). */
  kind: "client" | "user";
  /** Key id or user id; never the secret itself. */
  id: string;
  name?: string;
  /** Role of a `user` principal (and of a client key's owner when known). */
  role?: Role;
  /** Name of the auth plugin that produced this principal. */
  strategy: string;
  limits?: ClientLimits;
  /** Model allow-list as glob patterns; absent means every routed model. */
  models?: string[];
  /** Accounts this key is bound to, tried before the shared pool. */
  accounts?: string[];
  /** Owner user id of a client key. */
  owner?: string;
  /**
   * A machine credential acting with a role (the admin and metrics tokens), not a person: it
   * passes `admin`/`root` routes but never the `user` routes that are about "me".
   */
  service?: boolean;
}

/** The plain view of a request an auth strategy sees (no framework objects). */
export interface AuthRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** Client address after the trusted-proxy rules, when known. */
  ip: string | undefined;
}

/**
 * Capability object returned by an auth plugin's `setup`.
 * @experimental the relay and identity issues will add session and admin methods.
 */
/** A way for people to log in that an auth plugin offers (listed by `GET /auth/methods`). */
export interface LoginMethod {
  /** Stable id, e.g. `password`, `linuxdo`. */
  id: string;
  /** `password`: POST credentials to `url`; `redirect`: send the browser to `url`. */
  kind: "password" | "redirect";
  url: string;
  /** What a login page shows, e.g. "LinuxDO". */
  label: string;
  /** Self-service sign-up at this URL, when enabled. */
  registerUrl?: string;
}

export interface AuthStrategy {
  /** Login methods for people, shown by login pages. */
  login?: LoginMethod[];
  /**
   * Recognise the request's credentials. Return `undefined` when they are absent or
   * not this strategy's kind (the next strategy is tried); throw an `HTTPError`
   * to refuse the request outright.
   */
  authenticate?(request: AuthRequest): Promise<Principal | undefined> | Principal | undefined;
}
