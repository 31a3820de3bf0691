import type { Hookable } from "hookable";
import type { H3Event } from "h3";
import type { Logger } from "../logger.ts";
import type { HttpClient } from "../http-client.ts";
import type { SecretBox } from "../secret-box.ts";
import type { ResolvedGatewayConfig } from "./config.ts";
import type { GatewayHooks } from "./hooks.ts";
import type { GatewayStorage } from "./storage.ts";
import type { AuthStrategy } from "./auth.ts";
import type { Provider } from "./provider.ts";
import type { PluginJobs } from "../jobs.ts";
import type { AccountsService } from "../admin/accounts.ts";
import type { UserDirectory } from "./users.ts";
import type { UsageTotals } from "../relay/usage.ts";

/** What a plugin adds: an upstream provider, an auth method, or anything else (`extension`). */
export type PluginKind = "provider" | "auth" | "extension";

/**
 * Who may call a plugin route. `public` needs nothing; `client` needs a gateway key;
 * `user`, `admin` and `root` need a logged-in person of at least that role.
 */
export type RouteAccess = "public" | "client" | "user" | "admin" | "root";

/** HTTP methods a plugin route may answer. */
export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * A route a plugin registers; mounted at `/plugins/<plugin name><path>`, or at `/auth<path>`
 * when `mount` is `"auth"` (auth plugins only: login and callback URLs people see).
 */
export interface PluginRoute {
  method: RouteMethod;
  mount?: "plugin" | "auth";
  /** Path under the plugin's prefix, starting with `/` (rou3 syntax: `/flows/:id`). */
  path: string;
  /** Required; there is no implicit default, so a public route is always a decision. */
  access: RouteAccess;
  handler: (event: H3Event) => unknown;
}

/** Route registration handed to plugins; everything lands under the plugin's prefix. */
export interface PluginRoutes {
  add(route: PluginRoute): void;
}

/**
 * A CLI command a plugin contributes (`switchyard <name> …`), in citty's shape. It runs in a
 * gateway that is set up but not listening.
 */
export interface PluginCommand {
  name: string;
  description: string;
  /** citty `args` definition. */
  args?: Record<string, { type: "string" | "boolean" | "positional"; description?: string; required?: boolean }>;
  /** citty sub-commands (e.g. `keys create`), same shape, one level deep. */
  subCommands?: Record<string, Omit<PluginCommand, "subCommands" | "name">>;
  run?(input: { args: Record<string, unknown> }): unknown | Promise<unknown>;
}

/** What `setup` receives: everything is already scoped to the plugin. */
export interface PluginContext {
  /** The plugin's name. */
  readonly name: string;
  readonly config: Readonly<ResolvedGatewayConfig>;
  /** Tagged `plugin:<name>`; redacts secrets like every gateway logger. */
  readonly logger: Logger;
  /** Storage with every key under `plugins:<name>:`. */
  readonly storage: GatewayStorage;
  readonly hooks: Hookable<GatewayHooks>;
  /** Secret box scoped to the plugin: values it seals open only for this plugin. */
  readonly secrets: SecretBox;
  /** Register HTTP routes under `/plugins/<name>/`. */
  readonly routes: PluginRoutes;
  /** Contribute `switchyard <name>` CLI commands. */
  readonly commands: { add(command: PluginCommand): void };
  /** The gateway's outbound HTTP client: use it for every call leaving the process. */
  readonly http: HttpClient;
  /** Version of the running core. */
  readonly coreVersion: string;
  /** Epoch ms. Use it for every expiry decision, so tests can move time. */
  now(): number;
  /** Periodic background work that one instance of the cluster runs per interval. */
  readonly jobs: PluginJobs;
  /** Users, sessions and second factors (core's; shared by every plugin). */
  readonly users: UserDirectory;
  /** Provider accounts across providers, as the admin API sees them (donations use it). */
  readonly accounts: AccountsService;
  /** Usage the relay recorded. */
  readonly usage: { keyTotals(keyId: string): Promise<{ today: UsageTotals; month: UsageTotals; total: UsageTotals }> };
}

/** What each plugin kind's `setup` returns. */
export interface PluginCapabilities {
  provider: Provider;
  auth: AuthStrategy;
  extension: void;
}

/**
 * A configured plugin: the value a plugin factory returns and `gateway.config.ts` lists.
 * Plain data plus one `setup` function, so it survives being loaded twice.
 */
export interface GatewayPlugin<K extends PluginKind = PluginKind> {
  /** Unique; used in logs, errors, storage prefixes and route prefixes. */
  name: string;
  kind: K;
  /** Semver range of the core this plugin works with, checked at load. */
  compat?: string;
  /** Plugins that must be set up first. */
  dependsOn?: string[];
  /** The options as the operator wrote them (shown masked in the admin settings view). */
  options?: unknown;
  setup(ctx: PluginContext): PluginCapabilities[K] | Promise<PluginCapabilities[K]>;
}

/** A plugin definition as written by its author (`define*` input). */
export interface PluginDefinition<O, K extends PluginKind> {
  /** Lowercase letters, digits and dashes. */
  name: string;
  compat?: string;
  dependsOn?: string[];
  setup(ctx: PluginContext, options: O): PluginCapabilities[K] | Promise<PluginCapabilities[K]>;
}

/** The options factory a `define*` helper returns; `options` may be omitted when all are optional. */
export type PluginFactory<O, K extends PluginKind> = {} extends O
  ? (options?: O) => GatewayPlugin<K>
  : (options: O) => GatewayPlugin<K>;

/**
 * How config lists a plugin: a factory call, a package name (resolved from the project
 * root), or `[packageName, options]`. Falsy entries are ignored so
 * `process.env.X && plugin()` works.
 */
export type PluginInput = GatewayPlugin | string | [string, unknown] | false | null | undefined;
