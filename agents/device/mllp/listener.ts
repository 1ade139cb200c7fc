import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { DEFAULT_MAX_FRAME_BYTES, frameMllp, MllpFramer } from "./framer.js";

/**
 * MLLP TCP listener (node:net). Frames are answered in order, one at a time per connection. It never
 * lets bytes crash the process: garbage is skipped, an oversized frame or an idle connection is
 * closed, a failing handler closes only that connection, and the server keeps serving.
 */

/** Turns one received message (decoded as UTF-8) into the reply to frame back (an HL7 ACK). Should not throw. */
export type MllpHandler = (message: string) => Promise<string> | string;

export interface MllpListenerOptions {
  onMessage: MllpHandler;
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** @defaultValue DEFAULT_MAX_FRAME_BYTES (1 MiB) */
  maxFrameBytes?: number;
  /** Close a connection with no traffic for this long. @defaultValue DEFAULT_MLLP_IDLE_TIMEOUT_MS */
  idleTimeoutMs?: number;
  logger?: Logger;
}

export const DEFAULT_MLLP_IDLE_TIMEOUT_MS = 5 * 60_000;

export interface MllpListener {
  readonly port: number;
  readonly host: string;
  /** Open connections right now. */
  connections(): number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startMllpListener(opts: MllpListenerOptions): Promise<MllpListener> {
  const {
    onMessage,
    port = 0,
    host = "127.0.0.1",
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    idleTimeoutMs = DEFAULT_MLLP_IDLE_TIMEOUT_MS,
    logger,
  } = opts;
  const log = logger?.child({ component: "mllp" });
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const framer = new MllpFramer(maxFrameBytes);
    let queue: Promise<void> = Promise.resolve();
    socket.setTimeout(idleTimeoutMs);
    socket.on("timeout", () => {
      log?.debug({ remote: socket.remoteAddress }, "mllp connection idle, closing");
      socket.destroy();
    });
    socket.on("error", (err) => log?.debug({ err }, "mllp socket error"));
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      for (const ev of framer.push(chunk)) {
        if (ev.kind === "oversized") {
          log?.warn({ bytes: ev.bytes, maxFrameBytes }, "mllp frame too large, closing connection");
          socket.destroy();
          return;
        }
        if (ev.kind === "garbage" || ev.kind === "malformed") {
          log?.debug({ event: ev }, "mllp bytes skipped");
          continue;
        }
        const text = ev.payload.toString("utf8");
        queue = queue.then(async () => {
          if (socket.destroyed) return;
          try {
            const reply = await onMessage(text);
            if (!socket.destroyed) socket.write(frameMllp(reply));
          } catch (err) {
            log?.error({ err }, "mllp handler failed, closing connection");
            socket.destroy();
          }
        });
      }
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  server.on("error", (err) => log?.error({ err }, "mllp server error"));
  const address = server.address() as AddressInfo;
  log?.info({ host, port: address.port }, "mllp listener started");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolveClose) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolveClose());
    });
    return closing;
  };
  return {
    port: address.port,
    host,
    connections: () => sockets.size,
    close,
    [Symbol.asyncDispose]: close,
  };
}
