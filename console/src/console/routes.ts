// The console's pages, by path.
import type { AppPage } from "../shared/router.ts";
import AccountsPage from "./pages/AccountsPage.vue";
import DashboardPage from "./pages/DashboardPage.vue";
import DonationsPage from "./pages/DonationsPage.vue";
import KeysPage from "./pages/KeysPage.vue";
import SecurityPage from "./pages/SecurityPage.vue";
import SettingsPage from "./pages/SettingsPage.vue";
import UsersPage from "./pages/UsersPage.vue";

export const PAGES: AppPage[] = [
  { path: "/", title: "Dashboard", nav: "Dashboard", component: DashboardPage },
  { path: "/accounts", title: "Accounts", nav: "Accounts", component: AccountsPage },
  { path: "/keys", title: "Keys", nav: "Keys", component: KeysPage },
  { path: "/users", title: "Users", nav: "Users", component: UsersPage },
  { path: "/donations", title: "Donations", nav: "Donations", component: DonationsPage },
  { path: "/settings", title: "Settings", nav: "Settings", component: SettingsPage },
  { path: "/security", title: "Two-factor login", nav: "Security", component: SecurityPage },
];
