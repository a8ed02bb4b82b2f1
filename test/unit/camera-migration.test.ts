import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { listMigrations, migrate } from "../../gateway/src/db/database.js";

// Migration 011 rebuilds the cameras table (a CHECK constraint cannot change in place). With foreign keys
// on, dropping the old table would have cascaded into every camera's health, moves and mutes.
describe("migration 011 (cameras of kind rtmp)", () => {
  it("keeps every camera and every row that points at one, and accepts rtmp", () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(
      db,
      listMigrations().filter((m) => m.version <= 10),
    );
    const at = "2026-01-01T00:00:00.000Z";
    db.prepare("INSERT INTO schools (id, name, created_at, updated_at) VALUES ('sch_1', 'S', ?, ?)").run(
      at,
      at,
    );
    db.prepare(
      `INSERT INTO cameras (id, school_id, name, source_kind, source_json, created_at, updated_at, onvif_uuid)
       VALUES ('cam_1', 'sch_1', 'K1', 'rtsp', '{"url":"rtsp://10.0.0.2/1"}', ?, ?, 'urn:uuid:1')`,
    ).run(at, at);
    db.prepare("INSERT INTO camera_facts (camera_id, updated_at) VALUES ('cam_1', 1)").run();
    db.prepare(
      "INSERT INTO camera_mutes (id, camera_id, created_by, created_at) VALUES ('mut_1', 'cam_1', 'u', ?)",
    ).run(at);

    migrate(db);

    expect(db.pragma("user_version", { simple: true })).toBeGreaterThanOrEqual(11);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.prepare("SELECT id, onvif_uuid FROM cameras").all()).toEqual([
      { id: "cam_1", onvif_uuid: "urn:uuid:1" },
    ]);
    expect(db.prepare("SELECT count(*) AS n FROM camera_facts").get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT count(*) AS n FROM camera_mutes").get()).toEqual({ n: 1 });
    db.prepare(
      `INSERT INTO cameras (id, school_id, name, source_kind, source_json, created_at, updated_at)
       VALUES ('cam_2', 'sch_1', 'NVR', 'rtmp', '{}', ?, ?)`,
    ).run(at, at);
    expect(() =>
      db
        .prepare(
          `INSERT INTO cameras (id, name, source_kind, source_json, created_at, updated_at)
           VALUES ('cam_3', 'x', 'http', '{}', ?, ?)`,
        )
        .run(at, at),
    ).toThrow(/CHECK/);
    // The children still reference the rebuilt table: deleting a camera cascades as before.
    db.prepare("DELETE FROM cameras WHERE id = 'cam_1'").run();
    expect(db.prepare("SELECT count(*) AS n FROM camera_facts").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM camera_mutes").get()).toEqual({ n: 0 });
  });
});
