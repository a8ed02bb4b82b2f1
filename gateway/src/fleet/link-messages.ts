import { z } from "zod";
import { idSchema } from "../common/ids.js";

/**
 * What crosses the link, checked on arrival at both ends: a message that does not parse is refused with a
 * log line and changes nothing (an edge is a machine in a school, not a trusted peer).
 */
const rendition = z.enum(["main", "sub"]);

/** An edge's heartbeat: who it is, and what each of its cameras is doing. */
export const edgeStatusSchema = z
  .object({
    version: z.string().max(40),
    /** Changes at every start of the edge process: the hub tells a restart from a blip. */
    bootId: z.string().max(40),
    sentAt: z.number(),
    /** The edge's own school record (its cameras are registered there; the hub's record is the real one). */
    schoolId: idSchema,
    /** Round trip to the NATS server as the edge measured it (ms). */
    rttMs: z.number().nonnegative().optional(),
    cameras: z
      .array(
        z.object({
          id: idSchema,
          name: z.string().max(200),
          state: z.enum(["online", "degraded", "offline", "paused", "disabled", "unknown"]),
          reason: z.string().max(200),
          sub: z.boolean(),
          fps: z.number().nonnegative().optional(),
        }),
      )
      .max(1000),
    relay: z.object({
      /** Fragments not sent because the link was behind (the relay skips to the next keyframe). */
      droppedFragments: z.number().int().nonnegative(),
      sentBytes: z.number().nonnegative(),
      activeRenditions: z.number().int().nonnegative(),
    }),
  })
  .strict();
export type EdgeStatus = z.infer<typeof edgeStatusSchema>;

/** relay.start / relay.keepalive / relay.stop: one hub session watching one rendition. */
export const relayRequestSchema = z
  .object({
    cameraId: idSchema,
    rendition,
    /** One per hub process and rendition run: acknowledgements are counted per session. */
    session: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    /** Bytes of this session's media received so far (the edge's in-flight count is sent minus this). */
    receivedBytes: z.number().int().nonnegative().optional(),
  })
  .strict();
export type RelayRequest = z.infer<typeof relayRequestSchema>;

export const relayReplySchema = z.union([
  z.object({ ok: z.literal(true), subject: z.string().max(300) }).strict(),
  z.object({ ok: z.literal(false), code: z.string().max(60), message: z.string().max(500) }).strict(),
]);
export type RelayReply = z.infer<typeof relayReplySchema>;

/** The console at the hub asks the edge's own API: an allowed method and path, a JSON body. */
export const apiRequestSchema = z
  .object({
    method: z.enum(["GET", "POST"]),
    path: z.string().max(300),
    body: z.unknown().optional(),
  })
  .strict();
export type ApiRequest = z.infer<typeof apiRequestSchema>;

export const apiReplySchema = z
  .object({ status: z.number().int().min(100).max(599), body: z.unknown() })
  .strict();
export type ApiReply = z.infer<typeof apiReplySchema>;

/**
 * The edge API calls the hub may forward (the console's discovery, inspect, test, register and a
 * camera's last picture). Nothing else: the edge's accounts, keys and settings are not reachable this way.
 */
export const forwardedApi: readonly { method: "GET" | "POST"; path: RegExp }[] = [
  { method: "POST", path: /^\/api\/discovery\/scan$/ },
  { method: "POST", path: /^\/api\/onvif\/inspect$/ },
  { method: "POST", path: /^\/api\/cameras\/test$/ },
  { method: "POST", path: /^\/api\/cameras$/ },
  { method: "GET", path: /^\/api\/cameras$/ },
];

export function isForwardable(method: string, path: string): boolean {
  return forwardedApi.some((a) => a.method === method && a.path.test(path));
}

/** Headers of a media message (NATS headers, so the payload is the fMP4 bytes as they are). */
export const mediaHeader = {
  /** "init" or "frag". */
  kind: "k",
  /** `<bootId>.<initId>`: a new value is a new ffmpeg output at the edge (a discontinuity at the hub). */
  generation: "g",
} as const;
