import type { AuthStrategy, User } from "switchyard";

/** A gateway user's binding to a new-api user (stored under `users:<userId>`). */
export interface Binding {
  userId: string;
  newApiUserId: number;
  /** The LinuxDO id both sides carried when the binding was made. */
  linuxdoId: string;
  username: string;
  displayName: string;
  /** Epoch ms. */
  boundAt: number;
}

export interface BindingStore {
  get(userId: string): Promise<Binding | null>;
  /** The user's LinuxDO id (the subject of their `linuxdoProvider` identity). */
  linuxdoId(user: User): string | undefined;
  /** Bind after new-api confirms the LinuxDO id: 404 unknown id, 403 mismatch, 409 taken. */
  bind(user: User, newApiUserId: number): Promise<Binding>;
  /** False when there was no binding. */
  unbind(userId: string): Promise<boolean>;
  /** Whether new-api still links the user to the same LinuxDO id (read again now). */
  stillMatches(binding: Pick<Binding, "newApiUserId" | "linuxdoId">): Promise<boolean>;
}

/**
 * Where a donation's credit stands. `pending`: waiting for the account to validate (or not
 * tried yet); `crediting`: one instance is sending `add_quota` now; `credited`: done;
 * `credit_unknown`: the call was sent but its outcome is unknown (an admin settles it);
 * `failed`: new-api definitely did not apply it (may be retried).
 */
export type DonationStatus = "pending" | "crediting" | "credited" | "credit_unknown" | "failed";

/** A donation (stored under `donations:<id>`); never holds a secret. */
export interface Donation {
  id: string;
  userId: string;
  newApiUserId: number;
  linuxdoId: string;
  provider: string;
  accountId: string;
  /** Quota to credit, new-api units (500,000 = 1 USD). */
  amount: number;
  status: DonationStatus;
  /** Epoch ms. */
  createdAt: number;
  creditedAt?: number;
  /** `add_quota` calls sent for this donation. */
  attempts: number;
  lastAttemptAt?: number;
  /** Why the donation is not credited (yet). */
  lastError?: string;
  /** Admin who settled a `credit_unknown` donation, and when. */
  resolvedBy?: string;
  resolvedAt?: number;
}

export interface DonationStore {
  get(id: string): Promise<Donation | null>;
  listByUser(userId: string): Promise<Donation[]>;
  listAll(): Promise<Donation[]>;
  /** Record a donation (`pending`) of an account that is already in the pool. */
  create(input: { id: string; binding: Binding; provider: string; accountId: string }): Promise<Donation>;
  /**
   * Credit once if the donation is `pending` or `failed` and its account is active; any other
   * state is returned unchanged. Never sends two `add_quota` calls for one donation.
   */
  credit(id: string): Promise<Donation>;
  /** Settle a `credit_unknown` donation: `credited` true closes it, false re-sends once. */
  resolve(id: string, credited: boolean, by: string): Promise<Donation>;
}

/** What `setup` returns: no credentials of its own, plus the stores (for tests and embedding). */
export interface NewApiBindingStrategy extends AuthStrategy {
  bindings: BindingStore;
  /** Undefined when `donation` is not configured. */
  donations: DonationStore | undefined;
}
