import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SNAPSHOT_PATH, type CameraModel } from "./camera-model.js";
import { HttpAuth, schemeOf } from "./http-auth.js";
import type { Misbehaviour } from "./options.js";
import type { Recorder } from "./recorder.js";
import { handleSoap } from "./soap-service.js";
import { el } from "./xml.js";

// The HTTP side of the camera: SOAP POSTs to the service paths, a snapshot JPEG, and the hostile
// replies (--misbehave soap-*) that the gateway must survive without hanging or bloating.

/** Requests larger than this are refused before parsing, as the gateway refuses large replies. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const OVERSIZED_REPLY_BYTES = 5 * 1024 * 1024;
const SLOW_BYTE_INTERVAL_MS = 2_000;
const SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8";

// 16x16 grey baseline JPEG, so a client that fetches the snapshot URI gets a real image (ffprobe: mjpeg 16x16).
const SNAPSHOT_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==",
  "base64",
);

// What an embedded web server that does not speak ONVIF answers (soap-html).
const NOT_FOUND_HTML =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n' +
  "<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n";

// "Billion laughs": ten nested entities, each ten times the previous, 10^9 "lol"s if expanded.
const ENTITY_BOMB = (() => {
  const entities = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++)
    entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? "" : i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n${entities.join("\n")}\n]>\n`;
})();

export class HttpService {
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private camera: CameraModel | undefined;
  private oversized: string | undefined;
  private snapshotAuth: HttpAuth | undefined;

  constructor(
    private readonly misbehave: Misbehaviour | undefined,
    private readonly log: (message: string) => void,
    private readonly recorder: Recorder,
  ) {
    this.server = createServer((req, res) => {
      this.onRequest(req, res);
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  /** Binds and resolves the port; replies wait for serve(). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => this.log(`http server: ${err.message}`));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  serve(camera: CameraModel): void {
    this.camera = camera;
    this.snapshotAuth = new HttpAuth(camera.options.snapshotAuth, camera.options);
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.server.close();
    this.server.closeAllConnections();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const camera = this.camera;
    const path = new URL(req.url ?? "/", "http://camera").pathname;
    if (camera === undefined) {
      res.writeHead(503).end();
      return;
    }
    if (path === SNAPSHOT_PATH && (req.method === "GET" || req.method === "HEAD")) {
      this.recorder.record({ kind: "snapshot", authorization: schemeOf(req) });
      const auth = this.snapshotAuth;
      if (auth !== undefined && !auth.allows(req)) {
        this.log(`snapshot → 401`);
        res.writeHead(401, { "WWW-Authenticate": auth.challenge(), "Content-Length": 0 }).end();
        return;
      }
      this.log(`snapshot → 200`);
      res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": SNAPSHOT_JPEG.length });
      res.end(req.method === "GET" ? SNAPSHOT_JPEG : undefined);
      return;
    }
    const { paths } = camera.style;
    const soapPaths = new Set([
      paths.device,
      paths.media,
      paths.events,
      "/onvif/device_service",
      "/onvif/media_service",
    ]);
    if (!soapPaths.has(path)) {
      res.writeHead(404, { "Content-Type": "text/html" }).end(NOT_FOUND_HTML);
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    readBody(req, MAX_REQUEST_BYTES).then(
      (body) => {
        if (body === undefined) {
          res.writeHead(413, { Connection: "close" }).end();
          return;
        }
        this.answer(camera, body, req, res);
      },
      (err: unknown) => this.log(`request body: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private answer(camera: CameraModel, body: string, req: IncomingMessage, res: ServerResponse): void {
    const outcome = handleSoap(camera, body, {
      emptyProfiles: this.misbehave === "no-profiles",
      openDeviceInfo: camera.options.openDeviceInfo,
    });
    this.recorder.record({
      kind: "soap",
      operation: outcome.operation,
      wsSecurity: outcome.wsSecurity,
      authorization: req.headers.authorization !== undefined,
    });
    const auth = outcome.authFailure === undefined ? "" : ` (not authorized: ${outcome.authFailure})`;
    this.log(`${outcome.operation ?? "unparsable request"} → ${outcome.status}${auth}`);
    switch (this.misbehave) {
      case undefined:
      case "no-profiles":
      case "discovery-garbage":
      case "discovery-oversized":
        res.writeHead(outcome.status, { "Content-Type": SOAP_CONTENT_TYPE }).end(outcome.body);
        return;
      case "soap-malformed":
        // A valid start and a Body closed by the wrong end tag.
        res
          .writeHead(200, { "Content-Type": SOAP_CONTENT_TYPE })
          .end(outcome.body.replace(/<\/(\w+:)?Body>/, "</$1Bodie>"));
        return;
      case "soap-truncated": {
        const full = Buffer.from(outcome.body);
        // Cut inside an element name, a little past the middle, and hang up.
        const cut = full.indexOf("<", Math.floor(full.length / 2)) + 3;
        res.writeHead(200, { "Content-Type": SOAP_CONTENT_TYPE, "Content-Length": full.length });
        res.write(full.subarray(0, cut), () => res.destroy());
        return;
      }
      case "soap-oversized":
        this.oversized ??= camera.style.envelope(
          el("tds:GetDeviceInformationResponse", [el("tds:Manufacturer", "A".repeat(OVERSIZED_REPLY_BYTES))]),
        );
        res.writeHead(200, { "Content-Type": SOAP_CONTENT_TYPE }).end(this.oversized);
        return;
      case "soap-slow":
        this.dribble(Buffer.from(outcome.body), res);
        return;
      case "soap-doctype": {
        const reply = camera.style.envelope(
          el("tds:GetDeviceInformationResponse", [el("tds:Manufacturer", "LAUGHS")]),
        );
        const bomb = ENTITY_BOMB + reply.replace(/^<\?xml[^>]*\?>\n?/, "").replace("LAUGHS", "&lol9;");
        res.writeHead(200, { "Content-Type": SOAP_CONTENT_TYPE }).end(bomb);
        return;
      }
      case "soap-html":
        res.writeHead(404, { "Content-Type": "text/html" }).end(NOT_FOUND_HTML);
        return;
    }
  }

  /** Headers at once, then one byte every few seconds, never the end (soap-slow). */
  private dribble(body: Buffer, res: ServerResponse): void {
    res.writeHead(200, { "Content-Type": SOAP_CONTENT_TYPE });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < body.length - 1) res.write(body.subarray(sent, ++sent));
    }, SLOW_BYTE_INTERVAL_MS);
    this.timers.add(timer);
    res.on("close", () => {
      clearInterval(timer);
      this.timers.delete(timer);
    });
  }
}

/** The whole body as text, or undefined (and the connection closed) once it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}
