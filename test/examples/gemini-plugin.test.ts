import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, createLogger, loadGatewayConfig } from "../../core/index.ts";
import type { ApiKeyStrategy } from "../../plugins/auth/api-key/index.ts";
import { runCli, startCli } from "../_cli.ts";
import { testSecret } from "../_setup.ts";
import { type TempProject, createTempProject, repoRoot } from "../_tmp.ts";
import { type FakeUpstream, startFakeGemini } from "../../examples/switchyard-plugin-gemini/test/fake-gemini.ts";

// examples/switchyard-plugin-gemini as an operator uses it: installed into a project's
// node_modules from its folder, listed by package name in gateway.config.ts, served by the CLI.
const EXAMPLE = `${repoRoot}/examples/switchyard-plugin-gemini`;
const GEMINI_KEY = "gemini-example-upstream-key-000001";
const UNKNOWN_KEY = "gemini-example-key-gemini-does-not-know";
/** The project's config; `options` is the plugin's options as source text. */
const CONFIG = (options: string) => `import { defineGatewayConfig } from "switchyard";
import apiKey from "switchyard/plugins/auth/api-key";
export default defineGatewayConfig({
  storage: { driver: "fs", base: ".data" },
  providers: [["switchyard-plugin-gemini", ${options}]],
  auth: [apiKey({ cacheTtlMs: 0 })],
  routes: [{ models: "gemini-*", provider: "gemini" }],
  logging: { level: "warn" },
});`;

describe("example plugin switchyard-plugin-gemini, installed by path and loaded by package name", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fake Gemini and a project whose config gets the plugin options `options(fakeUrl)`. */
  async function project(options: (url: string) => string): Promise<{ dir: string; upstream: FakeUpstream; env: NodeJS.ProcessEnv }> {
    const upstream = await startFakeGemini({ keys: [GEMINI_KEY], models: ["gemini-2.5-flash", "gemini-2.5-pro"] });
    cleanups.push(() => upstream.close());
    const p: TempProject = createTempProject({ "gateway.config.ts": CONFIG(options(upstream.url)) });
    cleanups.push(() => p.cleanup());
    // What `npm install` of a packed tarball leaves: core as `switchyard`, the plugin copied in.
    p.link("switchyard", repoRoot);
    p.copy("switchyard-plugin-gemini", EXAMPLE);
    return { dir: p.dir, upstream, env: { SWITCHYARD_SECRET: testSecret, GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: upstream.url } };
  }

  it("serves the OpenAI and Anthropic SDKs through `switchyard start`, JSON and streams, with usage recorded", async () => {
    // The documented way: the key and base URL from the environment.
    const { dir, upstream, env } = await project(() => "{ keys: [process.env.GEMINI_API_KEY], baseURL: process.env.GEMINI_BASE_URL }");
    const created = await runCli(["keys", "create", "--cwd", dir, "--name", "sdk"], { env });
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split("\n").at(-1)!;
    const { child, url } = await startCli(["start", "--cwd", dir, "--port", "0"], { env });
    cleanups.push(async () => {
      if ((child as ChildProcess).exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    });

    const openai = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(expect.arrayContaining(["gemini-2.5-pro", "gemini-2.5-flash"]));
    const completion = await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello gemini" }],
    });
    expect(completion.choices[0]).toMatchObject({ message: { role: "assistant", content: "echo: hello gemini" }, finish_reason: "stop" });
    expect(completion.usage?.completion_tokens).toBe("echo: hello gemini".length);
    const stream = await openai.chat.completions.create({ model: "gemini-2.5-flash", stream: true, messages: [{ role: "user", content: "stream from gemini" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: stream from gemini");
    const response = await openai.responses.create({ model: "gemini-2.5-flash", input: "hello through responses" });
    expect(response.output_text).toBe("echo: hello through responses");

    // Cross-dialect: the relay turns Messages (and Responses, above) into Chat; the plugin turns Chat into Gemini.
    const anthropic = new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: "gemini-2.5-pro", max_tokens: 64, system: "be kind", messages: [{ role: "user", content: "hello from claude's sdk" }] });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: hello from claude's sdk" });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe("echo: hello from claude's sdk".length);
    const streamed = anthropic.messages.stream({ model: "gemini-2.5-pro", max_tokens: 64, messages: [{ role: "user", content: "stream to claude's sdk" }] });
    let streamedText = "";
    streamed.on("text", (delta) => (streamedText += delta));
    const final = await streamed.finalMessage();
    expect(streamedText).toBe("echo: stream to claude's sdk");
    expect(final.usage.output_tokens).toBe("echo: stream to claude's sdk".length);

    // Upstream: Gemini's native API with the operator's key, never the client's.
    expect(upstream.requests.map((r) => `${r.path}${r.search}`)).toEqual([
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/v1beta/models/gemini-2.5-pro:generateContent",
      "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    ]);
    for (const seen of upstream.requests) {
      expect(seen.headers["x-goog-api-key"]).toBe(GEMINI_KEY);
      expect(JSON.stringify(seen.headers)).not.toContain(key);
    }
    expect(upstream.requests[0]?.body).toEqual({ systemInstruction: { parts: [{ text: "be brief" }] }, contents: [{ role: "user", parts: [{ text: "hello gemini" }] }] });
    expect(upstream.requests[3]?.body).toMatchObject({ systemInstruction: { parts: [{ text: "be kind" }] }, generationConfig: { maxOutputTokens: 64 } });

    // The relay read every answer's usage the plugin translated.
    const usage = (await (await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { total: Record<string, number> };
    const input = upstream.requests.reduce((sum, r) => sum + Math.round(r.bodyBytes / 4), 0);
    const replies = ["echo: hello gemini", "echo: stream from gemini", "echo: hello through responses", "echo: hello from claude's sdk", "echo: stream to claude's sdk"];
    const output = replies.reduce((sum, t) => sum + t.length, 0);
    expect(usage.total).toMatchObject({ requests: 5, errors: 0, inputTokens: input, outputTokens: output });
  });

  it("loads in-process by name too, and a key Gemini calls invalid disables its account and fails over", async () => {
    const { dir, upstream, env } = await project((url) => JSON.stringify({ keys: [{ key: UNKNOWN_KEY, priority: 1 }, { key: GEMINI_KEY, priority: 2 }], baseURL: url }));
    const { config } = await loadGatewayConfig({ cwd: dir, env: {} });
    const gateway = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
    cleanups.push(() => gateway.close());
    const provider = gateway.providers.get("gemini")!;
    const keys = (gateway.auth.find((a) => a.name === "api-key")!.strategy as ApiKeyStrategy).keys;
    const key = (await keys.create({ name: "failover" })).key;

    const response = await gateway.fetch(
      new Request("http://gateway.test/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "after a bad key" }] }),
      }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe("echo: after a bad key");
    expect(upstream.requests.map((r) => r.headers["x-goog-api-key"])).toEqual([UNKNOWN_KEY, GEMINI_KEY]);
    const accounts = await provider.accounts!.list();
    expect(accounts.map((a) => [a.id, a.status])).toEqual([["key-1", "disabled"], ["key-2", "active"]]);
    expect(JSON.stringify(accounts)).not.toContain(UNKNOWN_KEY);
  });
});
