// The one way the apps talk to the gateway: same-origin fetch with the session cookie (never a
// token in storage), JSON in and out, and every failure turned into an ApiError that carries a
// sentence a person understands. A 401 on a normal call means the session ended: the app is
// told, and shows its login page.
import { describeFailure } from "./errors.ts";

/** A failed call: `status` 0 means the gateway could not be reached. */
export class ApiError extends Error {
  readonly status: number;
  /** The field the gateway named (400s). */
  readonly param: string | undefined;
  /** What the gateway said, unchanged (may be technical). */
  readonly detail: string;

  constructor(status: number, detail: string, param: string | undefined, retryAfter: number | undefined) {
    super(describeFailure(status, detail, param, retryAfter));
    this.name = "ApiError";
    this.status = status;
    this.param = param;
    this.detail = detail;
  }
}

/** Options of one call. */
export interface CallOptions {
  /** A 401 is an answer here (wrong password, wrong code), not a session that ended. */
  expectUnauthorized?: boolean;
}

/** Called when a call finds the session gone (401). */
export function onSessionEnded(listener: () => void): void {
  sessionEnded = listener;
}

/** Call the gateway; resolves with the parsed JSON body. */
export async function call<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "network error", undefined, undefined);
  }
  const text = await response.text();
  const json = parse(text);
  if (response.ok) return json as T;
  const error = readError(json);
  const retryAfter = Number(response.headers.get("retry-after") ?? "") || undefined;
  if (response.status === 401 && !options.expectUnauthorized) sessionEnded?.();
  throw new ApiError(response.status, error.message ?? (text.slice(0, 200) || response.statusText), error.param, retryAfter);
}

export const api = {
  get: <T>(path: string, options?: CallOptions) => call<T>("GET", path, undefined, options),
  post: <T>(path: string, body: unknown = {}, options?: CallOptions) => call<T>("POST", path, body, options),
  patch: <T>(path: string, body: unknown) => call<T>("PATCH", path, body),
  del: <T>(path: string) => call<T>("DELETE", path),
};

/** The sentence to show for anything a call threw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong in this page. Reload it and try again.";
}

/** Encode one path segment (ids come from the API, but never trust them into a URL). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

// --- internal ---

let sessionEnded: (() => void) | undefined;

function parse(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// Gateway errors are `{ error: { message, param } }`; Anthropic-style ones nest the same way.
function readError(json: unknown): { message?: string; param?: string } {
  if (typeof json !== "object" || json === null) return {};
  const error = (json as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return {};
  const { message, param } = error as { message?: unknown; param?: unknown };
  return { ...(typeof message === "string" ? { message } : {}), ...(typeof param === "string" ? { param } : {}) };
}
