import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api.js";

/**
 * The live health feed (`/api/events`, gateway/src/http/events.ws.ts) as a hook for any console screen: the
 * school health screen and the Diskominfo dashboard. One socket per screen that uses it; it reconnects with
 * growing, jittered waits when it closes, and returns to sign-in when the gateway says the session ended.
 */

export type CameraState = "online" | "degraded" | "offline" | "paused" | "disabled" | "unknown";

/** A camera's health as `GET /api/health` and the `hello` message give it. */
export interface CameraHealth {
  cameraId: string;
  schoolId: string | null;
  schoolName: string | null;
  name: string;
  state: CameraState;
  since: string;
  reason: string;
  flapping: boolean;
  live: boolean;
  fps: number | null;
  lastProbe: { at: string; ok: boolean; ms: number; error: string | null } | null;
  lastOkAt: string | null;
  device: {
    serial: string | null;
    firmware: string | null;
    model: string | null;
    width: number | null;
    height: number | null;
    clockSkewMs: number | null;
  };
}

export interface CameraCounters {
  cameraId: string;
  viewers: number;
  fps: number;
  bitrate: number;
}

export type EventMessage =
  | { type: "hello"; cameras: CameraHealth[] }
  | {
      type: "state";
      cameraId: string;
      schoolId: string | null;
      at: string;
      from: CameraState;
      to: CameraState;
      reason: string;
    }
  | { type: "flapping"; cameraId: string; schoolId: string | null; at: string; on: boolean }
  | { type: "drift"; cameraId: string; schoolId: string | null; at: string; drift: Record<string, unknown> }
  | { type: "counters"; at: string; cameras: CameraCounters[] };

/** connecting (first time), live, reconnecting (after a close, waiting or dialling), refused (a teacher). */
export type EventsStatus = "connecting" | "live" | "reconnecting" | "refused";

/** Waits before each reconnect, in seconds, as the players' backoff; the last repeats. */
const backoffSeconds = [1, 2, 5, 10, 30] as const;

/** The close codes of /api/events (events.ws.ts `eventsClose`). */
const signedOut = 4401;
const forbidden = 4403;

/**
 * Opens `/api/events` while the calling component is mounted and hands every message to `onMessage` (the
 * latest one given, so it may close over state). A `hello` after a reconnect carries the full state again:
 * a screen replaces what it holds with it, and misses nothing that changed while the socket was down.
 */
export function useEvents(
  onMessage: (m: EventMessage) => void,
  opts: {
    /** "none": a `hello` with no cameras, for a screen that reads them itself (the dashboard: GET /api/fleet). */
    hello?: "none";
  } = {},
): EventsStatus {
  const [status, setStatus] = useState<EventsStatus>("connecting");
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let stopped = false;
    const query = opts.hello === "none" ? "?hello=none" : "";
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/events${query}`;
    const connect = () => {
      ws = new WebSocket(url);
      ws.onmessage = (e: MessageEvent<string>) => {
        let m: EventMessage;
        try {
          m = JSON.parse(e.data) as EventMessage;
        } catch {
          return;
        }
        if (m.type === "hello") {
          failures = 0;
          setStatus("live");
        }
        handler.current(m);
      };
      ws.onclose = (e: CloseEvent) => {
        ws = undefined;
        if (stopped) return;
        if (e.code === forbidden) {
          setStatus("refused");
          return;
        }
        if (e.code === signedOut) {
          // Any API call answering 401 returns the console to its sign-in form.
          api.get("/api/auth/me").catch(() => undefined);
          return;
        }
        // A refused upgrade reaches the page as 1006 with no reason: if it was the sign-in that ended, the
        // 401 of this call returns the console to its form (and unmounts this screen).
        if (failures > 0) api.get("/api/auth/me").catch(() => undefined);
        setStatus("reconnecting");
        const base = backoffSeconds[Math.min(failures, backoffSeconds.length - 1)] ?? 30;
        failures++;
        timer = setTimeout(connect, base * 1000 * (0.75 + Math.random() * 0.5));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ws?.close(1000, "screen closed");
    };
  }, []);
  return status;
}

/** The cameras after one message: what a screen keeps, updated in place of a reload. */
export function camerasAfter(cameras: readonly CameraHealth[], m: EventMessage): CameraHealth[] {
  switch (m.type) {
    case "hello":
      return m.cameras;
    case "state":
      return cameras.map((c) =>
        c.cameraId === m.cameraId ? { ...c, state: m.to, since: m.at, reason: m.reason } : c,
      );
    case "flapping":
      return cameras.map((c) => (c.cameraId === m.cameraId ? { ...c, flapping: m.on } : c));
    case "drift":
    case "counters":
      // Nothing here changes: the same array, so nothing re-renders.
      return cameras as CameraHealth[];
  }
}
