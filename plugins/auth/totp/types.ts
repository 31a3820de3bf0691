import type { AuthStrategy } from "switchyard";

/** Options of the `totp` auth plugin (RFC 6238 defaults: SHA-1, 6 digits, 30 s, ±1 step). */
export interface TotpOptions {
  /** Shown in authenticator apps and put in the otpauth URI. Default `Switchyard`. */
  issuer?: string;
  /** Code length: 6, 7 or 8. Default `6`. */
  digits?: 6 | 7 | 8;
  /** Seconds per code, 15 to 120. Default `30`. */
  period?: number;
  /** Steps accepted before and after the current one, 0 to 3. Default `1`. */
  window?: number;
  /** Backup codes per batch, 0 to 20. Default `8`. */
  backupCodes?: number;
  /** Wrong codes (per user) that start a lockout, 1 to 100. Default `5`. */
  maxFailures?: number;
  /** Length of the lockout and of the window failures are counted in, in seconds (1 to 86400). Default `300`. */
  lockoutSeconds?: number;
}

/** The options after validation. */
export type ResolvedTotpOptions = Required<Omit<TotpOptions, "digits">> & { digits: 6 | 7 | 8 };

/** The 2FA record of a user (under `state:<user id>`); secrets sealed with the user id as AAD. */
export interface TotpState {
  enabled: boolean;
  /** Sealed base32 secret of the enabled factor. */
  secret?: string;
  /** Sealed base32 secret from `setup`, waiting for a first valid code. */
  pending?: string;
  /** Id of the current batch of backup codes. */
  batch?: string;
  enabledAt?: number;
  updatedAt: number;
}

/** The capability object: 2FA adds no credential of its own, only a second login factor. */
export type TotpStrategy = AuthStrategy;
