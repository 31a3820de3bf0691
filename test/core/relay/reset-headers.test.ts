import { describe, expect, it } from "vitest";
import { readResetMs } from "../../../core/relay/reset-headers.ts";

const now = Date.parse("2026-11-22T12:00:00Z");
const h = (init: Record<string, string>) => new Headers(init);

describe("readResetMs", () => {
  it("reads retry-after seconds, retry-after-ms and an HTTP date", () => {
    expect(readResetMs(h({ "retry-after": "7" }), now)).toBe(7000);
    expect(readResetMs(h({ "retry-after-ms": "1500" }), now)).toBe(1500);
    expect(readResetMs(h({ "retry-after": "Sun, 22 Nov 2026 12:00:30 GMT" }), now)).toBe(30_000);
  });

  it("reads Anthropic RFC 3339 and unified epoch-second resets, taking the latest", () => {
    expect(readResetMs(h({ "anthropic-ratelimit-requests-reset": "2026-11-22T12:00:20Z" }), now)).toBe(20_000);
    expect(readResetMs(h({ "anthropic-ratelimit-unified-5h-reset": String(now / 1000 + 3600) }), now)).toBe(3_600_000);
    expect(
      readResetMs(h({ "anthropic-ratelimit-requests-reset": "2026-11-22T12:00:20Z", "anthropic-ratelimit-tokens-reset": "2026-11-22T12:01:00Z", "retry-after": "5" }), now),
    ).toBe(60_000);
  });

  it("reads OpenAI durations", () => {
    expect(readResetMs(h({ "x-ratelimit-reset-requests": "6s" }), now)).toBe(6000);
    expect(readResetMs(h({ "x-ratelimit-reset-tokens": "1m30s" }), now)).toBe(90_000);
    expect(readResetMs(h({ "x-ratelimit-reset-requests": "120ms" }), now)).toBe(120);
  });

  it("ignores garbage, past and absurd values", () => {
    expect(readResetMs(h({}), now)).toBeUndefined();
    expect(readResetMs(h({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(readResetMs(h({ "anthropic-ratelimit-requests-reset": "2020-01-01T00:00:00Z" }), now)).toBeUndefined();
    expect(readResetMs(h({ "retry-after": "99999999" }), now)).toBeUndefined();
  });
});
