// The portal's pages, by path.
import type { AppPage } from "../shared/router.ts";
import DonatePage from "./pages/DonatePage.vue";
import HomePage from "./pages/HomePage.vue";
import KeysPage from "./pages/KeysPage.vue";

export const PAGES: AppPage[] = [
  { path: "/", title: "My account", nav: "My account", component: HomePage },
  { path: "/donate", title: "Donate", nav: "Donate", component: DonatePage },
  { path: "/keys", title: "My keys", nav: "My keys", component: KeysPage },
];
