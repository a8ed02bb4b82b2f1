import type { Camera } from "../cameras/camera.js";
import type { StreamTokens } from "./stream-token.js";

export interface MediaDenial {
  status: 401 | 403 | 404;
  /** A reason code the page can show: token_invalid, token_expired, camera_unavailable, … */
  code: string;
  message: string;
}

export type MediaDecision = { ok: true; camera: Camera; sid: string } | ({ ok: false } & MediaDenial);

/** Decides every media request (playlist, part, segment, init, WebSocket) from in-memory state only. */
export interface MediaAccess {
  authorize(token: string, opts?: { allowExpired?: boolean }): MediaDecision;
}

/** Who may be issued stream URLs for a camera (POST /api/watch/:cameraId). */
export interface WatchPolicy {
  mayWatch(camera: Camera): boolean;
}

/**
 * Until guardians and sessions exist (the access issue), a token is good when its signature and expiry
 * hold and its camera is enabled; the access layer adds sessions, grants, windows and pauses here.
 */
export class TokenMediaAccess implements MediaAccess {
  constructor(
    private readonly tokens: StreamTokens,
    private readonly cameraById: (id: string) => Camera | undefined,
  ) {}

  authorize(token: string, opts: { allowExpired?: boolean } = {}): MediaDecision {
    const v = this.tokens.verify(token, opts);
    if (!v.ok) {
      return v.reason === "expired"
        ? { ok: false, status: 403, code: "token_expired", message: "stream link expired; reload the page" }
        : { ok: false, status: 403, code: "token_invalid", message: "stream link is not valid" };
    }
    const camera = this.cameraById(v.grant.cameraId);
    if (!camera?.enabled) {
      return {
        ok: false,
        status: 404,
        code: "camera_unavailable",
        message: "camera does not exist or is disabled",
      };
    }
    return { ok: true, camera, sid: v.grant.sid };
  }
}

/** Development and demo rule: the demo camera is open to all; every camera when dev.openStreams is on. */
export class DevWatchPolicy implements WatchPolicy {
  constructor(private readonly openStreams: boolean) {}

  mayWatch(camera: Camera): boolean {
    return this.openStreams || camera.demo;
  }
}
