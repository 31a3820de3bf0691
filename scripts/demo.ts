/**
 * `npm run demo`: a gateway on loopback in front of a fake Anthropic and a fake OpenAI
 * upstream, with a fresh client key, copy-paste examples, and a self-check that runs each
 * example once. Serves until Ctrl-C. `--once` (tests, CI): self-check, then exit 0, or 1 on
 * any failure.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { colors } from "consola/utils";
import OpenAI from "openai";
import { type RunningServer, createGateway, createLogger, resolveGatewayConfig, startServer } from "../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../plugins/auth/api-key/index.ts";
import anthropicApi from "../plugins/providers/anthropic-api/index.ts";
import openaiCompatible from "../plugins/providers/openai-compatible/index.ts";
import { type FakeUpstream, startFakeAnthropic } from "../test/fixtures/upstreams/anthropic.ts";
import { startFakeOpenAI } from "../test/fixtures/upstreams/openai.ts";

/** The port the demo prefers; any free port when it is taken. */
const DEMO_PORT = 8788;

const once = process.argv.includes("--once");
const PROMPT = "Hello from the Switchyard demo";
const UPSTREAM_KEYS = { anthropic: "demo-anthropic-upstream-key-0001", openai: "demo-openai-upstream-key-0001" };
const { bold, cyan, dim, green, red, yellow } = colors;

