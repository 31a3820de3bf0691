import type { GatewayConfig } from "../types/config.ts";

/**
 * Typed identity for `gateway.config.ts`: gives editors the config's types, changes nothing.
 *
 * @example
 * import { defineGatewayConfig } from "switchyard";
 * export default defineGatewayConfig({ storage: { driver: "fs", base: ".data" } });
 */
export function defineGatewayConfig(config: GatewayConfig): GatewayConfig {
  return config;
}
