import { z } from "zod";
import type { CameraMoveService } from "../cameras/camera-move.service.js";
import { idSchema } from "../common/ids.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
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

/**
 * `GET /api/camera-moves`, `POST /api/camera-moves/:id/confirm|dismiss`: cameras seen at another address that
 * the re-probe did not follow on its own. Whoever may change the camera decides (its school's admins, operators).
 */
export function cameraMoveRoutes(service: CameraMoveService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);

  api.get(
    "/api/camera-moves",
    {
      summary: 'Cameras "seen at another address", waiting for a school admin to confirm or dismiss',
      tag: "cameras",
      auth: "admin",
      query: movesQuery,
    },
    (req, res) => {
      const caller = auth.caller(req);
      const moves = service.list(caller, parseOr400(movesQuery, req.query));
      res.set("Cache-Control", "no-store");
      res.json({ moves });
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
      res.json(service.confirm(auth.caller(req), pathId(req.params.id, "camera move")));
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
      res.json({ move: service.dismiss(auth.caller(req), pathId(req.params.id, "camera move")) });
    },
  );
  return api;
}
