/**
 * `npm run bench`: Switchyard's relay overhead, side by side, on loopback only.
 *
 * Targets, each answering `POST /v1/messages` (Anthropic dialect, JSON and SSE):
 * the fake Anthropic upstream itself; a raw `node:http` pipe proxy; a minimal h3 + undici
 * pass-through proxy (the floor a gateway built on h3 cannot beat); the same written with web
 * APIs and undici's fetch (what the relay's I/O choice costs on its own); Switchyard's full
 * pipeline (key auth, admission with concurrency and rpm limits, scheduling, usage
 * accounting) on fs storage and on Redis storage (skipped when no Redis answers on
 * 127.0.0.1:6379). Throughput comes from autocannon (`--connections`, default 50, for
 * `--duration` seconds, default 5, after `--warmup` seconds, default 2; `--quick` is 2 s
 * after 1 s); added latency at concurrency 1 from a sequential undici loop of `--sequential`
 * requests, default 300 (JSON: the whole answer; streams: the first body byte).
 *
 * The fake upstream and every proxy run in their own processes (this file, started with
 * `--serve <role>`), so the load generator, the upstream and the proxy do not share one
 * event loop; each proxy's own CPU time per request is reported too, since on a small
 * machine req/s also depends on how the cores are shared. `--json` prints the results as
 * JSON; `--out <page.md>` rewrites the results section of a docs page; `--profile`
 * CPU-profiles the proxy processes and prints the Switchyard hot spots with file:line;
 * `--only a,b` runs some targets only (direct always runs: latency is added over it);
 * `--profile-report <dir>` prints the hot spots of a kept profile folder again.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { Session } from "node:inspector/promises";
import { createRequire, findSourceMap } from "node:module";
import { connect } from "node:net";
import os from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { H3, HTTPResponse, toNodeHandler } from "h3";
import { Agent, Client, Pool, fetch as undiciFetch } from "undici";
import { createGateway, createLogger, resolveGatewayConfig, startServer } from "../core/index.ts";
import apiKey, { type ApiKeyStrategy } from "../plugins/auth/api-key/index.ts";
import anthropicApi from "../plugins/providers/anthropic-api/index.ts";
import type { RecordedRequest } from "../test/fixtures/upstreams/_server.ts";
import { startFakeAnthropic } from "../test/fixtures/upstreams/anthropic.ts";

/** One throughput measurement. */
export interface ThroughputRow {
  target: TargetName;
  mode: Mode;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** req/s divided by the h3 + undici floor's req/s in the same mode. */
  ratioToFloor: number | undefined;
  /** Non-2xx answers, errors and timeouts; anything above 0 makes the row suspect. */
  failures: number;
  /**
   * CPU time (user + system) the proxy process spent per request in the measured window, µs;
   * undefined for `direct`. Unlike req/s it does not depend on how the cores are shared.
   */
  proxyCpuUs: number | undefined;
  /** The same for the fake upstream process. */
  upstreamCpuUs: number;
}

/** Sequential (concurrency 1) latency of one target. */
export interface LatencyRow {
  target: TargetName;
  /** Median time to the whole JSON answer, ms. */
  jsonP50Ms: number;
  /** Median time to the first body byte of a stream, ms. */
  ttfbP50Ms: number;
  /** The same minus the direct-to-upstream value. */
  addedJsonP50Ms: number | undefined;
  addedTtfbP50Ms: number | undefined;
}

/** Everything one run measured. */
export interface BenchReport {
  date: string;
  /** Short commit of the code measured (`-dirty` when core, plugins, drivers or the fakes have local changes). */
  commit: string;
  machine: { cpu: string; cores: number; node: string; os: string };
  options: { durationS: number; warmupS: number; connections: number; sequential: number };
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  skipped: Array<{ target: TargetName; reason: string }>;
  verdicts: Array<{ goal: string; value: string; met: boolean }>;
}

