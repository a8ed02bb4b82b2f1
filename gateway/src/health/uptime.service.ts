import { stringify } from "csv-stringify/sync";
import type { AccessState } from "../access/access-state.js";
import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import { forbidden, HttpError } from "../common/errors.js";
import type { Schedule } from "../schools/schedule.js";
import type { CameraState } from "./camera-state.js";
import type { HealthRepository } from "./health.repository.js";
import {
  combineUptime,
  dailyUptime,
  defaultTimeZone,
  monthPeriod,
  sumTallies,
  type Interval,
  type UptimeRow,
  type UptimeTally,
} from "./uptime.js";

/** Maintenance windows and muted periods (alerts/suppression.ts): left out of every uptime figure. */
export interface UptimeExclusions {
  excluded(schoolId: string, cameraId: string, from: number, to: number): Interval[];
}

/** One outage inside the month: from the state event into offline to the one out of it (or the month's end). */
export interface Outage {
  from: number;
  to: number;
  /** Still offline at the end of what was counted. */
  open: boolean;
  reason: string;
}

export interface CameraUptime {
  cameraId: string;
  name: string;
  /** False for a camera removed since (its history still counts for the month it lived in). */
  registered: boolean;
  classroom: string | null;
  month: UptimeRow;
  days: UptimeRow[];
  outages: Outage[];
}

export interface SchoolUptime {
  schoolId: string;
  name: string;
  timeZone: string;
  month: UptimeRow;
  days: UptimeRow[];
  cameras: CameraUptime[];
}

export interface UptimeReport {
  month: string;
  /** What was counted: the month, up to now when it is the current one. */
  from: number;
  to: number;
  schools: SchoolUptime[];
  /** Every school in the report together (time-weighted). */
  total: { aroundTheClock: UptimeTally; inWindows: UptimeTally };
}

const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Uptime per camera, school and the whole regency, per day and per month, in each school's time zone, from
 * the stored state transitions: around the clock, and within the classroom's viewing windows (what parents
 * experience); maintenance windows and muted periods left out of both. Operators see every school, a school
 * admin their own.
 */
export class UptimeService {
  constructor(
    private readonly repo: HealthRepository,
    private readonly access: AccessState,
    private readonly exclusions: UptimeExclusions,
    private readonly now: () => number,
  ) {}

  report(caller: Caller, q: { month: string; schoolId?: string | undefined }): UptimeReport {
    if (caller.user.role === "teacher") throw forbidden();
    if (!monthPattern.test(q.month)) {
      throw new HttpError(400, "invalid_input", "month must be YYYY-MM, e.g. 2026-11", "month");
    }
    const snap = this.access.snapshot();
    if (
      q.schoolId !== undefined &&
      (!snap.schools.has(q.schoolId) || !managesSchool(caller.user, q.schoolId))
    ) {
      throw new HttpError(404, "not_found", "no such school", "schoolId");
    }
    const schoolIds = [...snap.schools.keys()].filter(
      (id) => managesSchool(caller.user, id) && (q.schoolId === undefined || id === q.schoolId),
    );
    const now = this.now();
    let reportFrom = Number.POSITIVE_INFINITY;
    let reportTo = Number.NEGATIVE_INFINITY;
    const schools: SchoolUptime[] = [];
    for (const schoolId of schoolIds) {
      const school = snap.schools.get(schoolId);
      if (!school) continue;
      const timeZone = school.timeZone || defaultTimeZone;
      const month = monthPeriod(q.month, timeZone);
      const period = { from: month.from, to: Math.min(month.to, now) };
      reportFrom = Math.min(reportFrom, period.from);
      reportTo = Math.max(reportTo, period.to);
      if (period.to <= period.from) {
        schools.push({
          schoolId,
          name: school.name,
          timeZone,
          month: emptyRow(q.month),
          days: [],
          cameras: [],
        });
        continue;
      }
      const { before, during } = this.repo.events({
        schoolIds: [schoolId],
        from: period.from,
        to: period.to,
        kinds: ["state"],
      });
      const changesOf = new Map<string, { at: number; state: CameraState; reason: string }[]>();
      for (const e of during) {
        const list = changesOf.get(e.cameraId) ?? [];
        list.push({ at: e.at, state: e.to as CameraState, reason: e.reason });
        changesOf.set(e.cameraId, list);
      }
      const cameraIds = new Set<string>([...before.keys(), ...changesOf.keys()]);
      for (const c of snap.cameras.values()) if (c.schoolId === schoolId) cameraIds.add(c.id);
      const cameras: CameraUptime[] = [];
      for (const cameraId of cameraIds) {
        const camera = snap.cameras.get(cameraId);
        const room = camera?.classroomId == null ? undefined : snap.classrooms.get(camera.classroomId);
        const changes = changesOf.get(cameraId) ?? [];
        const initial = (before.get(cameraId)?.to as CameraState | undefined) ?? "unknown";
        const schedule: Schedule | undefined = room?.schedule;
        const days = dailyUptime({
          initial,
          changes,
          period,
          timeZone,
          schedule,
          excluded: this.exclusions.excluded(schoolId, cameraId, period.from, period.to),
        });
        cameras.push({
          cameraId,
          name: camera?.name ?? cameraId,
          registered: camera !== undefined,
          classroom: room?.name ?? null,
          month: monthRow(q.month, days),
          days,
          outages: outagesOf(initial, before.get(cameraId)?.at, changes, period),
        });
      }
      cameras.sort((a, b) => a.name.localeCompare(b.name));
      const days = combineUptime(cameras.map((c) => c.days));
      schools.push({ schoolId, name: school.name, timeZone, month: monthRow(q.month, days), days, cameras });
    }
    schools.sort((a, b) => a.name.localeCompare(b.name));
    return {
      month: q.month,
      from: Number.isFinite(reportFrom) ? reportFrom : 0,
      to: Number.isFinite(reportTo) ? reportTo : 0,
      schools,
      total: {
        aroundTheClock: sumTallies(schools.map((s) => s.month.aroundTheClock)),
        inWindows: sumTallies(schools.map((s) => s.month.inWindows)),
      },
    };
  }
}

