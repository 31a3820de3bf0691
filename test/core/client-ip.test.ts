import { describe, expect, it } from "vitest";
import { ConfigError, definePlugin, resolveGatewayConfig, startServer } from "../../core/index.ts";
import { clientIp } from "../../core/client-ip.ts";
import { setupGateway } from "../_setup.ts";

describe("clientIp", () => {
  const trusted = ["127.0.0.1/32", "10.0.0.0/8"];

  it("is the socket address when no proxy is trusted, whatever the client claims", () => {
    expect(clientIp("203.0.113.7", "1.2.3.4", [])).toBe("203.0.113.7");
    expect(clientIp("203.0.113.7", "1.2.3.4", trusted)).toBe("203.0.113.7"); // socket is not a trusted proxy
  });

  it("behind trusted proxies, takes the right-most untrusted hop and ignores what the client prepended", () => {
    expect(clientIp("127.0.0.1", "198.51.100.9", trusted)).toBe("198.51.100.9");
    expect(clientIp("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.1.2.3", trusted)).toBe("198.51.100.9");
    expect(clientIp("127.0.0.1", "10.9.9.9, 10.1.2.3", trusted)).toBe("10.9.9.9"); // every hop trusted: the first
    expect(clientIp("127.0.0.1", null, trusted)).toBe("127.0.0.1");
  });

  it("validates server.trustedProxies as CIDR ranges", () => {
    let issues: string[] = [];
    try {
      resolveGatewayConfig({ server: { trustedProxies: ["10.0.0.1/8", "nope"] } }, { env: {} });
    } catch (error) {
      issues = (error as ConfigError).issues;
    }
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^server\.trustedProxies\[0\]: expected a CIDR range \(host bits are set/);
    expect(issues[1]).toMatch(/^server\.trustedProxies\[1\]: expected a CIDR range/);
  });

  it("is what routes and auth strategies see, over a real socket", async () => {
    const probe = definePlugin({
      name: "ip-probe",
      setup: (ctx) => ctx.routes.add({ method: "GET", path: "/ip", access: "public", handler: (event) => ({ ip: event.context.clientIp ?? null }) }),
    });
    const ask = async (trustedProxies: string[]) => {
      const gateway = await setupGateway({ server: { trustedProxies }, plugins: [probe()] });
      const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
      try {
        const res = await fetch(`${server.url.replace(/\/$/, "")}/plugins/ip-probe/ip`, { headers: { "x-forwarded-for": "6.6.6.6, 198.51.100.20" } });
        return ((await res.json()) as { ip: string | null }).ip;
      } finally {
        await server.close();
      }
    };
    expect(await ask(["127.0.0.1/32"])).toBe("198.51.100.20");
    expect(await ask([])).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
  });
});
