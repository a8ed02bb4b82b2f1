import { NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { Weekday } from "../schools/schedule.js";
import type { CameraMute, MaintenanceWindow } from "./maintenance.js";

interface WindowRow {
  id: string;
  school_id: string | null;
  camera_id: string | null;
  kind: "once" | "weekly";
  starts_at: string | null;
  ends_at: string | null;
  weekdays: string | null;
  start_time: string | null;
  end_time: string | null;
  reason: string;
  created_by: string;
  created_at: string;
  deleted_at: string | null;
  deleted_by: string | null;
}

interface MuteRow {
  id: string;
  camera_id: string;
  until: string | null;
  reason: string;
  created_by: string;
  created_at: string;
  lifted_at: string | null;
  lifted_by: string | null;
}

function toWindow(r: WindowRow): MaintenanceWindow {
  const base = {
    id: r.id,
    schoolId: r.school_id,
    cameraId: r.camera_id,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    deletedAt: r.deleted_at,
    deletedBy: r.deleted_by,
  };
  return r.kind === "once"
    ? { ...base, kind: "once", startsAt: r.starts_at ?? "", endsAt: r.ends_at ?? "" }
    : {
        ...base,
        kind: "weekly",
        weekdays: JSON.parse(r.weekdays ?? "[]") as Weekday[],
        start: r.start_time ?? "",
        end: r.end_time ?? "",
      };
}

const toMute = (r: MuteRow): CameraMute => ({
  id: r.id,
  cameraId: r.camera_id,
  until: r.until,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  liftedAt: r.lifted_at,
  liftedBy: r.lifted_by,
});

/** What a new window is: its kind and times, for a school (null: every school) and maybe one camera. */
export type WindowInput = { schoolId: string | null; cameraId: string | null; reason: string } & (
  | { kind: "once"; startsAt: string; endsAt: string }
  | { kind: "weekly"; weekdays: Weekday[]; start: string; end: string }
);

/**
 * Maintenance windows and camera mutes (one aggregate: what holds a camera's alerts back and leaves time out
 * of its uptime). Nothing is ever removed: deleting a window or unmuting a camera ends it, and the history
 * is what uptime of past months is computed from.
 */
export class MaintenanceRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every window, ended ones too when asked (the suppression cache needs the history). */
  listWindows(opts: { includeDeleted?: boolean } = {}): MaintenanceWindow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM maintenance_windows ${opts.includeDeleted === true ? "" : "WHERE deleted_at IS NULL"}
         ORDER BY created_at, id`,
      )
      .all() as WindowRow[];
    return rows.map(toWindow);
  }

  getWindow(id: string): MaintenanceWindow | undefined {
    const row = this.db.prepare("SELECT * FROM maintenance_windows WHERE id = ?").get(id) as
      WindowRow | undefined;
    return row && toWindow(row);
  }

  createWindow(input: WindowInput, by: string): MaintenanceWindow {
    const id = newId("mnt");
    this.db
      .prepare(
        `INSERT INTO maintenance_windows (id, school_id, camera_id, kind, starts_at, ends_at, weekdays,
           start_time, end_time, reason, created_by, created_at)
         VALUES (@id, @school_id, @camera_id, @kind, @starts_at, @ends_at, @weekdays, @start_time, @end_time,
           @reason, @created_by, @created_at)`,
      )
      .run({
        id,
        school_id: input.schoolId,
        camera_id: input.cameraId,
        kind: input.kind,
        starts_at: input.kind === "once" ? input.startsAt : null,
        ends_at: input.kind === "once" ? input.endsAt : null,
        weekdays: input.kind === "weekly" ? JSON.stringify([...input.weekdays].sort((a, b) => a - b)) : null,
        start_time: input.kind === "weekly" ? input.start : null,
        end_time: input.kind === "weekly" ? input.end : null,
        reason: input.reason,
        created_by: by,
        created_at: this.now().toISOString(),
      });
    return this.getWindow(id) as MaintenanceWindow;
  }

  /** Ends a window now; it stays stored for the uptime of the time it applied. */
  deleteWindow(id: string, by: string): MaintenanceWindow {
    const r = this.db
      .prepare(
        "UPDATE maintenance_windows SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL",
      )
      .run(this.now().toISOString(), by, id);
    if (r.changes === 0) throw new NotFoundError(`maintenance window ${id} does not exist`);
    return this.getWindow(id) as MaintenanceWindow;
  }

  /** Every mute, lifted ones too (the suppression cache needs the history). */
  listMutes(): CameraMute[] {
    return (this.db.prepare("SELECT * FROM camera_mutes ORDER BY created_at, id").all() as MuteRow[]).map(
      toMute,
    );
  }

  /** The camera's mute that is not lifted, if any (its `until` may have passed). */
  openMute(cameraId: string): CameraMute | undefined {
    const row = this.db
      .prepare("SELECT * FROM camera_mutes WHERE camera_id = ? AND lifted_at IS NULL")
      .get(cameraId) as MuteRow | undefined;
    return row && toMute(row);
  }

  /** Mutes a camera from now; a mute it had is lifted first (one at a time). */
  mute(cameraId: string, until: string | null, reason: string, by: string): CameraMute {
    const at = this.now().toISOString();
    this.lift(cameraId, at, by);
    const id = newId("mut");
    this.db
      .prepare(
        `INSERT INTO camera_mutes (id, camera_id, until, reason, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(id, cameraId, until, reason, by, at);
    return toMute(this.db.prepare("SELECT * FROM camera_mutes WHERE id = ?").get(id) as MuteRow);
  }

  /** Lifts the camera's mute now; false when it had none. */
  unmute(cameraId: string, by: string): boolean {
    return this.lift(cameraId, this.now().toISOString(), by);
  }

  private lift(cameraId: string, at: string, by: string): boolean {
    const r = this.db
      .prepare(
        "UPDATE camera_mutes SET lifted_at = ?, lifted_by = ? WHERE camera_id = ? AND lifted_at IS NULL",
      )
      .run(at, by, cameraId);
    return r.changes > 0;
  }
}
