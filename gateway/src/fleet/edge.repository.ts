import { NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { Edge } from "./edge.js";

interface EdgeRow {
  id: string;
  name: string;
  school_id: string;
  public_key: string;
  version: string | null;
  last_contact_at: string | null;
  created_at: string;
}

const toEdge = (r: EdgeRow): Edge => ({
  id: r.id,
  name: r.name,
  schoolId: r.school_id,
  publicKey: r.public_key,
  version: r.version,
  lastContactAt: r.last_contact_at,
  createdAt: r.created_at,
});

/** The hub's edges (migration 011): one per school. */
export class EdgeRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  list(): Edge[] {
    return (this.db.prepare("SELECT * FROM edges ORDER BY name, id").all() as EdgeRow[]).map(toEdge);
  }

  get(id: string): Edge | undefined {
    const r = this.db.prepare("SELECT * FROM edges WHERE id = ?").get(id) as EdgeRow | undefined;
    return r && toEdge(r);
  }

  bySchool(schoolId: string): Edge | undefined {
    const r = this.db.prepare("SELECT * FROM edges WHERE school_id = ?").get(schoolId) as EdgeRow | undefined;
    return r && toEdge(r);
  }

  create(input: { name: string; schoolId: string; publicKey: string }): Edge {
    const id = newId("edg");
    this.db
      .prepare(
        "INSERT INTO edges (id, name, school_id, public_key, created_at) VALUES (@id, @name, @school_id, @key, @at)",
      )
      .run({
        id,
        name: input.name,
        school_id: input.schoolId,
        key: input.publicKey,
        at: this.now().toISOString(),
      });
    return this.get(id) as Edge;
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM edges WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`edge ${id} does not exist`);
  }

  /** What an edge said when it was last heard from (written at most every minute by the directory). */
  contact(id: string, version: string, at: Date): void {
    this.db
      .prepare("UPDATE edges SET version = ?, last_contact_at = ? WHERE id = ?")
      .run(version, at.toISOString(), id);
  }
}
