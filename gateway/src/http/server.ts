import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";

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
