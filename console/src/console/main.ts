// The admin console: operators manage accounts, keys and users over the admin API.
import { createApp } from "vue";
import { createRouter, routerKey } from "../shared/router.ts";
import "../shared/style.css";
import App from "./App.vue";

createApp(App).provide(routerKey, createRouter("/console/")).mount("#app");
