import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import { type Gateway, type GatewayConfig, type Logger, createGateway, createLogger, resolveGatewayConfig } from "../core/index.ts";

/** A random development secret, so no test writes a key file into the repo. */
export const testSecret: string = randomBytes(32).toString("base64");

const open: Gateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/**
 * A fresh gateway per test: memory storage unless the config says otherwise, a random secret,
 * quiet logs. Closed after the test. `request(path, init)` calls it without a socket.
 */
export async function setupGateway(
  config: GatewayConfig = {},
  options: { env?: NodeJS.ProcessEnv; rootDir?: string; logger?: Logger; now?: () => number } = {},
): Promise<Gateway & { request(path: string, init?: RequestInit): Promise<Response> }> {
  const env = { SWITCHYARD_SECRET: testSecret, ...options.env };
  const resolved = resolveGatewayConfig({ storage: { driver: "memory" }, ...config }, { env, rootDir: options.rootDir });
  const gateway = await createGateway(resolved, { env, logger: options.logger ?? createLogger({ level: "silent" }), ...(options.now ? { now: options.now } : {}) });
  open.push(gateway);
  return Object.assign(gateway, {
    request: (path: string, init?: RequestInit) => gateway.fetch(new Request(`http://gateway.test${path}`, init)),
  });
}
