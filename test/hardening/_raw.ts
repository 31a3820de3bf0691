import { type Socket, connect } from "node:net";

/** What came back on a raw connection: the bytes the server wrote and whether it closed. */
export interface RawExchange {
  socket: Socket;
  /** Resolves with the status line's code once the response head has arrived. */
  status: Promise<number>;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server ends or resets the connection. */
  closed: Promise<void>;
  /** Write unless the connection is gone; false once writing is refused or the server closed. */
  write(data: string | Buffer): Promise<boolean>;
}

/** Open a plain TCP connection to `url`'s host and port and send `head` (raw bytes). */
export function rawRequest(url: string, head: string): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.off("error", reject);
      let text = "";
      let gone = false;
      let onStatus: (code: number) => void = () => {};
      const status = new Promise<number>((done) => (onStatus = done));
      let onClosed: () => void = () => {};
      const closed = new Promise<void>((done) => (onClosed = done));
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        if (match) onStatus(Number(match[1]));
      });
      const finish = () => {
        gone = true;
        onClosed();
      };
      socket.on("error", finish);
      socket.on("close", finish);
      socket.on("end", finish);
      socket.write(head);
      resolve({
        socket, status, closed,
        received: () => text,
        write: (data) =>
          new Promise((done) => {
            if (gone || socket.destroyed) return done(false);
            socket.write(data, (error) => done(!error && !gone));
          }),
      });
    });
    socket.once("error", reject);
  });
}

/** The JSON body of a complete `Content-Length` (or `chunked`, single chunk) response. */
export function bodyOf(response: string): unknown {
  const [head, ...rest] = response.split("\r\n\r\n");
  let body = rest.join("\r\n\r\n");
  if (/transfer-encoding: chunked/i.test(head!)) {
    const size = Number.parseInt(body, 16);
    body = body.slice(body.indexOf("\r\n") + 2).slice(0, size);
  }
  return JSON.parse(body) as unknown;
}
