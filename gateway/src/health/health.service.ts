import type { AccessState } from "../access/access-state.js";
import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import { forbidden, notFound } from "../common/errors.js";
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

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

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
