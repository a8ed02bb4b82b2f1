import type { SnapshotService } from "../health/snapshot.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

/**
 * `GET /api/cameras/:id/snapshot.jpg`: the camera's last picture, for whoever may see the camera. When it was
 * taken travels in Last-Modified and X-Pantau-Snapshot-Taken-At (ISO 8601, milliseconds); it is a picture of
 * a classroom, so no cache anywhere keeps it.
 */
export function snapshotRoutes(service: SnapshotService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);

  api.get(
    "/api/cameras/:id/snapshot.jpg",
    {
      summary: "The camera's last picture: a live frame, else its ONVIF snapshot, else the one kept last",
      tag: "cameras",
      auth: "admin",
      returns: { status: 200, description: "A JPEG", type: "image/jpeg" },
    },
    async (req, res) => {
      const picture = await service.get(auth.caller(req), pathId(req.params.id, "camera"));
      const takenAt = new Date(picture.takenAt);
      res
        .status(200)
        .set({
          "Content-Type": "image/jpeg",
          "Cache-Control": "no-store, private",
          "Last-Modified": takenAt.toUTCString(),
          "X-Pantau-Snapshot-Taken-At": takenAt.toISOString(),
          "X-Pantau-Snapshot-Source": picture.source,
        })
        .end(picture.jpeg);
    },
  );
  return api;
}
