// Calls to Linux DO Connect (protocols.md §6): the code exchange (a form POST, client auth in
// the body or as HTTP Basic) and the user info read. Answers are read defensively; tokens and
// bodies are never logged or echoed.
import { HTTPError, type PluginContext, redactString } from "switchyard";
import type { ResolvedLinuxDoOptions } from "./options.ts";

/** The LinuxDO user, as the user info endpoint describes them. */
export interface LinuxDoUser {
  /** Immutable id, as a decimal string (the identity subject). */
  id: string;
  username: string;
  /** Display name; the username when LinuxDO sends none. */
  name: string;
  /** Avatar URL template with a `{size}` placeholder, when given. */
  avatarTemplate?: string;
  active: boolean;
  trustLevel: number;
  silenced: boolean;
}

export interface LinuxDoClient {
  /** Trade the code for an access token; a refused code is a 400, an outage a 502. */
  exchange(code: string, redirectURI: string): Promise<string>;
  /** Read the user of an access token; anything unexpected is a 502. */
  user(accessToken: string): Promise<LinuxDoUser>;
}

export function createLinuxDoClient(ctx: PluginContext, options: ResolvedLinuxDoOptions): LinuxDoClient {
  async function call(what: string, url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await ctx.http.fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      ctx.logger.warn(`LinuxDO ${what} could not be reached: ${redactString((error as Error).message)}`);
      throw new HTTPError({ status: 502, message: `Linux DO Connect could not be reached (${what}); try again` });
    }
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined; // HTML from a CDN, an empty body, …: never echoed
    }
    return { status: response.status, json };
  }

  return {
    async exchange(code, redirectURI) {
      const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectURI });
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      if (options.clientAuth === "basic") headers.authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64")}`;
      else {
        form.set("client_id", options.clientId);
        form.set("client_secret", options.clientSecret);
      }
      const answer = await call("token exchange", options.tokenURL, { method: "POST", headers, body: form.toString() });
      const token = isObject(answer.json) ? answer.json.access_token : undefined;
      if (answer.status >= 200 && answer.status < 300 && typeof token === "string" && token !== "") return token;
      const reason = describeError(answer.json);
      const clientRefused = answer.status === 401 || (isObject(answer.json) && answer.json.error === "invalid_client");
      if (clientRefused) {
        ctx.logger.error(`LinuxDO token exchange failed: status ${answer.status}${reason}; check clientId, clientSecret and clientAuth`);
        throw new HTTPError({ status: 502, message: "Linux DO Connect refused this site's client credentials; tell the operator" });
      }
      ctx.logger.warn(`LinuxDO token exchange failed: status ${answer.status}${reason}`);
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        // The answer names only the OAuth error code; the description (upstream text) stays in the log.
        const code = isObject(answer.json) && typeof answer.json.error === "string" && /^[\w.-]{1,64}$/.test(answer.json.error) ? `: ${answer.json.error}` : "";
        throw new HTTPError({ status: 400, message: `code: Linux DO Connect refused the login code (${answer.status}${code}); start the login again`, data: { param: "code" } });
      }
      throw new HTTPError({ status: 502, message: `Linux DO Connect failed to exchange the login code (status ${answer.status}); try again` });
    },
    async user(accessToken) {
      const answer = await call("user info", options.userURL, { method: "GET", headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" } });
      const user = answer.status >= 200 && answer.status < 300 ? readUser(answer.json) : undefined;
      if (user) return user;
      ctx.logger.warn(`LinuxDO user info failed: status ${answer.status}${answer.status < 300 ? " (unexpected body)" : describeError(answer.json)}`);
      throw new HTTPError({ status: 502, message: `Linux DO Connect did not return the user (status ${answer.status}); try again` });
    },
  };
}

// --- internal ---

const TIMEOUT_MS = 15_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `: <error> <message>` from an OAuth error body, printable and short; empty otherwise. */
function describeError(json: unknown): string {
  if (!isObject(json)) return "";
  const parts = [json.error, json.error_description ?? json.message].filter((p): p is string => typeof p === "string" && p !== "");
  const text = parts.join(" ").replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  return text ? `: ${redactString(text)}` : "";
}

function readUser(json: unknown): LinuxDoUser | undefined {
  if (!isObject(json)) return undefined;
  const id = typeof json.id === "number" && Number.isSafeInteger(json.id) && json.id >= 0 ? String(json.id) : typeof json.id === "string" && /^\d{1,15}$/.test(json.id) ? String(Number(json.id)) : undefined;
  if (id === undefined) return undefined;
  const username = text(json.username, 100) ?? `linuxdo_${id}`;
  const trust = json.trust_level;
  const avatarTemplate = text(json.avatar_template, 1000);
  return {
    id,
    username,
    name: text(json.name, 100) ?? username,
    ...(avatarTemplate ? { avatarTemplate } : {}),
    // A missing flag is read as the harmless value: active, not silenced.
    active: json.active !== false,
    silenced: json.silenced === true,
    trustLevel: typeof trust === "number" && Number.isInteger(trust) && trust >= 0 && trust <= 4 ? trust : 0,
  };
}

function text(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const clean = value.replace(/\p{Cc}/gu, "").trim().slice(0, max);
  return clean === "" ? undefined : clean;
}
