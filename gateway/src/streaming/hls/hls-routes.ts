import type { IncomingMessage, ServerResponse } from "node:http";
import type { Allowed, MediaAccess } from "../../access/media-access.js";
import type { ClientInfo } from "../../access/viewing-tracker.js";
import { renditionsOf, type RenditionName } from "../../cameras/camera.js";
import type { Config } from "../../config/config.schema.js";
import { errorBody } from "../../common/errors.js";
import type { Logger } from "../../log/logger.js";
import type { Rendition } from "../rendition.js";
import type { StreamManager } from "../stream-manager.js";
import { mediaView, partTarget, targetDuration, variantView } from "./hls-view.js";
import { partWaitMs, playlistRequest, renditionReports } from "./llhls-request.js";
import { writeMasterPlaylist, writeMediaPlaylist } from "./playlist-writer.js";

/** Answers a request it owns and returns true; returns false for any other path. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const playlistType = "application/vnd.apple.mpegurl";
const fallbackBandwidth: Record<RenditionName, number> = { main: 2_000_000, sub: 500_000 };
const initFile = /^(\d{1,9})\.mp4$/;
const partFile = /^(\d{1,12})\.m4s$/;
const segFile = /^(\d{1,9})\.m4s$/;

/** What every media answer carries instead of the page's headers (helmet runs only for the express app). */
const baseHeaders = [
  "X-Content-Type-Options",
  "nosniff",
  "Cross-Origin-Resource-Policy",
  "same-origin",
  "Referrer-Policy",
  "no-referrer",
];

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer,
  cache: string,
  extra?: Record<string, string>,
): void {
  // A flat [name, value, …] list: node writes it as is, without building and validating a header object.
  const headers = [
    ...baseHeaders,
    "Content-Type",
    type,
    "Content-Length",
    String(body.length),
    "Cache-Control",
    cache,
  ];
  if (extra) for (const [k, v] of Object.entries(extra)) headers.push(k, v);
  res.writeHead(status, headers);
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

function deny(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra?: Record<string, string>,
): void {
  const body = Buffer.from(JSON.stringify(errorBody(code, message)));
  send(req, res, status, "application/json; charset=utf-8", body, "no-store", extra);
}

/**
 * LL-HLS from memory under `/live/<streamToken>/…`. The token sits in the path, so every relative URI in
 * the playlists carries it; each request is authorized before anything is looked up.
 *
 * This is a plain node:http handler in front of express: a player makes ~10 requests a second, and the
 * router, helmet's page headers and express's response helpers cost more than the answer itself
 * (bench:auth, bench:fanout). Paths are matched as they arrive, never percent-decoded: a token is base64url
 * and a file name is digits, so `%2e%2e` and friends simply match nothing. What a request may ask for and
 * how long it may wait is decided in llhls-request.ts; this file does the I/O.
 */
export function hlsRoutes(
  streams: StreamManager,
  access: MediaAccess,
  o: Config["streaming"],
  clientOf: (req: IncomingMessage) => ClientInfo,
  log: Logger,
): RawHandler {
  // The first playlist request of a cold rendition waits for it as long as a start may take.
  const coldStartWaitMs = o.startTimeoutSeconds * 1000;

  /** Authorizes the token; answers the request itself when refused. */
  const authorize = (req: IncomingMessage, res: ServerResponse, token: string): Allowed | undefined => {
    const d = access.authorize(token);
    if (!d.ok) {
      deny(req, res, d.status, d.code, d.message);
      return undefined;
    }
    return d;
  };

  /** A request for media that exists counts as viewing (session, viewer cap). */
  const admit = (req: IncomingMessage, res: ServerResponse, d: Allowed): boolean => {
    const a = access.admit(d, clientOf(req));
    if (!a.ok) deny(req, res, a.status, a.code, a.message);
    return a.ok;
  };

  /** Authorizes, resolves the rendition and admits the viewer; answers the request itself when it cannot. */
  const resolve = (
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    name: string,
  ): { r: Rendition; d: Allowed } | undefined => {
    const d = authorize(req, res, token);
    if (!d) return undefined;
    const r = name === "main" || name === "sub" ? streams.get(d.camera.id, name) : undefined;
    if (!r) {
      deny(req, res, 404, "not_found", "no such rendition");
      return undefined;
    }
    if (!admit(req, res, d)) return undefined;
    r.touchHls(d.sid);
    return { r, d };
  };

  const sendMedia = (req: IncomingMessage, res: ServerResponse, d: Allowed, data: Buffer, cache: string) => {
    send(req, res, 200, "video/mp4", data, cache);
    access.served(d.key, data.length);
  };

  const master = async (req: IncomingMessage, res: ServerResponse, token: string, query: URLSearchParams) => {
    const d = authorize(req, res, token);
    if (!d || !admit(req, res, d)) return;
    const renditions = renditionsOf(d.camera).flatMap((name) => streams.get(d.camera.id, name) ?? []);
    // The player asks for one variant next: start it now (a round trip less on a cold start).
    streams.warm(d.camera, d.sid, query.get("prefer") ?? undefined);
    // A variant needs CODECS and RESOLUTION (Apple's HLS authoring rules): a rendition that never ran since the
    // gateway started is started and its init segment awaited, within the cold-start wait.
    const unknown = renditions.filter((r) => r.stream.current === undefined && r.lastSeen === undefined);
    if (unknown.length > 0) {
      await Promise.all(
        unknown.map((r) => {
          r.acquire();
          return r.waitPlayable(() => r.stream.current !== undefined, coldStartWaitMs);
        }),
      );
      // The wait may have taken seconds: a revocation, pause or window end in between is answered now.
      if (!authorize(req, res, token)) return;
    }
    const variants = renditions.map((r) => {
      const fps = r.fps();
      return variantView(
        `${r.name}/index.m3u8`,
        r.stream,
        r.lastSeen,
        fallbackBandwidth[r.name],
        fps > 0 ? fps : undefined,
      );
    });
    send(req, res, 200, playlistType, Buffer.from(writeMasterPlaylist(variants)), "no-cache");
  };

  const media = async (
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    name: string,
    query: URLSearchParams,
  ) => {
    const resolved = resolve(req, res, token, name);
    if (!resolved) return;
    const { r } = resolved;
    const stream = r.stream;
    r.acquire();
    // A cold start answers once the playlist holds a complete segment: hls.js calls a playlist of parts
    // only "empty" (levelEmptyError) and retries a second later. The first segment is cut short for this.
    const startable = () => stream.hasCompleteSegment();
    if (!startable()) {
      const ok = await r.waitPlayable(startable, coldStartWaitMs);
      if (!authorize(req, res, token)) return;
      if (!ok) {
        deny(req, res, 503, "stream_starting", "the camera stream is not available yet", {
          "Retry-After": "2",
        });
        return;
      }
    }
    const edge = {
      lastPart: stream.lastPart(),
      partTargetSeconds: partTarget(stream, o),
      targetDurationSeconds: targetDuration(stream),
    };
    const asked = playlistRequest(query, edge, o.blockingReloadMaxSeconds);
    if (asked.kind === "refuse") {
      deny(req, res, 400, "bad_request", asked.message);
      return;
    }
    if (asked.kind === "block") {
      const advanced = await stream.waitUntil(() => stream.hasReached(asked.msn, asked.part), asked.waitMs);
      // A blocking reload may have waited seconds: a revocation, pause or window end in between is answered now.
      if (!authorize(req, res, token)) return;
      if (!advanced) {
        deny(req, res, 503, "stream_stalled", "the camera stream did not advance in time");
        return;
      }
    }
    const siblings = streams
      .renditionsOf(r.cameraId)
      .filter((other) => other !== r)
      .map((other) => ({
        name: other.name,
        live: other.state === "live",
        lastPart: other.stream.lastPart(),
      }));
    const reports = renditionReports(siblings);
    const text = writeMediaPlaylist(mediaView(stream, o, reports));
    send(req, res, 200, playlistType, Buffer.from(text), "no-cache");
  };

  const init = (req: IncomingMessage, res: ServerResponse, token: string, name: string, file: string) => {
    const resolved = resolve(req, res, token, name);
    if (!resolved) return;
    const m = initFile.exec(file);
    const entry = m ? resolved.r.stream.init(Number(m[1])) : undefined;
    if (!entry) {
      deny(req, res, 404, "not_found", "no such init segment");
      return;
    }
    sendMedia(req, res, resolved.d, entry.data, "private, max-age=600");
  };

  const part = async (
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    name: string,
    file: string,
  ) => {
    const resolved = resolve(req, res, token, name);
    if (!resolved) return;
    const { r, d } = resolved;
    const m = partFile.exec(file);
    if (!m) {
      deny(req, res, 404, "not_found", "no such part");
      return;
    }
    const seq = Number(m[1]);
    const stream = r.stream;
    const waitMs =
      stream.part(seq) === undefined
        ? partWaitMs(seq, stream.nextPartSeq, o.blockingReloadMaxSeconds)
        : undefined;
    if (waitMs !== undefined) {
      r.acquire();
      await stream.waitUntil(() => stream.part(seq) !== undefined, waitMs);
      // Authorized again after the wait, as a blocking playlist reload is: no bytes after a revocation.
      if (!authorize(req, res, token)) return;
    }
    const found = stream.part(seq);
    if (!found) {
      deny(req, res, 404, "not_found", "part is not (or no longer) available");
      return;
    }
    sendMedia(req, res, d, found.data, "private, max-age=60");
  };

  const segment = (req: IncomingMessage, res: ServerResponse, token: string, name: string, file: string) => {
    const resolved = resolve(req, res, token, name);
    if (!resolved) return;
    const m = segFile.exec(file);
    const data = m ? resolved.r.stream.segmentBytes(Number(m[1])) : undefined;
    if (!data) {
      deny(req, res, 404, "not_found", "segment is not (or no longer) available");
      return;
    }
    sendMedia(req, res, resolved.d, data, "private, max-age=60");
  };

  const route = (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> | undefined => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      deny(req, res, 405, "method_not_allowed", "media is read with GET", { Allow: "GET, HEAD" });
      return undefined;
    }
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const p = path.slice("/live/".length).split("/");
    const [token = "", a, b, c] = p;
    if (p.length === 3 && b === "index.m3u8" && a !== undefined) return media(req, res, token, a, query);
    if (p.length === 4 && b === "part" && a !== undefined && c !== undefined)
      return part(req, res, token, a, c);
    if (p.length === 2 && a === "index.m3u8") return master(req, res, token, query);
    if (p.length === 4 && b === "init" && a !== undefined && c !== undefined) init(req, res, token, a, c);
    else if (p.length === 4 && b === "seg" && a !== undefined && c !== undefined)
      segment(req, res, token, a, c);
    else deny(req, res, 404, "not_found", "no such resource");
    return undefined;
  };

  return (req, res) => {
    const url = req.url ?? "";
    if (!url.startsWith("/live/")) return false;
    const done = (err: unknown) => {
      log.error({ err }, "media request failed");
      if (!res.headersSent) deny(req, res, 500, "internal", "internal error");
      else res.destroy();
    };
    try {
      const pending = route(req, res, url);
      if (pending) pending.catch(done);
    } catch (err) {
      done(err);
    }
    return true;
  };
}
