import type { Caller } from "../access/caller.js";
import { managesSchool, seesCamera } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import type { Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { forbidden, HttpError, notFound } from "../common/errors.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { CameraMute, MaintenanceWindow, MaintenanceWindowCreate, MuteInput } from "./maintenance.js";
import type { MaintenanceRepository, WindowInput } from "./maintenance.repository.js";

/** A camera's mute as the API shows it: with the camera's school and name. */
export type MuteView = CameraMute & { schoolId: string | null; cameraName: string };

const invalid = (field: string, message: string) =>
  new HttpError(400, "invalid_input", `${field}: ${message}`, field);

/** What the audit log keeps of a window: what it covers and when. */
function auditedWindow(w: MaintenanceWindow): Record<string, unknown> {
  const when =
    w.kind === "once"
      ? { startsAt: w.startsAt, endsAt: w.endsAt }
      : { weekdays: w.weekdays, start: w.start, end: w.end };
  return { kind: w.kind, schoolId: w.schoolId, cameraId: w.cameraId, ...when, reason: w.reason };
}

/**
 * Maintenance windows and camera mutes, with the rights of camera changes: an operator anywhere (and alone
 * for every school at once), a school_admin in their own school, a teacher none. Each change is one audited
 * commit; the suppression cache (suppression.ts) reads them again after it.
 */
export class MaintenanceService {
  constructor(
    private readonly maintenance: MaintenanceRepository,
    private readonly schools: SchoolRepository,
    private readonly cameras: CameraRepository,
    private readonly work: UnitOfWork,
    private readonly now: () => number,
  ) {}

  /** Standing windows the caller manages or that cover their school; `schoolId`: those that apply to it. */
  listWindows(caller: Caller, filter: { schoolId?: string | undefined }): MaintenanceWindow[] {
    const { user } = caller;
    this.notTeacher(caller);
    if (filter.schoolId !== undefined) this.school(caller, filter.schoolId);
    const schoolId = filter.schoolId ?? (user.role === "operator" ? undefined : user.schoolId);
    return this.maintenance
      .listWindows()
      .filter((w) => schoolId === undefined || w.schoolId === null || w.schoolId === schoolId);
  }

  createWindow(caller: Caller, input: MaintenanceWindowCreate): MaintenanceWindow {
    const { user, actor } = caller;
    this.notTeacher(caller);
    let schoolId: string | null;
    let cameraId: string | null = null;
    if (input.cameraId !== undefined) {
      // Another school's camera is "no such camera", as a camera's classroom is.
      const camera = this.cameras.get(input.cameraId);
      if (!camera || !managesSchool(user, camera.schoolId)) throw invalid("cameraId", "no such camera");
      if (input.schoolId !== undefined && input.schoolId !== camera.schoolId) {
        throw invalid("schoolId", "the camera is not in this school");
      }
      schoolId = camera.schoolId;
      cameraId = camera.id;
    } else if (input.schoolId === null || input.schoolId === undefined) {
      if (user.role !== "operator") throw forbidden("only an operator sets maintenance for every school");
      schoolId = null;
    } else {
      // Permission first: refused the same way whether or not the school exists.
      if (!managesSchool(user, input.schoolId))
        throw forbidden("you may set maintenance only in your school");
      if (!this.schools.get(input.schoolId)) throw invalid("schoolId", "no such school");
      schoolId = input.schoolId;
    }
    if (input.kind === "once" && Date.parse(input.endsAt) <= this.now()) {
      throw invalid("endsAt", "is already past; a window applies only from when it is made");
    }
    const reason = input.reason ?? "";
    const stored: WindowInput =
      input.kind === "once"
        ? { kind: "once", schoolId, cameraId, reason, startsAt: input.startsAt, endsAt: input.endsAt }
        : {
            kind: "weekly",
            schoolId,
            cameraId,
            reason,
            weekdays: input.weekdays,
            start: input.start,
            end: input.end,
          };
    return this.work.apply(
      actor,
      (w: MaintenanceWindow) => ({
        schoolId: w.schoolId,
        action: "maintenance.create",
        targetKind: "maintenance_window",
        targetId: w.id,
        detail: auditedWindow(w),
      }),
      () => this.maintenance.createWindow(stored, user.username),
    );
  }

  /** Ends a window now: alerts flow again and uptime counts from here; the time it stood stays left out. */
  deleteWindow(caller: Caller, id: string): void {
    const { user, actor } = caller;
    this.notTeacher(caller);
    const w = this.maintenance.getWindow(id);
    const seen =
      w !== undefined && w.deletedAt === null && (w.schoolId === null || managesSchool(user, w.schoolId));
    if (!seen) throw notFound("maintenance window");
    if (!managesSchool(user, w.schoolId))
      throw forbidden("only an operator ends maintenance for every school");
    this.work.apply(
      actor,
      {
        schoolId: w.schoolId,
        action: "maintenance.delete",
        targetKind: "maintenance_window",
        targetId: w.id,
        detail: auditedWindow(w),
      },
      () => this.maintenance.deleteWindow(w.id, user.username),
    );
  }

  /** Cameras muted now, of the schools the caller manages (or of `schoolId`). */
  listMutes(caller: Caller, filter: { schoolId?: string | undefined }): MuteView[] {
    const { user } = caller;
    this.notTeacher(caller);
    if (filter.schoolId !== undefined) this.school(caller, filter.schoolId);
    const at = this.now();
    const cameras = new Map(this.cameras.list().map((c) => [c.id, c]));
    return this.maintenance
      .listMutes()
      .filter((m) => m.liftedAt === null && (m.until === null || Date.parse(m.until) > at))
      .flatMap((m) => {
        const c = cameras.get(m.cameraId);
        if (!c || !managesSchool(user, c.schoolId)) return [];
        if (filter.schoolId !== undefined && c.schoolId !== filter.schoolId) return [];
        return [shownMute(m, c)];
      });
  }

  /** Mutes a camera from now until `until` (or until unmuted); a mute it has is replaced. */
  mute(caller: Caller, cameraId: string, input: MuteInput): MuteView {
    const { user, actor } = caller;
    const camera = this.changeable(caller, cameraId);
    if (input.until !== undefined && Date.parse(input.until) <= this.now()) {
      throw invalid("until", "is already past");
    }
    const replaced = this.activeMute(camera.id) !== undefined;
    const mute = this.work.apply(
      actor,
      (m: CameraMute) => ({
        schoolId: camera.schoolId,
        action: "camera.mute",
        targetKind: "camera_mute",
        targetId: camera.id,
        detail: { camera: camera.name, until: m.until, reason: m.reason, replaced },
      }),
      () => this.maintenance.mute(camera.id, input.until ?? null, input.reason ?? "", user.username),
    );
    return shownMute(mute, camera);
  }

  unmute(caller: Caller, cameraId: string): void {
    const { user, actor } = caller;
    const camera = this.changeable(caller, cameraId);
    const mute = this.activeMute(camera.id);
    if (mute === undefined) throw new HttpError(404, "not_muted", "the camera is not muted");
    this.work.apply(
      actor,
      {
        schoolId: camera.schoolId,
        action: "camera.unmute",
        targetKind: "camera_mute",
        targetId: camera.id,
        detail: { camera: camera.name, until: mute.until, reason: mute.reason },
      },
      () => this.maintenance.unmute(camera.id, user.username),
    );
  }

  private activeMute(cameraId: string): CameraMute | undefined {
    const m = this.maintenance.openMute(cameraId);
    return m !== undefined && (m.until === null || Date.parse(m.until) > this.now()) ? m : undefined;
  }

  /** Teachers watch and pause; alerts and uptime are the school's and the regency's. */
  private notTeacher({ user }: Caller): void {
    if (user.role === "teacher") throw forbidden("teachers do not manage maintenance or mutes");
  }

  /** A school the caller manages, else "no such school" (as for the camera moves' list). */
  private school({ user }: Caller, id: string): void {
    if (!managesSchool(user, id) || !this.schools.get(id)) throw notFound("school");
  }

  /** A camera the caller sees (else 404) and may change (else 403), as PATCH /api/cameras/:id. */
  private changeable({ user }: Caller, id: string): Camera {
    const camera = this.cameras.get(id);
    if (!camera || !seesCamera(user, camera)) throw notFound("camera");
    if (!managesSchool(user, camera.schoolId)) throw forbidden();
    return camera;
  }
}

function shownMute(m: CameraMute, c: Camera): MuteView {
  return { ...m, schoolId: c.schoolId, cameraName: c.name };
}
