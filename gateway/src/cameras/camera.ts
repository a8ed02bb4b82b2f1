/** A camera's video source. Credentials travel beside the URL and are put into it only at spawn time. */
export type CameraSource =
  | {
      kind: "rtsp";
      url: string;
      subUrl?: string | undefined;
      username?: string | undefined;
      password?: string | undefined;
    }
  | { kind: "test-pattern" };

export type VideoCodec = "h264" | "h265";

export interface Camera {
  id: string;
  schoolId: string | null;
  classroomId: string | null;
  name: string;
  source: CameraSource;
  /** Known once a stream has run (or ONVIF said so); H.265 is transcoded because browsers cannot play it. */
  videoCodec: VideoCodec | null;
  audio: boolean;
  alwaysOn: boolean;
  enabled: boolean;
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

export type RenditionName = "main" | "sub";

/** The renditions a camera offers: main always, sub when the source has a second stream. */
export function renditionsOf(camera: Camera): RenditionName[] {
  return camera.source.kind === "rtsp" && camera.source.subUrl !== undefined ? ["main", "sub"] : ["main"];
}

/** What the API shows of a camera: never a password. */
export function publicCamera(camera: Camera): Record<string, unknown> {
  const { source, ...rest } = camera;
  const shown =
    source.kind === "rtsp"
      ? {
          kind: source.kind,
          url: source.url,
          subUrl: source.subUrl,
          username: source.username,
          hasPassword: source.password !== undefined,
        }
      : source;
  return { ...rest, source: shown, renditions: renditionsOf(camera) };
}
