import type { Request } from "express";
import { z } from "zod";
import { managesSchool } from "../access/permissions.js";
import type { CameraMove, CameraMoveRepository } from "../cameras/camera-move.repository.js";
import { publicCamera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { idSchema } from "../common/ids.js";
import type { OnvifAddressWatcher } from "../onvif/address-watcher.js";
import { moveReasonText } from "../onvif/move-decision.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { explainedError, forbidden, notFound } from "../common/errors.js";
import { parseOr400, pathId } from "./errors.js";

const movesQuery = z
  .object({
    schoolId: idSchema.optional().describe("Only this school's cameras"),
    status: z
      .enum(["pending", "confirmed", "dismissed", "superseded", "all"])
      .default("pending")
      .describe("pending (default): waiting for a decision; all: every item"),
  })
  .strict();

/** What the API shows of an item: the reason explained in both languages. */
const shown = (m: CameraMove) => {
  const { reason, deviceServiceUrl: _url, ...rest } = m;
  return { ...rest, reason: { code: reason, messages: moveReasonText[reason] } };
};

/**
 * `GET /api/camera-moves`, `POST /api/camera-moves/:id/confirm|dismiss`: cameras seen at another address that
 * the re-probe did not follow on its own. Whoever may change the camera decides (its school's admins, operators).
 */
export function cameraMoveRoutes(
  moves: CameraMoveRepository,
  cameras: CameraRepository,
  watcher: OnvifAddressWatcher,
  auth: AdminAuth,
): ApiRouter {
  const api = new ApiRouter(auth);

  /** An item the admin may decide: another school's is "no such", a teacher of its school is refused. */
  const pendingMove = (req: Request) => {
    const s = auth.require(req);
    const move = moves.get(pathId(req.params.id, "camera move"));
    if (!move || !managesSchool(s.user, move.schoolId)) {
      if (move && move.schoolId !== null && s.user.schoolId === move.schoolId) throw forbidden();
      throw notFound("camera move");
    }
    if (move.status !== "pending") {
      throw explainedError(
        409,
        "move_decided",
        {
          id: `Item ini sudah diputuskan (${move.status}); tidak ada yang diubah.`,
          en: `This item was already decided (${move.status}); nothing was changed.`,
        },
        { status: move.status },
      );
    }
    return { s, move };
  };

  api.get(
    "/api/camera-moves",
    {
      summary: 'Cameras "seen at another address", waiting for a school admin to confirm or dismiss',
      tag: "cameras",
      auth: "admin",
      query: movesQuery,
    },
    (req, res) => {
      const { user } = auth.require(req);
      if (user.role === "teacher") throw forbidden();
      const q = parseOr400(movesQuery, req.query);
      if (q.schoolId !== undefined && !managesSchool(user, q.schoolId)) throw notFound("school");
      const schoolIds =
        q.schoolId !== undefined
          ? [q.schoolId]
          : user.role === "operator"
            ? undefined
            : [user.schoolId ?? ""];
      res.set("Cache-Control", "no-store");
      res.json({
        moves: moves.list({ schoolIds, status: q.status === "all" ? undefined : q.status }).map(shown),
      });
    },
  );

  api.post(
    "/api/camera-moves/:id/confirm",
    {
      summary: "Confirm that the camera is at the new address: it moves there and its streams restart",
      tag: "cameras",
      auth: "admin",
    },
    (req, res) => {
      const { s, move } = pendingMove(req);
      const camera = cameras.get(move.cameraId);
      const at = camera?.onvif ? new URL(camera.onvif.deviceServiceUrl).hostname : undefined;
      if (at !== move.from) {
        // The camera was moved or changed since the sighting: the question no longer stands.
        throw explainedError(409, "move_outdated", {
          id: "Alamat kamera sudah berubah sejak item ini tercatat; tidak ada yang diubah.",
          en: "The camera's address has changed since this item was recorded; nothing was changed.",
        });
      }
      const moved = watcher.confirm(move, { ...actorOf(req, s), id: s.user.id });
      res.json({ move: shown(moves.get(move.id) ?? move), camera: publicCamera(moved) });
    },
  );

  api.post(
    "/api/camera-moves/:id/dismiss",
    {
      summary: "Dismiss: the camera stays where it is, and this host is not asked about again",
      tag: "cameras",
      auth: "admin",
    },
    (req, res) => {
      const { s, move } = pendingMove(req);
      res.json({ move: shown(watcher.dismiss(move, { ...actorOf(req, s), id: s.user.id })) });
    },
  );
  return api;
}
