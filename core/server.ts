import type { Server } from "node:http";
import { toNodeHandler } from "h3";
import { listen } from "listhen";
import type { Gateway } from "./gateway.ts";

/** Where and how to listen. */
export interface StartServerOptions {
  host: string;
  /** 0 picks a free port. A busy port is an error, never silently replaced. */
  port: number;
  /** Print the URL (the CLI does; tests do not). */
  showURL?: boolean;
}

/** A listening gateway. */
export interface RunningServer {
  url: string;
  server: Server;
  /** Stop accepting, finish in-flight requests, then close the gateway. */
  close(): Promise<void>;
}

/** Serve a gateway over HTTP with listhen. */
export async function startServer(gateway: Gateway, options: StartServerOptions): Promise<RunningServer> {
  const anyHost = options.host === "0.0.0.0" || options.host === "::";
  const listener = await listen(toNodeHandler(gateway.app), {
    hostname: options.host,
    // No alternative range and no random fallback: a busy port must fail loudly.
    port: options.port === 0 ? { random: true } : { port: options.port, random: false, alternativePortRange: [] as unknown as [number, number] },
    public: anyHost,
    showURL: options.showURL ?? false,
    autoClose: false,
    open: false,
    clipboard: false,
    qr: false,
    tunnel: false,
  });
  const server = listener.server as Server;
  // Slow clients must not pin sockets forever (slowloris); values match Node's own defaults
  // where they exist and are set explicitly so an upgrade cannot loosen them.
  server.headersTimeout = 60_000;
  server.requestTimeout = 300_000;
  server.keepAliveTimeout = 5_000;
  return {
    url: listener.url,
    server,
    async close() {
      // New connections stop now; open ones (streams too) get until the deadline, then are cut.
      const deadline = setTimeout(() => server.closeAllConnections(), gateway.config.server.shutdownTimeoutMs);
      deadline.unref();
      server.closeIdleConnections();
      await listener.close();
      clearTimeout(deadline);
      await gateway.close();
    },
  };
}
