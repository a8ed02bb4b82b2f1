import type { CommitListener } from "../audit/unit-of-work.js";
import { instantOf, localTime, minutes, type Weekday } from "../schools/schedule.js";
import { mergeIntervals, type Interval } from "../common/intervals.js";
import type { CameraMute, MaintenanceWindow } from "./maintenance.js";

export { mergeIntervals, type Interval } from "../common/intervals.js";

/**
 * What the alert dispatcher and the uptime arithmetic ask: is this camera's (or, without a camera, this
 * school's) alert held back at `at`, and which parts of [from, to) are left out of its uptime.
 */
export interface SuppressionCheck {
  suppressed(schoolId: string, cameraId: string | undefined, at: number): boolean;
  excluded(schoolId: string, cameraId: string, from: number, to: number): Interval[];
}

const forever = Number.POSITIVE_INFINITY;

/** A window of every school or of this one, and of the whole school or of this camera. */
export function appliesTo(w: MaintenanceWindow, schoolId: string, cameraId: string | undefined): boolean {
  return (w.schoolId === null || w.schoolId === schoolId) && (w.cameraId === null || w.cameraId === cameraId);
}

/** When a window stood: from when it was made (never before) until it was deleted. */
function standing(w: MaintenanceWindow): Interval {
  return { from: Date.parse(w.createdAt), to: w.deletedAt === null ? forever : Date.parse(w.deletedAt) };
}

