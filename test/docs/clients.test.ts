// The client pages must work when pasted. The TypeScript SDK examples in docs/clients/sdks.md
// run as they are printed (address swapped) in a child process against a gateway with fake
// upstreams; for Claude Code, Codex CLI and the chat apps the settings are read from the pages
// and the requests those clients send with them are sent to the gateway.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";
import { ANTHROPIC_KEYS, startRelay } from "../relay/_harness.ts";

/** The address every example on the client pages uses for the gateway. */
const DOCS_URL = "http://127.0.0.1:8787";

/** The gateway's own model list (OpenAI shape), one `id owned_by` line per model, or ids only. */
const modelLines = (withOwner: boolean) => async (url: string, key: string) => {
  const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  const { data } = (await response.json()) as { data: Array<{ id: string; owned_by: string }> };
  return data.map((m) => (withOwner ? `${m.id} ${m.owned_by}` : m.id));
};

/** What each marked TypeScript example must print, and where its request must land. */
const SDK_EXAMPLES: Record<string, { stdout: RegExp | ((url: string, key: string) => Promise<string[]>); upstream?: { fake: "anthropic" | "openai"; path: string; stream?: boolean } }> = {
  "sdk-anthropic": { stdout: /^echo: Hello\n$/, upstream: { fake: "anthropic", path: "/v1/messages" } },
  "sdk-anthropic-stream": { stdout: /^echo: Hello\n\[end_turn, \d+ output tokens\]\n$/, upstream: { fake: "anthropic", path: "/v1/messages", stream: true } },
  "sdk-anthropic-models": { stdout: modelLines(false) },
  "sdk-openai": { stdout: /^echo: Hello\n$/, upstream: { fake: "openai", path: "/v1/chat/completions" } },
  "sdk-openai-stream": { stdout: /^echo: Hello\n\[\d+ output tokens\]\n$/, upstream: { fake: "openai", path: "/v1/chat/completions", stream: true } },
  "sdk-openai-responses": { stdout: /^echo: Hello\n$/, upstream: { fake: "openai", path: "/v1/responses" } },
  "sdk-openai-claude": { stdout: /^echo: Hello\n$/, upstream: { fake: "anthropic", path: "/v1/messages" } },
  "sdk-openai-models": { stdout: modelLines(true) },
};

const scratch = join(repoRoot, "test/.tmp", `docs-clients-${randomBytes(6).toString("hex")}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("docs/clients/sdks.md", () => {
  const page = readDoc("docs/clients/sdks.md");
  const examples = new Map(codeBlocks(page, "ts").map((code) => [/^\/\/ test: ([a-z0-9-]+)\n/.exec(code)?.[1] ?? "(unmarked)", code]));

  it("marks every TypeScript example with a test name, each once, and this test runs each", () => {
    const names = codeBlocks(page, "ts").map((code) => /^\/\/ test: ([a-z0-9-]+)\n/.exec(code)?.[1] ?? "(unmarked)");
    expect(names.toSorted()).toEqual(Object.keys(SDK_EXAMPLES).toSorted());
  });

  for (const [name, expected] of Object.entries(SDK_EXAMPLES)) {
    it(`${name} runs as printed against a gateway`, async () => {
      const relay = await startRelay();
      const key = await relay.createKey({ name: "docs" });
      const source = examples.get(name);
      expect(source, `an example marked // test: ${name}`).toBeDefined();
      expect(source).toContain(`"${DOCS_URL}`);
      const code = source!.replaceAll(DOCS_URL, relay.url);
      const result = await runExample(name, code, { SWITCHYARD_API_KEY: key });
      expect(result.code, result.stderr).toBe(0);
      if (expected.stdout instanceof RegExp) expect(result.stdout).toMatch(expected.stdout);
      else {
        const lines = await expected.stdout(relay.url, key);
        expect(lines).toEqual(expect.arrayContaining(["claude-sonnet-4-5", "gpt-4o-mini"].map((id) => expect.stringMatching(new RegExp(`^${id}( |$)`)))));
        expect(result.stdout.trim().split("\n")).toEqual(lines);
      }
      const requests = [...relay.anthropic.requests, ...relay.openai.requests];
      if (!expected.upstream) return void expect(requests).toEqual([]);
      const { fake, path, stream = false } = expected.upstream;
      const upstream = relay[fake].requests;
      expect(requests).toHaveLength(1);
      expect(upstream.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${path}`]);
      expect((upstream[0]!.body as { stream?: boolean }).stream ?? false).toBe(stream);
      // The gateway key stays at the gateway; the upstream sees the provider's own credential.
      expect(JSON.stringify(upstream[0]!.headers)).not.toContain(key);
    });
  }

  it("Python examples use the same base URLs and key variable as the TypeScript ones", () => {
    const python = codeBlocks(page, "python");
    expect(python).toHaveLength(2);
    const [anthropic, openai] = python as [string, string];
    expect(anthropic).toMatch(/^import anthropic$/m);
    expect(anthropic).toContain(`base_url="${DOCS_URL}",`);
    expect(openai).toMatch(/^from openai import OpenAI$/m);
    expect(openai).toContain(`base_url="${DOCS_URL}/v1",`);
    for (const code of python) expect(code).toContain('api_key=os.environ["SWITCHYARD_API_KEY"],');
  });

  it("the environment table names variables the installed SDKs read", () => {
    const table = sectionOf(page, "## Configuring through the environment");
    const named = [...table.matchAll(/`([A-Z_]+)=/g)].map((m) => m[1]!);
    expect(named.toSorted()).toEqual(["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"]);
    const sdkSource = readFileSync(join(repoRoot, "node_modules/@anthropic-ai/sdk/client.js"), "utf8") + readFileSync(join(repoRoot, "node_modules/openai/client.js"), "utf8");
    for (const name of named) expect(sdkSource).toContain(`readEnv)('${name}')`);
    expect(table).toContain(`ANTHROPIC_BASE_URL=${DOCS_URL}\``);
    expect(table).toContain(`OPENAI_BASE_URL=${DOCS_URL}/v1\``);
  });
});

