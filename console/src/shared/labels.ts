// What statuses and roles mean, in words.
import { usd } from "./format.ts";
import type { AccountStatus, DonationStatus } from "./types.ts";

export const ACCOUNT_STATUS: Record<AccountStatus, { label: string; tone: Tone; hint: string }> = {
  active: { label: "Active", tone: "good", hint: "Serving requests" },
  cooling: { label: "Cooling", tone: "warn", hint: "Rate-limited upstream; comes back by itself" },
  needs_reauth: { label: "Needs sign-in", tone: "bad", hint: "The sign-in expired: add the account again" },
  disabled: { label: "Disabled", tone: "muted", hint: "Turned off by an operator" },
  error: { label: "Error", tone: "bad", hint: "The last call failed" },
};

export const DONATION_STATUS: Record<DonationStatus, { label: string; tone: Tone; hint: string }> = {
  pending: { label: "Pending", tone: "warn", hint: "Waiting for the account to work; try again later" },
  crediting: { label: "Crediting", tone: "warn", hint: "The credit is being sent to new-api" },
  credited: { label: "Credited", tone: "good", hint: "The quota was added to your new-api account" },
  credit_unknown: { label: "Being checked", tone: "warn", hint: "The credit's outcome is unknown; an admin checks new-api and settles it" },
  failed: { label: "Not credited", tone: "bad", hint: "new-api did not add the quota; you can try again" },
};

export type Tone = "good" | "warn" | "bad" | "muted";

/** Providers people know by another name. */
export function providerLabel(name: string): string {
  return PROVIDERS[name] ?? name;
}

/** new-api quota units as they are shown; with the gateway's rate (`quotaPerUsd`), in USD too. */
export function quota(amount: number, perUsd?: number): string {
  const units = `${new Intl.NumberFormat().format(amount)} quota`;
  return perUsd ? `${units} (${usd(amount / perUsd)})` : units;
}

// --- internal ---

const PROVIDERS: Record<string, string> = {
  "claude-oauth": "Claude (subscription)",
  "codex-oauth": "ChatGPT / Codex (subscription)",
  "anthropic-api": "Anthropic API",
  "openai-compatible": "OpenAI-compatible API",
  "openrouter-pool": "OpenRouter",
};

/** What to paste after signing in, per provider. */
export function codeHint(provider: string): string {
  if (provider === "claude-oauth") return "After you approve, Claude shows a code. Copy all of it (including the part after #) and paste it here.";
  if (provider === "codex-oauth") return "After you approve, the browser opens a localhost page that does not load. Copy the whole address from the address bar and paste it here.";
  return "Paste the code shown after you approve, or the whole address of the page you land on.";
}

/** Which file a provider's import takes. */
export function fileHint(provider: string): string {
  if (provider === "claude-oauth") return "Claude Code's ~/.claude/.credentials.json";
  if (provider === "codex-oauth") return "The Codex CLI's ~/.codex/auth.json";
  return "The provider's credentials file";
}
