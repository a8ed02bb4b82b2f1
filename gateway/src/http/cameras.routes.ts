import { Router } from "express";
import { publicCamera } from "../cameras/camera.js";
import { NotFoundError, type CameraRepository } from "../cameras/camera.repository.js";
import { cameraCreateSchema, cameraIdSchema, cameraPatchSchema } from "../cameras/camera.schema.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { HttpError, parseOr400 } from "./errors.js";
import { localOnly } from "./local-only.js";

/** `GET|POST /api/cameras`, `GET|PATCH|DELETE /api/cameras/:id`: edits reach running streams at once. */
export function cameraRoutes(cameras: CameraRepository, streams: StreamManager): Router {
  const router = Router();
  router.use("/api/cameras", localOnly);

  const idOf = (raw: unknown): string => {
    const r = cameraIdSchema.safeParse(raw);
    if (!r.success) throw new HttpError(404, "not_found", "no such camera");
    return r.data;
  };

  router.get("/api/cameras", (_req, res) => {
    res.json({ cameras: cameras.list().map(publicCamera) });
  });

  router.post("/api/cameras", (req, res) => {
    const body = parseOr400(cameraCreateSchema, req.body);
    const camera = cameras.create(body);
    res.status(201).json(publicCamera(camera));
    void streams.cameraChanged(camera.id, camera);
  });

  router.get("/api/cameras/:id", (req, res) => {
    const camera = cameras.get(idOf(req.params.id));
    if (!camera) throw new HttpError(404, "not_found", "no such camera");
    res.json(publicCamera(camera));
  });

  router.patch("/api/cameras/:id", (req, res) => {
    const id = idOf(req.params.id);
    const patch = parseOr400(cameraPatchSchema, req.body);
    try {
      const camera = cameras.update(id, patch);
      res.json(publicCamera(camera));
      void streams.cameraChanged(id, camera);
    } catch (err) {
      if (err instanceof NotFoundError) throw new HttpError(404, "not_found", "no such camera");
      throw err;
    }
  });

  router.delete("/api/cameras/:id", async (req, res) => {
    const id = idOf(req.params.id);
    try {
      cameras.delete(id);
    } catch (err) {
      if (err instanceof NotFoundError) throw new HttpError(404, "not_found", "no such camera");
      throw err;
    }
    await streams.cameraChanged(id, undefined);
    res.status(204).end();
  });

  return router;
}