type Mode = "json" | "stream";
type TargetName = (typeof TARGETS)[number];
const TARGETS = ["direct", "node-http pipe", "h3+undici", "h3+fetch", "switchyard fs", "switchyard redis"] as const;
const FLOOR: TargetName = "h3+undici";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const UPSTREAM_KEY = "bench-anthropic-upstream-key-0001";
const MODEL = "claude-haiku-4-5";
const REDIS_URL = "redis://127.0.0.1:6379";
const MARK_START = "<!-- bench:results:start -->";
const MARK_END = "<!-- bench:results:end -->";
const BODIES: Record<Mode, string> = {
  json: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "Hello, benchmark" }] }),
  stream: JSON.stringify({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: "user", content: "Hello, benchmark" }] }),
};

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string; method: "POST"; connections: number; duration: number; headers: Record<string, string>; body: string;
}) => PromiseLike<AutocannonResult>;
// autocannon ships no types; this is the slice of its programmatic API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

// Frames of the gateway itself in a profile (the bench's own proxies live in scripts/).
const OURS = / (core|plugins|storage-drivers)\//;

// Hop-by-hop headers describe one connection and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer", "host"]);

// Entry: a child serving one role, or the benchmark itself.
const role = argValue("--serve");
const keptProfiles = argValue("--profile-report");
if (role) await serve(role);
else if (keptProfiles) process.stdout.write(`${renderProfiles(resolve(keptProfiles))}\n`);
else {
  await main().catch((error: unknown) => {
    process.stderr.write(`\n${(error as Error).message}\n`);
    process.exit(1);
  });
}

// --- internal ---

interface Options {
  durationS: number;
  warmupS: number;
  connections: number;
  sequential: number;
  json: boolean;
  out: string | undefined;
  profile: boolean;
  only: Set<string> | undefined;
}

/** A started target: where to send requests and with which credential. */
interface Target {
  url: string;
  headers: Record<string, string>;
  /** CPU µs the proxy process has used so far; undefined for `direct`. */
  cpu(): Promise<number | undefined>;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const log = (text: string) => void (options.json ? process.stderr : process.stdout).write(text);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((error: unknown) => log(`cleanup failed: ${(error as Error).message}\n`));
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  const report: BenchReport = {
    date: new Date().toISOString(),
    commit: commitId(),
    machine: { cpu: os.cpus()[0]?.model.trim() ?? "unknown", cores: os.cpus().length, node: process.version, os: `${os.platform()} ${os.release()}` },
    options: { durationS: options.durationS, warmupS: options.warmupS, connections: options.connections, sequential: options.sequential },
    throughput: [],
    latency: [],
    skipped: [],
    verdicts: [],
  };
  const profileDir = join(root, "test/.tmp", `bench-prof-${randomBytes(4).toString("hex")}`);
  try {
    log(`switchyard bench: ${report.machine.cpu} × ${report.machine.cores}, Node ${report.machine.node}; ` +
      `${options.connections} connections × ${options.durationS} s per scenario\n`);
    const upstream = await startChild(["--serve", "upstream"]);
    cleanups.push(upstream.stop);
    const redisUp = await redisReachable();
    const selected = TARGETS.filter((t) => !options.only || options.only.has(t) || t === "direct");
    const total = selected.length * 2;
    let n = 0;
    for (const name of selected) {
      if (name === "switchyard redis" && !redisUp) {
        report.skipped.push({ target: name, reason: `no Redis answered at ${REDIS_URL}` });
        log(`  skipped ${name}: no Redis answered at ${REDIS_URL}\n`);
        n += 2;
        continue;
      }
      const target = await startTarget(name, upstream.url, options, profileDir, cleanups);
      // On Ctrl-C the target stops before its storage is removed (cleanups run in reverse).
      cleanups.push(target.stop);
      try {
        for (const mode of ["json", "stream"] as const) {
          log(`  [${++n}/${total}] ${name.padEnd(17)} ${mode.padEnd(6)} `);
          const row = await loadTest(target, upstream, name, mode, options);
          report.throughput.push(row);
          log(`${fmt(row.reqPerSec, 0).padStart(7)} req/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  proxy CPU ${fmt(row.proxyCpuUs, 0)} µs/req${row.failures ? `  (${row.failures} failed!)` : ""}\n`);
        }
        const json = await sequential(target, "json", options.sequential);
        const ttfb = await sequential(target, "stream", options.sequential);
        report.latency.push({ target: name, jsonP50Ms: json, ttfbP50Ms: ttfb, addedJsonP50Ms: undefined, addedTtfbP50Ms: undefined });
        log(`         ${name.padEnd(17)} c=1    JSON p50 ${fmt(json, 3)} ms, stream TTFB p50 ${fmt(ttfb, 3)} ms\n`);
      } finally {
        await target.stop();
      }
    }
    finishReport(report);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else log(`\n${renderText(report)}\n`);
    if (options.out) {
      writeResults(options.out, renderMarkdown(report));
      log(`wrote the results into ${options.out}\n`);
    }
  } finally {
    await cleanup();
  }
  if (options.profile) log(`\n${renderProfiles(profileDir)}\nprofiles (open in Chrome DevTools) kept in ${relative(root, profileDir)}\n`);
  // Every server is closed; exit even if a library left a timer behind.
  process.exit(0);
}

