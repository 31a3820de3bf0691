import { createConsola, type ConsolaInstance, type ConsolaReporter, type LogObject } from "consola";
import { formatWithOptions } from "node:util";
import { redact, redactString } from "./redact.ts";

/** Minimum severity that is printed; `"silent"` prints nothing. */
export type LogLevel = "silent" | "error" | "warn" | "info" | "debug" | "trace";

/** The gateway's logger. Every argument is redacted before any output sees it. */
export interface Logger {
  /** Current level, shared by this logger and every logger derived with `withTag`. */
  level: LogLevel;
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  success(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  trace(...args: unknown[]): void;
  /** A logger whose lines carry `tag` (appended to the current tag with `:`). */
  withTag(tag: string): Logger;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Defaults to `"info"`. */
  level?: LogLevel;
  /** One JSON object per line (`time`, `level`, `tag`, `msg`, `data`) for log shipping. */
  json?: boolean;
  /** Initial tag, e.g. `"switchyard"`. */
  tag?: string;
  /** Receive each formatted line instead of writing to stdout/stderr (tests, custom sinks). */
  reporter?: (line: string) => void;
}

/** Lines collected by `captureLogs`. */
export interface LogCapture {
  /** Every line printed (or muted) since the capture started, already redacted. */
  readonly lines: string[];
  /** All lines joined with newlines. */
  text(): string;
  clear(): void;
  /** End the capture (and the muting). */
  stop(): void;
}

/**
 * Create a logger on consola. Arguments pass through `redact` inside the one reporter
 * the consola instance has, so no code path reaches an output unredacted; text output
 * gets a final `redactString` pass as well.
 *
 * @example
 * const logger = createLogger({ level: "debug" }).withTag("plugin:mistral");
 * logger.warn("upstream said", error);
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const state = { level: checkLevel(options.level ?? "info") };
  const consola = createConsola({
    level: LEVELS.trace, // the level is checked here, shared across tags
    throttle: 0, // consola's dedupe would delay and merge lines
    stdout: redactingStream(process.stdout),
    stderr: redactingStream(process.stderr),
  });
  consola.setReporters([secureReporter(consola.options.reporters, options)]);
  return wrap(options.tag ? consola.withTag(options.tag) : consola, state);
}

/**
 * Collect the lines of every logger (created before or after this call) until `stop()`.
 * With `mute` (the default) nothing reaches stdout/stderr meanwhile; loggers with their
 * own `reporter` still receive their lines. Used by tests, including the canary scan.
 */
export function captureLogs(options: { mute?: boolean } = {}): LogCapture {
  const lines: string[] = [];
  const sink: Sink = { push: (line) => lines.push(line), mute: options.mute ?? true };
  sinks.add(sink);
  return {
    lines,
    text: () => lines.join("\n"),
    clear: () => void lines.splice(0),
    stop: () => void sinks.delete(sink),
  };
}

// --- internal ---

type Method = Exclude<LogLevel, "silent"> | "success";
interface Sink {
  push(line: string): void;
  mute: boolean;
}

const LEVELS: Record<LogLevel, number> = { silent: -Infinity, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };
const METHOD_LEVEL: Record<Method, number> = { error: 0, warn: 1, info: 3, success: 3, debug: 4, trace: 5 };
const sinks = new Set<Sink>();

function checkLevel(level: LogLevel): LogLevel {
  if (!Object.hasOwn(LEVELS, level)) {
    throw new Error(`[switchyard] [logger] Unknown log level ${JSON.stringify(level)}; expected one of ${Object.keys(LEVELS).join(", ")}`);
  }
  return level;
}

function wrap(consola: ConsolaInstance, state: { level: LogLevel }): Logger {
  const method = (name: Method) =>
    function log(...args: unknown[]): void {
      // `.raw` stops consola from reading a lone object argument as its own log options.
      if (METHOD_LEVEL[name] <= LEVELS[state.level]) consola[name].raw(...args);
    };
  return {
    get level() {
      return state.level;
    },
    set level(level: LogLevel) {
      state.level = checkLevel(level);
    },
    error: method("error"),
    warn: method("warn"),
    info: method("info"),
    success: method("success"),
    debug: method("debug"),
    trace: method("trace"),
    withTag: (tag) => wrap(consola.withTag(redactString(tag)), state),
  };
}

function secureReporter(outputs: ConsolaReporter[], options: LoggerOptions): ConsolaReporter {
  return {
    log(logObj, ctx) {
      const safe = redact(logObj) as LogObject;
      const line = options.reporter || options.json || sinks.size > 0 ? formatLine(safe, options.json === true) : "";
      let muted = false;
      for (const sink of sinks) {
        sink.push(line);
        muted ||= sink.mute;
      }
      if (options.reporter) options.reporter(line);
      else if (muted) return;
      else if (options.json) process.stdout.write(`${line}\n`);
      else for (const output of outputs) output.log(safe, ctx);
    },
  };
}

function formatLine(log: LogObject, json: boolean): string {
  const type = log.type === "success" ? "info" : String(log.type);
  if (!json) {
    const text = formatWithOptions({ colors: false, depth: 6, breakLength: Infinity }, ...log.args);
    // Also catches secrets split over arguments, e.g. info("Bearer", token).
    return redactString(`[${type}]${log.tag ? ` [${log.tag}]` : ""} ${text}`);
  }
  const [first, ...rest] = log.args as unknown[];
  const msg = typeof first === "string" ? first : first instanceof Error ? first.message : undefined;
  const data = msg === undefined ? log.args : first instanceof Error ? [first, ...rest] : rest;
  const entry = {
    time: log.date.toISOString(),
    level: type,
    tag: log.tag || undefined,
    msg: msg ?? "",
    data: data.length === 0 ? undefined : data.length === 1 ? data[0] : data,
  };
  try {
    return JSON.stringify(entry, toJson);
  } catch {
    return JSON.stringify({ ...entry, data: "[unserializable]" });
  }
}

function toJson(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (typeof Headers !== "undefined" && value instanceof Headers) return Object.fromEntries(value);
  return value;
}

/** stdout/stderr as consola sees them: every chunk is redacted once more on its way out. */
function redactingStream(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === "__write") return undefined; // consola prefers it over write()
      if (prop === "write") {
        return (chunk: unknown, ...rest: never[]) =>
          target.write(typeof chunk === "string" ? redactString(chunk) : (chunk as Uint8Array), ...rest);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
