import { z } from "zod";
import { urlOf } from "../common/url-input.js";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";
import { explanations } from "./stream-test-result.js";

const maxUrlLength = 2048;

/**
 * Only RTSP reaches ffmpeg: an allow-list of schemes, checked here and again by ffmpeg's
 * -protocol_whitelist, so `file:`, `concat:`, `http:` or a crafted URL can never make ffmpeg read a file
 * or reach an HTTP service. Another scheme is refused as `not_rtsp` with a sentence for the admin
 * (an HTTP snapshot or web-page address is the usual mix-up).
 */
export const rtspUrl = z
  .string()
  .max(maxUrlLength)
  .superRefine((value, ctx) => {
    const url = urlOf(value, ctx, "rtsp://host[:port]/path");
    if (url === undefined) return;
    if (url.protocol !== "rtsp:" && url.protocol !== "rtsps:") {
      ctx.addIssue({
        code: "custom",
        message: `scheme "${url.protocol}" is not allowed; use rtsp:// or rtsps://`,
        params: { code: "not_rtsp", messages: explanations.notRtsp },
      });
      return;
    }
    if (url.hostname === "") ctx.addIssue({ code: "custom", message: "URL has no host" });
    if (url.port !== "" && (Number(url.port) < 1 || Number(url.port) > 65535)) {
      ctx.addIssue({ code: "custom", message: "port must be 1–65535" });
    }
  });

// A camera's name is shown on the parents' page and in the admin lists, like every other name.
const name = nameSchema(100);
export const credential = z.string().max(256);

export const rtspSourceSchema = z
  .object({
    kind: z.literal("rtsp"),
    url: rtspUrl,
    subUrl: rtspUrl.optional().describe("Second, smaller stream of the same camera (the sub rendition)"),
    username: credential.optional(),
    password: credential.optional(),
  })
  .strict();

/** A camera host as typed by an admin: an IPv4/IPv6 literal or a DNS name, nothing that could carry a path. */
export const cameraHost = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:-]+$/, "expected an IP address or host name, like 192.168.1.64");

/** The device service's path, for the few cameras that serve it elsewhere (a scan's deviceServiceUrl says). */
export const onvifPath = z
  .string()
  .regex(/^(?!.*\/\.\.?(?:\/|$))\/[A-Za-z0-9._~/-]{0,200}$/, "expected a path like /onvif/device_service")
  .optional()
  .describe("Path of the ONVIF device service; default /onvif/device_service");

export const onvifSourceSchema = z
  .object({
    kind: z.literal("onvif"),
    host: cameraHost,
    port: z.number().int().min(1).max(65535).default(80).describe("HTTP port of the camera's ONVIF service"),
    path: onvifPath,
    username: credential.optional(),
    password: credential.optional(),
    profile: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Media profile token for the main rendition; default: the suggested one"),
    subProfile: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .describe("Profile token for the sub rendition; null for none; default: the suggested one"),
  })
  .strict();

export const cameraCreateSchema = z
  .object({
    schoolId: idSchema,
    classroomId: idSchema.optional(),
    name,
    source: z.discriminatedUnion("kind", [
      rtspSourceSchema,
      onvifSourceSchema,
      z.object({ kind: z.literal("test-pattern") }).strict(),
      z
        .object({ kind: z.literal("rtmp") })
        .strict()
        .describe(
          "Pushed by an NVR or encoder to the gateway's RTMP listener (rtmp.enabled); its signed URL: " +
            "GET /api/cameras/:id/publish-url (POST: a new one, revoking the earlier ones)",
        ),
    ]),
    audio: z.boolean().default(false),
    alwaysOn: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .strict();

export const cameraPatchSchema = z
  .object({
    classroomId: idSchema.nullable().optional(),
    name: name.optional(),
    source: cameraCreateSchema.shape.source.optional(),
    audio: z.boolean().optional(),
    alwaysOn: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export type CameraCreate = z.infer<typeof cameraCreateSchema>;
export type CameraPatch = z.infer<typeof cameraPatchSchema>;
export type OnvifSourceInput = z.infer<typeof onvifSourceSchema>;
/** A source as stored: an ONVIF source is first resolved (onvif/) into the RTSP streams it names. */
export type StoredSource = Exclude<CameraCreate["source"], OnvifSourceInput>;
export type StoredCameraCreate = Omit<CameraCreate, "source"> & { source: StoredSource };
export type StoredCameraPatch = Omit<CameraPatch, "source"> & { source?: StoredSource };

// Userinfo and user=/password= parameters both leave the URL before it is stored (url-credentials.ts).
export { separateCredentials } from "./url-credentials.js";
