-- Cameras of kind rtmp (pushed to the gateway's RTMP listener) and edge (at a hub: a school edge's camera,
-- relayed; source_json {edgeId, sub}). SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt (sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
-- Changes"), with foreign keys off for this migration (the header below, database.ts) so dropping the old
-- table cascades into no camera's moves, maintenance or health; foreign_key_check runs before the commit.
-- pantau: foreign_keys off
CREATE TABLE cameras_new (
  id                 TEXT PRIMARY KEY,
  school_id          TEXT REFERENCES schools (id) ON DELETE RESTRICT,
  classroom_id       TEXT REFERENCES classrooms (id) ON DELETE RESTRICT,
  name               TEXT NOT NULL,
  source_kind        TEXT NOT NULL CHECK (source_kind IN ('rtsp', 'test-pattern', 'rtmp', 'edge')),
  source_json        TEXT NOT NULL,
  username           TEXT,
  password_enc       TEXT,
  video_codec        TEXT,
  audio              INTEGER NOT NULL DEFAULT 0,
  always_on          INTEGER NOT NULL DEFAULT 0,
  enabled            INTEGER NOT NULL DEFAULT 1,
  demo               INTEGER NOT NULL DEFAULT 0,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  onvif_json         TEXT,
  onvif_uuid         TEXT,
  onvif_serial       TEXT,
  onvif_hardware_id  TEXT
);
INSERT INTO cameras_new
  SELECT id, school_id, classroom_id, name, source_kind, source_json, username, password_enc, video_codec, audio,
         always_on, enabled, demo, created_at, updated_at, onvif_json, onvif_uuid, onvif_serial, onvif_hardware_id
  FROM cameras;
DROP TABLE cameras;
ALTER TABLE cameras_new RENAME TO cameras;
CREATE INDEX cameras_school ON cameras (school_id);
CREATE INDEX cameras_classroom ON cameras (classroom_id);
CREATE INDEX cameras_onvif_uuid ON cameras (onvif_uuid);
