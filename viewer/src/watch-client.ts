import { reasonFromBody, renewDelayMs } from "./stream-url.js";

/** `POST /api/watch/:cameraId`. */
export interface Watch {
  cameraId: string;
  name: string;
  demo: boolean;
  renditions: string[];
  hls: string;
  ws: string;
  expiresAt: string;
  /** The guardian's name to draw over the video; absent for dev and demo viewers. */
  watermark?: string;
  /** The school's time zone, for the watermark's clock (absent from older gateways). */
  timeZone?: string;
}

export type RenditionChoice = "auto" | "main" | "sub";

/** Stream URLs granted, and when to ask for fresh ones (measured against the gateway's clock). */
export interface Grant {
  watch: Watch;
  renewInMs: number;
}

/** The gateway said no: an HTTP status and its error.code. */
export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

/**
 * Asks the gateway for stream URLs. Rejects with a RefusedError when the gateway refuses (401, 403,
 * 404, 429 with its reason code), with another Error when it could not be asked (network, 5xx).
 */
export interface WatchClient {
  watch(cameraId: string, prefer: "main" | "sub" | undefined): Promise<Grant>;
}

export const httpWatchClient: WatchClient = {
  async watch(cameraId, prefer) {
    const query = prefer === undefined ? "" : `?prefer=${prefer}`;
    const res = await fetch(`/api/watch/${encodeURIComponent(cameraId)}${query}`, {
      method: "POST",
      credentials: "same-origin",
    });
    const text = await res.text();
    if (!res.ok) {
      const code = reasonFromBody(text);
      if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 429) {
        throw new RefusedError(res.status, code ?? (res.status === 429 ? "rate_limited" : "not_authorized"));
      }
      throw new Error(code ?? `HTTP ${String(res.status)}`);
    }
    const watch = JSON.parse(text) as Watch;
    return { watch, renewInMs: renewDelayMs(watch.expiresAt, res.headers.get("date"), Date.now()) };
  },
};