describe("docs/clients/claude-code.md", () => {
  const page = readDoc("docs/clients/claude-code.md");
  const shell = exportsIn(codeBlocks(page, "sh").find((b) => b.includes("export ANTHROPIC_BASE_URL"))!);

  it("sets exactly the base URL (no /v1) and a gateway key as the auth token, in the shell and in settings.json alike", () => {
    expect(shell).toEqual({ ANTHROPIC_BASE_URL: DOCS_URL, ANTHROPIC_AUTH_TOKEN: "sk-sy-…" });
    const settings = JSON.parse(codeBlocks(page, "json")[0]!) as { env: Record<string, string> };
    expect(settings).toEqual({ env: shell });
    const tableNames = [...sectionOf(page, "# Claude Code").matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(tableNames).toEqual(["ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"]);
  });

  it("the gateway accepts what Claude Code sends with them: Bearer key, ?beta=true, anthropic-beta, streaming", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "claude-code", models: ["claude-*"] });
    const base = shell.ANTHROPIC_BASE_URL!.replace(DOCS_URL, relay.url);
    const headers = { authorization: `Bearer ${key}`, "anthropic-version": "2023-06-01", "anthropic-beta": "claude-code-20250219", "content-type": "application/json" };
    const body = { model: "claude-sonnet-4-5-20250929", max_tokens: 64, stream: true, messages: [{ role: "user", content: "Hello" }] };
    const response = await fetch(`${base}/v1/messages?beta=true`, { method: "POST", headers, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text).toContain("message_stop");
    expect(text).toContain("echo");
    const upstream = relay.anthropic.requests.at(-1)!;
    expect(upstream.headers["x-api-key"]).toBe(ANTHROPIC_KEYS[0]);
    expect(upstream.headers["anthropic-beta"]).toBe("claude-code-20250219");
    expect(JSON.stringify(upstream.headers)).not.toContain(key);

    const count = await fetch(`${base}/v1/messages/count_tokens?beta=true`, { method: "POST", headers, body: JSON.stringify({ model: body.model, messages: body.messages }) });
    expect(count.status).toBe(200);
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
  });

  it("a key limited to one family refuses the background model, and x-api-key wins over the Bearer token (as the page warns)", async () => {
    const relay = await startRelay();
    const sonnetOnly = await relay.createKey({ name: "narrow", models: ["claude-sonnet-*"] });
    const wide = await relay.createKey({ name: "wide", models: ["claude-*"] });
    const send = (headers: Record<string, string>, model: string) =>
      fetch(`${relay.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
        body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: "user", content: "title" }] }),
      });
    expect((await send({ authorization: `Bearer ${sonnetOnly}` }, "claude-haiku-4-5")).status).toBe(403);
    expect((await send({ authorization: `Bearer ${wide}` }, "claude-haiku-4-5")).status).toBe(200);
    expect((await send({ authorization: `Bearer ${wide}`, "x-api-key": "sk-ant-api03-a-real-anthropic-key" }, "claude-haiku-4-5")).status).toBe(401);
  });
});

describe("docs/clients/codex-cli.md", () => {
  const page = readDoc("docs/clients/codex-cli.md");
  const blocks = codeBlocks(page, "toml");
  const config = parseToml(blocks.find((b) => b.includes("[model_providers."))!);

  it("the TOML is well formed line by line, with model_provider naming the provider table", () => {
    for (const block of blocks) expect(() => parseToml(block)).not.toThrow();
    const top = config[""]!;
    expect(Object.keys(top).toSorted()).toEqual(["model", "model_provider"]);
    const provider = config[`model_providers.${top.model_provider}`];
    expect(provider, `a [model_providers.${top.model_provider}] table`).toBeDefined();
    expect(Object.keys(provider!).toSorted()).toEqual(["base_url", "env_key", "name", "wire_api"]);
    expect(provider!.base_url).toBe(`${DOCS_URL}/v1`);
    expect(["responses", "chat"]).toContain(provider!.wire_api);
    expect(provider!.wire_api).toBe("responses");
    expect(Object.keys(config).toSorted()).toEqual(["", `model_providers.${top.model_provider}`]);
    const profile = parseToml(blocks.find((b) => b.includes("[profiles."))!);
    expect(profile[`profiles.${top.model_provider}`]).toEqual({ model_provider: top.model_provider, model: top.model });
  });

  it("env_key names the variable the page exports, which holds a gateway key", () => {
    const provider = config[`model_providers.${config[""]!.model_provider}`]!;
    const shell = exportsIn(codeBlocks(page, "sh").find((b) => b.includes("export "))!);
    expect(shell).toEqual({ [provider.env_key!]: "sk-sy-…" });
    expect(provider.env_key).toMatch(/^[A-Z_][A-Z0-9_]*$/);
  });

  it("the gateway answers what Codex sends with it: <base_url>/responses (and /chat/completions) with a Bearer key", async () => {
    const relay = await startRelay();
    const key = await relay.createKey({ name: "codex", models: ["gpt-*"] });
    const top = config[""]!;
    const base = config[`model_providers.${top.model_provider}`]!.base_url!.replace(DOCS_URL, relay.url);
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const responses = await fetch(`${base}/responses`, { method: "POST", headers, body: JSON.stringify({ model: top.model, input: "Hello", stream: true }) });
    expect(responses.status).toBe(200);
    const events = await responses.text();
    expect(events).toContain("response.completed");
    expect(events).toContain("echo: Hello");
    const chat = await fetch(`${base}/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: top.model, messages: [{ role: "user", content: "Hello" }] }) });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("echo: Hello");
    expect(relay.openai.requests.map((r) => r.path)).toEqual(["/v1/responses", "/v1/chat/completions"]);
  });
});

