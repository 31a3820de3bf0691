// The example config `npm start` serves: one instance, fs storage under .data/.
// Provider and auth plugins are added here as they land; see docs/guide/configuration.md.
import { defineGatewayConfig } from "switchyard";

export default defineGatewayConfig({
  server: { host: "127.0.0.1", port: 8787 },
  storage: { driver: "fs", base: ".data" },
  providers: [],
  auth: [],
  routes: [],
  logging: { level: "info" },
  $development: { logging: { level: "debug" } },
});
