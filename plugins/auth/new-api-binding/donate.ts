// How a bound user donates an account: the provider's own OAuth onboarding or credentials
// import, run with `donor` = the user, then a donation record and one credit attempt.
// Fingerprints (the file's refresh tokens, the account id, the upstream identity) are claimed
// with compare-and-set, so one upstream account earns quota once, whoever uploads it again.
import { randomBytes } from "node:crypto";
import { type AccountSummary, HTTPError, OAUTH_FLOW_TTL_MS, type PluginContext, type User, badRequest, createRateLimiter, forbidden, storageKey } from "switchyard";
import type { Binding, BindingStore, Donation, DonationStore } from "./types.ts";

/** Donation attempts (starts, exchanges, imports) one user may make per hour. */
export const DONATION_ATTEMPTS_PER_HOUR = 20;
/** Largest credentials file accepted. */
export const MAX_FILE_BYTES = 256 * 1024;

/** A donation answer: the record and the donated account as the donor may see it. */
export interface DonationResult {
  donation: Donation;
  account: { id: string; provider: string; name: string; status: string };
}

export interface DonationFlows {
  start(user: User, provider: string): Promise<{ authUrl: string; flowId: string }>;
  exchange(user: User, input: { provider: string; flowId: string; code: string }): Promise<DonationResult>;
  import(user: User, input: { provider: string; content: string }): Promise<DonationResult>;
}

export function createDonationFlows(ctx: PluginContext, deps: { providers: string[]; bindings: BindingStore; donations: DonationStore }): DonationFlows {
  const { providers, bindings, donations } = deps;
  const digest = (value: string) => ctx.secrets.hash(value, "donation");
  const flowKey = (flowId: string) => `flows:${digest(flowId)}`;
  const claimKey = (fingerprint: string) => `claims:${storageKey(fingerprint)}`;
  const attempts = createRateLimiter(ctx.storage, { name: "donate-attempts", limit: `${DONATION_ATTEMPTS_PER_HOUR} donation attempts per hour`, max: DONATION_ATTEMPTS_PER_HOUR, windowMs: HOUR_MS });

  async function precheck(user: User, provider: string): Promise<Binding> {
    if (!providers.includes(provider)) throw badRequest("provider", `expected one of ${providers.join(", ")}`);
    const binding = await bindings.get(user.id);
    if (!binding) throw forbidden("Bind your new-api account first (POST /plugins/new-api-binding/binding)");
    await attempts.take(user.id);
    return binding;
  }

  /** Claim every fingerprint for `id`, all or nothing; the fingerprint already held by another donation otherwise. */
  async function claim(fingerprints: string[], id: string, taken: string[]): Promise<string | undefined> {
    for (const fingerprint of fingerprints) {
      const ok = (await ctx.storage.cas(claimKey(fingerprint), null, id)) || (await ctx.storage.get(claimKey(fingerprint))) === id;
      if (!ok) {
        await release(taken, id);
        return fingerprint;
      }
      taken.push(fingerprint);
    }
    return undefined;
  }
  async function release(taken: string[], id: string): Promise<void> {
    await Promise.all(taken.splice(0).map((fingerprint) => ctx.storage.cas(claimKey(fingerprint), id, null)));
  }

  /** Run the provider's onboarding as the donor, then record and credit the donation. */
  async function donate(binding: Binding, provider: string, before: string[], onboard: () => Promise<AccountSummary>): Promise<DonationResult> {
    const id = `don_${randomBytes(12).toString("hex")}`;
    const startedAt = ctx.now();
    const taken: string[] = [];
    if (await claim(before, id, taken)) throw alreadyDonated();
    let summary: AccountSummary;
    try {
      summary = await onboard();
    } catch (error) {
      await release(taken, id);
      throw error;
    }
    // A login of an account the pool already had (the provider updated it in place) earns nothing.
    if (summary.createdAt !== undefined && summary.createdAt < startedAt) {
      await release(taken, id);
      throw new HTTPError({ status: 409, message: "That account is already in the gateway's pool" });
    }
    const held = await claim([`${provider}:account:${summary.id}`, ...identity(provider, summary)], id, taken);
    if (held) {
      // A second record of an upstream account someone already donated: not kept.
      if (!held.includes(":account:")) await ctx.accounts.admin(provider).remove(summary.id).catch(() => {});
      throw alreadyDonated();
    }
    await donations.create({ id, binding, provider, accountId: summary.id });
    const donation = await donations.credit(id);
    return { donation, account: { id: summary.id, provider, name: summary.name, status: summary.status } };
  }

  function identity(provider: string, summary: AccountSummary): string[] {
    const d = summary.details ?? {};
    if (typeof d.email !== "string" || d.email === "") return [];
    return [`${provider}:identity:${digest([d.email.toLowerCase(), d.organizationId ?? "", d.chatgptAccountId ?? ""].join("|"))}`];
  }

  return {
    async start(user, provider) {
      await precheck(user, provider);
      const started = await ctx.accounts.admin(provider, "oauth").oauth!.start({});
      await ctx.storage.set(flowKey(started.flowId), { userId: user.id, provider }, { ttlMs: OAUTH_FLOW_TTL_MS });
      return { authUrl: started.authUrl, flowId: started.flowId };
    },
    async exchange(user, { provider, flowId, code }) {
      const binding = await precheck(user, provider);
      // Only the user who started a flow may finish it; the record is single-use.
      const owner = { userId: user.id, provider };
      if (!(await ctx.storage.cas(flowKey(flowId), owner, null))) throw badRequest("flowId", "unknown or expired flow; start again");
      const admin = ctx.accounts.admin(provider, "oauth");
      return donate(binding, provider, [], () => admin.oauth!.exchange({ flowId, code, donor: user.id }));
    },
    async import(user, { provider, content }) {
      if (Buffer.byteLength(content) > MAX_FILE_BYTES) throw badRequest("content", `the file is larger than ${MAX_FILE_BYTES / 1024} KiB`);
      const binding = await precheck(user, provider);
      const admin = ctx.accounts.admin(provider, "import");
      return donate(binding, provider, fileFingerprints(content, digest), () => admin.import!({ content, donor: user.id }));
    },
  };
}

// --- internal ---

const HOUR_MS = 3_600_000;

function alreadyDonated(): HTTPError {
  return new HTTPError({ status: 409, message: "This account was already donated" });
}

/** Digests of every refresh token in a credentials file (any format), else of the whole text. */
function fileFingerprints(content: string, digest: (value: string) => string): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== "object" || value === null) return;
    for (const [k, v] of Object.entries(value)) {
      if (/^refresh_?token$/i.test(k) && typeof v === "string" && v.length >= 8) found.add(v);
      else walk(v, depth + 1);
    }
  };
  try {
    walk(JSON.parse(content), 0);
  } catch {
    // Not JSON: the provider refuses it; the text's digest still guards a retry.
  }
  if (found.size === 0) found.add(content.trim());
  return [...found].map((token) => `file:${digest(token)}`);
}
