import type { CameraService } from "../cameras/camera.service.js";
import { cameraCreateSchema, cameraPatchSchema } from "../cameras/camera.schema.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

/** `GET|POST /api/cameras`, `GET|PATCH|DELETE /api/cameras/:id`: edits reach running streams at once. */
export function cameraRoutes(service: CameraService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);

  api.get("/api/cameras", { summary: "Cameras you can see", tag: "cameras", auth: "admin" }, (req, res) => {
    res.json({ cameras: service.list(auth.caller(req)) });
  });

  api.post(
    "/api/cameras",
    {
      summary: "Add a camera by RTSP URL, or by ONVIF (host + credentials; profiles resolved to streams)",
      tag: "cameras",
      auth: "admin",
      body: cameraCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    async (req, res, body) => {
      res.status(201).json(await service.create(auth.caller(req), body));
    },
  );

  api.get(
    "/api/cameras/:id",
    { summary: "One camera (never its password)", tag: "cameras", auth: "admin" },
    (req, res) => {
      res.json(service.get(auth.caller(req), pathId(req.params.id, "camera")));
    },
  );

  api.get(
    "/api/cameras/:id/publish-url",
    {
      summary:
        "The signed RTMP URL an NVR pushes a camera of kind rtmp to (url, or server + streamKey), of the " +
        "camera's current generation; audited",
      tag: "cameras",
      auth: "admin",
    },
    (req, res) => {
      res.json(service.publishUrl(auth.caller(req), pathId(req.params.id, "camera"), req.hostname));
    },
  );

  api.post(
    "/api/cameras/:id/publish-url",
    {
      summary:
        "A new signed RTMP URL for a camera of kind rtmp (as GET), revoking every earlier one: a push " +
        "live on an old URL is cut at once; audited",
      tag: "cameras",
      auth: "admin",
    },
    (req, res) => {
      res.json(service.rotatePublishUrl(auth.caller(req), pathId(req.params.id, "camera"), req.hostname));
    },
  );

  api.patch(
    "/api/cameras/:id",
    {
      summary: "Change a camera; running streams follow at once",
      tag: "cameras",
      auth: "admin",
      body: cameraPatchSchema,
    },
    async (req, res, body) => {
      res.json(await service.update(auth.caller(req), pathId(req.params.id, "camera"), body));
    },
  );

  api.delete(
    "/api/cameras/:id",
    {
      summary: "Remove a camera (its streams stop first)",
      tag: "cameras",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    async (req, res) => {
      await service.delete(auth.caller(req), pathId(req.params.id, "camera"));
      res.status(204).end();
    },
  );
  return api;
}
