// Loading data for a page, and running a form's action, with the states every page shows.
import { type Ref, ref, shallowRef } from "vue";
import { messageOf } from "./api.ts";

export interface Resource<T> {
  data: Ref<T | undefined>;
  /** True while the first load or a reload runs. */
  loading: Ref<boolean>;
  /** A sentence for the last failure, or "". */
  error: Ref<string>;
  reload(): Promise<void>;
}

/** Load now and on `reload()`; the last answer wins. */
export function useResource<T>(load: () => Promise<T>): Resource<T> {
  const data = shallowRef<T>();
  const loading = ref(true);
  const error = ref("");
  let run = 0;
  async function reload(): Promise<void> {
    const mine = ++run;
    loading.value = true;
    error.value = "";
    try {
      const value = await load();
      if (mine === run) data.value = value;
    } catch (e) {
      if (mine === run) error.value = messageOf(e);
    } finally {
      if (mine === run) loading.value = false;
    }
  }
  void reload();
  return { data, loading, error, reload };
}

export interface Action {
  busy: Ref<boolean>;
  error: Ref<string>;
  /** Run `fn` unless one is running; a failure lands in `error`. Resolves true on success. */
  run(fn: () => Promise<unknown>): Promise<boolean>;
}

export function useAction(): Action {
  const busy = ref(false);
  const error = ref("");
  return {
    busy,
    error,
    async run(fn) {
      if (busy.value) return false;
      busy.value = true;
      error.value = "";
      try {
        await fn();
        return true;
      } catch (e) {
        error.value = messageOf(e);
        return false;
      } finally {
        busy.value = false;
      }
    },
  };
}
