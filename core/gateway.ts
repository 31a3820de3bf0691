import { randomBytes } from "node:crypto";
import { H3, bodyLimit, getRequestIP } from "h3";
import { createHooks, type Hookable } from "hookable";
import { resolve } from "pathe";
import type { NamedAuthStrategy } from "./auth.ts";
import { clientIp } from "./client-ip.ts";
import { type HttpClient, createHttpClient } from "./http-client.ts";
import { resolveGatewayConfig } from "./config/resolve.ts";
import { SecretKeyMismatchError, createKeyIdCheck } from "./key-id-check.ts";
import { errorDialectFor, storageUnavailable, toErrorResponse } from "./errors.ts";
import { createPluginJobs } from "./jobs.ts";
import { type Logger, createLogger } from "./logger.ts";
import { type PreparedPlugin, preparePlugins } from "./plugin-host.ts";
import { type SecretBox, createSecretBox } from "./secret-box.ts";
import { resolveSecretKey } from "./secret-key.ts";
import { type StorageOptions, createGatewayStorage, isStorageUnavailable } from "./storage.ts";
import { registerRelayRoutes } from "./relay/routes.ts";
import { createScheduler } from "./relay/scheduler.ts";
import { type UsageRecord, type UsageRecorder, createUsageRecorder, keyTotals } from "./relay/usage.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { addGuardedRoute } from "./routes/guarded.ts";
import { type AccountsService, createAccountsService } from "./admin/accounts.ts";
import { registerAdminRoutes } from "./admin/routes.ts";
import { registerUsageRoutes } from "./admin/usage.ts";
import { registerConfigRoute } from "./admin/config.ts";
import { registerConsoleRoutes } from "./routes/console.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { createMetrics } from "./metrics.ts";
import { adminTokenStrategy, metricsTokenStrategy } from "./admin/token.ts";
import { accountsCommand } from "./cli/accounts.ts";
import { ipAllowed } from "./cidr.ts";
import { type UserCore, createUserDirectory } from "./users/directory.ts";
import { createSessions } from "./users/sessions.ts";
import { createUserStore } from "./users/store.ts";
import { registerUserRoutes } from "./users/routes.ts";
import { sessionStrategy } from "./users/strategy.ts";
import type { GatewayConfig, ResolvedGatewayConfig } from "./types/config.ts";
import type { GatewayHooks } from "./types/hooks.ts";
import type { GatewayPlugin, PluginCommand, PluginContext, PluginRoute, RouteAccess, RouteMethod } from "./types/plugin.ts";
import type { Provider } from "./types/provider.ts";
import type { GatewayStorage } from "./types/storage.ts";
import { CORE_VERSION } from "./version.ts";
import "./types/context.ts";

/** Options that are not part of the config file. */
export interface CreateGatewayOptions {
  /** Use this logger instead of one built from `config.logging` (tests capture output this way). */
  logger?: Logger;
  /** Environment for secrets and overrides. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Clock for plugins' expiry decisions (`ctx.now()`). Default `Date.now`. */
  now?: () => number;
}

/** A route as registered, for enumeration (admin listings, guard tests). */
export interface RegisteredRoute {
  method: RouteMethod;
  path: string;
  access: RouteAccess;
  /** Plugin that registered it, or `core`. */
  owner: string;
}

/** A running gateway: the h3 app plus everything plugins were given. */
export interface Gateway {
  app: H3;
  config: ResolvedGatewayConfig;
  storage: GatewayStorage;
  hooks: Hookable<GatewayHooks>;
  logger: Logger;
  secrets: SecretBox;
  providers: Map<string, Provider>;
  auth: NamedAuthStrategy[];
  routes: RegisteredRoute[];
  /** CLI commands contributed by plugins. */
  commands: PluginCommand[];
  /** The outbound HTTP client plugins use. */
  http: HttpClient;
  /** Provider accounts across providers (admin API and `switchyard accounts`). */
  accounts: AccountsService;
  /** Users, sessions and second factors. */
  users: UserCore;
  /** Usage recording (the relay writes, the admin API reads). */
  usage: UsageRecorder;
  /** Answer a fetch `Request` (what the Node server and tests call). */
  fetch(request: Request): Promise<Response>;
  /** Run `close` hooks and release storage. Idempotent. */
  close(): Promise<void>;
}

/**
 * Build a gateway from a config: validate it, open storage, derive the secret box, set up
 * plugins in dependency order and mount their routes. Nothing listens; see `startServer`.
 */
