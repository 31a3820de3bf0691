// Migration from CLIProxyAPI: its per-account auth files (`<type>-<email>.json` with
// `access_token`, `refresh_token`, `expired`, `email`, `type`, …) become the credentials files
// the subscription providers import. Tokens go from one file into the sealed store; nothing
// here prints or keeps them.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

/** What one CLIProxyAPI file turned into: an import for a provider, or why it was skipped. */
export type CliProxyImport =
  | { file: string; provider: string; name: string | undefined; content: string }
  | { file: string; skipped: string };

/** Which provider each CLIProxyAPI `type` maps to. */
export const CLIPROXYAPI_PROVIDERS: Record<string, string> = { claude: "claude-oauth", codex: "codex-oauth" };

/** Read every `*.json` in `dir` and convert what maps to a provider. */
export async function readCliProxyApiDir(dir: string): Promise<CliProxyImport[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  return Promise.all(files.map(async (file) => convert(file, await readFile(join(dir, file), "utf8"))));
}

// --- internal ---

function convert(file: string, text: string): CliProxyImport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { file, skipped: "not JSON" };
  }
  if (typeof data !== "object" || data === null) return { file, skipped: "not a JSON object" };
  const record = data as Record<string, unknown>;
  const type = typeof record.type === "string" ? record.type : undefined;
  const provider = type ? CLIPROXYAPI_PROVIDERS[type] : undefined;
  if (!provider) return { file, skipped: `type ${JSON.stringify(type ?? null)} has no Switchyard provider (${Object.keys(CLIPROXYAPI_PROVIDERS).join(", ")} do)` };
  const text$ = (key: string) => (typeof record[key] === "string" && record[key] !== "" ? (record[key] as string) : undefined);
  const email = text$("email");
  if (!text$("access_token") || !text$("refresh_token")) return { file, skipped: "no access_token or refresh_token" };
  if (type === "claude") {
    const expiresAt = text$("expired") ? Date.parse(text$("expired")!) : Number.NaN;
    const oauth = { accessToken: text$("access_token"), refreshToken: text$("refresh_token"), ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) };
    const account = { ...(email ? { emailAddress: email } : {}), ...(text$("account_uuid") ? { uuid: text$("account_uuid") } : {}) };
    return { file, provider, name: email, content: JSON.stringify({ claudeAiOauth: oauth, ...(Object.keys(account).length ? { account } : {}) }) };
  }
  const tokens = { id_token: text$("id_token") ?? null, access_token: text$("access_token"), refresh_token: text$("refresh_token"), ...(text$("account_id") ? { account_id: text$("account_id") } : {}) };
  return { file, provider, name: email, content: JSON.stringify({ OPENAI_API_KEY: null, tokens, ...(text$("last_refresh") ? { last_refresh: text$("last_refresh") } : {}) }) };
}
