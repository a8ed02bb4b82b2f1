import type { Request } from "express";
import { managesSchool, seesCamera } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { publicCamera, shownSource, type Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { cameraCreateSchema, cameraPatchSchema, type CameraCreate } from "../cameras/camera.schema.js";
import type { OnvifInspector } from "../onvif/onvif-inspector.js";
import { resolveOnvifSource } from "../onvif/onvif-onboarding.js";
import { explain } from "../onvif/onvif-error.js";
import type { StreamTester } from "../cameras/stream-tester.js";
import type { NetworkGuard } from "../net/network-guard.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { User } from "../users/user.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { explainedError, HttpError, forbidden, notFound } from "../common/errors.js";
import { pathId } from "./errors.js";
import { addressHttpError, onvifHttpError } from "../cameras/source-errors.js";

/** What the audit log keeps of a camera change: never a credential. */
function auditedCamera(c: Camera): Record<string, unknown> {
  const { username: _username, ...source } = shownSource(c);
  return {
    name: c.name,
    classroomId: c.classroomId,
    source,
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
  auth: AdminAuth,
  work: UnitOfWork,
  inspector: OnvifInspector,
  streamTester: StreamTester,
  network: NetworkGuard,
): ApiRouter {
  const api = new ApiRouter(auth);

  /**
   * The source to store: an ONVIF source is asked of the camera first (profiles → RTSP URIs, device UUID);
   * the same camera cannot be registered twice.
   */
  const storedSource = async (source: CameraCreate["source"], user: User, self?: string) => {
    if (source.kind === "rtsp") {
      // Refused now, with the field named, rather than at every ffmpeg start (which checks again: a name
      // may resolve elsewhere later).
      for (const [url, field] of [
        [source.url, "source.url"],
        [source.subUrl, "source.subUrl"],
      ] as const) {
        if (url === undefined) continue;
        try {
          await network.resolve(new URL(url).hostname);
        } catch (e) {
          throw addressHttpError(e, field);
        }
      }
    }
    if (source.kind !== "onvif") return { source, onvif: null, videoCodec: undefined };
    let resolved;
    try {
      resolved = await resolveOnvifSource(inspector, source);
    } catch (e) {
      throw onvifHttpError(e, "source.host");
    }
    // ONVIF named the stream; make sure it opens before it is registered (and learn its real codec: some
    // cameras report H.264 over ONVIF while sending H.265).
    const tested = await streamTester.test(resolved.source);
    if (!tested.ok) {
      if (tested.code === "busy") throw explainedError(503, "busy", tested.messages);
      throw explainedError(
        502,
        "stream_unreachable",
        {
          id: `${explain("stream_unreachable").id} ${tested.messages.id}`,
          en: `${explain("stream_unreachable").en} ${tested.messages.en}`,
        },
        { reason: tested.code, ...(tested.detail !== undefined && { detail: tested.detail }) },
      );
    }
    resolved.videoCodec = tested.video.codec;
    const uuid = resolved.onvif.deviceUuid;
    const twin =
      uuid === null
        ? undefined
        : cameras
            .listByOnvifUuid()
            .get(uuid)
            ?.find((c) => c.id !== self);
    if (twin) {
      const where = managesSchool(user, twin.schoolId) ? `as "${twin.name}"` : "in another school";
      throw new HttpError(
        409,
        "conflict",
        `this camera (${uuid}) is already registered ${where}`,
        "source.host",
      );
    }
    return resolved;
  };

  const visible = (req: Request) => {
    const s = auth.require(req);
    const camera = cameras.get(pathId(req.params.id, "camera"));
    if (!camera || !seesCamera(s.user, camera)) throw notFound("camera");
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
        .filter((c) => seesCamera(user, c))
        .map((c) => shown(user, c)),
    });
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
      const s = auth.require(req);
      // Permission first, as for POST /api/users: refused the same way whether or not the school exists.
      if (!managesSchool(s.user, body.schoolId))
        throw forbidden("you may add cameras only to your own school");
      if (!schools.get(body.schoolId)) {
        throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
      }
      checkClassroom(body.schoolId, body.classroomId);
      const stored = await storedSource(body.source, s.user);
      const camera = work.apply(
        actorOf(req, s),
        (c: Camera) => ({
          schoolId: c.schoolId,
          action: "camera.create",
          targetKind: "camera",
          targetId: c.id,
          detail: auditedCamera(c),
        }),
        () =>
          cameras.create(
            { ...body, source: stored.source },
            {
              ...(stored.onvif && { onvif: stored.onvif }),
              ...(stored.videoCodec && { videoCodec: stored.videoCodec }),
            },
          ),
      );
      res.status(201).json(publicCamera(camera));
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
    async (req, res, body) => {
      const { s, camera } = visible(req);
      if (!managesSchool(s.user, camera.schoolId)) throw forbidden();
      checkClassroom(camera.schoolId, body.classroomId);
      const stored = body.source && (await storedSource(body.source, s.user, camera.id));
      const updated = work.apply(
        actorOf(req, s),
        (c: Camera) => ({
          schoolId: c.schoolId,
          action: "camera.update",
          targetKind: "camera",
          targetId: c.id,
          detail: auditedCamera(c),
        }),
        () =>
          cameras.update(
            camera.id,
            { ...body, source: stored?.source },
            stored
              ? { onvif: stored.onvif, ...(stored.videoCodec && { videoCodec: stored.videoCodec }) }
              : {},
          ),
      );
      res.json(publicCamera(updated));
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
      await work.applySettled(
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
      res.status(204).end();
    },
  );
  return api;
}