function parseOptions(): Options {
  const quick = process.argv.includes("--quick");
  const number = (name: string, fallback: number) => {
    const raw = argValue(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`[switchyard] [bench] ${name} must be a whole number >= 1, got ${raw}`);
    return value;
  };
  const only = argValue("--only")?.split(",").map((name) => name.trim());
  const unknown = only?.find((name) => !(TARGETS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new Error(`[switchyard] [bench] --only: unknown target "${unknown}" (known: ${TARGETS.join(", ")})`);
  return {
    durationS: number("--duration", quick ? 2 : 5),
    warmupS: number("--warmup", quick ? 1 : 2),
    connections: number("--connections", 50),
    sequential: number("--sequential", quick ? 150 : 300),
    json: process.argv.includes("--json"),
    out: argValue("--out"),
    profile: process.argv.includes("--profile"),
    only: only ? new Set(only) : undefined,
  };
}

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function commitId(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    // Dirty only when the measured code differs from the commit, not this script or the docs.
    const measured = ["core", "plugins", "storage-drivers", "test/fixtures/upstreams", "package-lock.json"];
    return git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--", ...measured) ? "-dirty" : "");
  } catch {
    return "unknown";
  }
}

async function startTarget(name: TargetName, upstreamUrl: string, options: Options, profileDir: string, cleanups: Array<() => Promise<void>>): Promise<Target> {
  const direct = { "x-api-key": UPSTREAM_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" };
  if (name === "direct") return { url: upstreamUrl, headers: direct, cpu: async () => undefined, stop: async () => {} };
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const profile = options.profile ? ["--profile-dir", profileDir] : [];
  if (name === "node-http pipe" || name === "h3+undici" || name === "h3+fetch") {
    const roles = { "node-http pipe": "raw", "h3+undici": "h3", "h3+fetch": "h3fetch" } as const;
    const child = await startChild(["--serve", roles[name], "--upstream", upstreamUrl, ...profile]);
    return { url: child.url, headers: direct, cpu: child.cpu, stop: child.stop };
  }
  const storage = name === "switchyard fs" ? "fs" : "redis";
  const base = storage === "fs" ? join(root, "test/.tmp", `bench-fs-${randomBytes(4).toString("hex")}`) : `switchyard-bench-${randomBytes(6).toString("hex")}`;
  cleanups.push(storage === "fs" ? async () => rmSync(base, { recursive: true, force: true }) : () => removeRedisKeys(base));
  const args = ["--serve", "switchyard", "--upstream", upstreamUrl, "--storage", storage, "--base", base, "--connections", String(options.connections), ...profile];
  const child = await startChild(args);
  const headers = { "x-api-key": child.key ?? "", "anthropic-version": "2023-06-01", "content-type": "application/json" };
  return { url: child.url, headers, cpu: child.cpu, stop: child.stop };
}

async function loadTest(target: Target, upstream: Child, name: TargetName, mode: Mode, options: Options): Promise<ThroughputRow> {
  const run = (duration: number) => autocannon({
    url: `${target.url}/v1/messages`, method: "POST", connections: options.connections, duration, headers: target.headers, body: BODIES[mode],
  });
  // JIT, connection pools and key caches warm up before the measured window.
  await run(options.warmupS);
  const [proxyBefore, upstreamBefore] = await Promise.all([target.cpu(), upstream.cpu()]);
  const result = await run(options.durationS);
  const [proxyAfter, upstreamAfter] = await Promise.all([target.cpu(), upstream.cpu()]);
  const perRequest = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined ? undefined : (after - before) / Math.max(1, result.requests.total);
  return {
    target: name, mode, reqPerSec: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    ratioToFloor: undefined, failures: result.non2xx + result.errors + result.timeouts,
    proxyCpuUs: perRequest(proxyBefore, proxyAfter), upstreamCpuUs: perRequest(upstreamBefore, upstreamAfter) ?? Number.NaN,
  };
}

/** Median ms of `count` sequential requests over one keep-alive connection (after a warm-up). */
async function sequential(target: Target, mode: Mode, count: number): Promise<number> {
  const client = new Client(target.url);
  const times: number[] = [];
  try {
    for (let i = 0; i < count + 30; i++) {
      const started = performance.now();
      const response = await client.request({ path: "/v1/messages", method: "POST", headers: target.headers, body: BODIES[mode] });
      let first: number | undefined;
      for await (const _chunk of response.body) first ??= performance.now();
      if (response.statusCode !== 200) throw new Error(`[switchyard] [bench] ${target.url} answered ${response.statusCode}`);
      const ended = mode === "json" ? performance.now() : (first ?? performance.now());
      if (i >= 30) times.push(ended - started);
    }
  } finally {
    await client.close();
  }
  return percentile(times, 50);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function finishReport(report: BenchReport): void {
  for (const row of report.throughput) {
    const floor = report.throughput.find((r) => r.target === FLOOR && r.mode === row.mode);
    row.ratioToFloor = floor ? row.reqPerSec / floor.reqPerSec : undefined;
  }
  const direct = report.latency.find((r) => r.target === "direct");
  for (const row of report.latency) {
    row.addedJsonP50Ms = direct ? row.jsonP50Ms - direct.jsonP50Ms : undefined;
    row.addedTtfbP50Ms = direct ? row.ttfbP50Ms - direct.ttfbP50Ms : undefined;
  }
  const goals: Array<[TargetName, string, number]> = [["switchyard fs", "fs", 0.8], ["switchyard redis", "Redis", 0.6]];
  for (const [target, label, min] of goals) {
    for (const mode of ["json", "stream"] as const) {
      const ratio = report.throughput.find((r) => r.target === target && r.mode === mode)?.ratioToFloor;
      if (ratio !== undefined) report.verdicts.push({ goal: `${label} ${mode} req/s ≥ ${min}× floor`, value: `${fmt(ratio, 2)}×`, met: ratio >= min });
    }
    const latency = report.latency.find((r) => r.target === target);
    if (latency?.addedJsonP50Ms !== undefined && latency.addedTtfbP50Ms !== undefined) {
      report.verdicts.push({ goal: `${label} added p50, JSON, c=1 ≤ 0.5 ms`, value: `${fmt(latency.addedJsonP50Ms, 3)} ms`, met: latency.addedJsonP50Ms <= 0.5 });
      report.verdicts.push({ goal: `${label} added TTFB, stream, c=1 ≤ 0.6 ms`, value: `${fmt(latency.addedTtfbP50Ms, 3)} ms`, met: latency.addedTtfbP50Ms <= 0.6 });
    }
  }
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? "–" : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function tables(report: BenchReport): { throughput: string[][]; latency: string[][] } {
  const throughput = [["target", "mode", "req/s", "p50 ms", "p99 ms", "× floor", "proxy CPU µs/req"]];
  for (const r of report.throughput) {
    const ratio = r.ratioToFloor === undefined ? "–" : `${fmt(r.ratioToFloor, 2)}×`;
    throughput.push([r.target, r.mode, fmt(r.reqPerSec, 0) + (r.failures ? ` (${r.failures} failed)` : ""), String(r.p50Ms), String(r.p99Ms), ratio, fmt(r.proxyCpuUs, 0)]);
  }
  const latency = [["target", "JSON p50 ms", "added", "stream TTFB p50 ms", "added"]];
  for (const r of report.latency) {
    latency.push([r.target, fmt(r.jsonP50Ms, 3), r.target === "direct" ? "–" : fmt(r.addedJsonP50Ms, 3), fmt(r.ttfbP50Ms, 3), r.target === "direct" ? "–" : fmt(r.addedTtfbP50Ms, 3)]);
  }
  return { throughput, latency };
}

function renderText(report: BenchReport): string {
  const pad = (rows: string[][], leftColumns: number) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => r.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
  };
  const { throughput, latency } = tables(report);
  const verdicts = report.verdicts.map((v) => `${v.met ? "met   " : "MISSED"}  ${v.goal}: ${v.value}`).join("\n");
  const skipped = report.skipped.map((s) => `skipped ${s.target}: ${s.reason}\n`).join("");
  return `${pad(throughput, 2)}\n\nconcurrency 1, ${report.options.sequential} sequential requests\n${pad(latency, 1)}\n\n${skipped}${verdicts}\n` +
    `${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, ${report.machine.os}; commit ${report.commit}; ${report.date}`;
}

/** The generated part of the docs page (between the markers). */
function renderMarkdown(report: BenchReport): string {
  // Names (and the mode) left, numbers right.
  const md = (rows: string[][], leftColumns: number) => {
    const [head, ...body] = rows;
    const align = head!.map((_, i) => (i < leftColumns ? "---" : "---:"));
    return [head!, align, ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
  };
  const { throughput, latency } = tables(report);
  const { machine, options } = report;
  return [
    `Measured ${report.date.replace("T", " ").slice(0, 16)} UTC at commit \`${report.commit}\` on ${machine.cpu}, ${machine.cores} cores,`,
    `Node ${machine.node}, ${machine.os}; ${options.connections} connections, ${options.durationS} s per scenario after a`,
    `${options.warmupS} s warm-up (\`npm run bench -- --out docs/guide/benchmarks.md\`).`,
    "",
    md(throughput, 2),
    "",
    `Concurrency 1 (${options.sequential} sequential requests over one keep-alive connection, medians; "added" is over direct):`,
    "",
    md(latency, 1),
    "",
    ...report.skipped.flatMap((s) => [`Skipped ${s.target}: ${s.reason}.`, ""]),
    "| goal | measured | |",
    "| --- | ---: | --- |",
    ...report.verdicts.map((v) => `| ${v.goal} | ${v.value} | ${v.met ? "met" : "**missed**"} |`),
  ].join("\n");
}

function writeResults(file: string, section: string): void {
  const path = resolve(file);
  const page = readFileSync(path, "utf8");
  const start = page.indexOf(MARK_START);
  const end = page.indexOf(MARK_END);
  if (start === -1 || end < start) throw new Error(`[switchyard] [bench] ${file} has no ${MARK_START} … ${MARK_END} section; add the two markers where the results go`);
  writeFileSync(path, `${page.slice(0, start + MARK_START.length)}\n${section}\n${page.slice(end)}`);
}

// --- internal: child processes ---

interface Child {
  url: string;
  key: string | undefined;
  /** CPU µs (user + system) the child has used so far. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

type ChildMessage = { type: "ready"; url: string; key?: string } | { type: "error"; message: string } | { type: "cpu"; micros: number };

/** Run this file with `--serve …` in its own process; resolves once it listens. */
function startChild(args: string[]): Promise<Child> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), args, { cwd: root, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // A child whose parent channel is gone is already shutting down by itself.
    if (child.connected) child.send("stop");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`[switchyard] [bench] ${args.join(" ")} did not start within 20 s`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`[switchyard] [bench] ${args.join(" ")} exited with ${code} before listening`));
    });
    child.once("message", (message: ChildMessage) => {
      clearTimeout(timer);
      if (message.type === "error") return void stop().then(() => reject(new Error(message.message)));
      if (message.type === "cpu") return;
      resolve({ url: message.url, key: message.key, stop, cpu: () => askCpu(child) });
    });
  });
}

function askCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("[switchyard] [bench] a child did not report its CPU time")), 5000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== "cpu") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message.micros);
    };
    child.on("message", onMessage);
    child.send("cpu");
  });
}

/** Child side: start the role, report where it listens, stop on request or when the parent goes. */
async function serve(name: string): Promise<void> {
  const upstream = argValue("--upstream") ?? "";
  let close: () => Promise<void> = async () => {};
  try {
    let ready: { url: string; key?: string; close(): Promise<void> };
    if (name === "upstream") ready = await serveUpstream();
    else if (name === "raw") ready = await servePipeProxy(new URL(upstream));
    else if (name === "h3") ready = await serveH3Proxy(upstream);
    else if (name === "h3fetch") ready = await serveH3FetchProxy(upstream);
    else if (name === "switchyard") ready = await serveSwitchyard(upstream);
    else throw new Error(`unknown role ${name}`);
    close = ready.close;
    const profileDir = argValue("--profile-dir");
    if (profileDir) {
      const stopProfile = await startProfile();
      const label = [name, argValue("--storage")].filter(Boolean).join("-");
      close = async () => {
        writeFileSync(join(profileDir, `${label}.cpuprofile`), JSON.stringify(await stopProfile()));
        await ready.close();
      };
    }
    process.send?.({ type: "ready", url: ready.url, ...(ready.key ? { key: ready.key } : {}) } satisfies ChildMessage);
  } catch (error) {
    process.send?.({ type: "error", message: `[switchyard] [bench] ${name} failed to start: ${(error as Error).message}` } satisfies ChildMessage);
  }
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("message", (message) => {
    if (message === "stop") shutdown();
    if (message === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: "cpu", micros: user + system } satisfies ChildMessage);
    }
  });
  process.once("disconnect", shutdown);
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

