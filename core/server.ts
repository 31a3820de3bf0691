import type { IncomingMessage, Server, ServerResponse } from "node:http";
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
  const listener = await listen(guardRequests(toNodeHandler(gateway.app)), {
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
  // Header limits (J3): Node answers a head over `maxHeaderSize` with 431 itself; past
  // `maxHeadersCount` it only drops the extra lines, so guardRequests refuses those.
  // (Node reads `server.maxHeaderSize` for each new connection; @types/node only types the option.)
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_BYTES;
  server.maxHeadersCount = MAX_HEADER_LINES;
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

// --- internal ---

/** The whole request head (request line and headers), as nginx's default large buffers. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Header lines per request; real clients and SDKs send about 20. */
const MAX_HEADER_LINES = 100;

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Wire rules around the app: too many header lines → 431; an answer written before the
 * request body was read to its end (413 from the body cap, 401 on an upload) closes the
 * connection instead of letting Node drain a body that may never end.
 */
function guardRequests(handler: NodeHandler): NodeHandler {
  return (req, res) => {
    // rawHeaders keeps more lines than maxHeadersCount lets into req.headers.
    if (req.rawHeaders.length / 2 > MAX_HEADER_LINES) {
      res.shouldKeepAlive = false;
      res.writeHead(431, { "content-length": "0" }).end();
      return;
    }
    const socket = req.socket;
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
      if (!req.complete) this.shouldKeepAlive = false; // sends `Connection: close`, then closes
      return writeHead.apply(this, args);
    } as ServerResponse["writeHead"];
    res.once("finish", () => {
      // Cancelling the body stream (the body cap does) detaches req.socket; listhen's
      // shutdown tracker reads it on "finish" and would throw an uncaught TypeError.
      if (req.socket === null) req.socket = socket;
      if (!req.complete) socket.destroySoon();
    });
    return handler(req, res);
  };
}
