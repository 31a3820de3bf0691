// Gateway failures in words a person understands. The gateway's own message is kept when it is
// already a sentence for people (most are); the status decides the frame around it.

/** One sentence (or two) for a failed call. */
export function describeFailure(status: number, detail: string, param: string | undefined, retryAfter: number | undefined): string {
  if (status === 0) return "Could not reach the gateway. Check your connection and try again.";
  if (status === 401) return GENERIC_401.has(detail) ? "Your session has ended. Log in again." : sentence(detail);
  if (status === 403) return GENERIC_403.test(detail) || detail === "" ? "You don't have access to this page." : sentence(detail);
  if (status === 404) return sentence(detail === "Not found" ? "This was not found. It may have been removed." : detail);
  if (status === 429) return `Too many attempts. ${retryAfter ? `Try again in ${wait(retryAfter)}.` : "Wait a moment and try again."}`;
  if (status === 400 && param) return `Please check “${labelOf(param)}”: ${lower(stripParam(detail, param))}`;
  if (status === 502) return `A service the gateway depends on failed. ${sentence(detail)} Try again later.`;
  if (status === 503) return "The gateway is busy or not ready. Try again in a moment.";
  if (status === 504) return "A service the gateway depends on did not answer in time. Try again.";
  if (status >= 500) return "The gateway ran into a problem. Try again; if it keeps happening, tell the operator.";
  return sentence(detail);
}

// --- internal ---

const GENERIC_401 = new Set(["Login required", "Invalid or missing API key", "Invalid or expired token", ""]);
const GENERIC_403 = /^This route requires/;

const LABELS: Record<string, string> = {
  newApiUserId: "new-api user id",
  flowId: "sign-in",
  code: "code",
  callbackUrl: "callback URL",
  proxy: "proxy",
  import: "credentials file",
  content: "credentials file",
  expiresAt: "expires",
  models: "models",
  ips: "client addresses",
  "limits.rpm": "requests per minute",
  "limits.tpm": "tokens per minute",
  "limits.concurrency": "concurrent requests",
  "limits.dailyUsd": "daily spend",
  "limits.budgetUsd": "budget",
  ticket: "login",
  days: "days",
};

function labelOf(param: string): string {
  return LABELS[param] ?? param;
}

function stripParam(detail: string, param: string): string {
  return detail.startsWith(`${param}: `) ? detail.slice(param.length + 2) : detail;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "Something went wrong. Try again.";
  const first = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function lower(text: string): string {
  const s = sentence(text);
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function wait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