async function serveUpstream() {
  const fake = await startFakeAnthropic({ keys: [UPSTREAM_KEY] });
  // The fake records every request for tests; a bench sends hundreds of thousands.
  const forget = setInterval(() => void (fake.requests as RecordedRequest[]).splice(0), 500);
  return { url: fake.url, close: async () => (clearInterval(forget), fake.close()) };
}

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

async function servePipeProxy(upstream: URL) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: endToEnd(req.headers), agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.once("error", () => res.destroy());
      res.once("close", () => answer.destroy());
      answer.pipe(res);
    });
    out.once("error", () => res.destroy());
    req.pipe(out);
  });
  return { url: await listen(server), close: () => closeServer(server).finally(() => agent.destroy()) };
}

async function serveH3Proxy(upstream: string) {
  const pool = new Pool(upstream, { connections: 256 });
  const app = new H3();
  app.post("/v1/messages", async (event) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of event.req.headers) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    // The Node request stream itself when there is one: no body copy at all, the cheapest forward.
    const body = event.req.runtime?.node?.req ?? event.req.body;
    const answer = await pool.request({ path: "/v1/messages", method: "POST", headers, body: body as Parameters<Pool["request"]>[0]["body"] });
    // A client that leaves mid-answer destroys the body; that is no crash.
    answer.body.on("error", () => {});
    const out = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) if (typeof value === "string" && !HOP_BY_HOP.has(name)) out.set(name, value);
    // srvx pipes a Node stream body straight into the socket.
    return new HTTPResponse(answer.body as unknown as BodyInit, { status: answer.statusCode, headers: out });
  });
  const server = http.createServer(toNodeHandler(app));
  return { url: await listen(server), close: () => closeServer(server).finally(() => pool.close()) };
}

