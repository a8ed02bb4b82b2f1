import type { Camera } from "../cameras/camera.js";
import { decideCamera, type CameraDecision, type Viewer } from "./access-decision.js";
import type { AccessState } from "./access-state.js";
import { SocketLimits, type SocketRefusal } from "./socket-limits.js";
import type { StreamTokens } from "./stream-token.js";
import { ViewingTracker, type ClientInfo } from "./viewing-tracker.js";

export interface MediaDenial {
  status: 401 | 403 | 404;
  /** A reason code the page can show: token_invalid, token_expired, revoked, outside_hours, paused, … */
  code: string;
  message: string;
}

export type MediaDecision =
  | {
      ok: true;
      camera: Camera;
      sid: string;
      viewer: Viewer;
      /** Viewing session key, for byte counts. */ key: string;
    }
  | ({ ok: false } & MediaDenial);

export interface AuthorizeOptions {
  /** For an open WebSocket, re-checked every second after it was admitted with a valid token. */
  allowExpired?: boolean;
}

export type Allowed = Extract<MediaDecision, { ok: true }>;

/** Decides every media request (playlist, part, segment, init, WebSocket) from in-memory state only. */
export interface MediaAccess {
  authorize(token: string, opts?: AuthorizeOptions): MediaDecision;
  /**
   * An authorized request for media that exists counts as viewing: it starts or extends the viewing session,
   * held to the viewers-per-camera cap.
   */
  admit(d: Allowed, client: ClientInfo): MediaDecision;
  /** May this viewer session be given stream URLs for the camera now (POST /api/watch), caps included? */
  check(
    sid: string,
    cameraId: string,
  ): CameraDecision | { ok: false; status: 403; code: "viewer_limit"; message: string };
  /** Counts bytes served to a viewing session. */
  served(key: string, bytes: number): void;
  /**
   * `admit` for a WebSocket, held first to the sockets-per-session (viewer session and camera) and
   * per-address caps. On success the socket counts, and holds its viewing session open, until `close()`.
   */
  openSocket(d: Allowed, client: ClientInfo): { ok: true; close: () => void } | ({ ok: false } & MediaDenial);
  /** Changes when anything that decides access changed (an open WebSocket re-decides then). */
  readonly generation: number;
}

const socketRefusals: Record<SocketRefusal, string> = {
  socket_limit: "this video is already open in other windows or tabs of this device; close one and try again",
  address_limit: "too many video connections from your network right now; try again in a moment",
};

const viewerLimit = {
  ok: false,
  status: 403,
  code: "viewer_limit",
  message: "too many people are watching this camera; try again later",
} as const;

/**
 * The media gate: token signature and expiry (constant time), then the viewer behind the token's session
 * id (device, admin sign-in, dev) against the in-memory access state and clock, then the viewer cap.
 */
export class TokenMediaAccess implements MediaAccess {
  constructor(
    private readonly tokens: StreamTokens,
    private readonly state: AccessState,
    private readonly tracker: ViewingTracker,
    private readonly o: {
      openStreams: boolean;
      maxViewersPerCamera: number;
      /** Open WebSockets per viewing session (viewer session and camera). */
      wsMaxPerSession: number;
      /** Open WebSockets per client address, all viewers and cameras together. */
      wsMaxPerAddress: number;
    },
    private readonly now: () => number = Date.now,
  ) {
    this.sockets = new SocketLimits({ perSession: o.wsMaxPerSession, perAddress: o.wsMaxPerAddress });
  }

  private readonly sockets: SocketLimits;

  get generation(): number {
    return this.state.generation;
  }

  authorize(token: string, opts: AuthorizeOptions = {}): MediaDecision {
    const v = this.tokens.verify(token, opts);
    if (!v.ok) {
      return v.reason === "expired"
        ? { ok: false, status: 403, code: "token_expired", message: "stream link expired; reload the page" }
        : { ok: false, status: 403, code: "token_invalid", message: "stream link is not valid" };
    }
    const { sid, cameraId } = v.grant;
    const d = decideCamera(this.state.snapshot(), sid, cameraId, new Date(this.now()), this.o.openStreams);
    const key = ViewingTracker.key(sid, cameraId);
    if (!d.ok) {
      // A refused viewer's session ends now, not after the idle time: its place is free for someone else.
      this.tracker.endNow(key, d.code);
      return { ok: false, status: d.status, code: d.code, message: d.message };
    }
    return { ok: true, camera: d.camera, sid, viewer: d.viewer, key };
  }

  admit(d: Allowed, client: ClientInfo): MediaDecision {
    if (this.full(d.key, d.camera.id)) return viewerLimit;
    this.tracker.seen(d.sid, d.camera, d.viewer, client);
    return d;
  }

  check(sid: string, cameraId: string): ReturnType<MediaAccess["check"]> {
    const d = decideCamera(this.state.snapshot(), sid, cameraId, new Date(this.now()), this.o.openStreams);
    if (d.ok && this.full(ViewingTracker.key(sid, cameraId), cameraId)) return viewerLimit;
    return d;
  }

  private full(key: string, cameraId: string): boolean {
    return !this.tracker.isActive(key) && this.tracker.viewers(cameraId) >= this.o.maxViewersPerCamera;
  }

  served(key: string, bytes: number): void {
    this.tracker.addBytes(key, bytes);
  }

  openSocket(d: Allowed, client: ClientInfo): ReturnType<MediaAccess["openSocket"]> {
    const release = this.sockets.take(d.key, client.ip);
    if (typeof release === "string") {
      return { ok: false, status: 403, code: release, message: socketRefusals[release] };
    }
    const admitted = this.admit(d, client);
    if (!admitted.ok) {
      release();
      return admitted;
    }
    this.tracker.socketOpened(d.key);
    let open = true;
    return {
      ok: true,
      close: () => {
        if (!open) return;
        open = false;
        release();
        this.tracker.socketClosed(d.key);
      },
    };
  }
}