function emptyRow(period: string): UptimeRow {
  const none = sumTallies([]);
  return { period, aroundTheClock: none, inWindows: none };
}

function monthRow(month: string, days: readonly UptimeRow[]): UptimeRow {
  return {
    period: month,
    aroundTheClock: sumTallies(days.map((d) => d.aroundTheClock)),
    inWindows: sumTallies(days.map((d) => d.inWindows)),
  };
}

/** The offline stretches that touch the period, clipped to it. */
function outagesOf(
  initial: CameraState,
  initialAt: number | undefined,
  changes: readonly { at: number; state: CameraState; reason: string }[],
  period: Interval,
): Outage[] {
  const out: Outage[] = [];
  let open: { from: number; reason: string } | undefined =
    initial === "offline" ? { from: initialAt ?? period.from, reason: "offline" } : undefined;
  for (const c of changes) {
    if (c.state === "offline") {
      open ??= { from: c.at, reason: c.reason };
    } else if (open) {
      out.push({ from: Math.max(open.from, period.from), to: c.at, open: false, reason: open.reason });
      open = undefined;
    }
  }
  if (open)
    out.push({ from: Math.max(open.from, period.from), to: period.to, open: true, reason: open.reason });
  return out;
}

const ratioText = (t: UptimeTally) => (t.ratio === null ? "" : t.ratio.toFixed(5));
const seconds = (ms: number) => Math.round(ms / 1000);

/** One row per camera and day, then per camera for the month: for a spreadsheet. */
export function uptimeCsv(r: UptimeReport): string {
  const rows: (string | number)[][] = [];
  const line = (s: SchoolUptime, c: CameraUptime | undefined, row: UptimeRow) => [
    s.schoolId,
    s.name,
    c?.cameraId ?? "",
    c?.name ?? "",
    row.period,
    seconds(row.aroundTheClock.upMs),
    seconds(row.aroundTheClock.countedMs),
    ratioText(row.aroundTheClock),
    seconds(row.inWindows.upMs),
    seconds(row.inWindows.countedMs),
    ratioText(row.inWindows),
  ];
  for (const s of r.schools) {
    for (const c of s.cameras) {
      for (const d of c.days) rows.push(line(s, c, d));
      rows.push(line(s, c, c.month));
    }
    rows.push(line(s, undefined, s.month));
  }
  return stringify(rows, {
    header: true,
    columns: [
      "school_id",
      "school",
      "camera_id",
      "camera",
      "period",
      "up_seconds",
      "counted_seconds",
      "uptime",
      "in_windows_up_seconds",
      "in_windows_counted_seconds",
      "in_windows_uptime",
    ],
  });
}
