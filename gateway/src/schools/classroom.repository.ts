import { ConflictError, NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { Classroom } from "./school.js";
import { emptySchedule, type Schedule } from "./schedule.js";

interface ClassroomRow {
  id: string;
  school_id: string;
  name: string;
  schedule_json: string;
  paused_at: string | null;
  paused_until: string | null;
  paused_by: string | null;
  demo: number;
  created_at: string;
  updated_at: string;
}

const toClassroom = (r: ClassroomRow): Classroom => ({
  id: r.id,
  schoolId: r.school_id,
  name: r.name,
  schedule: JSON.parse(r.schedule_json) as Schedule,
  pause: r.paused_at === null ? null : { since: r.paused_at, until: r.paused_until, by: r.paused_by },
  demo: r.demo === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Classrooms with their weekly schedule and privacy pause (one aggregate: what decides who sees a room when). */
export class ClassroomRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(schoolId?: string): Classroom[] {
    const rows = (
      schoolId === undefined
        ? this.db.prepare("SELECT * FROM classrooms ORDER BY school_id, name").all()
        : this.db.prepare("SELECT * FROM classrooms WHERE school_id = ? ORDER BY name").all(schoolId)
    ) as ClassroomRow[];
    return rows.map(toClassroom);
  }

  get(id: string): Classroom | undefined {
    const row = this.db.prepare("SELECT * FROM classrooms WHERE id = ?").get(id) as ClassroomRow | undefined;
    return row && toClassroom(row);
  }

  findByName(schoolId: string, name: string): Classroom | undefined {
    const row = this.db
      .prepare("SELECT * FROM classrooms WHERE school_id = ? AND name = ? COLLATE NOCASE")
      .get(schoolId, name) as ClassroomRow | undefined;
    return row && toClassroom(row);
  }

  create(
    schoolId: string,
    name: string,
    schedule: Schedule = emptySchedule,
    opts: { demo?: boolean } = {},
  ): Classroom {
    if (this.findByName(schoolId, name))
      throw new ConflictError(`classroom "${name}" already exists`, "name");
    const id = newId("cls");
    const at = this.now().toISOString();
    this.db
      .prepare(
        `INSERT INTO classrooms (id, school_id, name, schedule_json, demo, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, schoolId, name, JSON.stringify(schedule), Number(opts.demo ?? false), at, at);
    return this.get(id) as Classroom;
  }

  rename(id: string, name: string): Classroom {
    const current = this.require(id);
    const other = this.findByName(current.schoolId, name);
    if (other && other.id !== id) throw new ConflictError(`classroom "${name}" already exists`, "name");
    this.db
      .prepare("UPDATE classrooms SET name = ?, updated_at = ? WHERE id = ?")
      .run(name, this.stamp(), id);
    return this.require(id);
  }

  setSchedule(id: string, schedule: Schedule): Classroom {
    this.require(id);
    this.db
      .prepare("UPDATE classrooms SET schedule_json = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(schedule), this.stamp(), id);
    return this.require(id);
  }

  pause(id: string, until: Date | null, by: string): Classroom {
    this.require(id);
    this.db
      .prepare(
        "UPDATE classrooms SET paused_at = ?, paused_until = ?, paused_by = ?, updated_at = ? WHERE id = ?",
      )
      .run(this.stamp(), until?.toISOString() ?? null, by, this.stamp(), id);
    return this.require(id);
  }

  resume(id: string): Classroom {
    this.require(id);
    this.db
      .prepare(
        "UPDATE classrooms SET paused_at = NULL, paused_until = NULL, paused_by = NULL, updated_at = ? WHERE id = ?",
      )
      .run(this.stamp(), id);
    return this.require(id);
  }

  delete(id: string): void {
    this.require(id);
    const counts = this.db
      .prepare(
        `SELECT (SELECT count(*) FROM cameras WHERE classroom_id = @id) AS cameras,
                (SELECT count(DISTINCT guardian_id) FROM guardian_children WHERE classroom_id = @id) AS guardians`,
      )
      .get({ id }) as Record<string, number>;
    const left = Object.entries(counts).filter(([, n]) => n > 0);
    if (left.length > 0) {
      throw new ConflictError(
        `classroom still has ${left.map(([k, n]) => `${String(n)} ${k}`).join(", ")}; move or remove them first`,
      );
    }
    this.db.prepare("DELETE FROM classrooms WHERE id = ?").run(id);
  }

  private require(id: string): Classroom {
    const c = this.get(id);
    if (!c) throw new NotFoundError(`classroom ${id} does not exist`);
    return c;
  }

  private stamp(): string {
    return this.now().toISOString();
  }
}
