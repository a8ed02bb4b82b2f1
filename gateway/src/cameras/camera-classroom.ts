import { HttpError } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";

/** A camera's classroom must be one of its school's (none is fine): 400 on the field otherwise. */
export function checkCameraClassroom(
  classrooms: ClassroomRepository,
  schoolId: string | null,
  classroomId: string | null | undefined,
): void {
  if (classroomId === undefined || classroomId === null) return;
  if (classrooms.get(classroomId)?.schoolId !== schoolId)
    throw new HttpError(400, "invalid_input", "classroomId: no such classroom in this school", "classroomId");
}
