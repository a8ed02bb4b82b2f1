/**
 * The Diskominfo dashboard's arithmetic over GET /api/fleet, pure so it is unit-tested: which cameras a
 * filter keeps, the worst first, counts by state, and a live event applied to the rows.
 */
import type { CameraState } from "./events.js";

export type { CameraState };

export const cameraStates: readonly CameraState[] = [
  "offline",
  "degraded",
  "unknown",
  "paused",
  "online",
  "disabled",
];

export interface FleetCamera {
  id: string;
  name: string;
  schoolId: string | null;
  state: CameraState;
  since: string;
  reason: string;
  flapping?: true;
  fps?: number;
  bitrateKbps?: number;
  viewers?: number;
  lastError?: string;
}

export interface FleetSchool {
  id: string;
  name: string;
  area: string;
  counts: Partial<Record<CameraState, number>>;
}

export interface Fleet {
  at: string;
  counts: Record<CameraState, number>;
  schools: FleetSchool[];
  cameras: FleetCamera[];
}

export interface FleetFilter {
  state?: CameraState | undefined;
  area?: string | undefined;
  /** Part of the school's name, any case. */
  school?: string | undefined;
}

/** Offline first, then degraded, unknown, paused, online; disabled (nobody expects a picture) last. */
const rank: Record<CameraState, number> = {
  offline: 0,
  degraded: 1,
  unknown: 2,
  paused: 3,
  online: 4,
  disabled: 5,
};

/** The worst first; within a state the longest in it first (the camera offline since Monday before today's). */
export function worstFirst(a: FleetCamera, b: FleetCamera): number {
  return rank[a.state] - rank[b.state] || a.since.localeCompare(b.since) || a.id.localeCompare(b.id);
}

export function emptyCounts(): Record<CameraState, number> {
  return { online: 0, degraded: 0, offline: 0, paused: 0, disabled: 0, unknown: 0 };
}

export function isCameraState(s: string | null | undefined): s is CameraState {
  return s != null && (cameraStates as readonly string[]).includes(s);
}

/**
 * The cameras the area and school filters keep, counted by state (what the state buttons show), and those
 * the state filter keeps too, worst first.
 */
export function filterFleet(
  cameras: readonly FleetCamera[],
  schools: ReadonlyMap<string, FleetSchool>,
  f: FleetFilter,
): { counts: Record<CameraState, number>; shown: FleetCamera[] } {
  const q = (f.school ?? "").trim().toLocaleLowerCase();
  const area = f.area ?? "";
  const keepSchool = new Map<string, boolean>();
  const keeps = (schoolId: string | null): boolean => {
    if (q === "" && area === "") return true;
    const key = schoolId ?? "";
    let k = keepSchool.get(key);
    if (k === undefined) {
      const s = schoolId === null ? undefined : schools.get(schoolId);
      k =
        (area === "" || s?.area === area) && (q === "" || (s?.name.toLocaleLowerCase().includes(q) ?? false));
      keepSchool.set(key, k);
    }
    return k;
  };
  const counts = emptyCounts();
  const shown: FleetCamera[] = [];
  for (const c of cameras) {
    if (!keeps(c.schoolId)) continue;
    counts[c.state]++;
    if (f.state === undefined || c.state === f.state) shown.push(c);
  }
  shown.sort(worstFirst);
  return { counts, shown };
}

/** What /api/events sends that changes a row. */
export type FleetEvent =
  | { type: "state"; cameraId: string; at: string; to: CameraState; reason: string }
  | { type: "flapping"; cameraId: string; at: string; on: boolean }
  | {
      type: "counters";
      at: string;
      cameras: { cameraId: string; viewers: number; fps: number; bitrate: number }[];
    };

/**
 * The rows after one event, the same array when nothing changed. A state change older than what the row
 * shows (heard on the socket before the fleet was read) is ignored. Counters list every live camera: one
 * missing from them has no rendition any more.
 */
export function applyEvent(cameras: readonly FleetCamera[], e: FleetEvent): readonly FleetCamera[] {
  switch (e.type) {
    case "state": {
      const i = cameras.findIndex((c) => c.id === e.cameraId);
      const c = cameras[i];
      if (c === undefined || Date.parse(e.at) < Date.parse(c.since)) return cameras;
      const next = cameras.slice();
      next[i] = { ...c, state: e.to, since: e.at, reason: e.reason };
      return next;
    }
    case "flapping": {
      const i = cameras.findIndex((c) => c.id === e.cameraId);
      const c = cameras[i];
      if (c === undefined) return cameras;
      const next = cameras.slice();
      const { flapping: _drop, ...rest } = c;
      next[i] = e.on ? { ...rest, flapping: true } : rest;
      return next;
    }
    case "counters": {
      const live = new Map(e.cameras.map((x) => [x.cameraId, x]));
      const next = cameras.map((c): FleetCamera => {
        const l = live.get(c.id);
        if (l === undefined) {
          if (c.fps === undefined && c.viewers === undefined) return c;
          const { fps: _f, bitrateKbps: _b, viewers: _v, ...rest } = c;
          return rest;
        }
        const fps = Math.round(l.fps * 10) / 10;
        const bitrateKbps = Math.round(l.bitrate / 1000);
        if (c.fps === fps && c.bitrateKbps === bitrateKbps && c.viewers === l.viewers) return c;
        return { ...c, fps, bitrateKbps, viewers: l.viewers };
      });
      return next.some((c, i) => c !== cameras[i]) ? next : cameras;
    }
  }
}