export async function createGateway(input: GatewayConfig | ResolvedGatewayConfig = {}, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const env = options.env ?? process.env;
  const config = isResolved(input) ? input : resolveGatewayConfig(input, { env });
  const logger = options.logger ?? createLogger({ level: config.logging.level, json: config.logging.format === "json" });
  const prepared = await preparePlugins(config);
  // The opt-in admin token is asked first: it is an exact match or nothing.
  const adminToken = adminTokenStrategy(env.SWITCHYARD_ADMIN_TOKEN);
  const metricsToken = metricsTokenStrategy(env.SWITCHYARD_METRICS_TOKEN);
  const storageOptions = absoluteStorage(config.storage, config.rootDir);
  const { key, source } = await resolveSecretKey({ env, production: env.NODE_ENV === "production", dataDir: resolve(config.rootDir, ".data") });
  if (source === "generated") logger.warn("SWITCHYARD_SECRET is not set: generated a development key in .data/secret.key (set it in production)");
  const storage = await createGatewayStorage(storageOptions);
  const secrets = createSecretBox(key);
  const keyCheck = createKeyIdCheck(storage, secrets.keyId);
  await keyCheck.run().catch(async (error: unknown) => {
    if (error instanceof SecretKeyMismatchError) {
      await storage.dispose();
      throw error;
    }
    // Storage down at start: serve anyway and report not-ready until it answers (security.md E1).
    logger.warn(`storage did not answer at start; /ready stays 503 until it does (${(error as Error).message})`);
  });
  const hooks = createHooks<GatewayHooks>();
  const routes: RegisteredRoute[] = [];
  const commands: PluginCommand[] = [];
  const http = createHttpClient();
  const providers = new Map<string, Provider>();
  const now = options.now ?? Date.now;
  const metrics = createMetrics();
  const accessLog = logger.withTag("relay");
  const usage = createUsageRecorder({
    storage, flushMs: config.relay.usageFlushMs, logger,
    onRecord(entry) {
      metrics.usage(entry);
      // One line per relayed request: ids, model, outcome, timing and tokens; never a body or a secret.
      if (accessLog.level === "info" || accessLog.level === "debug" || accessLog.level === "trace") accessLog.info(`${entry.status} ${entry.provider} ${entry.model} ${Math.round(entry.latencyMs)} ms`, accessLine(entry));
    },
  });
  hooks.hook("close", () => usage.close());
  const scheduler = createScheduler(storage, config.relay);
  const userStore = createUserStore(storage, now);
  const users = createUserDirectory(userStore, createSessions(storage, secrets, userStore, now));
  // Order: the opt-in admin token, then people (session cookie, personal tokens), then plugins.
  const auth: NamedAuthStrategy[] = [...(adminToken ? [adminToken] : []), ...(metricsToken ? [metricsToken] : []), sessionStrategy(users)];

  const app = new H3({
    // h3 would print unhandled errors with console.error, past the redacting logger.
    silent: true,
    onRequest(event) {
      const requestId = `req_${randomBytes(12).toString("base64url")}`;
      event.context.requestId = requestId;
      event.context.startedAt = performance.now();
      event.res.headers.set("x-request-id", requestId);
      const socketIp = getRequestIP(event);
      event.context.clientIp = clientIp(socketIp, event.req.headers.get("x-forwarded-for"), config.server.trustedProxies);
      const proto = event.req.headers.get("x-forwarded-proto");
      if (proto && config.server.trustedProxies.length > 0 && ipAllowed(socketIp, config.server.trustedProxies)) event.context.forwardedProto = proto.split(",")[0]!.trim();
      return hooks.callHook("request", { requestId, method: event.req.method, path: event.url.pathname });
    },
    onResponse(response, event) {
      const durationMs = performance.now() - (event.context.startedAt ?? performance.now());
      const info = { requestId: event.context.requestId ?? "unknown", method: event.req.method, path: event.url.pathname, status: response.status, durationMs };
      metrics.http(info);
      return void hooks.callHook("response", info);
    },
    onError(thrown, event) {
      const requestId = event.context.requestId ?? "unknown";
      // Storage down or busy: a retryable 503, not a 500 (security.md E1, E4); the cause is logged.
      const storageDown = thrown.unhandled && isStorageUnavailable(thrown.cause ?? thrown);
      if (storageDown) logger.warn(`request ${requestId} refused: ${((thrown.cause ?? thrown) as Error).message}`);
      const error = storageDown ? storageUnavailable() : thrown;
      const status = error.unhandled ? 500 : error.status;
      if (status >= 500 && !storageDown) logger.error(`request ${requestId} failed`, error.unhandled ? (error.cause ?? error) : error.message);
      void hooks.callHook("error", { requestId, status, error });
      return toErrorResponse(error, errorDialectFor(event.url.pathname, event.req.headers), requestId);
    },
  });
  app.use(bodyLimit(config.server.bodyLimitBytes));
  registerHealthRoutes(app, { storage, readyTimeoutMs: config.server.readyTimeoutMs, checks: [() => keyCheck.run()], logger });
  routes.push({ method: "GET", path: "/health", access: "public", owner: "core" }, { method: "GET", path: "/ready", access: "public", owner: "core" });

  let closed = false;
  const gateway: Gateway = {
    app, config, storage, hooks, logger, secrets, providers, auth, routes, commands, http,
    accounts: createAccountsService(providers, scheduler),
    users,
    usage,
    fetch: (request) => Promise.resolve(app.fetch(request)),
    async close() {
      if (closed) return;
      closed = true;
      await hooks.callHook("close");
      await http.close();
      await storage.dispose();
    },
  };
  // Core routes first, so a plugin route on the same path is refused at its registration.
  registerAdminRoutes(gateway, gateway.accounts);
  registerConfigRoute(gateway, config);
  registerConsoleRoutes(app, routes);
  registerMetricsRoute(gateway, metrics, gateway.accounts);
  registerUserRoutes(gateway, users);
  try {
    for (const entry of prepared) {
      const capability = await setupPlugin(entry, { gateway, now });
      if (entry.plugin.kind === "provider") providers.set(entry.plugin.name, capability as Provider);
      if (entry.plugin.kind === "auth") auth.push({ name: entry.plugin.name, strategy: capability as NamedAuthStrategy["strategy"] });
    }
    const relay = { config, storage, providers, auth, hooks, logger, usage, scheduler, metrics };
    registerRelayRoutes(app, relay, routes);
    registerUsageRoutes(gateway, { storage, usage });
    commands.push(accountsCommand(gateway.accounts));
    await hooks.callHook("ready");
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

// --- internal ---

function accessLine(entry: UsageRecord): Record<string, unknown> {
  const { requestId, keyId, provider, accountId, model, status, latencyMs, ttfbMs, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costMicros } = entry;
  return {
    requestId, keyId, provider, accountId, model, status, latencyMs: Math.round(latencyMs), ttfbMs: ttfbMs === undefined ? undefined : Math.round(ttfbMs),
    inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd: costMicros / 1e6,
  };
}

function isResolved(input: GatewayConfig | ResolvedGatewayConfig): input is ResolvedGatewayConfig {
  return typeof (input as ResolvedGatewayConfig).rootDir === "string";
}

// Relative storage paths are relative to the project root, not to wherever the CLI ran.
function absoluteStorage(storage: StorageOptions, rootDir: string): StorageOptions {
  if (storage.driver === "fs") return { ...storage, base: resolve(rootDir, storage.base ?? ".data") };
  if (storage.driver === "sqlite") return { ...storage, path: resolve(rootDir, storage.path ?? ".data/switchyard.sqlite") };
  return storage;
}

async function setupPlugin(entry: PreparedPlugin, { gateway, now }: { gateway: Gateway; now: () => number }): Promise<unknown> {
  const { plugin } = entry;
  const logger = gateway.logger.withTag(`plugin:${plugin.name}`);
  const storage = gateway.storage.withPrefix(`plugins:${plugin.name}`);
  const jobs = createPluginJobs(storage, logger);
  gateway.hooks.hook("close", () => jobs.stop());
  const ctx: PluginContext = {
    name: plugin.name,
    config: gateway.config,
    logger,
    storage,
    hooks: gateway.hooks,
    secrets: gateway.secrets.withScope(`plugin:${plugin.name}`),
    routes: { add: (route) => mountPluginRoute(gateway, plugin, route) },
    commands: { add: (command) => void gateway.commands.push(command) },
    http: gateway.http,
    coreVersion: CORE_VERSION,
    now,
    jobs: { every: jobs.every },
    users: gateway.users,
    accounts: gateway.accounts,
    usage: { keyTotals: (keyId) => keyTotals(gateway.storage, gateway.usage, keyId) },
  };
  try {
    return await plugin.setup(ctx);
  } catch (error) {
    throw new Error(`[switchyard] [plugin:${plugin.name}] setup failed (${entry.source}): ${(error as Error).message}`, { cause: error });
  }
}

function mountPluginRoute(gateway: Gateway, plugin: GatewayPlugin, route: PluginRoute): void {
  const where = `[switchyard] [plugin:${plugin.name}] route ${route.method} ${route.path}`;
  if (!route.path.startsWith("/") || route.path.includes("..")) throw new Error(`${where}: the path must start with "/" and have no ".." segment`);
  if (!["public", "client", "user", "admin", "root"].includes(route.access)) throw new Error(`${where}: access must be set (public, client, user, admin or root)`);
  if (route.mount === "auth" && plugin.kind !== "auth") throw new Error(`${where}: only auth plugins mount routes under /auth`);
  const path = route.mount === "auth" ? `/auth${route.path}` : `/plugins/${plugin.name}${route.path === "/" ? "" : route.path}`;
  const taken = gateway.routes.find((r) => r.method === route.method && r.path.toLowerCase() === path.toLowerCase());
  if (taken) throw new Error(`${where}: ${route.method} ${path} is already registered by ${taken.owner}`);
  addGuardedRoute(gateway, { ...route, path }, plugin.name);
}
