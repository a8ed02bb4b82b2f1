import type { CameraRepository } from "../cameras/camera.repository.js";
import type { GuardianRepository } from "../guardians/guardian.repository.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { UserRepository } from "../users/user.repository.js";
import type { AccessSnapshot } from "./access-decision.js";

export interface AccessSources {
  schools: SchoolRepository;
  classrooms: ClassroomRepository;
  cameras: CameraRepository;
  guardians: GuardianRepository;
  users: UserRepository;
}

/** Holds the snapshot; invalidate() after every change makes the next decision see it (revocation at once). */
export class AccessState {
  private current: AccessSnapshot | undefined;
  /** Bumped on every change; an open WebSocket re-decides only when it moved, or once a second for time. */
  generation = 0;

  constructor(
    private readonly src: AccessSources,
    /** The demo setting (ensureDemo made or kept a demo): see AccessSnapshot.demo. */
    private readonly demo: boolean,
  ) {}

  snapshot(): AccessSnapshot {
    return (this.current ??= this.load());
  }

  invalidate(): void {
    this.current = undefined;
    this.generation++;
  }

  private load(): AccessSnapshot {
    const { schools, classrooms, cameras, guardians, users } = this.src;
    const rows = guardians.accessRows();
    const grants = new Map<string, Set<string>>();
    for (const c of rows.children) {
      const set = grants.get(c.guardianId) ?? new Set<string>();
      set.add(c.classroomId);
      grants.set(c.guardianId, set);
    }
    return {
      schools: new Map(
        schools.list().map((x) => [x.id, { name: x.name, timeZone: x.timeZone, area: x.area }]),
      ),
      classrooms: new Map(
        classrooms
          .list()
          .map((c) => [c.id, { schoolId: c.schoolId, name: c.name, schedule: c.schedule, pause: c.pause }]),
      ),
      cameras: new Map(cameras.list().map((c) => [c.id, c])),
      guardians: new Map(
        rows.guardians.map((g) => [
          g.id,
          {
            schoolId: g.schoolId,
            name: g.name,
            revoked: g.revoked,
            demo: g.demo,
            classroomIds: grants.get(g.id) ?? new Set(),
          },
        ]),
      ),
      devices: new Map(rows.devices.map((d) => [d.id, { guardianId: d.guardianId, revoked: d.revoked }])),
      users: new Map(
        users.list().map((u) => [
          u.id,
          {
            name: u.displayName,
            role: u.role,
            schoolId: u.schoolId,
            classroomIds: new Set(u.classroomIds),
            disabled: u.disabled,
          },
        ]),
      ),
      sessions: new Map(
        users.liveSessions().map((x) => [x.id, { userId: x.userId, expiresAt: Date.parse(x.expiresAt) }]),
      ),
      demo: this.demo,
      viewingMemo: new Map(),
    };
  }
}