describe("docs/clients/chat-frontends.md", () => {
  const page = readDoc("docs/clients/chat-frontends.md");

  it("Open WebUI: <OPENAI_API_BASE_URL>/models lists the key's models and /chat/completions streams, Claude included", async () => {
    const run = codeBlocks(page, "sh").find((b) => b.includes("OPENAI_API_BASE_URL"))!;
    const env = Object.fromEntries([...run.matchAll(/-e ([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    expect(env).toEqual({ OPENAI_API_BASE_URL: "http://host.docker.internal:8787/v1", OPENAI_API_KEY: "sk-sy-…" });
    const relay = await startRelay();
    const key = await relay.createKey({ name: "open-webui", models: ["claude-*", "gpt-*"] });
    const base = env.OPENAI_API_BASE_URL!.replace("http://host.docker.internal:8787", relay.url);
    const models = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual(expect.arrayContaining(["claude-sonnet-4-5", "gpt-4o-mini"]));
    for (const model of ["gpt-4o-mini", "claude-sonnet-4-5"]) {
      const chat = await fetch(`${base}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "Hello" }] }),
      });
      expect(chat.status).toBe(200);
      const text = await chat.text();
      expect(text).toContain("data: [DONE]");
      expect(text).toContain("echo");
    }
  });

  it("Cherry Studio: the API host without /v1 plus the paths it appends", async () => {
    const row = /^\| API host \| `([^`]+)`/m.exec(page)?.[1];
    expect(row).toBe(DOCS_URL);
    const relay = await startRelay();
    const key = await relay.createKey({ name: "cherry" });
    const host = row!.replace(DOCS_URL, relay.url);
    const openai = await fetch(`${host}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] }),
    });
    expect(openai.status).toBe(200);
    const anthropic = await fetch(`${host}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] }),
    });
    expect(anthropic.status).toBe(200);
    expect((await fetch(`${host}/v1/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}` } })).status).toBe(404);
  });
});

describe("the page readers", () => {
  it("read fenced blocks (indented ones too), TOML lines and shell exports, and refuse what they do not know", () => {
    const md = "text\n\n```sh\nexport A=1\n```\n\n- item\n\n  ```sh\n  export B=\"two\"\n  ```\n";
    expect(codeBlocks(md, "sh")).toEqual(["export A=1", 'export B="two"']);
    expect(exportsIn('export A=1\nexport B="two"\nrun')).toEqual({ A: "1", B: "two" });
    expect(parseToml('# c\na = "x"\n\n[t.u]\nb = "y" # note\n')).toEqual({ "": { a: "x" }, "t.u": { b: "y" } });
    expect(() => parseToml("a = x")).toThrow(/line 1/);
    expect(() => parseToml('a = "x"\na = "y"')).toThrow(/twice/);
  });
});

// --- internal ---

function readDoc(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

/** Contents of the fenced blocks of one language, in order; indented blocks are dedented. */
function codeBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  for (const m of markdown.matchAll(/^( *)```([a-z]*)\n([\s\S]*?)^\1```$/gm)) {
    if (m[2] !== lang) continue;
    const indent = m[1]!.length;
    blocks.push(m[3]!.split("\n").map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join("\n").replace(/\n$/, ""));
  }
  return blocks;
}

/** The text under a heading, up to the next heading of the same or a higher level. */
function sectionOf(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l === heading);
  if (start < 0) throw new Error(`no "${heading}" heading`);
  const level = /^#+/.exec(heading)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** `export NAME=value` lines of a shell snippet (quotes removed). */
function exportsIn(shell: string): Record<string, string> {
  return Object.fromEntries([...shell.matchAll(/^export ([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, "$1")]));
}

/**
 * The small TOML subset the pages use: comments, blank lines, `[table.name]` headers and
 * `key = "string"` pairs. Anything else, or a key set twice, throws with the line number.
 */
function parseToml(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { "": {} };
  let table = "";
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\]$/.exec(line);
    if (header) {
      table = header[1]!;
      if (out[table]) throw new Error(`line ${index + 1}: table [${table}] twice`);
      out[table] = {};
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+) = "([^"\\]*)"$/.exec(line);
    if (!pair) throw new Error(`line ${index + 1}: not a TOML line this test knows: ${raw}`);
    if (pair[1]! in out[table]!) throw new Error(`line ${index + 1}: ${pair[1]} set twice`);
    out[table]![pair[1]!] = pair[2]!;
  }
  if (Object.keys(out[""]!).length === 0 && Object.keys(out).length > 1) delete out[""];
  return out;
}

/** Run one example as a file with `node --import tsx`, in the repo so the SDKs resolve. */
function runExample(name: string, code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, code);
  // The SDKs read ANTHROPIC_* / OPENAI_* when an option is missing; none may leak in from the shell.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC|OPENAI)_/.test(k) && k !== "NODE_ENV"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: repoRoot, env: { ...inherited, NO_COLOR: "1", ...env } });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
