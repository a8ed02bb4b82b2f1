import { isDemoCamera, type Camera } from "../cameras/camera.js";
import { viewingState, type Pause, type Schedule, type ViewingState } from "../schools/schedule.js";
import type { Role } from "../users/user.js";

/**
 * Everything a media request is decided on, held in memory (design.md: every media request is authorized
 * from in-memory state). Built from the repositories; rebuilt on the first decision after any change.
 */
export interface AccessSnapshot {
  schools: Map<string, { name: string; timeZone: string; area: string }>;
  classrooms: Map<string, { schoolId: string; name: string; schedule: Schedule; pause: Pause | null }>;
  cameras: Map<string, Camera>;
  guardians: Map<
    string,
    { schoolId: string; name: string; revoked: boolean; demo: boolean; classroomIds: Set<string> }
  >;
  devices: Map<string, { guardianId: string; revoked: boolean }>;
  users: Map<
    string,
    { name: string; role: Role; schoolId: string | null; classroomIds: Set<string>; disabled: boolean }
  >;
  sessions: Map<string, { userId: string; expiresAt: number }>;
  /**
   * The demo setting is on: anyone may watch the demo test pattern, and the demo guardian's phones may watch.
   * Off (PANTAU_DEMO=0 on a database that has a demo), neither.
   */
  demo: boolean;
  /**
   * Viewing states already worked out, by classroom, each with the instant it stops being true (the window's
   * end, the next opening, the pause's end): a media request then costs a map lookup, not a time-zone
   * calculation (bench:auth). Dropped with the snapshot on every change.
   */
  viewingMemo?: Map<string, { from: number; until: number; state: ViewingState }>;
}

/**
 * Who a stream token's session id names: a guardian's device, an admin's sign-in, an open dev viewer
 * (dev.openStreams), or anyone watching the demo test pattern.
 */
export type Viewer =
  | { kind: "guardian"; id: string; name: string; schoolId: string; deviceId: string }
  | { kind: "user"; id: string; name: string; schoolId: string | null; role: Role; sessionId: string }
  | { kind: "dev"; id: null; name: string; schoolId: null }
  | { kind: "demo"; id: null; name: string; schoolId: null };

export type DenialCode =
  | "camera_unavailable"
  | "revoked"
  | "session_ended"
  | "not_authorized"
  | "outside_hours"
  | "holiday"
  | "paused";

export type CameraDecision =
  | { ok: true; camera: Camera; viewer: Viewer }
  | { ok: false; status: 401 | 403 | 404; code: DenialCode; message: string; nextOpenAt?: Date | null };

export const devSidPrefix = "xs_";

const deny = (
  status: 401 | 403 | 404,
  code: DenialCode,
  message: string,
  nextOpenAt?: Date | null,
): CameraDecision => ({ ok: false, status, code, message, ...(nextOpenAt !== undefined && { nextOpenAt }) });

/**
 * May the viewer behind session id `sid` watch `cameraId` at `now`? Pure over the snapshot: the order of
 * checks decides which reason a refused viewer is shown (a revoked phone hears "revoked", not "outside hours").
 */
export function decideCamera(
  s: AccessSnapshot,
  sid: string,
  cameraId: string,
  now: Date,
  openStreams: boolean,
): CameraDecision {
  const camera = s.cameras.get(cameraId);
  if (!camera?.enabled) return deny(404, "camera_unavailable", "camera does not exist or is disabled");

  let viewer: Viewer;
  if (sid.startsWith("dv_")) {
    const device = s.devices.get(sid);
    const guardian = device && s.guardians.get(device.guardianId);
    if (!device || !guardian || device.revoked || guardian.revoked) {
      return deny(403, "revoked", "access for this device was revoked by the school");
    }
    if (guardian.demo && !s.demo) return deny(403, "revoked", "the demo is switched off");
    if (camera.classroomId === null || !guardian.classroomIds.has(camera.classroomId)) {
      return deny(403, "not_authorized", "this camera is not in your child's classroom");
    }
    viewer = {
      kind: "guardian",
      id: device.guardianId,
      name: guardian.name,
      schoolId: guardian.schoolId,
      deviceId: sid,
    };
  } else if (sid.startsWith("as_")) {
    const session = s.sessions.get(sid);
    const user = session && s.users.get(session.userId);
    if (!session || !user || user.disabled || session.expiresAt <= now.getTime()) {
      return deny(401, "session_ended", "sign in again");
    }
    const allowed =
      user.role === "operator" ||
      (user.role === "school_admin" && camera.schoolId === user.schoolId) ||
      (user.role === "teacher" && camera.classroomId !== null && user.classroomIds.has(camera.classroomId));
    if (!allowed) return deny(403, "not_authorized", "this camera is outside your school or classrooms");
    viewer = {
      kind: "user",
      id: session.userId,
      name: user.name,
      schoolId: user.schoolId,
      role: user.role,
      sessionId: sid,
    };
  } else if (sid.startsWith(devSidPrefix) && s.demo && isDemoCamera(camera)) {
    viewer = { kind: "demo", id: null, name: "demo", schoolId: null };
  } else if (sid.startsWith(devSidPrefix) && openStreams) {
    viewer = { kind: "dev", id: null, name: "dev", schoolId: null };
  } else {
    return deny(403, "not_authorized", "you may not watch this camera");
  }

  const state = classroomState(s, camera, now);
  if (state && !state.open) {
    // Staff are not bound to the parents' viewing windows, but a privacy pause holds for everyone.
    if (viewer.kind === "guardian" || state.reason === "paused") {
      const code = state.reason ?? "outside_hours";
      return deny(403, code, reasonMessages[code], state.nextOpenAt);
    }
  }
  return { ok: true, camera, viewer };
}

const reasonMessages: Record<"outside_hours" | "holiday" | "paused", string> = {
  outside_hours: "outside this classroom's viewing hours",
  holiday: "the school is closed today",
  paused: "the classroom is paused for privacy",
};

/** The viewing state of a camera's classroom; undefined for a camera without a classroom. */
export function classroomState(s: AccessSnapshot, camera: Camera, now: Date): ViewingState | undefined {
  const id = camera.classroomId;
  const room = id === null ? undefined : s.classrooms.get(id);
  if (!room || id === null) return undefined;
  const t = now.getTime();
  const memo = s.viewingMemo?.get(id);
  if (memo && t >= memo.from && t < memo.until) return memo.state;
  const tz = s.schools.get(room.schoolId)?.timeZone ?? "Asia/Jakarta";
  const state = viewingState(room.schedule, room.pause, tz, now);
  const next = state.open ? state.closesAt : state.reason === "paused" ? state.closesAt : state.nextOpenAt;
  s.viewingMemo?.set(id, { from: t, until: Math.min(next?.getTime() ?? Infinity, t + memoMaxMs), state });
  return state;
}

/** A remembered viewing state is worked out again at least this often (and when the clock goes back). */
const memoMaxMs = 60_000;
