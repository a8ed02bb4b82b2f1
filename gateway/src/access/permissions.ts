import type { User } from "../users/user.js";

/**
 * What an admin may do, by role (design.md "Access model"): an operator everything; a school_admin their own
 * school; a teacher only watches and pauses their own classrooms. Pure, table-tested.
 */
export function managesSchool(user: User, schoolId: string | null): boolean {
  return (
    user.role === "operator" ||
    (user.role === "school_admin" && schoolId !== null && user.schoolId === schoolId)
  );
}

/** Seeing a school at all (a teacher sees their school, and inside it only their classrooms). */
export function seesSchool(user: User, schoolId: string | null): boolean {
  return (
    managesSchool(user, schoolId) ||
    (user.role === "teacher" && schoolId !== null && user.schoolId === schoolId)
  );
}

export function seesClassroom(user: User, classroom: { id: string; schoolId: string }): boolean {
  return (
    managesSchool(user, classroom.schoolId) ||
    (user.role === "teacher" && user.classroomIds.includes(classroom.id))
  );
}

/** A camera is seen by whoever manages its school, and by a teacher of its classroom. */
export function seesCamera(
  user: User,
  camera: { schoolId: string | null; classroomId: string | null },
): boolean {
  return (
    managesSchool(user, camera.schoolId) ||
    (camera.classroomId !== null &&
      seesClassroom(user, { id: camera.classroomId, schoolId: camera.schoolId ?? "" }))
  );
}

/** Pausing is a teacher's right in their own classrooms, and the school's. */
export const pausesClassroom = seesClassroom;

/** Which accounts an admin may create or change: a school_admin only school_admins and teachers of their school. */
export function managesUser(actor: User, target: { role: User["role"]; schoolId: string | null }): boolean {
  if (actor.role === "operator") return true;
  return actor.role === "school_admin" && target.role !== "operator" && target.schoolId === actor.schoolId;
}
