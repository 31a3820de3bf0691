import { describe, expect, it } from "vitest";
import { type Gateway, definePlugin } from "../../core/index.ts";
import { captureLogs } from "../../core/logger.ts";

/** Path of the probe route that {@link authProbe} mounts: `client` access, echoes the principal. */
export const AUTH_PROBE_PATH = "/plugins/auth-probe/whoami";

/** Extension plugin the gateway under test must include: one `client` route to probe auth with. */
export const authProbe = definePlugin({
  name: "auth-probe",
  setup(ctx) {
    ctx.routes.add({ method: "GET", path: "/whoami", access: "client", handler: (event) => ({ principal: event.context.principal ?? null }) });
  },
});

/** A gateway as `setupGateway` returns it. */
export type AuthTestGateway = Gateway & { request(path: string, init?: RequestInit): Promise<Response> };

/** What an auth plugin's `setup` gives the suite. */
export interface AuthTestSubject {
  /** A fresh gateway with the plugin under test in `auth` and `authProbe()` in `plugins`. */
  gateway: AuthTestGateway;
  /** Headers that authenticate as a `client`; their values are the secrets to look for. */
  validHeaders: Record<string, string>;
  /** Credentials of the right shape that must be refused; default: each valid value with its last character changed. */
  wrongHeaders?: Record<string, string>;
}

/** Options of {@link testAuth}. */
export interface TestAuthOptions {
  name: string;
  setup: () => Promise<AuthTestSubject>;
  additionalTests?: (ctx: { setup: () => Promise<AuthTestSubject> }) => void;
}

/**
 * The conformance suite every auth plugin runs (call it inside the plugin test's `describe`):
 * no credentials → 401 with `WWW-Authenticate`; wrong → 401 with the same body; right → 200 with
 * a principal; the secret never appears in any response body or log line (at debug level).
 */
export function testAuth(options: TestAuthOptions): void {
  describe(`${options.name} auth conformance`, () => {
    it("answers 401 with WWW-Authenticate when no credentials are sent", async () => {
      const { gateway } = await subject(options);
      const res = await gateway.request(AUTH_PROBE_PATH);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    });

    it("answers wrong credentials with 401, WWW-Authenticate and the body of no credentials", async () => {
      const { gateway, validHeaders, wrongHeaders } = await subject(options);
      const none = await gateway.request(AUTH_PROBE_PATH);
      const wrong = await gateway.request(AUTH_PROBE_PATH, { headers: wrongHeaders ?? mutate(validHeaders) });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toBe(none.headers.get("www-authenticate"));
      expect(await normalizedBody(wrong)).toBe(await normalizedBody(none));
    });

    it("answers the right credentials with 200 and sets a principal", async () => {
      const { gateway, validHeaders } = await subject(options);
      const res = await gateway.request(AUTH_PROBE_PATH, { headers: validHeaders });
      expect(res.status).toBe(200);
      const { principal } = (await res.json()) as { principal: Record<string, unknown> | null };
      expect(principal).toMatchObject({ kind: "client", id: expect.any(String), strategy: expect.any(String) });
      expect(String(principal?.id)).not.toBe("");
    });

    it("never puts the secret in a response body or a log line, debug level included", async () => {
      const capture = captureLogs();
      try {
        const { gateway, validHeaders, wrongHeaders } = await subject(options);
        gateway.logger.level = "debug";
        const bodies: string[] = [];
        for (const headers of [validHeaders, wrongHeaders ?? mutate(validHeaders), {}]) {
          const res = await gateway.request(AUTH_PROBE_PATH, { headers });
          bodies.push(`${[...res.headers].join("\n")}\n${await res.text()}`);
        }
        const output = `${bodies.join("\n")}\n${capture.text()}`;
        for (const secret of secretsOf(validHeaders)) {
          for (const fragment of fragments(secret)) expect(output, "a 12-character piece of the secret leaked").not.toContain(fragment);
        }
      } finally {
        capture.stop();
      }
    });
  });
  options.additionalTests?.({ setup: options.setup });
}

/** Every 12-character piece of `secret` (a short display prefix of at most 10 characters stays allowed). */
export function fragments(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= secret.length; i++) out.push(secret.slice(i, i + 12));
  return out.length > 0 ? out : [secret];
}

// --- internal ---

async function subject(options: TestAuthOptions): Promise<AuthTestSubject> {
  const s = await options.setup();
  expect(s.gateway.routes.map((r) => r.path), "the gateway needs authProbe() in plugins").toContain(AUTH_PROBE_PATH);
  expect(Object.keys(s.validHeaders).length, "validHeaders must not be empty").toBeGreaterThan(0);
  return s;
}

async function normalizedBody(res: Response): Promise<string> {
  const id = res.headers.get("x-request-id") ?? "";
  return (await res.text()).replaceAll(id, "<request-id>");
}

function mutate(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, `${v.slice(0, -1)}${v.endsWith("A") ? "B" : "A"}`]));
}

// The credential itself: the last word of each header value (`Bearer <token>` → `<token>`).
function secretsOf(headers: Record<string, string>): string[] {
  return Object.values(headers).map((v) => v.trim().split(/\s+/).pop() ?? v);
}
