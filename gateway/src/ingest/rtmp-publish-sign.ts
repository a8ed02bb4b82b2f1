import { createHmac, timingSafeEqual } from "node:crypto";

/** The RTMP application every camera pushes to: `rtmp://host:port/live/<cameraId>`. */
export const rtmpApp = "live";

/** Why a push was refused; the child reports it, the gateway logs it (never the signature itself). */
export type PublishRejection = "bad_path" | "no_signature" | "malformed" | "bad_signature" | "expired";

const cameraIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const signPattern = /^(\d{1,12})-([0-9a-f]{64})$/;

/** The stream path node-media-server reports for a camera's stream (`/<app>/<name>`, no query). */
export function rtmpStreamPath(cameraId: string): string {
  return `/${rtmpApp}/${cameraId}`;
}

function mac(key: Buffer, streamPath: string, expiresSec: number): Buffer {
  return createHmac("sha256", key)
    .update(`pantau-rtmp-publish-v1|${streamPath}|${String(expiresSec)}`)
    .digest();
}

/**
 * The `sign` query value of a camera's publish URL, in node-media-server's own shape (`<expires>-<hash>`,
 * expires in Unix seconds) but HMAC-SHA256 over the stream path and expiry instead of its MD5 of
 * path + secret: the signature names one camera, so it cannot be replayed on another's path.
 */
export function publishSign(key: Buffer, cameraId: string, expiresSec: number): string {
  if (!cameraIdPattern.test(cameraId)) throw new Error("camera ids in RTMP paths must be path-safe");
  return `${String(expiresSec)}-${mac(key, rtmpStreamPath(cameraId), expiresSec).toString("hex")}`;
}

/** What an NVR is given: the full URL, and the same split into server and stream key (most NVR forms ask so). */
export interface PublishUrl {
  url: string;
  server: string;
  streamKey: string;
  expiresAt: string;
}

/** The signed publish URL of one camera, valid until `expiresSec`. */
export function publishUrl(
  key: Buffer,
  target: { host: string; port: number },
  cameraId: string,
  expiresSec: number,
): PublishUrl {
  const host = target.host.includes(":") && !target.host.startsWith("[") ? `[${target.host}]` : target.host;
  const server = `rtmp://${host}:${String(target.port)}/${rtmpApp}`;
  const streamKey = `${cameraId}?sign=${publishSign(key, cameraId, expiresSec)}`;
  return {
    url: `${server}/${streamKey}`,
    server,
    streamKey,
    expiresAt: new Date(expiresSec * 1000).toISOString(),
  };
}

/**
 * Whether a push to `streamPath` with query `sign` may publish at `nowSec`: the path is a camera's under
 * the one application, the signature is that path's (constant-time compare), and it has not expired.
 */
export function verifyPublish(
  key: Buffer,
  streamPath: unknown,
  sign: unknown,
  nowSec: number,
): { ok: true; cameraId: string } | { ok: false; reason: PublishRejection } {
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
  const given = Buffer.from(parts[2] ?? "", "hex");
  const expected = mac(key, streamPath, expiresSec);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "bad_signature" };
  if (expiresSec <= nowSec) return { ok: false, reason: "expired" };
  return { ok: true, cameraId };
}

/** Who may play from the RTMP child: only this machine (the gateway's own ffmpeg pulls there). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4 === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
