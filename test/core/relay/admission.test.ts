import { afterEach, describe, expect, it } from "vitest";
import { HTTPError } from "h3";
import { GatewayDefaults, createGatewayStorage, type GatewayStorage, type Principal } from "../../../core/index.ts";
import { admit } from "../../../core/relay/admission.ts";
import { tpmCounterKey } from "../../../core/relay/usage.ts";

const relay = GatewayDefaults.relay;
const principal = (limits: Principal["limits"]): Principal => ({ kind: "client", id: `key_${Math.random().toString(36).slice(2)}`, strategy: "test", limits });

describe("admit", () => {
  const stores: GatewayStorage[] = [];
  afterEach(async () => Promise.all(stores.splice(0).map((s) => s.dispose())));
  const store = async () => {
    const s = await createGatewayStorage({ driver: "memory" });
    stores.push(s);
    return s;
  };
  const refusal = async (p: Promise<unknown>) => {
    const error = await p.then(() => undefined, (e: unknown) => e);
    expect(HTTPError.isError(error)).toBe(true);
    return error as HTTPError;
  };

  it("holds at most `concurrency` slots and frees one on release", async () => {
    const s = await store();
    const p = principal({ concurrency: 2 });
    const a = await admit(s, p, relay);
    const b = await admit(s, p, relay);
    const third = await refusal(admit(s, p, relay));
    expect(third.status).toBe(429);
    expect(third.message).toContain("concurrent requests (2)");
    expect(third.headers?.get("retry-after")).toBe("1");
    await a.release();
    const c = await admit(s, p, relay);
    await Promise.all([b.release(), c.release()]);
  });

  it("reclaims a slot whose holder vanished once its lease ends", async () => {
    const s = await store();
    const p = principal({ concurrency: 1 });
    // A crashed instance: it took the only slot and never renews nor releases it.
    expect(await s.acquire(`relay:slot:${p.id}:0`, 1000)).not.toBeNull();
    expect((await refusal(admit(s, p, relay))).status).toBe(429);
    await new Promise((r) => setTimeout(r, 1100));
    await (await admit(s, p, relay)).release();
  });

  it("keeps a running request's slot past one lease by renewing it", async () => {
    const s = await store();
    const p = principal({ concurrency: 1 });
    const held = await admit(s, p, { ...relay, slotLeaseMs: 1000 });
    await new Promise((r) => setTimeout(r, 1600));
    expect((await refusal(admit(s, p, relay))).status).toBe(429);
    await held.release();
    await (await admit(s, p, relay)).release();
  });

  it("gives back the slot it took when another limit refuses the request", async () => {
    const s = await store();
    const p = principal({ rpm: 1, concurrency: 1 });
    const now = Date.parse("2026-11-22T12:00:10Z");
    await (await admit(s, p, relay, now)).release();
    const refused = await refusal(admit(s, p, relay, now));
    expect(refused.message).toContain("requests per minute (1)"); // rpm is named, not concurrency
    expect(await s.acquire(`relay:slot:${p.id}:0`, 1000)).not.toBeNull(); // the slot is free again
  });

  it("counts requests per minute in a fixed window and names the limit", async () => {
    const s = await store();
    const p = principal({ rpm: 3 });
    const now = Date.parse("2026-11-22T12:00:10Z");
    for (let i = 0; i < 3; i++) await admit(s, p, relay, now);
    const refused = await refusal(admit(s, p, relay, now));
    expect(refused.message).toContain("requests per minute (3)");
    expect(refused.headers?.get("retry-after")).toBe("50");
    await admit(s, p, relay, now + 60_000); // next window
  });

  it("refuses once the minute's tokens or the day's spend reached the limit", async () => {
    const s = await store();
    const now = Date.parse("2026-11-22T12:00:00Z");
    const p = principal({ tpm: 100, dailyUsd: 1 });
    await admit(s, p, relay, now);
    await s.incr(tpmCounterKey(p.id, Math.floor(now / 60_000)), 100, 60_000);
    expect((await refusal(admit(s, p, relay, now))).message).toContain("tokens per minute (100)");
    const q = principal({ dailyUsd: 1 });
    await s.incr(`usage:key:${q.id}:day:2026-11-22:costMicros`, 1_000_000);
    const daily = await refusal(admit(s, q, relay, now));
    expect(daily.message).toContain("daily budget ($1)");
    expect(daily.headers?.get("retry-after")).toBe(String(12 * 3600));
  });
});
