import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { onCleanup } from "./cleanup.js";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".mp4": "video/mp4",
  ".m4s": "video/mp4",
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The integrator's web server: in-memory pages at fixed paths plus the files of one folder under `/hls/`,
 * no caching, on 127.0.0.1 only. Pages and playlist share the origin, as they would behind one nginx.
 */
export async function startStaticServer(opts: {
  dir: string;
  assets: Record<string, { type: string; body: string }>;
}): Promise<StaticServer> {
  const root = normalize(opts.dir) + sep;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-cache" });
      res.end(body);
    };
    const asset = opts.assets[path];
    if (asset) {
      send(200, asset.type, asset.body);
      return;
    }
    if (!path.startsWith("/hls/")) {
      send(404, "text/plain", "not found\n");
      return;
    }
    const file = normalize(join(root, decodeURIComponent(path.slice("/hls/".length))));
    if (!file.startsWith(root)) {
      send(403, "text/plain", "forbidden\n");
      return;
    }
    readFile(file).then(
      (data) => send(200, types[extname(file)] ?? "application/octet-stream", data),
      () => send(404, "text/plain", "not found\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  const unregister = onCleanup("static server", close);
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () => {
      unregister();
      return close();
    },
  };
}
