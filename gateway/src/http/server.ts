import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import type { Express } from "express";
import type { Logger } from "../log/logger.js";
import { rejectUpgrade, type UpgradeHandler } from "../net/http-upgrade.js";

/** The main listener: plain HTTP, or HTTPS (HTTP/1.1) when the gateway holds a certificate. */
export type Server = HttpServer | HttpsServer;

/**
 * Starts listening; resolves with the bound address (port 0 picks a free port, as tests do). `front` answers
 * the requests it owns (media) before express sees them. With `tls`, the same handlers are served over HTTPS
 * (HTTP/1.1: HTTP/2 for iPhones' LL-HLS is the hub's nginx's job); setSecureContext swaps a renewed pair.
 */
export async function listen(
  app: Express,
  host: string,
  port: number,
  front: (req: IncomingMessage, res: ServerResponse) => boolean = () => false,
  tls?: { cert: Buffer; key: Buffer },
): Promise<{ server: Server; address: AddressInfo }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!front(req, res)) app(req, res);
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
    : createServer(handler);
  await bind(server, host, port);
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return { server, address: server.address() as AddressInfo };
}

async function bind(server: Server, host: string, port: number): Promise<void> {
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
}

const acmeChallenge = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]{1,256})$/;

/**
 * A plain HTTP listener that sends every request, /healthz included, to the same path over https (308 keeps
 * the method and body). Health is not answered here: a monitor that checks plain HTTP would see a healthy
 * gateway while its certificate has expired. The target is `publicUrl`'s origin when it is https, else the
 * request's own host name with the HTTPS port. With `acmeWebroot`, certbot's HTTP-01 challenge files are
 * answered from it (`certbot --webroot -w <acmeWebroot>`), so renewal needs port 80 without stopping the
 * gateway; only a token-shaped name is looked up, so nothing else in the folder or outside it is served.
 */
export async function listenRedirect(
  host: string,
  port: number,
  target: { origin?: string; httpsPort: number; acmeWebroot?: string },
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    const path = req.url?.startsWith("/") === true ? req.url : "/";
    const token = acmeChallenge.exec(path)?.[1];
    if (token !== undefined && target.acmeWebroot !== undefined && req.method === "GET") {
      readFile(join(target.acmeWebroot, ".well-known", "acme-challenge", token)).then(
        (body) => {
          res.writeHead(200, { "content-type": "text/plain" }).end(body);
        },
        () => {
          res.writeHead(404, { "content-type": "text/plain" }).end("no such challenge\n");
        },
      );
      return;
    }
    let origin = target.origin;
    if (origin === undefined) {
      let name = "localhost";
      try {
        name = new URL(`http://${req.headers.host ?? "localhost"}`).hostname;
      } catch {
        // a malformed Host header: the redirect names localhost rather than echoing it
      }
      origin = `https://${name}${target.httpsPort === 443 ? "" : `:${String(target.httpsPort)}`}`;
    }
    res.writeHead(308, { location: origin + path, "content-type": "text/plain; charset=utf-8" });
    res.end(`HTTPS only: ${origin}${path}\n`);
  });
  await bind(server, host, port);
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