/**
 * The same pass-through written with web APIs, as the relay's I/O is: the body read with
 * `event.req.text()`, sent with undici's `fetch` (`redirect: "manual"`, as core/http-client.ts
 * does), the web `Response` body handed back. Its distance to h3+undici is the cost of that
 * choice alone, before any gateway logic.
 */
async function serveH3FetchProxy(upstream: string) {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const app = new H3();
  app.post("/v1/messages", async (event) => {
    const headers = new Headers();
    for (const [name, value] of event.req.headers) if (!HOP_BY_HOP.has(name) && name !== "content-length") headers.set(name, value);
    const body = await event.req.text();
    // Global Headers into npm undici's fetch, as the anthropic-api provider hands them over.
    const init = { method: "POST", headers, body, redirect: "manual", dispatcher } as unknown as Parameters<typeof undiciFetch>[1];
    const answer = await undiciFetch(`${upstream}/v1/messages`, init);
    const out = new Headers();
    for (const [name, value] of answer.headers) if (!HOP_BY_HOP.has(name) && name !== "content-length") out.set(name, value);
    return new Response(answer.body as ReadableStream<Uint8Array>, { status: answer.status, headers: out });
  });
  const server = http.createServer(toNodeHandler(app));
  return { url: await listen(server), close: () => closeServer(server).finally(() => dispatcher.close()) };
}

