// Who is logged in, read from `/auth/me` (the session cookie is HttpOnly; nothing is stored here).
import { reactive } from "vue";
import { ApiError, api, onSessionEnded } from "./api.ts";
import type { User } from "./types.ts";

export interface Session {
  /** `loading` until `/auth/me` answered; `error` when the gateway could not be asked. */
  state: "loading" | "anonymous" | "ready" | "error";
  user: User | null;
  /** Why the last check failed (state `error`), or why the session ended. */
  message: string;
}

export const session: Session = reactive({ state: "loading", user: null, message: "" });

/** Ask the gateway who is logged in. */
export async function loadSession(): Promise<void> {
  try {
    const { user } = await api.get<{ user: User }>("/auth/me", { expectUnauthorized: true });
    Object.assign(session, { state: "ready", user, message: "" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) Object.assign(session, { state: "anonymous", user: null });
    else Object.assign(session, { state: "error", user: null, message: error instanceof ApiError ? error.message : String(error) });
  }
}

/** A login finished: this is the user. */
export function signedIn(user: User): void {
  Object.assign(session, { state: "ready", user, message: "" });
}

/** Forget the user and show the login page, with a reason when there is one. */
export function endSession(message = ""): void {
  Object.assign(session, { state: "anonymous", user: null, message });
}

/** Log out on the gateway, then here. */
export async function logout(): Promise<void> {
  try {
    await api.post("/auth/logout", {}, { expectUnauthorized: true });
  } finally {
    endSession("You are logged out.");
  }
}

/** True for the admin and root roles. */
export function isAdmin(user: User | null): boolean {
  return user?.role === "admin" || user?.role === "root";
}

onSessionEnded(() => {
  if (session.state === "ready") endSession("Your session has ended. Log in again.");
});
