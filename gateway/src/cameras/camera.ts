/** A camera's video source. Credentials travel beside the URL and are put into it only at spawn time. */
export type CameraSource =
  | {
      kind: "rtsp";
      url: string;
      subUrl?: string | undefined;
      username?: string | undefined;
      password?: string | undefined;
    }
  | { kind: "test-pattern" }
  /** Pushed by an NVR or encoder to the gateway's RTMP listener (ingest/), with the camera's signed URL. */
  | { kind: "rtmp" }
  /**
   * At a hub: a camera of a school's edge gateway. Its real source and credentials stay at the edge; the hub
   * relays its renditions (fleet/relay-feed.ts). `sub`: the edge offers a sub stream too.
   */
  | { kind: "edge"; edgeId: string; sub: boolean };

/** A source the gateway itself pulls with ffmpeg (every kind but a hub's relayed edge camera). */
export type IngestSource = Exclude<CameraSource, { kind: "edge" }>;
export type EdgeSource = Extract<CameraSource, { kind: "edge" }>;

export type VideoCodec = "h264" | "h265";

/**
 * The one transcode decision: ffmpeg encodes H.264 for the test pattern (it draws the picture) and for an
 * H.265 source (no browser Pantau serves plays it: Chromium, Android, most iPhones); otherwise it copies.
 */
export function needsTranscode(source: CameraSource["kind"], codec: VideoCodec | null | undefined): boolean {
  return source === "test-pattern" || codec === "h265";
}

/**
 * Who an ONVIF camera said it was at registration (GetDeviceInformation, asked with credentials). A host that
 * later answers with the camera's UUID is followed automatically only if it says the same, unasked for credentials.
 */
export interface OnvifIdentity {
  serialNumber: string;
  hardwareId: string;
}

/** How a camera registered through ONVIF is reached and re-found; its stream URLs live in its source. */
export interface OnvifBinding {
  /** Device service URL on the camera's current address. */
  deviceServiceUrl: string;
  /** WS-Discovery endpoint reference (`urn:uuid:…`); a re-probe finds the camera by it after DHCP moved it. */
  deviceUuid: string | null;
  /** Media profile tokens behind the main and sub renditions. */
  profile: string;
  subProfile: string | null;
  /** Null for cameras registered before identities were kept, or that gave no serial number. */
  identity: OnvifIdentity | null;
}

export interface Camera {
  id: string;
  schoolId: string | null;
  classroomId: string | null;
  name: string;
  source: CameraSource;
  /** Set when the camera was registered through ONVIF (its source is then the RTSP streams ONVIF named). */
  onvif: OnvifBinding | null;
  /** Known once a stream has run (or ONVIF said so); H.265 is transcoded because browsers cannot play it. */
  videoCodec: VideoCodec | null;
  audio: boolean;
  alwaysOn: boolean;
  enabled: boolean;
  demo: boolean;
  /**
   * Signed into a pushed camera's RTMP publish URL (ingest/rtmp-publish-sign.ts); issuing a new URL raises it,
   * which revokes every earlier one. Set only by that (CameraRepository.nextPublishGeneration), never by a
   * create or change body.
   */
  publishGeneration: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * The built-in demo: the camera the demo setting made, still on its test pattern. Only it may be watched
 * without a sign-in or a parent's phone (and only while the demo setting is on); given a real source it is a
 * real camera.
 */
export function isDemoCamera(camera: Camera): boolean {
  return camera.demo && camera.source.kind === "test-pattern";
}

/** The host an ONVIF camera is reached at now; "" for a camera not registered through ONVIF. */
export function onvifHostOf(camera: Camera): string {
  return camera.onvif ? new URL(camera.onvif.deviceServiceUrl).hostname : "";
}

export type RenditionName = "main" | "sub";

/** The renditions a camera offers: main always, sub when the source has a second stream. */
export function renditionsOf(camera: Camera): RenditionName[] {
  const { source } = camera;
  if (source.kind === "edge") return source.sub ? ["main", "sub"] : ["main"];
  return source.kind === "rtsp" && source.subUrl !== undefined ? ["main", "sub"] : ["main"];
}

/** Where a camera's video comes from, as the API and the audit log show it: never a password. */
export function shownSource(camera: Camera): Record<string, unknown> {
  const { source, onvif } = camera;
  if (source.kind !== "rtsp") return { ...source };
  const streams = { url: source.url, subUrl: source.subUrl, username: source.username };
  if (onvif === null) return { kind: "rtsp", ...streams };
  const at = new URL(onvif.deviceServiceUrl);
  return {
    kind: "onvif",
    host: at.hostname,
    port: at.port === "" ? 80 : Number(at.port),
    path: at.pathname,
    profile: onvif.profile,
    subProfile: onvif.subProfile,
    deviceUuid: onvif.deviceUuid,
    deviceServiceUrl: onvif.deviceServiceUrl,
    serialNumber: onvif.identity?.serialNumber ?? null,
    hardwareId: onvif.identity?.hardwareId ?? null,
    ...streams,
  };
}

/** What the API shows of a camera: never a password. */
export function publicCamera(camera: Camera): Record<string, unknown> {
  const { source, onvif: _onvif, ...rest } = camera;
  const shown = {
    ...shownSource(camera),
    ...(source.kind === "rtsp" && { hasPassword: source.password !== undefined }),
  };
  return { ...rest, source: shown, renditions: renditionsOf(camera) };
}
