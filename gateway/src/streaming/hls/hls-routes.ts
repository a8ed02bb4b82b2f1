import { Router, type Request, type Response } from "express";
import type { MediaAccess, MediaDecision } from "../../access/media-access.js";
import { renditionsOf, type RenditionName } from "../../cameras/camera.js";
import { errorBody } from "../../http/errors.js";
import type { Rendition } from "../rendition.js";
import type { StreamManager } from "../stream-manager.js";
import { mediaView, partTarget, targetDuration, variantView, type HlsTiming } from "./hls-view.js";
import { writeMasterPlaylist, writeMediaPlaylist } from "./playlist-writer.js";

export interface HlsRouteOptions extends HlsTiming {
  /** Upper bound on a blocking playlist reload or preload-hinted part request. */
  blockingReloadMaxSeconds: number;
  /** How long the first playlist request of a cold rendition waits for its first part. */
  coldStartWaitSeconds: number;
}

const playlistType = "application/vnd.apple.mpegurl";
const fallbackBandwidth: Record<RenditionName, number> = { main: 2_000_000, sub: 500_000 };
const uint = /^\d{1,9}$/;

/**
 * Waits for a starting rendition to become playable, across a restart (an H.265 camera is restarted to
 * transcode), but answers at once when the start failed and the rendition is backing off.
 */
function coldStart(r: Rendition, ready: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (v: boolean) => {
      off();
      resolve(v);
    };
    const off = r.supervisor.onStateChange((s) => {
      if (s === "backoff" || s === "idle") finish(false);
    });
    void r.stream.waitUntil(ready, timeoutMs, true).then(finish);
  });
}

/**
 * LL-HLS from memory under `/live/<streamToken>/…`. The token sits in the path, so every relative URI in
 * the playlists carries it; each request is authorized before anything is looked up.
 */
