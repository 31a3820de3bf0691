// A small history router: the app lives under one base path (`/console/`, `/portal/`); the
// gateway answers any unknown path under it with the app's index.html.
import { type Component, type InjectionKey, inject, readonly, ref } from "vue";

/** One page of an app: its path inside the app, its title, its link text. */
export interface AppPage {
  path: string;
  title: string;
  nav: string;
  component: Component;
}

export interface Router {
  /** The path inside the app, starting with "/" (no base). */
  readonly path: Readonly<{ value: string }>;
  /** The full URL of an app path. */
  href(to: string): string;
  /** Go to an app path (adds a history entry) and move focus to the page. */
  go(to: string): void;
}

export const routerKey: InjectionKey<Router> = Symbol("router");

/** A router for an app mounted at `base` (with a trailing slash). */
export function createRouter(base: string): Router {
  const root = base.replace(/\/$/, "");
  const current = ref(inner(root, window.location.pathname));
  window.addEventListener("popstate", () => {
    current.value = inner(root, window.location.pathname);
  });
  return {
    path: readonly(current),
    href: (to) => `${root}${to === "/" ? "/" : to}`,
    go(to) {
      if (to === current.value) return;
      window.history.pushState(null, "", `${root}${to}`);
      current.value = to;
      window.scrollTo(0, 0);
    },
  };
}

export function useRouter(): Router {
  const router = inject(routerKey);
  if (!router) throw new Error("useRouter outside an app");
  return router;
}

// --- internal ---

function inner(root: string, pathname: string): string {
  const rest = pathname.startsWith(root) ? pathname.slice(root.length) : pathname;
  const clean = `/${rest.replace(/^\/+|\/+$/g, "")}`;
  return clean;
}
