import type { Caller } from "../access/caller.js";
import { managesSchool, pausesClassroom, seesClassroom, seesSchool } from "../access/permissions.js";
import type { ChangeRecord, UnitOfWork } from "../audit/unit-of-work.js";
import { forbidden, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "./classroom.repository.js";
import { emptySchedule, viewingState, type Schedule } from "./schedule.js";
import type { Classroom, ClassroomCreate, School, SchoolCreate, SchoolPatch } from "./school.js";
import type { SchoolRepository } from "./school.repository.js";
import type { User } from "../users/user.js";

const managesRoom = (user: User, room: Classroom): boolean => managesSchool(user, room.schoolId);

/** A classroom as an admin sees it: with whether it is viewable now, and until or from when. */
export type ClassroomView = Classroom & {
  viewing: { open: boolean; reason: string | null; nextOpenAt: string | null; closesAt: string | null };
};

/**
 * Schools, classrooms, schedules and privacy pauses; each admin sees and changes only their own scope. What a
 * caller may not see is "no such" (404), what they see but may not change is 403.
 */
export class SchoolService {
  constructor(
    private readonly schools: SchoolRepository,
    private readonly classrooms: ClassroomRepository,
    private readonly work: UnitOfWork,
    private readonly now: () => number,
  ) {}

  list({ user }: Caller): School[] {
    return this.schools.list().filter((s) => seesSchool(user, s.id));
  }

  get({ user }: Caller, id: string): School {
    const school = this.schools.get(id);
    if (!school || !seesSchool(user, school.id)) throw notFound("school");
    return school;
  }

  create(caller: Caller, input: SchoolCreate): School {
    if (caller.user.role !== "operator") throw forbidden("only an operator adds schools");
    return this.work.apply(
      caller.actor,
      (r: School) => ({
        schoolId: r.id,
        action: "school.create",
        targetKind: "school",
        targetId: r.id,
        detail: { name: r.name },
      }),
      () => this.schools.create(input),
    );
  }

  update(caller: Caller, id: string, patch: SchoolPatch): School {
    const school = this.managed(caller, id);
    return this.work.apply(
      caller.actor,
      {
        schoolId: school.id,
        action: "school.update",
        targetKind: "school",
        targetId: school.id,
        detail: { ...patch },
      },
      () => this.schools.update(school.id, patch),
    );
  }

  /** Only an empty school goes (the repository refuses one with anything left in it). */
  delete(caller: Caller, id: string): void {
    const school = this.get(caller, id);
    if (caller.user.role !== "operator") throw forbidden("only an operator removes schools");
    this.work.apply(
      caller.actor,
      {
        schoolId: school.id,
        action: "school.delete",
        targetKind: "school",
        targetId: school.id,
        detail: { name: school.name },
      },
      () => {
        this.schools.delete(school.id);
      },
    );
  }

  /** The school's classrooms the caller sees (a teacher: their own), each with its viewing state now. */
  classroomsOf(caller: Caller, schoolId: string): ClassroomView[] {
    const school = this.get(caller, schoolId);
    return this.classrooms
      .list(school.id)
      .filter((c) => seesClassroom(caller.user, c))
      .map((c) => this.withState(c, school.timeZone));
  }

  addClassroom(caller: Caller, schoolId: string, input: ClassroomCreate): ClassroomView {
    const school = this.managed(caller, schoolId);
    const room = this.work.apply(
      caller.actor,
      (r: Classroom) => ({
        schoolId: school.id,
        action: "classroom.create",
        targetKind: "classroom",
        targetId: r.id,
        detail: { name: r.name },
      }),
      () => this.classrooms.create(school.id, input.name, input.schedule ?? emptySchedule),
    );
    return this.withState(room);
  }

  renameClassroom(caller: Caller, id: string, patch: { name?: string | undefined }): ClassroomView {
    return this.changeClassroom(caller, id, managesRoom, "classroom.update", { ...patch }, (room) =>
      patch.name === undefined ? room : this.classrooms.rename(room.id, patch.name),
    );
  }

  /** Only a classroom without cameras or guardians goes (the repository refuses otherwise). */
  deleteClassroom(caller: Caller, id: string): void {
    const room = this.managedClassroom(caller, id, managesRoom);
    this.work.apply(caller.actor, this.classroomRecord(room, "classroom.delete", { name: room.name }), () => {
      this.classrooms.delete(room.id);
    });
  }

  setSchedule(caller: Caller, id: string, schedule: Schedule): ClassroomView {
    return this.changeClassroom(caller, id, managesRoom, "classroom.schedule", { ...schedule }, (room) =>
      this.classrooms.setSchedule(room.id, schedule),
    );
  }

  /** A privacy pause for `minutes`, or until lifted; a teacher may pause their own classrooms. */
  pause(caller: Caller, id: string, minutes: number | undefined): ClassroomView {
    const until = minutes === undefined ? null : new Date(this.now() + minutes * 60_000);
    return this.changeClassroom(
      caller,
      id,
      pausesClassroom,
      "classroom.pause",
      { until: until?.toISOString() ?? null },
      (room) => this.classrooms.pause(room.id, until, caller.user.username),
    );
  }

  resume(caller: Caller, id: string): ClassroomView {
    return this.changeClassroom(caller, id, pausesClassroom, "classroom.resume", undefined, (room) =>
      this.classrooms.resume(room.id),
    );
  }

  /** The one shape of every classroom change: find it (404 unseen), check the right (403), commit, answer. */
  private changeClassroom(
    caller: Caller,
    id: string,
    may: (user: User, room: Classroom) => boolean,
    action: string,
    detail: Record<string, unknown> | undefined,
    change: (room: Classroom) => Classroom,
  ): ClassroomView {
    const room = this.managedClassroom(caller, id, may);
    const updated = this.work.apply(caller.actor, this.classroomRecord(room, action, detail), () =>
      change(room),
    );
    return this.withState(updated);
  }

  private classroomRecord(
    room: Classroom,
    action: string,
    detail: Record<string, unknown> | undefined,
  ): ChangeRecord {
    return {
      schoolId: room.schoolId,
      action,
      targetKind: "classroom",
      targetId: room.id,
      ...(detail !== undefined && { detail }),
    };
  }

  /** A school the caller sees (else 404) and manages (else 403). */
  private managed(caller: Caller, id: string): School {
    const school = this.get(caller, id);
    if (!managesSchool(caller.user, school.id)) throw forbidden();
    return school;
  }

  private managedClassroom(
    { user }: Caller,
    id: string,
    may: (user: User, room: Classroom) => boolean,
  ): Classroom {
    const room = this.classrooms.get(id);
    if (!room || !seesClassroom(user, room)) throw notFound("classroom");
    if (!may(user, room)) throw forbidden();
    return room;
  }

  /** A list passes its school's zone rather than reading it per room. */
  private withState(
    c: Classroom,
    tz = this.schools.get(c.schoolId)?.timeZone ?? "Asia/Jakarta",
  ): ClassroomView {
    const v = viewingState(c.schedule, c.pause, tz, new Date(this.now()));
    return {
      ...c,
      viewing: {
        open: v.open,
        reason: v.reason ?? null,
        nextOpenAt: v.nextOpenAt?.toISOString() ?? null,
        closesAt: v.closesAt?.toISOString() ?? null,
      },
    };
  }
}
