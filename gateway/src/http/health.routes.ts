import { Router } from "express";
import { managesSchool } from "../access/permissions.js";
import type { AccessState } from "../access/access-state.js";
import type { RenditionHealth } from "../streaming/rendition.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import type { AdminAuth } from "./admin-auth.js";
import type { HealthService } from "../health/health.service.js";

/** One rendition as `GET /api/health` answers it; the benchmarks read it too (bench/lib/gateway-process.ts). */
export type RenditionHealthJson = ReturnType<typeof renditionHealthJson>;

function renditionHealthJson(h: RenditionHealth) {
  return {
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
  };
}

/**
 * `GET /healthz` for load balancers and systemd (no details); `GET /api/health` with every camera's health
 * (probed or live, watched or not) and every running rendition's counters, and
 * `GET /api/cameras/:id/health` with one camera's history, and `GET /api/fleet` (every school with its area
 * and counts by state, every camera as a dashboard tile: state, since, fps, bitrate, viewers, last error), for operators and school admins, each seeing
 * their own school's cameras.
 */
export function healthRoutes(
  streams: StreamManager,
  state: AccessState,
  health: HealthService,
  auth: AdminAuth,
): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ ok: true });
  });
  router.get("/api/health", (req, res) => {
    const caller = auth.caller(req);
    const cameras = health.cameras(caller);
    // Which school a camera is in, from memory: not a database read (and a password decryption) per rendition.
    const known = state.snapshot().cameras;
    const renditions = streams
      .health()
      .filter((h) => managesSchool(caller.user, known.get(h.cameraId)?.schoolId ?? null))
      .map(renditionHealthJson);
    res.set("Cache-Control", "no-store").json({ cameras, renditions });
  });
  router.get("/api/fleet", (req, res) => {
    const caller = auth.caller(req);
    const live = new Map(
      streams
        .health()
        .filter((h) => h.rendition === "main")
        .map((h) => [
          h.cameraId,
          { fps: h.fps, bitrate: h.bitrate, viewers: h.viewers, lastError: h.lastError ?? undefined },
        ]),
    );
    res.set("Cache-Control", "no-store").json(health.fleet(caller, live));
  });
  router.get("/api/cameras/:id/health", (req, res) => {
    const caller = auth.caller(req);
    res.set("Cache-Control", "no-store").json(health.camera(caller, req.params.id));
  });
  return router;
}
