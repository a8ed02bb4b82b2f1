import { randomBytes } from "node:crypto";
import type { Request } from "express";
import { devSidPrefix } from "../access/access-decision.js";
import type { AccessState } from "../access/access-state.js";
import type { MediaAccess } from "../access/media-access.js";
import type { StreamTokens } from "../access/stream-token.js";
import { renditionsOf } from "../cameras/camera.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { deviceOf, type AdminAuth, type DeviceLookup } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { HttpError } from "../common/errors.js";
import { pathId } from "./errors.js";

/**
 * `POST /api/watch/:cameraId` → `{hls, ws, expiresAt}`: stream URLs with a signed token in the path, for a
 * guardian's device, a signed-in admin, or (demo camera, dev.openStreams) anyone. Refused with the reason the
 * page shows (outside_hours, paused, revoked, viewer_limit …) rather than handing out a token that cannot play.
 */
export function watchRoutes(
  tokens: StreamTokens,
  access: MediaAccess,
  state: AccessState,
  guardians: DeviceLookup,
  auth: AdminAuth,
  streams: StreamManager,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter();

  /** The viewer session a token will name: the device, else the admin sign-in, else an open (dev/demo) viewer. */
  const sidOf = (req: Request): string => {
    const device = deviceOf(req, guardians);
    if (device) return device.id;
    const admin = auth.current(req);
    if (admin) return admin.sessionId;
    return devSidPrefix + randomBytes(9).toString("base64url");
  };

  api.post(
    "/api/watch/:cameraId",
    {
      summary: "Stream URLs for a camera (token valid ≤ 10 min; ask again to renew)",
      tag: "viewer",
      auth: "viewer",
    },
    (req, res) => {
      const cameraId = pathId(req.params.cameraId, "camera");
      const sid = sidOf(req);
      const d = access.check(sid, cameraId);
      if (!d.ok) {
        throw new HttpError(d.status, d.code, d.message, undefined, {
          ...("nextOpenAt" in d && { nextOpenAt: d.nextOpenAt?.toISOString() ?? null }),
        });
      }
      const { camera, viewer } = d;
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
        // The page times its renewal against the gateway's clock, not the phone's.
        serverTime: new Date(now()).toISOString(),
        ...((viewer.kind === "guardian" || viewer.kind === "user") && { watermark: viewer.name }),
        // The watermark's clock reads in the school's zone, as the demo camera's drawn clock does.
        timeZone:
          (camera.schoolId === null ? undefined : state.snapshot().schools.get(camera.schoolId)?.timeZone) ??
          "Asia/Jakarta",
      });
    },
  );

  api.get(
    "/api/watchable",
    { summary: "Cameras open to anyone (demo, dev.openStreams)", tag: "viewer", auth: "public" },
    (_req, res) => {
      const probe = devSidPrefix + "probe";
      res.json({
        cameras: [...state.snapshot().cameras.values()]
          .filter((c) => access.check(probe, c.id).ok)
          .map((c) => ({ id: c.id, name: c.name, demo: c.demo })),
      });
    },
  );
  return api;
}
