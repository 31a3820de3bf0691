import { afterEach } from "vitest";
import { type Gateway, type GatewayConfig, type RunningServer, createLogger, resolveGatewayConfig, createGateway, startServer } from "../../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import anthropicApi from "../../plugins/providers/anthropic-api/index.ts";
import openaiCompatible from "../../plugins/providers/openai-compatible/index.ts";
import { testSecret } from "../_setup.ts";
import { type FakeUpstream, startFakeAnthropic } from "../fixtures/upstreams/anthropic.ts";
import { startFakeOpenAI } from "../fixtures/upstreams/openai.ts";

/** Upstream keys the fakes accept; distinct so a test can tell which account was used. */
export const ANTHROPIC_KEYS = ["anthropic-upstream-key-a-000001", "anthropic-upstream-key-b-000002"];
export const OPENAI_KEYS = ["openai-upstream-key-a-000001", "openai-upstream-key-b-000002"];

/** A gateway on a real socket in front of a fake Anthropic and a fake OpenAI upstream. */
export interface RelayHarness {
  gateway: Gateway;
  server: RunningServer;
  url: string;
  anthropic: FakeUpstream;
  openai: FakeUpstream;
  keys: ApiKeyStrategy["keys"];
  /** Create a client key (with optional limits) and return the secret. */
  createKey(input?: Parameters<ApiKeyStrategy["keys"]["create"]>[0]): Promise<string>;
}

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
});

/**
 * Start the fakes and a gateway routing `claude-*` to `anthropic-api` and `gpt-*` to
 * `openai-compatible` (which speaks Chat and Responses). Everything stops after the test.
 */
export async function startRelay(options: { config?: GatewayConfig; anthropicKeys?: number; openaiKeys?: number } = {}): Promise<RelayHarness> {
  const anthropic = await startFakeAnthropic({ keys: ANTHROPIC_KEYS });
  const openai = await startFakeOpenAI({ keys: OPENAI_KEYS });
  const config = resolveGatewayConfig(
    {
      storage: { driver: "memory" },
      providers: [
        anthropicApi({ keys: ANTHROPIC_KEYS.slice(0, options.anthropicKeys ?? 1), baseURL: anthropic.url, models: ["claude-sonnet-4-5", "claude-haiku-4-5"] }),
        openaiCompatible({ baseURL: `${openai.url}/v1`, keys: OPENAI_KEYS.slice(0, options.openaiKeys ?? 1), dialects: ["openai-chat", "openai-responses"], models: ["gpt-4o-mini"] }),
      ],
      auth: [apiKey()],
      routes: [
        { models: "claude-*", provider: "anthropic-api" },
        { models: "gpt-*", provider: "openai-compatible" },
      ],
      ...options.config,
    },
    { env: { SWITCHYARD_SECRET: testSecret } },
  );
  const gateway = await createGateway(config, { env: { SWITCHYARD_SECRET: testSecret }, logger: createLogger({ level: "silent" }) });
  const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  running.push(async () => {
    await server.close();
    await Promise.all([anthropic.close(), openai.close()]);
  });
  const strategy = gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy;
  return {
    gateway, server, url: server.url.replace(/\/$/, ""), anthropic, openai, keys: strategy.keys,
    async createKey(input = { name: "test" }) {
      return (await strategy.keys.create(input)).key;
    },
  };
}
