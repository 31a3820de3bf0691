// The user's new-api binding, as the new-api-binding plugin reports it (null: not offered here).
import { ApiError, api } from "../shared/api.ts";
import type { Binding } from "../shared/types.ts";

export interface BindingState {
  binding: Binding | null;
  linuxdoId: string | null;
}

/** The binding, or null when the gateway has no new-api-binding plugin (404). */
export async function loadBinding(): Promise<BindingState | null> {
  try {
    return await api.get<BindingState>("/plugins/new-api-binding/binding");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
