import { z } from "zod";
import type { CameraService } from "../cameras/camera.service.js";
import { credential, rtspUrl } from "../cameras/camera.schema.js";
import type { StreamTestFailure, StreamTestResult } from "../cameras/stream-test-result.js";
import { HttpError } from "../common/errors.js";
import { idSchema } from "../common/ids.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
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
export function cameraTestRoutes(service: CameraService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);

  api.post(
    "/api/cameras/test",
    {
      summary:
        "Test an RTSP stream before adding it (reads it for 2 s): 200 {ok, video: {codec, width, height, " +
        "fps?, profile?, measured?: {fps, bitrateKbps, seconds, frames}}, " +
        "audio, needsTranscode}, or 422 {error: {code, message, messages: {id, en}, detail?}}",
      tag: "cameras",
      auth: "admin",
      body: cameraTestSchema,
    },
    async (req, res, body) => {
      const result = await service.testStream(auth.caller(req), body);
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
      const { main, sub } = await service.testStored(auth.caller(req), pathId(req.params.id, "camera"));
      res.json({
        ok: main.ok && (sub?.ok ?? true),
        main: shown(main),
        ...(sub !== undefined && { sub: shown(sub) }),
      });
    },
  );
  return api;
}
