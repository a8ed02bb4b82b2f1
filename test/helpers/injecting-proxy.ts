import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";

/** The path the proxy serves the injected script at, on the page's own origin. */
export const injectedScriptPath = "/__test/before-page.js";

/** What went through the proxy: every HTTP request and every WebSocket upgrade, by path. */
export interface SeenRequest {
  method: string;
  path: string;
  upgrade: boolean;
}

export interface InjectingProxy {
  /** The origin the browser opens instead of the gateway's. */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of a gateway that makes a script run before any of a page's own scripts, for
 * browsers whose driver has no init-script hook (WebKitGTK's WebDriver, see webkit.ts). Every HTML answer
 * gets `<script src="/__test/before-page.js">` as the first element of its head: a classic script there
 * runs while the parser waits, before the page's module script (which is deferred). It is an external
 * same-origin file because the gateway's CSP (script-src 'self', no inline script) stays as it is: the
 * headers pass through untouched. WebSocket upgrades are piped through as bytes, so the page's socket
 * goes through the proxy too and is seen. The browser sees the proxy's origin and the gateway sees the
 * proxy's Host header, so same-origin checks hold.
 */
export async function startInjectingProxy(target: string, script: string): Promise<InjectingProxy> {
  const to = new URL(target);
  const seen: SeenRequest[] = [];
  const tag = `<script src="${injectedScriptPath}"></script>`;
  // Upgraded sockets leave the HTTP server's bookkeeping: closed here on close().
  const piped = new Set<{ destroy(): void }>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ method: req.method ?? "GET", path, upgrade: false });
    if (path === injectedScriptPath) {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" });
      res.end(script);
      return;
    }
    // No compressed answers: the HTML must be readable to be changed.
    const headers = { ...req.headers, "accept-encoding": "identity" };
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path, headers },
      (up: IncomingMessage) => {
        const type = up.headers["content-type"] ?? "";
        if (!type.startsWith("text/html")) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => {
          const html = Buffer.concat(chunks).toString("utf8");
          const body = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (m) => m + tag) : tag + html;
          const out = { ...up.headers, "content-length": String(Buffer.byteLength(body)) };
          delete out["transfer-encoding"];
          res.writeHead(up.statusCode ?? 502, out);
          res.end(body);
        });
      },
    );
    upstream.on("error", (err) => {
      res.destroy(err);
    });
    req.pipe(upstream);
  });
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    seen.push({ method: req.method ?? "GET", path: req.url ?? "/", upgrade: true });
    const up = connect(Number(to.port), to.hostname, () => {
      const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i] ?? ""}: ${req.rawHeaders[i + 1] ?? ""}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    // Low latency both ways: the fragments are small and must not wait for Nagle.
    up.setNoDelay(true);
    piped.add(up);
    const end = () => {
      piped.delete(up);
      up.destroy();
      socket.destroy();
    };
    up.on("error", end);
    socket.on("error", end);
    up.on("close", end);
    socket.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of piped) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