if (once) {
  // A hung upstream or socket must fail CI, not stall it (and answer before a test runner's own timeout).
  setTimeout(() => {
    fail("--once: no result within 20 s");
    process.exit(1);
  }, 20_000).unref();
}
const stack = await start().catch(async (error: unknown) => {
  fail(`could not start: ${(error as Error).message}`);
  process.exit(1);
});
const ok = await selfCheck(stack.url, stack.key);
if (once || !ok) {
  // After a failure a stuck request can hold the server open; the verdict matters more.
  await Promise.race([stack.close(), new Promise((resolve) => setTimeout(resolve, ok ? 10_000 : 2000).unref())]);
  process.exit(ok ? 0 : 1);
}
print(`\n${green("Serving")} at ${cyan(stack.url)} ${dim("(Ctrl-C to stop)")}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    print(dim(`\n${signal}: shutting down…\n`));
    // A second signal while closing means "now".
    process.once(signal, () => process.exit(130));
    void stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// --- internal ---

interface Stack {
  url: string;
  key: string;
  close(): Promise<void>;
}

async function start(): Promise<Stack> {
  // An explicit secret and a throwaway folder: the demo never writes into the repo's .data.
  const env = { SWITCHYARD_SECRET: process.env.SWITCHYARD_SECRET ?? randomBytes(32).toString("base64") };
  const dataDir = await mkdtemp(join(tmpdir(), "switchyard-demo-"));
  const upstreams: FakeUpstream[] = [];
  let server: RunningServer | undefined;
  const close = async () => {
    await server?.close();
    await Promise.all(upstreams.map((u) => u.close()));
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const anthropic = await startFakeAnthropic({ keys: [UPSTREAM_KEYS.anthropic] });
    upstreams.push(anthropic);
    const openai = await startFakeOpenAI({ keys: [UPSTREAM_KEYS.openai] });
    upstreams.push(openai);
    const config = resolveGatewayConfig(
      {
        storage: { driver: "fs", base: dataDir },
        providers: [
          anthropicApi({ keys: [UPSTREAM_KEYS.anthropic], baseURL: anthropic.url, models: ["claude-sonnet-4-5", "claude-haiku-4-5"] }),
          openaiCompatible({ keys: [UPSTREAM_KEYS.openai], baseURL: `${openai.url}/v1`, dialects: ["openai-chat", "openai-responses"], models: ["gpt-4o-mini"] }),
        ],
        auth: [apiKey()],
        routes: [
          { models: "claude-*", provider: "anthropic-api" },
          { models: "gpt-*", provider: "openai-compatible" },
        ],
      },
      { env },
    );
    // Warnings and errors only: the demo's own lines are the output.
    const gateway = await createGateway(config, { env, logger: createLogger({ level: "warn" }) });
    server = await listen(gateway);
    const strategy = gateway.auth.find((a) => a.name === "api-key")?.strategy as ApiKeyStrategy;
    const { key } = await strategy.keys.create({ name: "demo" });
    return { url: server.url.replace(/\/$/, ""), key, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

async function listen(gateway: Awaited<ReturnType<typeof createGateway>>): Promise<RunningServer> {
  try {
    return await startServer(gateway, { host: "127.0.0.1", port: DEMO_PORT });
  } catch {
    return startServer(gateway, { host: "127.0.0.1", port: 0 });
  }
}

/** An HTTP call shown as curl and run as the same request, so the two cannot drift apart. */
interface Example {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

async function selfCheck(url: string, key: string): Promise<boolean> {
  print(`\n${bold("Switchyard demo")} ${dim("— fake Anthropic and OpenAI upstreams on loopback")}\n\n`);
  print(`  gateway  ${cyan(url)}\n  key      ${yellow(key)}\n`);
  print(dim(`  routes   claude-* → anthropic-api, gpt-* → openai-compatible\n`));

  const messages: Example = {
    path: "/v1/messages",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: { model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user", content: PROMPT }] },
  };
  const chat: Example = {
    path: "/v1/chat/completions",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: PROMPT }] },
  };
  const checks: Array<[title: string, snippet: string, run: () => Promise<string>]> = [
    ["curl: Anthropic Messages", curlOf(url, messages), async () => textOfMessage(await (await call(url, messages)).json())],
    ["curl: OpenAI Chat Completions, streaming", curlOf(url, chat), async () => chatStreamText(await call(url, chat))],
    ["Anthropic SDK", anthropicSnippet(url, key), () => runAnthropicSdk(url, key)],
    ["OpenAI SDK", openaiSnippet(url, key), () => runOpenAISdk(url, key)],
  ];
  let ok = true;
  for (const [title, snippet, run] of checks) {
    print(`\n${bold(title)}\n${snippet.replace(/^/gm, "  ")}\n`);
    try {
      const answer = await run();
      if (!answer.includes(PROMPT)) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
      print(`  ${green("✔")} ${dim("answer:")} ${answer}\n`);
    } catch (error) {
      ok = false;
      fail(`${title}: ${(error as Error).message}`);
    }
  }
  print(ok ? `\n${green("✔ all examples answered")}\n` : `\n${red("✘ some examples failed")}\n`);
  return ok;
}

function curlOf(url: string, example: Example): string {
  const stream = example.body.stream === true ? " -N" : "";
  const headers = Object.entries(example.headers).map(([name, value]) => ` \\\n  -H '${name}: ${value}'`).join("");
  return `curl${stream} ${url}${example.path}${headers} \\\n  -d '${JSON.stringify(example.body)}'`;
}

async function call(url: string, example: Example): Promise<Response> {
  const response = await fetch(`${url}${example.path}`, {
    method: "POST", headers: example.headers, body: JSON.stringify(example.body), signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return response;
}

function textOfMessage(message: unknown): string {
  const content = (message as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((block) => (block.type === "text" ? (block.text ?? "") : "")).join("");
}

// The text deltas of an OpenAI chat stream, in order, up to `data: [DONE]`.
async function chatStreamText(response: Response): Promise<string> {
  const raw = await response.text();
  let text = "";
  let done = false;
  for (const line of raw.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6).trim();
    if (data === "[DONE]") done = true;
    else text += (JSON.parse(data) as { choices: Array<{ delta?: { content?: string | null } }> }).choices[0]?.delta?.content ?? "";
  }
  if (!done) throw new Error("the stream ended without data: [DONE]");
  return text;
}

function anthropicSnippet(url: string, key: string): string {
  return `import Anthropic from "@anthropic-ai/sdk";
const client = new Anthropic({ apiKey: "${key}", baseURL: "${url}" });
const message = await client.messages.create({
  model: "claude-haiku-4-5", max_tokens: 256,
  messages: [{ role: "user", content: "${PROMPT}" }],
});`;
}

async function runAnthropicSdk(url: string, key: string): Promise<string> {
  const client = new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0, timeout: 5000 });
  const body = { model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user" as const, content: PROMPT }] };
  const message = await client.messages.create(body, { signal: AbortSignal.timeout(5000) });
  return textOfMessage(message);
}

function openaiSnippet(url: string, key: string): string {
  return `import OpenAI from "openai";
const client = new OpenAI({ apiKey: "${key}", baseURL: "${url}/v1" });
const stream = await client.chat.completions.create({
  model: "gpt-4o-mini", stream: true,
  messages: [{ role: "user", content: "${PROMPT}" }],
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");`;
}

async function runOpenAISdk(url: string, key: string): Promise<string> {
  const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 5000 });
  // The SDK's own timeout ends at the headers; the signal also bounds a stream that never ends.
  const body = { model: "gpt-4o-mini", stream: true as const, messages: [{ role: "user" as const, content: PROMPT }] };
  const stream = await client.chat.completions.create(body, { signal: AbortSignal.timeout(5000) });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return text;
}

// The demo's output is for people at a terminal; the gateway's own lines go through its logger.
function print(text: string): void {
  process.stdout.write(text);
}

function fail(message: string): void {
  process.stderr.write(`${red("✘")} ${message}\n`);
}
