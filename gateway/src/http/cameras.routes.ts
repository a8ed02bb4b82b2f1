import type { Request } from "express";
import { managesSchool, seesClassroom } from "../access/permissions.js";
import type { Changes } from "../audit/changes.js";
import { publicCamera, type Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { cameraCreateSchema, cameraPatchSchema } from "../cameras/camera.schema.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import type { User } from "../users/user.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { HttpError, forbidden, notFound, pathId } from "./errors.js";

/** What the audit log keeps of a camera change: never a credential. */
function auditedCamera(c: Camera): Record<string, unknown> {
  return {
    name: c.name,
    classroomId: c.classroomId,
    source:
      c.source.kind === "rtsp" ? { kind: "rtsp", url: c.source.url, subUrl: c.source.subUrl } : c.source,
    enabled: c.enabled,
    alwaysOn: c.alwaysOn,
    audio: c.audio,
  };
}

/** `GET|POST /api/cameras`, `GET|PATCH|DELETE /api/cameras/:id`: edits reach running streams at once. */
export function cameraRoutes(
  cameras: CameraRepository,
  schools: SchoolRepository,
  classrooms: ClassroomRepository,
  streams: StreamManager,
  auth: AdminAuth,
  changes: Changes,
): ApiRouter {
  const api = new ApiRouter(auth);

  const sees = (user: User, c: Camera) =>
    managesSchool(user, c.schoolId) ||
    (c.classroomId !== null && seesClassroom(user, { id: c.classroomId, schoolId: c.schoolId ?? "" }));

  const visible = (req: Request) => {
    const s = auth.require(req);
    const camera = cameras.get(pathId(req.params.id, "camera"));
    if (!camera || !sees(s.user, camera)) throw notFound("camera");
    return { s, camera };
  };

  const checkClassroom = (schoolId: string | null, classroomId: string | null | undefined) => {
    if (classroomId === undefined || classroomId === null) return;
    if (classrooms.get(classroomId)?.schoolId !== schoolId) {
      throw new HttpError(
        400,
        "invalid_input",
        "classroomId: no such classroom in this school",
        "classroomId",
      );
    }
  };

  /** A teacher sees which cameras their classrooms have, not where the cameras' streams come from. */
  const shown = (user: User, c: Camera) => {
    const p = publicCamera(c);
    if (user.role !== "teacher") return p;
    const { source: _source, ...rest } = p;
    return rest;
  };

  api.get("/api/cameras", { summary: "Cameras you can see", tag: "cameras", auth: "admin" }, (req, res) => {
    const { user } = auth.require(req);
    res.json({
      cameras: cameras
        .list()
        .filter((c) => sees(user, c))
        .map((c) => shown(user, c)),
    });
  });

  api.post(
    "/api/cameras",
    {
      summary: "Add a camera by RTSP URL",
      tag: "cameras",
      auth: "admin",
      body: cameraCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      const s = auth.require(req);
      // Permission first, as for POST /api/users: refused the same way whether or not the school exists.
      if (!managesSchool(s.user, body.schoolId))
        throw forbidden("you may add cameras only to your own school");
      if (!schools.get(body.schoolId)) {
        throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
      }
      checkClassroom(body.schoolId, body.classroomId);
      const camera = changes.apply(
        actorOf(req, s),
        (c: Camera) => ({
          schoolId: c.schoolId,
          action: "camera.create",
          targetKind: "camera",
          targetId: c.id,
          detail: auditedCamera(c),
        }),
        () => cameras.create(body),
      );
      res.status(201).json(publicCamera(camera));
      void streams.cameraChanged(camera.id, camera);
    },
  );

  api.get(
    "/api/cameras/:id",
    { summary: "One camera (never its password)", tag: "cameras", auth: "admin" },
    (req, res) => {
      const { s, camera } = visible(req);
      res.json(shown(s.user, camera));
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
    (req, res, body) => {
      const { s, camera } = visible(req);
      if (!managesSchool(s.user, camera.schoolId)) throw forbidden();
      checkClassroom(camera.schoolId, body.classroomId);
      const updated = changes.apply(
        actorOf(req, s),
        (c: Camera) => ({
          schoolId: c.schoolId,
          action: "camera.update",
          targetKind: "camera",
          targetId: c.id,
          detail: auditedCamera(c),
        }),
        () => cameras.update(camera.id, body),
      );
      res.json(publicCamera(updated));
      void streams.cameraChanged(updated.id, updated);
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
      const { s, camera } = visible(req);
      if (!managesSchool(s.user, camera.schoolId)) throw forbidden();
      changes.apply(
        actorOf(req, s),
        {
          schoolId: camera.schoolId,
          action: "camera.delete",
          targetKind: "camera",
          targetId: camera.id,
          detail: { name: camera.name },
        },
        () => {
          cameras.delete(camera.id);
        },
      );
      await streams.cameraChanged(camera.id, undefined);
      res.status(204).end();
    },
  );
  return api;
}
