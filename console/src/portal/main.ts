// The user portal: people who log in with LinuxDO bind their new-api account, donate
// subscription accounts and manage their own keys, over the user APIs.
import { createApp } from "vue";
import { createRouter, routerKey } from "../shared/router.ts";
import "../shared/style.css";
import App from "./App.vue";
import { takeTicket } from "./ticket.ts";

// Read (and remove) a pending 2FA login from the URL fragment before anything else.
takeTicket();
createApp(App).provide(routerKey, createRouter("/portal/")).mount("#app");
