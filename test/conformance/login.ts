import { describe, expect, it } from "vitest";
import { captureLogs } from "../../core/logger.ts";
import type { AuthTestGateway } from "./auth.ts";

/** A finished login as the plugin under test produces it. */
export interface LoginOutcome {
  /** The `Set-Cookie` header of the answer that started the session. */
  setCookie: string;
  /** Every response body the login flow produced (scanned for secrets). */
  bodies: string[];
}

/** What a login plugin's test gives the suite. */
export interface LoginTestSubject {
  gateway: AuthTestGateway;
  /** Run the plugin's whole login flow for one person (as a browser or client would). */
  login(): Promise<LoginOutcome>;
  /** A login attempt that must fail (wrong password, bad state, …); its answer. */
  refused(): Promise<Response>;
  /** Values that must never appear in a log line or an answer (client secrets, passwords). */
  secrets: string[];
}

/**
 * The conformance suite every login plugin (a first factor that ends in a core session) runs:
 * the session cookie has the documented attributes and opens `/auth/me`; logout ends it; a
 * refused attempt sets no session; no secret reaches a log line (debug level) or an answer.
 */
export function testLogin(options: { name: string; setup: () => Promise<LoginTestSubject> }): void {
  describe(`${options.name} login conformance`, () => {
    it("ends in an HttpOnly, SameSite=Lax session cookie that opens /auth/me", async () => {
      const subject = await options.setup();
      const { setCookie } = await subject.login();
      expect(setCookie).toMatch(/(^|, )(__Host-)?sy_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);
      const me = await subject.gateway.request("/auth/me", { headers: { cookie: cookieOf(setCookie) } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { user: { id: string } }).user.id).toMatch(/^usr_/);
    });

    it("logout ends the session", async () => {
      const subject = await options.setup();
      const cookie = cookieOf((await subject.login()).setCookie);
      expect((await subject.gateway.request("/auth/logout", { method: "POST", headers: { cookie } })).status).toBe(200);
      expect((await subject.gateway.request("/auth/me", { headers: { cookie } })).status).toBe(401);
    });

    it("a refused attempt answers 4xx and starts no session", async () => {
      const subject = await options.setup();
      const answer = await subject.refused();
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers.get("set-cookie") ?? "").not.toMatch(/sy_session=[A-Za-z0-9_-]{43}/);
    });

    it("never shows a secret in a log line or an answer", async () => {
      const logs = captureLogs({ mute: true });
      let bodies: string[] = [];
      let subject: LoginTestSubject | undefined;
      try {
        subject = await options.setup();
        subject.gateway.logger.level = "debug";
        bodies = (await subject.login()).bodies;
        bodies.push(await (await subject.refused()).text());
      } finally {
        logs.stop();
      }
      expect(subject!.secrets.length).toBeGreaterThan(0);
      for (const secret of subject!.secrets) {
        expect(logs.text()).not.toContain(secret);
        for (const body of bodies) expect(body).not.toContain(secret);
      }
    });
  });
}

/** `name=value` of the session cookie in a `Set-Cookie` header. */
export function cookieOf(setCookie: string): string {
  const match = /((?:__Host-)?sy_session=[A-Za-z0-9_-]{43})/.exec(setCookie);
  if (!match) throw new Error(`no session cookie in ${JSON.stringify(setCookie.slice(0, 80))}`);
  return match[1]!;
}
