import { join } from "node:path";
import Database from "better-sqlite3";

/**
 * Every row of every table of a gateway's database, as one comparable string: a test takes one before and
 * one after a request to show the request changed nothing. Opened read-only beside the gateway's own
 * connection (WAL lets both read); `exclude` leaves out tables a request may rightly touch. What the health
 * monitor observes on its own (camera_health_events, camera_facts) is never a request's change: left out too.
 */
const observed = ["camera_health_events", "camera_facts"];

export function dbSnapshot(dataDir: string, exclude: readonly string[] = []): string {
  const db = new Database(join(dataDir, "pantau.db"), { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[]
    )
      .map((t) => t.name)
      .filter((t) => !exclude.includes(t) && !observed.includes(t));
    const parts = tables.map((t) => {
      const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all();
      return `## ${t} (${String(rows.length)})\n${rows.map((r) => JSON.stringify(r)).join("\n")}`;
    });
    const schema = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all();
    return `${JSON.stringify(schema)}\n${parts.join("\n")}`;
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of a database file the gateway is not running on: "ok" when sound. */
export function integrityCheck(file: string): string {
  const db = new Database(file, { fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("\n");
  } finally {
    db.close();
  }
}