async function serveSwitchyard(upstream: string) {
  const storageName = argValue("--storage");
  const base = argValue("--base") ?? "";
  const connections = Number(argValue("--connections") ?? 50);
  const env = { SWITCHYARD_SECRET: randomBytes(32).toString("base64") };
  const config = resolveGatewayConfig(
    {
      storage: storageName === "redis" ? { driver: "redis", url: REDIS_URL, base } : { driver: "fs", base },
      providers: [anthropicApi({ keys: [UPSTREAM_KEY], baseURL: upstream, models: [MODEL] })],
      auth: [apiKey()],
      routes: [{ models: "claude-*", provider: "anthropic-api" }],
    },
    { env, rootDir: root },
  );
  // Silent: every request still in flight when autocannon stops is logged as a failed request.
  const gateway = await createGateway(config, { env, logger: createLogger({ level: "silent" }) });
  const server = await startServer(gateway, { host: "127.0.0.1", port: 0 });
  const strategy = gateway.auth.find((a) => a.name === "api-key")?.strategy as ApiKeyStrategy;
  // Limits on, so admission does its real work, and far enough away that they never answer 429.
  const { key } = await strategy.keys.create({ name: "bench", limits: { concurrency: Math.max(1000, connections * 4), rpm: 100_000_000 } });
  return { url: server.url.replace(/\/$/, ""), key, close: () => server.close() };
}

function listen(server: http.Server): Promise<string> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      done(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeAllConnections();
  return closed;
}

// --- internal: Redis ---

/** PING over a raw socket: no client library, no retries, answers within 500 ms or not at all. */
function redisReachable(): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(6379, "127.0.0.1");
    const finish = (up: boolean) => {
      socket.destroy();
      done(up);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(data.toString().startsWith("+PONG")));
  });
}

async function removeRedisKeys(base: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${base}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

// --- internal: profiles ---

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Start V8's sampling profiler in this process; the returned function stops it and gives the
 * profile with TypeScript positions: tsx runs each file as one generated line, so positions
 * are mapped back through the source maps tsx registers.
 */
async function startProfile(): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    session.disconnect();
    for (const { callFrame } of profile.nodes) {
      if (!callFrame.url.startsWith("file://")) continue;
      const entry = findSourceMap(callFrame.url)?.findEntry(callFrame.lineNumber, callFrame.columnNumber) as { originalLine?: number; originalColumn?: number } | undefined;
      if (entry?.originalLine === undefined) continue;
      callFrame.lineNumber = entry.originalLine;
      callFrame.columnNumber = entry.originalColumn ?? 0;
    }
    return profile;
  };
}

/**
 * Hot spots per profiled process, as shares of busy time: self time per function (Node and
 * dependencies included); time charged to the deepest function of this repository on the
 * stack (what a call into a library really costs); inclusive time per repository function.
 */
function renderProfiles(dir: string): string {
  const out: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const label = (id: number) => {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      const where = url.startsWith("file://") ? relative(root, fileURLToPath(url)) : url || "native";
      return `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
    };
    const self = new Map<string, number>();
    const charged = new Map<string, number>();
    const inclusive = new Map<string, number>();
    let busy = 0;
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      if (byId.get(id)!.callFrame.functionName === "(idle)") return;
      busy += ms;
      self.set(label(id), (self.get(label(id)) ?? 0) + ms);
      // Each function once per sample, however deep the recursion.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const key = label(at);
        if (OURS.test(key)) seen.add(key);
      }
      const deepest = [...seen][0] ?? "(no repository frame on the stack: h3, srvx, undici, Node on their own)";
      charged.set(deepest, (charged.get(deepest) ?? 0) + ms);
      for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    });
    const top = (map: Map<string, number>, count: number) =>
      [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, ms]) => `  ${fmt((100 * ms) / busy, 1).padStart(5)}%  ${key}`).join("\n");
    out.push(`${file}: ${fmt(busy, 0)} ms busy\nself time:\n${top(self, 25)}`);
    if (inclusive.size) {
      out.push(`charged to the deepest repository function on the stack:\n${top(charged, 30)}`);
      out.push(`inclusive time, this repository:\n${top(inclusive, 30)}`);
    }
  }
  return out.join("\n\n");
}
