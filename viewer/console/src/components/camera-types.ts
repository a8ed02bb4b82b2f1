/** The camera shapes the cameras screen and the add-camera wizard read from the API (its JSON is the contract). */
import type { Messages } from "../api.js";

export interface CameraJson {
  id: string;
  schoolId: string | null;
  classroomId: string | null;
  name: string;
  enabled: boolean;
  demo: boolean;
  videoCodec: "h264" | "h265" | null;
  source: {
    kind: "rtsp" | "onvif" | "test-pattern" | "rtmp" | "edge";
    host?: string;
    url?: string;
    subUrl?: string;
    /** kind "edge" (at a hub): the school's edge that keeps the camera's source. */
    edgeId?: string;
  };
  renditions: string[];
}

export interface ClassroomJson {
  id: string;
  schoolId: string;
  name: string;
}

export type CameraState = "online" | "degraded" | "offline" | "paused" | "disabled" | "unknown";

export interface CameraHealthJson {
  cameraId: string;
  state: CameraState;
  reason: string;
}

export interface CameraMoveJson {
  id: string;
  cameraId: string;
  cameraName: string;
  from: string;
  to: string;
  status: string;
  firstSeenAt: string;
  seenAt: string;
  reason: { code: string; messages: Messages };
}

export interface ScanDevice {
  uuid: string;
  address: string;
  deviceServiceUrl: string | null;
  scopes: { name?: string; hardware?: string; location?: string };
  registered: boolean;
  cameras: { id: string; name: string; schoolId: string | null }[];
}

export interface InspectedProfile {
  token: string;
  name?: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  streamUri: string | null;
  needsTranscode: boolean;
  codec: "h264" | "h265" | "unsupported";
  problem?: string;
}

export interface Inspection {
  uuid: string | null;
  host: string;
  deviceServiceUrl: string;
  device: { manufacturer?: string; model?: string; firmwareVersion?: string; serialNumber?: string };
  clock: { cameraUtc: string | null; skewSeconds: number | null };
  profiles: InspectedProfile[];
  suggested: { main: string | null; sub: string | null };
  warnings: { code: string; messages: Messages; detail?: string }[];
  registered?: boolean;
  cameras?: { id: string; name: string }[];
}

/** `POST /api/cameras/test`'s answer for a stream that works. */
export interface StreamTestJson {
  ok: true;
  video: {
    codec: "h264" | "h265";
    width: number;
    height: number;
    fps?: number;
    profile?: string;
    measured?: { fps: number; bitrateKbps: number; seconds: number; frames: number };
  };
  audio: { codec: string } | null;
  needsTranscode: boolean;
}

/** The state words of camera health, in both languages, with the badge tone each gets. */
export const stateWords: Record<
  CameraState,
  { id: string; en: string; tone: "ok" | "warn" | "bad" | "muted" }
> = {
  online: { id: "Menyala", en: "Online", tone: "ok" },
  degraded: { id: "Terganggu", en: "Degraded", tone: "warn" },
  offline: { id: "Mati", en: "Offline", tone: "bad" },
  paused: { id: "Dijeda", en: "Paused", tone: "muted" },
  disabled: { id: "Nonaktif", en: "Disabled", tone: "muted" },
  unknown: { id: "Belum diketahui", en: "Unknown", tone: "muted" },
};