/** When a mute held: from when it was made until its `until` or until it was lifted, whichever came first. */
export function muteInterval(m: CameraMute): Interval {
  return {
    from: Date.parse(m.createdAt),
    to: Math.min(
      m.until === null ? forever : Date.parse(m.until),
      m.liftedAt === null ? forever : Date.parse(m.liftedAt),
    ),
  };
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function weekdayOf(date: string): Weekday {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return (((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1) as Weekday;
}

function clip(list: readonly Interval[], from: number, to: number): Interval[] {
  return list
    .map((i) => ({ from: Math.max(i.from, from), to: Math.min(i.to, to) }))
    .filter((i) => i.from < i.to);
}

/**
 * A window's occurrences inside [from, to) (finite), clipped to both and to when the window stood. Weekly
 * windows are laid out day by day in `timeZone` (instantOf, through Intl, as viewing windows are), from the
 * day before `from`: a window across midnight that began then may still be on.
 */
export function windowIntervals(
  w: MaintenanceWindow,
  timeZone: string,
  from: number,
  to: number,
): Interval[] {
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw new RangeError("a period has a finite start and end");
  const stood = standing(w);
  const lo = Math.max(from, stood.from);
  const hi = Math.min(to, stood.to);
  if (!(lo < hi)) return [];
  if (w.kind === "once") return clip([{ from: Date.parse(w.startsAt), to: Date.parse(w.endsAt) }], lo, hi);
  const start = minutes(w.start);
  const end = minutes(w.end);
  const days = new Set<number>(w.weekdays);
  const occurrences: Interval[] = [];
  const last = localTime(new Date(hi), timeZone).date;
  for (
    let date = addDays(localTime(new Date(lo), timeZone).date, -1);
    date <= last;
    date = addDays(date, 1)
  ) {
    if (!days.has(weekdayOf(date))) continue;
    occurrences.push({
      from: instantOf(date, start, timeZone).getTime(),
      to: instantOf(end > start ? date : addDays(date, 1), end, timeZone).getTime(),
    });
  }
  return clip(occurrences, lo, hi);
}

/** Whether a maintenance window of this school (or of every school, or of this camera) is on at `at`. */
export function inMaintenance(
  windows: readonly MaintenanceWindow[],
  timeZone: string,
  schoolId: string,
  cameraId: string | undefined,
  at: number,
): boolean {
  return windows.some(
    (w) => appliesTo(w, schoolId, cameraId) && windowIntervals(w, timeZone, at, at + 1).length > 0,
  );
}

/** In maintenance, or (for a camera) muted, at `at`: its alerts are held back. */
export function suppressed(
  windows: readonly MaintenanceWindow[],
  mutes: readonly CameraMute[],
  timeZone: string,
  schoolId: string,
  cameraId: string | undefined,
  at: number,
): boolean {
  if (inMaintenance(windows, timeZone, schoolId, cameraId, at)) return true;
  return mutes.some((m) => {
    if (m.cameraId !== cameraId) return false;
    const i = muteInterval(m);
    return i.from <= at && at < i.to;
  });
}

/**
 * The parts of [from, to) that uptime leaves out of both numerator and denominator: every applicable
 * maintenance occurrence and every mute of the camera, merged, sorted and clipped to the period.
 */
export function excludedIntervals(
  windows: readonly MaintenanceWindow[],
  mutes: readonly CameraMute[],
  timeZone: string,
  schoolId: string,
  cameraId: string | undefined,
  from: number,
  to: number,
): Interval[] {
  const fromWindows = windows
    .filter((w) => appliesTo(w, schoolId, cameraId))
    .flatMap((w) => windowIntervals(w, timeZone, from, to));
  const fromMutes = mutes.filter((m) => m.cameraId === cameraId).map(muteInterval);
  return mergeIntervals(clip([...fromWindows, ...fromMutes], from, to));
}

/** Where Suppressions reads windows and mutes (the maintenance repository) and the schools' time zones. */
export interface SuppressionSource {
  listWindows(opts: { includeDeleted: boolean }): MaintenanceWindow[];
  listMutes(): CameraMute[];
}

interface Snapshot {
  /** By school id; "" holds the windows of every school. */
  windows: Map<string, MaintenanceWindow[]>;
  mutes: Map<string, CameraMute[]>;
  zones: Map<string, string>;
}

const everySchool = "";

/**
 * The functions above over what is stored, kept in memory: read again after any admin change commits (the
 * unit of work's onCommit: a new window, a mute, a school's time zone changed), never per question. Build
 * it before any other commit listener that asks it, so that listener sees the change.
 */
export class Suppressions implements SuppressionCheck {
  private snapshot: Snapshot | undefined;

  constructor(
    private readonly source: SuppressionSource,
    private readonly schools: { list(): { id: string; timeZone: string }[] },
    commits: { onCommit(listener: CommitListener): void },
    private readonly defaultTimeZone = "Asia/Jakarta",
  ) {
    commits.onCommit(() => {
      this.snapshot = undefined;
    });
  }

  suppressed(schoolId: string, cameraId: string | undefined, at: number): boolean {
    const s = this.current();
    const mutes = cameraId === undefined ? [] : (s.mutes.get(cameraId) ?? []);
    return suppressed(this.windowsOf(s, schoolId), mutes, this.zoneOf(s, schoolId), schoolId, cameraId, at);
  }

  excluded(schoolId: string, cameraId: string, from: number, to: number): Interval[] {
    const s = this.current();
    return excludedIntervals(
      this.windowsOf(s, schoolId),
      s.mutes.get(cameraId) ?? [],
      this.zoneOf(s, schoolId),
      schoolId,
      cameraId,
      from,
      to,
    );
  }

  /** Reads windows, mutes and time zones again now (commits do this on their own). */
  refresh(): void {
    this.snapshot = this.load();
  }

  private current(): Snapshot {
    return (this.snapshot ??= this.load());
  }

  private windowsOf(s: Snapshot, schoolId: string): MaintenanceWindow[] {
    return [...(s.windows.get(everySchool) ?? []), ...(s.windows.get(schoolId) ?? [])];
  }

  private zoneOf(s: Snapshot, schoolId: string): string {
    return s.zones.get(schoolId) ?? this.defaultTimeZone;
  }

  private load(): Snapshot {
    const windows = new Map<string, MaintenanceWindow[]>();
    for (const w of this.source.listWindows({ includeDeleted: true })) {
      const key = w.schoolId ?? everySchool;
      windows.set(key, [...(windows.get(key) ?? []), w]);
    }
    const mutes = new Map<string, CameraMute[]>();
    for (const m of this.source.listMutes()) mutes.set(m.cameraId, [...(mutes.get(m.cameraId) ?? []), m]);
    const zones = new Map(this.schools.list().map((s) => [s.id, s.timeZone]));
    return { windows, mutes, zones };
  }
}
