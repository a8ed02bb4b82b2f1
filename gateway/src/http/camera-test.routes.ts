import { z } from "zod";
import { managesSchool, seesCamera } from "../access/permissions.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { credential, rtspUrl } from "../cameras/camera.schema.js";
import type { StreamTestFailure, StreamTestResult } from "../cameras/stream-test-result.js";
import type { StreamTester } from "../cameras/stream-tester.js";
import { idSchema } from "../common/ids.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { HttpError, explainedError, forbidden, notFound } from "../common/errors.js";
import { pathId } from "./errors.js";

export const cameraTestSchema = z
  .object({
    url: rtspUrl.describe("rtsp:// or rtsps:// address; credentials written into it are taken out and used"),
    username: credential.optional(),
    password: credential.optional().describe("Used for this test only: never stored, shown or logged"),
    schoolId: idSchema
      .optional()
      .describe("The school the camera is for; a school_admin may name only their own"),
  })
  .strict();

const testPattern = {
  id: "Kamera ini adalah pola uji bawaan Pantau, bukan kamera RTSP; tidak ada aliran yang perlu diuji.",
  en: "This camera is Pantau's built-in test pattern, not an RTSP camera; there is no stream to test.",
};

/** A failed test as the error object of a refusal, the same members a 422 carries. */
function errorOf(r: StreamTestFailure): Record<string, unknown> {
  return {
    code: r.code,
    message: r.messages.en,
    messages: r.messages,
    ...(r.detail !== undefined && { detail: r.detail }),
    ...(r.video !== undefined && { video: r.video }),
  };
}

function refusal(r: StreamTestFailure): HttpError {
  const extra = {
    messages: r.messages,
    ...(r.detail !== undefined && { detail: r.detail }),
    ...(r.video !== undefined && { video: r.video }),
  };
  // A refused address is the request's fault, not the camera's: it names the field.
  const field = r.code === "address_not_allowed" ? "url" : undefined;
  return new HttpError(r.code === "busy" ? 503 : 422, r.code, r.messages.en, field, extra);
}

const shown = (r: StreamTestResult) => (r.ok ? r : { ok: false, error: errorOf(r) });

/**
 * `POST /api/cameras/test` (a URL before the camera is added) and `POST /api/cameras/:id/test` (a stored
 * camera, with its stored credentials): ffprobe says what the camera sends, or why it cannot be used.
 * Tests change nothing and are not audited; the password is never in an answer or a log line.
 */
export function cameraTestRoutes(
  cameras: CameraRepository,
  schools: SchoolRepository,
  tester: StreamTester,
  auth: AdminAuth,
): ApiRouter {
  const api = new ApiRouter(auth);

  api.post(
    "/api/cameras/test",
    {
      summary:
        "Test an RTSP stream before adding it: 200 {ok, video: {codec, width, height, fps?, profile?}, " +
        "audio, needsTranscode}, or 422 {error: {code, message, messages: {id, en}, detail?}}",
      tag: "cameras",
      auth: "admin",
      body: cameraTestSchema,
    },
    async (req, res, body) => {
      const { user } = auth.require(req);
      // A school_admin tests for their own school, named or not; teachers add no cameras.
      if (!managesSchool(user, body.schoolId ?? user.schoolId)) {
        throw forbidden("you may test cameras only for your own school");
      }
      if (body.schoolId !== undefined && !schools.get(body.schoolId)) {
        throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
      }
      const result = await tester.test({ url: body.url, username: body.username, password: body.password });
      if (!result.ok) throw refusal(result);
      res.json(result);
    },
  );

  api.post(
    "/api/cameras/:id/test",
    {
      summary:
        "Test a stored camera's main (and sub) stream with its stored credentials: 200 {ok, main, sub?}, " +
        "each the answer of POST /api/cameras/test or {ok: false, error}",
      tag: "cameras",
      auth: "admin",
    },
    async (req, res) => {
      const { user } = auth.require(req);
      const camera = cameras.get(pathId(req.params.id, "camera"));
      if (!camera || !seesCamera(user, camera)) throw notFound("camera");
      if (!managesSchool(user, camera.schoolId)) throw forbidden();
      const { source } = camera;
      if (source.kind !== "rtsp") throw explainedError(422, "not_rtsp", testPattern);
      const credentials = { username: source.username, password: source.password };
      const [main, sub] = await Promise.all([
        tester.test({ url: source.url, ...credentials }),
        source.subUrl === undefined ? undefined : tester.test({ url: source.subUrl, ...credentials }),
      ]);
      res.json({
        ok: main.ok && (sub?.ok ?? true),
        main: shown(main),
        ...(sub !== undefined && { sub: shown(sub) }),
      });
    },
  );
  return api;
}
