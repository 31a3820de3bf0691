// A LinuxDO login that needs the second factor comes back as `/portal#ticket=…&factors=…&redirect=…`.
// The fragment never reaches a server; it is read once here and removed from the address bar.
import { reactive } from "vue";

export interface PendingLogin {
  ticket: string;
  /** Where the login was headed (a same-site path the gateway already checked). */
  redirect: string;
}

export const pending: { login: PendingLogin | null } = reactive({ login: null });

export function takeTicket(): void {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const ticket = params.get("ticket");
  if (!ticket) return;
  pending.login = { ticket, redirect: params.get("redirect") ?? "/portal" };
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
}
