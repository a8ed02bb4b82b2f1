// Every classroom change shares one shape in SchoolService (issue 10: the routes repeated it): unseen is 404,
// seen but not allowed is 403, and an allowed change commits with its audit record and tells the listeners.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditRepository } from "../../gateway/src/audit/audit.repository.js";
import { UnitOfWork, type ChangeRecord } from "../../gateway/src/audit/unit-of-work.js";
import { HttpError } from "../../gateway/src/common/errors.js";
import { openDatabase, type Db } from "../../gateway/src/db/database.js";
import { ClassroomRepository } from "../../gateway/src/schools/classroom.repository.js";
import { schoolCreateSchema } from "../../gateway/src/schools/school.js";
import { SchoolRepository } from "../../gateway/src/schools/school.repository.js";
import { SchoolService } from "../../gateway/src/schools/school.service.js";
import { callerOf } from "../helpers/caller.js";

const statusOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
  return undefined;
};

let dir: string;
let db: Db;
let service: SchoolService;
let audit: AuditRepository;
let heard: ChangeRecord[];
const t = Date.parse("2026-03-02T03:00:00Z");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-school-service-"));
  db = openDatabase(join(dir, "pantau.db"));
  const nowDate = () => new Date(t);
  audit = new AuditRepository(db, nowDate);
  const work = new UnitOfWork(db, audit, pino({ level: "silent" }));
  heard = [];
  work.onCommit((c) => {
    heard.push(c);
  });
  service = new SchoolService(
    new SchoolRepository(db, nowDate),
    new ClassroomRepository(db, nowDate),
    work,
    () => t,
  );
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SchoolService", () => {
  it("lets a teacher pause their own classroom, not rename it, and not see another", () => {
    const operator = callerOf({ role: "operator" });
    const school = service.create(operator, schoolCreateSchema.parse({ name: "SD Satu" }));
    const own = service.addClassroom(operator, school.id, { name: "Kelas 1A" });
    const other = service.addClassroom(operator, school.id, { name: "Kelas 1B" });
    const teacher = callerOf({ role: "teacher", schoolId: school.id, classroomIds: [own.id] });

    expect(service.classroomsOf(teacher, school.id).map((c) => c.id)).toEqual([own.id]);
    expect(statusOf(() => service.renameClassroom(teacher, own.id, { name: "Kelas X" }))).toBe(403);
    expect(statusOf(() => service.pause(teacher, other.id, 30))).toBe(404);
    expect(statusOf(() => service.delete(teacher, school.id))).toBe(403);

    heard = [];
    const paused = service.pause(teacher, own.id, 30);
    expect(paused.viewing).toMatchObject({ open: false, reason: "paused" });
    expect(paused.pause).toMatchObject({ until: new Date(t + 30 * 60_000).toISOString(), by: "teacher" });
    expect(heard).toEqual([
      {
        schoolId: school.id,
        action: "classroom.pause",
        targetKind: "classroom",
        targetId: own.id,
        detail: { until: new Date(t + 30 * 60_000).toISOString() },
      },
    ]);
    const resumed = service.resume(teacher, own.id);
    expect(resumed.pause).toBeNull();
    // Lifting a pause carries no detail.
    expect(audit.query({ action: "classroom.resume", limit: 1 })[0]?.detail).toEqual({});
  });
});
