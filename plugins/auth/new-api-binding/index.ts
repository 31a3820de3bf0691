import { defineAuth } from "switchyard";
import { createBindings } from "./bindings.ts";
import { createDonationFlows } from "./donate.ts";
import { createDonations } from "./donations.ts";
import { createNewApiClient } from "./new-api.ts";
import { type NewApiBindingOptions, resolveOptions } from "./options.ts";
import { addBindingRoutes, addDonationRoutes } from "./routes.ts";
import type { NewApiBindingStrategy } from "./types.ts";

export type * from "./types.ts";
export type { NewApiBindingOptions } from "./options.ts";
export { DEFAULT_DONATION_PROVIDERS, DEFAULT_REQUEST_TIMEOUT_MS, MAX_QUOTA_AMOUNT } from "./options.ts";
export { BIND_ATTEMPTS, BIND_WINDOW_MS } from "./bindings.ts";
export { DONATION_ATTEMPTS_PER_HOUR, MAX_FILE_BYTES } from "./donate.ts";

/**
 * Binds a logged-in LinuxDO user to their new-api account (new-api's own `linux_do_id` must
 * equal the user's LinuxDO id), and, with `donation`, lets bound users donate Claude/Codex
 * subscription accounts to the pool for new-api quota, credited exactly once per donation.
 * It authenticates nobody itself: people log in with linuxdo-connect (or another login).
 *
 * @example
 * auth: [linuxdoConnect({ … }), newApiBinding({
 *   baseURL: "https://newapi.example.com",
 *   adminToken: process.env.NEW_API_ADMIN_TOKEN!,
 *   adminUserId: 1,
 *   addQuota: true,
 *   donation: { quotaAmount: 5_000_000 }, // 10 USD
 * })]
 */
export const newApiBinding = defineAuth<NewApiBindingOptions>({
  name: "new-api-binding",
  setup(ctx, input): NewApiBindingStrategy {
    const options = resolveOptions(ctx.name, input);
    const client = createNewApiClient(ctx, options);
    const bindings = createBindings(ctx, options, client);
    addBindingRoutes(ctx, bindings);
    if (!options.donation) return { bindings, donations: undefined };
    const donations = createDonations(ctx, { client, bindings, amount: options.donation.quotaAmount, requestTimeoutMs: options.requestTimeoutMs });
    addDonationRoutes(ctx, createDonationFlows(ctx, { providers: options.donation.providers, bindings, donations }), donations, options.donation);
    return { bindings, donations };
  },
});

export default newApiBinding;