export function hlsRoutes(streams: StreamManager, access: MediaAccess, o: HlsRouteOptions): Router {
  const router = Router();

  const deny = (res: Response, status: number, code: string, message: string) => {
    res.status(status).set("Cache-Control", "no-store").json(errorBody(code, message));
  };

  type Allowed = Extract<MediaDecision, { ok: true }>;

  /** Authorizes the request (a viewing request: it keeps the viewing session alive); answers it when refused. */
  const authorize = (req: Request, res: Response): Allowed | undefined => {
    const decision = access.authorize(String(req.params.token), {
      client: { ip: req.ip, userAgent: req.get("user-agent") },
    });
    if (!decision.ok) {
      deny(res, decision.status, decision.code, decision.message);
      return undefined;
    }
    return decision;
  };

  /** Authorizes the token and resolves the rendition; answers the request itself when it cannot. */
  const resolve = (req: Request, res: Response, name: string): { r: Rendition; d: Allowed } | undefined => {
    const d = authorize(req, res);
    if (!d) return undefined;
    const r = name === "main" || name === "sub" ? streams.get(d.camera.id, name) : undefined;
    if (!r) {
      deny(res, 404, "not_found", "no such rendition");
      return undefined;
    }
    r.touchHls(d.sid);
    return { r, d };
  };

  const sendMedia = (res: Response, d: Allowed, data: Buffer, cache: string) => {
    res.status(200).set({ "Content-Type": "video/mp4", "Cache-Control": cache }).send(data);
    access.served(d.key, data.length);
  };

  router.get("/live/:token/index.m3u8", (req, res) => {
    const decision = authorize(req, res);
    if (!decision) return;
    const variants = renditionsOf(decision.camera).flatMap((name) => {
      const r = streams.get(decision.camera.id, name);
      if (!r) return [];
      const h = r.health();
      return [
        variantView(`${name}/index.m3u8`, r.stream, fallbackBandwidth[name], h.fps > 0 ? h.fps : undefined),
      ];
    });
    // The player asks for one variant next: start it now (a round trip less on a cold start).
    streams.warm(decision.camera, decision.sid, req.query.prefer);
    res
      .status(200)
      .set({ "Content-Type": playlistType, "Cache-Control": "no-cache" })
      .send(Buffer.from(writeMasterPlaylist(variants)));
  });

  router.get("/live/:token/:rendition/index.m3u8", async (req, res) => {
    const resolved = resolve(req, res, req.params.rendition);
    if (!resolved) return;
    const { r } = resolved;
    const stream = r.stream;
    r.acquire();
    // A cold start answers once the playlist holds a complete segment: hls.js calls a playlist of parts
    // only "empty" (levelEmptyError) and retries a second later. The first segment is cut short for this.
    const startable = () => stream.hasCompleteSegment();
    if (!startable()) {
      const ok = await coldStart(r, startable, o.coldStartWaitSeconds * 1000);
      if (!ok) {
        res.set("Retry-After", "2");
        deny(res, 503, "stream_starting", "the camera stream is not available yet");
        return;
      }
    }
    const msnText = req.query._HLS_msn;
    const partText = req.query._HLS_part;
    if (msnText !== undefined) {
      if (
        typeof msnText !== "string" ||
        !uint.test(msnText) ||
        (partText !== undefined && (typeof partText !== "string" || !uint.test(partText)))
      ) {
        deny(res, 400, "bad_request", "_HLS_msn and _HLS_part must be non-negative integers");
        return;
      }
      const msn = Number(msnText);
      const part = partText === undefined ? undefined : Number(partText);
      const last = stream.lastPart();
      const lastMsn = last?.msn ?? 0;
      // RFC 8216bis §6.2.5.2: more than two segments ahead, or past the Advance Part Limit → 400 at once.
      const advancePartLimit = Math.ceil(3 / partTarget(stream, o));
      if (
        msn > lastMsn + 2 ||
        (part !== undefined && msn === lastMsn && last && part > last.index + advancePartLimit)
      ) {
        deny(res, 400, "bad_request", "requested media sequence is too far ahead of the live edge");
        return;
      }
      const reached = () =>
        part === undefined ? stream.hasReached(msn + 1, 0) : stream.hasReached(msn, part);
      const waitMs = Math.min(o.blockingReloadMaxSeconds, 3 * targetDuration(stream)) * 1000;
      if (!(await stream.waitUntil(reached, waitMs))) {
        deny(res, 503, "stream_stalled", "the camera stream did not advance in time");
        return;
      }
    }
    // A blocking reload may have waited seconds: a revocation, pause or window end in between is answered now.
    if (msnText !== undefined && !authorize(req, res)) return;
    const reports = streams
      .renditionsOf(r.cameraId)
      .filter(
        (other) => other !== r && other.stream.lastPart() !== undefined && other.supervisor.state === "live",
      )
      .map((other) => {
        const lp = other.stream.lastPart();
        return { uri: `../${other.name}/index.m3u8`, lastMsn: lp?.msn ?? 0, lastPart: lp?.index ?? 0 };
      });
    const text = writeMediaPlaylist(mediaView(stream, o, reports));
    res
      .status(200)
      .set({ "Content-Type": playlistType, "Cache-Control": "no-cache" })
      .send(Buffer.from(text));
  });

  router.get("/live/:token/:rendition/init/:file", (req, res) => {
    const resolved = resolve(req, res, req.params.rendition);
    if (!resolved) return;
    const { r, d } = resolved;
    const m = /^(\d{1,9})\.mp4$/.exec(req.params.file);
    const init = m ? r.stream.init(Number(m[1])) : undefined;
    if (!init) {
      deny(res, 404, "not_found", "no such init segment");
      return;
    }
    sendMedia(res, d, init.data, "private, max-age=600");
  });

  router.get("/live/:token/:rendition/part/:file", async (req, res) => {
    const resolved = resolve(req, res, req.params.rendition);
    if (!resolved) return;
    const { r, d } = resolved;
    const m = /^(\d{1,12})\.m4s$/.exec(req.params.file);
    if (!m) {
      deny(res, 404, "not_found", "no such part");
      return;
    }
    const seq = Number(m[1]);
    const stream = r.stream;
    // The preload-hinted part (and one beyond, for a client racing ahead) is answered when it exists.
    if (stream.part(seq) === undefined && seq >= stream.nextPartSeq && seq <= stream.nextPartSeq + 1) {
      r.acquire();
      await stream.waitUntil(() => stream.part(seq) !== undefined, o.blockingReloadMaxSeconds * 1000);
    }
    const part = stream.part(seq);
    if (!part) {
      deny(res, 404, "not_found", "part is not (or no longer) available");
      return;
    }
    sendMedia(res, d, part.data, "private, max-age=60");
  });

  router.get("/live/:token/:rendition/seg/:file", (req, res) => {
    const resolved = resolve(req, res, req.params.rendition);
    if (!resolved) return;
    const { r, d } = resolved;
    const m = /^(\d{1,9})\.m4s$/.exec(req.params.file);
    const data = m ? r.stream.segmentBytes(Number(m[1])) : undefined;
    if (!data) {
      deny(res, 404, "not_found", "segment is not (or no longer) available");
      return;
    }
    sendMedia(res, d, data, "private, max-age=60");
  });

  return router;
}
