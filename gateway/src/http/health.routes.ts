import { Router } from "express";
import type { StreamManager } from "../streaming/stream-manager.js";

/** `GET /healthz` for load balancers and systemd; `GET /api/health` with every rendition's counters. */
export function healthRoutes(streams: StreamManager): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ ok: true });
  });
  router.get("/api/health", (_req, res) => {
    const renditions = streams.health().map((h) => ({
      cameraId: h.cameraId,
      rendition: h.rendition,
      state: h.state,
      since: new Date(h.since).toISOString(),
      codecs: h.codecs,
      width: h.width,
      height: h.height,
      fps: h.fps,
      bitrate: h.bitrate,
      lastFragmentAgeMs: h.lastFragmentAgeMs,
      restarts: h.restarts,
      lastError: h.lastError,
      nextAttemptAt: h.nextAttemptAt === undefined ? undefined : new Date(h.nextAttemptAt).toISOString(),
      viewers: h.viewers,
      transcoding: h.transcoding,
      memoryBytes: h.memoryBytes,
      pid: h.pid,
      stderr: h.stderr,
    }));
    res.set("Cache-Control", "no-store").json({ renditions });
  });
  return router;
}
