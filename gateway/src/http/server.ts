import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Express } from "express";
import type { Logger } from "../log/logger.js";
import { rejectUpgrade, type UpgradeHandler } from "../net/http-upgrade.js";

/**
 * Starts listening; resolves with the bound address (port 0 picks a free port, as tests do). `front` answers
 * the requests it owns (media) before express sees them.
 */
export async function listen(
  app: Express,
  host: string,
  port: number,
  front: (req: IncomingMessage, res: ServerResponse) => boolean = () => false,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    if (!front(req, res)) app(req, res);
  });
  // Blocking playlist reloads hold requests for seconds; keep-alive lets players reuse connections.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return { server, address: server.address() as AddressInfo };
}

/** Stops accepting, ends idle keep-alive connections, and resolves when the server has closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

/** One WebSocket path family the gateway serves, by path prefix (e.g. `/live/`). */
export interface UpgradeRoute {
  prefix: string;
  handle: UpgradeHandler;
}

/**
 * The one `upgrade` listener: each upgrade goes to the route whose prefix its path starts with (first match);
 * any other path is answered 404 and closed at once. Node hands every upgrade to this listener, and one
 * left unanswered would hold its socket open forever.
 */
export function routeUpgrades(server: Server, routes: readonly UpgradeRoute[], log: Logger): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", (err) => {
      log.debug({ err }, "upgrade socket error");
    });
    const path = (req.url ?? "").split("?")[0] ?? "";
    const route = routes.find((r) => path.startsWith(r.prefix));
    if (route) route.handle(req, socket, head);
    else rejectUpgrade(socket, 404, "not_found", "no WebSocket is served at this path");
  });
}
