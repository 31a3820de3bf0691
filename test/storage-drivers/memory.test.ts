import { describe, expect, it } from "vitest";
import { createGatewayStorage } from "../../core/storage.ts";
import { memoryDriver } from "../../storage-drivers/memory.ts";
import { sleep, testDriver } from "../conformance/driver.ts";

describe("memory driver", () => {
  testDriver({
    name: "memory",
    create: () => createGatewayStorage({ driver: "memory" }),
    additionalTests: () => {
      it("keeps separate instances apart", async () => {
        const a = await createGatewayStorage({ driver: "memory" });
        const b = await createGatewayStorage({ driver: "memory" });
        await a.set("k", 1);
        await a.incr("c");
        expect(await b.get("k")).toBeNull();
        expect(await b.counter("c")).toBe(0);
        await Promise.all([a.dispose(), b.dispose()]);
      });

      it("dispose drops data and the sweep timer", async () => {
        const s = await createGatewayStorage({ driver: "memory" });
        await s.set("k", 1);
        await s.dispose();
        expect(await s.get("k")).toBeNull();
      });

      it("sweeps expired entries without being read", async () => {
        const driver = memoryDriver({ sweepIntervalMs: 20 });
        const data = driver.getInstance?.() as Map<string, unknown>;
        await driver.setItem?.("k", '"v"', { ttl: 0.03 });
        await driver.atomics.incr("c", 1, 30);
        expect(data.size).toBe(1);
        await sleep(120);
        expect(data.size).toBe(0);
        await driver.dispose?.();
      });
    },
  });
});
