import { describe, expect, it } from "vitest";
import jwtAdmin from "../../plugins/auth/jwt-admin/index.ts";
import linuxdoConnect from "../../plugins/auth/linuxdo-connect/index.ts";
import totp from "../../plugins/auth/totp/index.ts";
import { setupGateway } from "../_setup.ts";

describe("GET /auth/methods", () => {
  it("lists the configured login methods and second factors, and nothing secret", async () => {
    const secret = "auth-methods-client-secret-0123456789";
    const gateway = await setupGateway({ auth: [jwtAdmin({ registration: { enabled: true } }), totp(), linuxdoConnect({ clientId: "client-id-x", clientSecret: secret })] });
    const answer = await gateway.request("/auth/methods");
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(JSON.parse(text)).toEqual({
      methods: [
        { id: "password", kind: "password", url: "/auth/login", label: "Username and password", registerUrl: "/auth/register" },
        { id: "linuxdo", kind: "redirect", url: "/auth/linuxdo/login", label: "LinuxDO" },
      ],
      secondFactors: ["totp"],
    });
    expect(text).not.toContain(secret);
    expect(text).not.toContain("client-id-x");
  });

  it("is empty when no login plugin is configured", async () => {
    const gateway = await setupGateway({});
    expect(await (await gateway.request("/auth/methods")).json()).toEqual({ methods: [], secondFactors: [] });
  });
});
