import type { AccessState } from "../access/access-state.js";
import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import { forbidden, notFound } from "../common/errors.js";
import type { CameraState } from "./camera-state.js";
import type { CameraHealthView, HealthMonitor } from "./health-monitor.js";
import type { HealthEventRecord, HealthRepository } from "./health.repository.js";

/** A camera's health as the API answers it (times as ISO strings). */
export interface CameraHealthJson {
  cameraId: string;
  schoolId: string | null;
  schoolName: string | null;
  name: string;
  state: CameraHealthView["state"];
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

export interface HealthEventJson {
  at: string;
  kind: HealthEventRecord["kind"];
  from: string | null;
  to: string;
  reason: string;
  detail: Record<string, unknown> | null;
}

/** One camera in the fleet summary: what a dashboard tile shows, nothing more (10 000 of them in one answer). */
export interface FleetCameraJson {
  id: string;
  name: string;
  schoolId: string | null;
  state: CameraState;
  since: string;
  reason: string;
  flapping?: true;
  /** Only while a rendition runs (the main one's counters). */
  fps?: number;
  bitrateKbps?: number;
  viewers?: number;
  /** The last probe's or the running rendition's error code, when there is one. */
  lastError?: string;
}

/** One school in the fleet summary, with its cameras counted by state. */
export interface FleetSchoolJson {
  id: string;
  name: string;
  area: string;
  counts: Partial<Record<CameraState, number>>;
}

export interface FleetJson {
  at: string;
  counts: Record<CameraState, number>;
  schools: FleetSchoolJson[];
  cameras: FleetCameraJson[];
}

/** A running main rendition's counters, by camera (the stream manager's, handed over by the route). */
export type LiveCounters = ReadonlyMap<
  string,
  { fps: number; bitrate: number; viewers: number; lastError?: string | undefined }
>;

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

const noCounts: Record<CameraState, number> = {
  online: 0,
  degraded: 0,
  offline: 0,
  paused: 0,
  disabled: 0,
  unknown: 0,
};

/**
 * Camera health for operators (every school) and school admins (their own): what the monitor knows now and
 * each camera's history. Teachers watch and pause; health is not theirs.
 */
export class HealthService {
  constructor(
    private readonly monitor: HealthMonitor,
    private readonly repo: HealthRepository,
    private readonly access: AccessState,
  ) {}

  /** May this caller see the health of `schoolId`'s cameras? (Throws 403 for a teacher.) */
  private check(caller: Caller): void {
    if (caller.user.role === "teacher") throw forbidden();
  }

  visible(caller: Caller, schoolId: string | null): boolean {
    return caller.user.role !== "teacher" && managesSchool(caller.user, schoolId);
  }

  cameras(caller: Caller): CameraHealthJson[] {
    this.check(caller);
    return this.monitor
      .list()
      .filter((v) => managesSchool(caller.user, v.schoolId))
      .map((v) => this.json(v))
      .sort((a, b) => (a.schoolName ?? "").localeCompare(b.schoolName ?? "") || a.name.localeCompare(b.name));
  }

  /**
   * Every school and camera the caller may see, compact: what the Diskominfo dashboard draws. At 500 schools
   * × 20 cameras GET /api/health is 3.7 MB (probes, device facts); this is 1.6 MB.
   */
  fleet(caller: Caller, live: LiveCounters): FleetJson {
    this.check(caller);
    const snap = this.access.snapshot();
    const counts: Record<CameraState, number> = { ...noCounts };
    const schools = new Map<string, FleetSchoolJson>();
    for (const [id, s] of snap.schools) {
      if (managesSchool(caller.user, id)) schools.set(id, { id, name: s.name, area: s.area, counts: {} });
    }
    const cameras: FleetCameraJson[] = [];
    for (const v of this.monitor.list()) {
      if (!managesSchool(caller.user, v.schoolId)) continue;
      const l = live.get(v.cameraId);
      const lastError = l?.lastError ?? v.lastProbe?.error ?? v.facts.lastError;
      const row: FleetCameraJson = {
        id: v.cameraId,
        name: v.name,
        schoolId: v.schoolId,
        state: v.state,
        since: new Date(v.since).toISOString(),
        reason: v.reason,
      };
      if (v.flapping) row.flapping = true;
      if (l) {
        row.fps = Math.round(l.fps * 10) / 10;
        row.bitrateKbps = Math.round(l.bitrate / 1000);
        row.viewers = l.viewers;
      }
      if (lastError !== undefined) row.lastError = lastError;
      cameras.push(row);
      counts[v.state]++;
      const school = v.schoolId === null ? undefined : schools.get(v.schoolId);
      if (school) school.counts[v.state] = (school.counts[v.state] ?? 0) + 1;
    }
    return {
      at: new Date().toISOString(),
      counts,
      schools: [...schools.values()].sort((a, b) => a.name.localeCompare(b.name)),
      cameras,
    };
  }

  camera(caller: Caller, cameraId: string, limit = 100): CameraHealthJson & { events: HealthEventJson[] } {
    this.check(caller);
    const v = this.monitor.get(cameraId);
    if (v === undefined || !managesSchool(caller.user, v.schoolId)) throw notFound("camera");
    const events = this.repo.recent(cameraId, limit).map((e) => ({
      at: new Date(e.at).toISOString(),
      kind: e.kind,
      from: e.from,
      to: e.to,
      reason: e.reason,
      detail: e.detail,
    }));
    return { ...this.json(v), events };
  }

  json(v: CameraHealthView): CameraHealthJson {
    const school = v.schoolId === null ? undefined : this.access.snapshot().schools.get(v.schoolId);
    const f = v.facts;
    return {
      cameraId: v.cameraId,
      schoolId: v.schoolId,
      schoolName: school?.name ?? null,
      name: v.name,
      state: v.state,
      since: new Date(v.since).toISOString(),
      reason: v.reason,
      flapping: v.flapping,
      live: v.live,
      fps: v.fps ?? null,
      lastProbe: v.lastProbe
        ? {
            at: new Date(v.lastProbe.at).toISOString(),
            ok: v.lastProbe.ok,
            ms: v.lastProbe.ms,
            error: v.lastProbe.error ?? null,
          }
        : null,
      lastOkAt: iso(f.lastOkAt),
      device: {
        serial: f.serial ?? null,
        firmware: f.firmware ?? null,
        model: f.model ?? null,
        width: f.width ?? null,
        height: f.height ?? null,
        clockSkewMs: f.clockSkewMs ?? null,
      },
    };
  }
}
