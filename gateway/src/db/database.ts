import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

export type Db = Database.Database;

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), "migrations");

/** Numbered SQL files `NNN-name.sql`, applied in order; `PRAGMA user_version` records the last applied. */
export function listMigrations(dir = migrationsDir): { version: number; name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), "utf8") }));
}

/**
 * Opens (or creates) the database file with WAL and foreign keys, and applies pending migrations in one
 * transaction each. WAL with synchronous=NORMAL keeps every committed transaction across a process crash
 * (kill -9); only a power loss may drop the last commits (sqlite.org/wal.html, "Performance Considerations").
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // SQLite gives the -wal and -shm files it makes the mode of the database file, whatever the umask
    // (os_unix.c: findCreateFileMode, unixOpenSharedMemory), so creating that one 0600 keeps all three so.
    closeSync(openSync(file, "a", 0o600));
  }
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/**
 * A migration that rebuilds a table others reference says `-- pantau: foreign_keys off`: foreign keys are
 * off while it runs (outside its transaction: the pragma does nothing inside one) and checked before it
 * commits, so dropping the old table does not cascade into its children (sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes", steps 1 and 10).
 */
export function migrate(db: Db, migrations = listMigrations()): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    const keysOff = /^-- pantau: foreign_keys off$/m.test(m.sql);
    const keysWere = db.pragma("foreign_keys", { simple: true }) as number;
    if (keysOff) db.pragma("foreign_keys = OFF");
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (keysOff && (db.pragma("foreign_key_check") as unknown[]).length > 0)
          throw new Error(`migration ${m.name} leaves rows whose foreign keys point at nothing`);
        db.pragma(`user_version = ${String(m.version)}`);
      })();
    } finally {
      if (keysOff) db.pragma(`foreign_keys = ${keysWere === 1 ? "ON" : "OFF"}`);
    }
  }
}
