// Validation of the totp options: every problem at once.
import { OptionProblems, checkKnownOptions } from "switchyard";
import type { ResolvedTotpOptions, TotpOptions } from "./types.ts";

/** Defaults of the options (documented in docs/auth/totp.md). */
export const TOTP_DEFAULTS: ResolvedTotpOptions = {
  issuer: "Switchyard",
  digits: 6,
  period: 30,
  window: 1,
  backupCodes: 8,
  maxFailures: 5,
  lockoutSeconds: 300,
};

/** Validate every option; throws one `[switchyard] [plugin:<name>]` error listing all problems. */
export function resolveOptions(name: string, input: TotpOptions | undefined): ResolvedTotpOptions {
  const options = (input ?? {}) as Record<string, unknown>;
  const problems = new OptionProblems();
  checkKnownOptions(options, Object.keys(TOTP_DEFAULTS), problems);
  const whole = (key: keyof ResolvedTotpOptions, min: number, max: number): number => {
    const value = options[key] ?? TOTP_DEFAULTS[key];
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    problems.add(key, `a whole number from ${min} to ${max}`, options[key]);
    return TOTP_DEFAULTS[key] as number;
  };
  const issuer = options.issuer ?? TOTP_DEFAULTS.issuer;
  if (typeof issuer !== "string" || !/^[^:\p{Cc}]{1,64}$/u.test(issuer) || issuer.trim() !== issuer) {
    problems.add("issuer", "1 to 64 characters without ':', control characters or surrounding spaces", options.issuer);
  }
  const digits = options.digits ?? TOTP_DEFAULTS.digits;
  if (digits !== 6 && digits !== 7 && digits !== 8) problems.add("digits", "6, 7 or 8", options.digits);
  const resolved: ResolvedTotpOptions = {
    issuer: typeof issuer === "string" ? issuer : TOTP_DEFAULTS.issuer,
    digits: digits === 7 || digits === 8 ? digits : 6,
    period: whole("period", 15, 120),
    window: whole("window", 0, 3),
    backupCodes: whole("backupCodes", 0, 20),
    maxFailures: whole("maxFailures", 1, 100),
    lockoutSeconds: whole("lockoutSeconds", 1, 86_400),
  };
  problems.throwIfAny(name);
  return resolved;
}
