// Prometheus metrics of one instance (scrape every instance): relay requests, tokens and cost
// by provider and model, latency and time-to-first-byte histograms, upstream errors, HTTP
// answers by route group, open streams, and accounts by status read at scrape time.
import type { AdminAccount } from "./admin/accounts.ts";
import type { UsageRecord } from "./relay/usage.ts";
import type { ResponseInfo } from "./types/hooks.ts";

export interface Metrics {
  usage(entry: UsageRecord): void;
  http(info: ResponseInfo): void;
  upstream(provider: string, status: number): void;
  streamOpened(): void;
  streamClosed(): void;
  /** Streams being relayed now on this instance. */
  openStreams(): number;
  /** The exposition text; `accounts` are read by the caller at scrape time. */
  render(accounts: AdminAccount[]): string;
}

export function createMetrics(): Metrics {
  const counters = new Map<string, Map<string, number>>();
  const histograms = new Map<string, Map<string, number[]>>();
  let openStreams = 0;

  const add = (name: string, labels: Record<string, string>, by = 1) => {
    if (by === 0) return;
    const series = counters.get(name) ?? new Map<string, number>();
    counters.set(name, series);
    const key = seriesKey(series, labels);
    series.set(key, (series.get(key) ?? 0) + by);
  };
  const observe = (name: string, labels: Record<string, string>, seconds: number) => {
    const series = histograms.get(name) ?? new Map<string, number[]>();
    histograms.set(name, series);
    const key = seriesKey(series, labels);
    const cells = series.get(key) ?? new Array<number>(BUCKETS.length + 2).fill(0); // buckets…, +Inf count, sum
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) cells[i]!++;
    cells[BUCKETS.length]!++;
    cells[BUCKETS.length + 1]! += seconds;
    series.set(key, cells);
  };

  return {
    usage(entry) {
      const labels = { provider: entry.provider, model: entry.model };
      add("switchyard_relay_requests_total", { ...labels, status: entry.status });
      add("switchyard_tokens_total", { ...labels, type: "input" }, entry.inputTokens);
      add("switchyard_tokens_total", { ...labels, type: "output" }, entry.outputTokens);
      add("switchyard_tokens_total", { ...labels, type: "cache_write" }, entry.cacheWriteTokens);
      add("switchyard_tokens_total", { ...labels, type: "cache_read" }, entry.cacheReadTokens);
      add("switchyard_cost_usd_total", labels, entry.costMicros / 1e6);
      observe("switchyard_relay_duration_seconds", { provider: entry.provider }, entry.latencyMs / 1000);
      if (entry.ttfbMs !== undefined) observe("switchyard_relay_ttfb_seconds", { provider: entry.provider }, entry.ttfbMs / 1000);
    },
    http(info) {
      add("switchyard_http_responses_total", { route: routeGroup(info.path), method: info.method, status: String(info.status) });
    },
    upstream(provider, status) {
      if (status >= 400) add("switchyard_upstream_errors_total", { provider, status: String(status) });
    },
    streamOpened: () => void openStreams++,
    streamClosed: () => void (openStreams = Math.max(0, openStreams - 1)),
    openStreams: () => openStreams,
    render(accounts) {
      const out: string[] = [];
      for (const [name, series] of counters) {
        out.push(`# HELP ${name} ${HELP[name] ?? name}`, `# TYPE ${name} counter`);
        for (const [key, value] of series) out.push(`${name}${key} ${format(value)}`);
      }
      for (const [name, series] of histograms) {
        out.push(`# HELP ${name} ${HELP[name] ?? name}`, `# TYPE ${name} histogram`);
        for (const [key, cells] of series) {
          const inner = key.slice(1, -1);
          BUCKETS.forEach((le, i) => out.push(`${name}_bucket{${inner ? `${inner},` : ""}le="${le}"} ${cells[i]}`));
          out.push(`${name}_bucket{${inner ? `${inner},` : ""}le="+Inf"} ${cells[BUCKETS.length]}`);
          out.push(`${name}_sum${key} ${format(cells[BUCKETS.length + 1]!)}`, `${name}_count${key} ${cells[BUCKETS.length]}`);
        }
      }
      out.push("# HELP switchyard_open_streams Streams being relayed now", "# TYPE switchyard_open_streams gauge", `switchyard_open_streams ${openStreams}`);
      const byStatus = new Map<string, number>();
      for (const a of accounts) {
        const key = labelKey({ provider: a.provider, status: a.status });
        byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
      }
      out.push("# HELP switchyard_accounts Upstream accounts by provider and status", "# TYPE switchyard_accounts gauge");
      for (const [key, count] of byStatus) out.push(`switchyard_accounts${key} ${count}`);
      return `${out.join("\n")}\n`;
    },
  };
}

// --- internal ---

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// Label values come partly from clients (model ids): past this many series a metric folds new ones.
const MAX_SERIES = 2000;
const RELAY_PATHS = new Set(["/v1/messages", "/v1/messages/count_tokens", "/v1/chat/completions", "/v1/responses", "/v1/models", "/v1/usage", "/v1/key-info"]);
const HELP: Record<string, string> = {
  switchyard_relay_requests_total: "Relayed requests by provider, model and outcome",
  switchyard_tokens_total: "Tokens by provider, model and type",
  switchyard_cost_usd_total: "Cost in USD by provider and model",
  switchyard_relay_duration_seconds: "Relayed request duration",
  switchyard_relay_ttfb_seconds: "Time to the first byte of a relayed answer",
  switchyard_http_responses_total: "HTTP answers by route group, method and status",
  switchyard_upstream_errors_total: "Upstream error answers by provider and status",
};

function routeGroup(path: string): string {
  if (RELAY_PATHS.has(path)) return path;
  const group = /^\/(admin|auth|console|portal)(\/|$)/.exec(path)?.[1] ?? /^\/plugins\/([a-z0-9-]+)/.exec(path)?.[0];
  return group ? (group.startsWith("/") ? group : `/${group}`) : path === "/health" || path === "/ready" || path === "/metrics" ? path : "other";
}

// An existing series keeps its labels; a new one past the cap is folded into `other`.
function seriesKey(series: Map<string, unknown>, labels: Record<string, string>): string {
  const key = labelKey(labels);
  if (series.has(key) || series.size < MAX_SERIES) return key;
  return labelKey(Object.fromEntries(Object.keys(labels).map((k) => [k, "other"])));
}

function labelKey(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, "");
}
