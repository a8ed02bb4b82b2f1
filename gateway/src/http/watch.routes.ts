import { randomBytes } from "node:crypto";
import { Router } from "express";
import type { WatchPolicy } from "../access/media-access.js";
import type { StreamTokens } from "../access/stream-token.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { cameraIdSchema } from "../cameras/camera.schema.js";
import { renditionsOf } from "../cameras/camera.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { HttpError } from "./errors.js";

/**
 * `POST /api/watch/:cameraId` → `{hls, ws, expiresAt}`: stream URLs with a signed token in the path.
 * Who may watch is the WatchPolicy's decision (demo and dev rules now; guardians in the access issue).
 */
export function watchRoutes(
  cameras: CameraRepository,
  tokens: StreamTokens,
  policy: WatchPolicy,
  streams: StreamManager,
): Router {
  const router = Router();
  router.post("/api/watch/:cameraId", (req, res) => {
    const id = cameraIdSchema.safeParse(req.params.cameraId);
    const camera = id.success ? cameras.get(id.data) : undefined;
    if (!camera?.enabled) throw new HttpError(404, "camera_unavailable", "no such camera");
    if (!policy.mayWatch(camera)) throw new HttpError(403, "not_authorized", "you may not watch this camera");
    const sid = "s" + randomBytes(9).toString("base64url");
    const { token, expiresAt } = tokens.issue(camera.id, sid);
    // Someone is about to watch: start the rendition the player will ask for now, not on its first media
    // request, which comes only after the page has loaded its player (bench:startup, cold start).
    streams.warm(camera, sid, req.query.prefer);
    res.set("Cache-Control", "no-store").json({
      cameraId: camera.id,
      name: camera.name,
      demo: camera.demo,
      renditions: renditionsOf(camera),
      hls: `/live/${token}/index.m3u8`,
      ws: `/live/${token}/ws`,
      expiresAt: new Date(expiresAt).toISOString(),
    });
  });

  router.get("/api/watchable", (_req, res) => {
    res.json({
      cameras: cameras
        .list()
        .filter((c) => c.enabled && policy.mayWatch(c))
        .map((c) => ({ id: c.id, name: c.name, demo: c.demo })),
    });
  });
  return router;
}
