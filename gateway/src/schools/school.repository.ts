import { ConflictError, NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { School, SchoolCreate, SchoolPatch } from "./school.js";

interface SchoolRow {
  id: string;
  name: string;
  npsn: string | null;
  address: string;
  area: string;
  contact: string;
  time_zone: string;
  demo: number;
  created_at: string;
  updated_at: string;
}

const toSchool = (r: SchoolRow): School => ({
  id: r.id,
  name: r.name,
  npsn: r.npsn,
  address: r.address,
  area: r.area,
  contact: r.contact,
  timeZone: r.time_zone,
  demo: r.demo === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Schools; a school with classrooms, cameras, guardians or accounts cannot be deleted (nothing lost). */
export class SchoolRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): School[] {
    return (this.db.prepare("SELECT * FROM schools ORDER BY name, id").all() as SchoolRow[]).map(toSchool);
  }

  get(id: string): School | undefined {
    const row = this.db.prepare("SELECT * FROM schools WHERE id = ?").get(id) as SchoolRow | undefined;
    return row && toSchool(row);
  }

  create(input: SchoolCreate, opts: { demo?: boolean } = {}): School {
    const id = newId("sch");
    const at = this.now().toISOString();
    this.assertNpsnFree(input.npsn ?? null, id);
    this.db
      .prepare(
        `INSERT INTO schools (id, name, npsn, address, area, contact, time_zone, demo, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.npsn ?? null,
        input.address,
        input.area,
        input.contact,
        input.timeZone,
        Number(opts.demo ?? false),
        at,
        at,
      );
    return this.get(id) as School;
  }

  update(id: string, patch: SchoolPatch): School {
    const current = this.get(id);
    if (!current) throw new NotFoundError(`school ${id} does not exist`);
    const npsn = patch.npsn === undefined ? current.npsn : patch.npsn;
    this.assertNpsnFree(npsn, id);
    this.db
      .prepare(
        "UPDATE schools SET name = ?, npsn = ?, address = ?, area = ?, contact = ?, time_zone = ?, updated_at = ? WHERE id = ?",
      )
      .run(
        patch.name ?? current.name,
        npsn,
        patch.address ?? current.address,
        patch.area ?? current.area,
        patch.contact ?? current.contact,
        patch.timeZone ?? current.timeZone,
        this.now().toISOString(),
        id,
      );
    return this.get(id) as School;
  }

  delete(id: string): void {
    if (!this.get(id)) throw new NotFoundError(`school ${id} does not exist`);
    const counts = this.db
      .prepare(
        `SELECT (SELECT count(*) FROM classrooms WHERE school_id = @id) AS classrooms,
                (SELECT count(*) FROM cameras WHERE school_id = @id) AS cameras,
                (SELECT count(*) FROM guardians WHERE school_id = @id) AS guardians,
                (SELECT count(*) FROM users WHERE school_id = @id) AS users`,
      )
      .get({ id }) as Record<string, number>;
    const left = Object.entries(counts).filter(([, n]) => n > 0);
    if (left.length > 0) {
      throw new ConflictError(
        `school still has ${left.map(([k, n]) => `${String(n)} ${k}`).join(", ")}; remove them first`,
      );
    }
    this.db.prepare("DELETE FROM schools WHERE id = ?").run(id);
  }

  private assertNpsnFree(npsn: string | null, id: string): void {
    if (npsn === null) return;
    const other = this.db.prepare("SELECT id FROM schools WHERE npsn = ? AND id <> ?").get(npsn, id);
    if (other) throw new ConflictError(`another school already has NPSN ${npsn}`, "npsn");
  }
}
