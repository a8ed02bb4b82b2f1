import { createHmac, timingSafeEqual } from "node:crypto";

/** The RTMP application every camera pushes to: `rtmp://host:port/live/<cameraId>`. */
export const rtmpApp = "live";

/**
 * Why a push was refused; the child reports it, the gateway logs it (never the signature itself).
 * `revoked`: a URL of an earlier generation (a newer one was issued); `unknown_camera`: a good signature of
 * a camera that is not (or no longer) of kind rtmp, or was deleted.
 */
export type PublishRejection =
  "bad_path" | "no_signature" | "malformed" | "bad_signature" | "unknown_camera" | "revoked" | "expired";

const cameraIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
// `<expires>-<hash>` (generation 0, the v1 URLs handed out before generations) or `<expires>-<gen>-<hash>`.
const signPattern = /^(\d{1,12})(?:-([1-9]\d{0,8}))?-([0-9a-f]{64})$/;

/** The stream path node-media-server reports for a camera's stream (`/<app>/<name>`, no query). */
export function rtmpStreamPath(cameraId: string): string {
  return `/${rtmpApp}/${cameraId}`;
}

/** Generation 0 keeps the v1 message, so URLs issued before generations existed stay valid. */
function mac(key: Buffer, streamPath: string, generation: number, expiresSec: number): Buffer {
  const message =
    generation === 0
      ? `pantau-rtmp-publish-v1|${streamPath}|${String(expiresSec)}`
      : `pantau-rtmp-publish-v2|${streamPath}|${String(generation)}|${String(expiresSec)}`;
  return createHmac("sha256", key).update(message).digest();
}

/**
 * The `sign` query value of a camera's publish URL, in node-media-server's own shape (`<expires>-<hash>`,
 * expires in Unix seconds; `<expires>-<generation>-<hash>` from generation 1 on) but HMAC-SHA256 over the
 * stream path, the camera's publish generation and the expiry instead of its MD5 of path + secret: the
 * signature names one camera, so it cannot be replayed on another's path, and one generation, so issuing a
 * new URL (a higher generation) revokes every earlier one.
 */
export function publishSign(key: Buffer, cameraId: string, expiresSec: number, generation = 0): string {
  if (!cameraIdPattern.test(cameraId)) throw new Error("camera ids in RTMP paths must be path-safe");
  if (!Number.isSafeInteger(generation) || generation < 0 || generation > 999_999_999)
    throw new Error("a publish generation is an integer from 0 to 999999999");
  const hash = mac(key, rtmpStreamPath(cameraId), generation, expiresSec).toString("hex");
  return generation === 0
    ? `${String(expiresSec)}-${hash}`
    : `${String(expiresSec)}-${String(generation)}-${hash}`;
}

/** What an NVR is given: the full URL, and the same split into server and stream key (most NVR forms ask so). */
export interface PublishUrl {
  url: string;
  server: string;
  streamKey: string;
  expiresAt: string;
}

/** The signed publish URL of one camera's `generation`, valid until `expiresSec` or the next generation. */
export function publishUrl(
  key: Buffer,
  target: { host: string; port: number },
  cameraId: string,
  expiresSec: number,
  generation = 0,
): PublishUrl {
  const host = target.host.includes(":") && !target.host.startsWith("[") ? `[${target.host}]` : target.host;
  const server = `rtmp://${host}:${String(target.port)}/${rtmpApp}`;
  const streamKey = `${cameraId}?sign=${publishSign(key, cameraId, expiresSec, generation)}`;
  return {
    url: `${server}/${streamKey}`,
    server,
    streamKey,
    expiresAt: new Date(expiresSec * 1000).toISOString(),
  };
}

/**
 * Whether a push to `streamPath` with query `sign` may publish at `nowSec`: the path is a camera's under
 * the one application, the signature is that path's (constant-time compare), the camera is a pushed one
 * whose current publish generation (`generationOf`, undefined for no such camera) is the URL's, and it has
 * not expired. The signature is checked before anything is said about the camera, so a caller without a
 * URL learns nothing of which cameras exist.
 */
export function verifyPublish(
  key: Buffer,
  streamPath: unknown,
  sign: unknown,
  nowSec: number,
  generationOf: (cameraId: string) => number | undefined,
): { ok: true; cameraId: string; generation: number } | { ok: false; reason: PublishRejection } {
  const prefix = `/${rtmpApp}/`;
  if (typeof streamPath !== "string" || !streamPath.startsWith(prefix))
    return { ok: false, reason: "bad_path" };
  const cameraId = streamPath.slice(prefix.length);
  if (!cameraIdPattern.test(cameraId)) return { ok: false, reason: "bad_path" };
  if (sign === undefined || sign === "") return { ok: false, reason: "no_signature" };
  // A repeated `sign=` arrives as an array (node's querystring): refused, not guessed at.
  const parts = typeof sign === "string" ? signPattern.exec(sign) : null;
  if (parts === null) return { ok: false, reason: "malformed" };
  const expiresSec = Number(parts[1]);
  const generation = parts[2] === undefined ? 0 : Number(parts[2]);
  const given = Buffer.from(parts[3] ?? "", "hex");
  const expected = mac(key, streamPath, generation, expiresSec);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "bad_signature" };
  const current = generationOf(cameraId);
  if (current === undefined) return { ok: false, reason: "unknown_camera" };
  if (generation !== current) return { ok: false, reason: "revoked" };
  if (expiresSec <= nowSec) return { ok: false, reason: "expired" };
  return { ok: true, cameraId, generation };
}

/** Who may play from the RTMP child: only this machine (the gateway's own ffmpeg pulls there). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
