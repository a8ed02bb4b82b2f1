-- The registry: schools, classrooms with their viewing schedule and privacy pause, admin accounts and their
-- sessions, guardians and the classrooms of their children, access links, devices, viewing sessions, audit.
-- Secrets (session ids, link and device tokens) are stored only as SHA-256 hashes.

CREATE TABLE schools (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  -- Nomor Pokok Sekolah Nasional: 8 digits, unique when given.
  npsn        TEXT UNIQUE,
  address     TEXT NOT NULL DEFAULT '',
  time_zone   TEXT NOT NULL DEFAULT 'Asia/Jakarta',
  demo        INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE classrooms (
  id            TEXT PRIMARY KEY,
  school_id     TEXT NOT NULL REFERENCES schools (id) ON DELETE RESTRICT,
  name          TEXT NOT NULL,
  -- {"windows": [{"day": 1..7 (ISO, Monday = 1), "start": "07:00", "end": "12:30"}], "holidays": ["2026-12-25"]}
  schedule_json TEXT NOT NULL DEFAULT '{"windows":[],"holidays":[]}',
  -- Privacy pause: paused_at set while paused; paused_until NULL means until lifted.
  paused_at     TEXT,
  paused_until  TEXT,
  paused_by     TEXT,
  demo          INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (school_id, name)
);
CREATE INDEX classrooms_school ON classrooms (school_id);

-- Cameras gain real references: a school that still has cameras cannot be deleted; deleting a classroom is
-- refused while cameras point at it (the API says which).
CREATE TABLE cameras_new (
  id            TEXT PRIMARY KEY,
  school_id     TEXT REFERENCES schools (id) ON DELETE RESTRICT,
  classroom_id  TEXT REFERENCES classrooms (id) ON DELETE RESTRICT,
  name          TEXT NOT NULL,
  source_kind   TEXT NOT NULL CHECK (source_kind IN ('rtsp', 'test-pattern')),
  source_json   TEXT NOT NULL,
  username      TEXT,
  password_enc  TEXT,
  video_codec   TEXT,
  audio         INTEGER NOT NULL DEFAULT 0,
  always_on     INTEGER NOT NULL DEFAULT 0,
  enabled       INTEGER NOT NULL DEFAULT 1,
  demo          INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
-- Cameras made before schools existed keep working, unassigned (only an operator sees them).
INSERT INTO cameras_new
  SELECT id, NULL, NULL, name, source_kind, source_json, username, password_enc, video_codec, audio, always_on,
         enabled, demo, created_at, updated_at
  FROM cameras;
DROP TABLE cameras;
ALTER TABLE cameras_new RENAME TO cameras;
CREATE INDEX cameras_school ON cameras (school_id);
CREATE INDEX cameras_classroom ON cameras (classroom_id);

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name   TEXT NOT NULL,
  -- argon2id PHC string.
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('operator', 'school_admin', 'teacher')),
  school_id      TEXT REFERENCES schools (id) ON DELETE RESTRICT,
  disabled       INTEGER NOT NULL DEFAULT 0,
  failed_logins  INTEGER NOT NULL DEFAULT 0,
  locked_until   TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  CHECK ((role = 'operator') = (school_id IS NULL))
);

-- A teacher's own classrooms.
CREATE TABLE user_classrooms (
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  classroom_id  TEXT NOT NULL REFERENCES classrooms (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, classroom_id)
);

CREATE TABLE admin_sessions (
  id          TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  ip          TEXT
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

CREATE TABLE guardians (
  id          TEXT PRIMARY KEY,
  school_id   TEXT NOT NULL REFERENCES schools (id) ON DELETE RESTRICT,
  name        TEXT NOT NULL,
  phone       TEXT,
  email       TEXT,
  revoked_at  TEXT,
  demo        INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX guardians_school ON guardians (school_id);

-- The children of a guardian, each in a classroom: what the guardian may watch.
CREATE TABLE guardian_children (
  guardian_id   TEXT NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
  classroom_id  TEXT NOT NULL REFERENCES classrooms (id) ON DELETE RESTRICT,
  child_name    TEXT NOT NULL,
  PRIMARY KEY (guardian_id, classroom_id, child_name)
);
CREATE INDEX guardian_children_classroom ON guardian_children (classroom_id);

CREATE TABLE access_links (
  id           TEXT PRIMARY KEY,
  guardian_id  TEXT NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  revoked_at   TEXT
);
CREATE INDEX access_links_guardian ON access_links (guardian_id);

CREATE TABLE devices (
  id            TEXT PRIMARY KEY,
  guardian_id   TEXT NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
  link_id       TEXT REFERENCES access_links (id) ON DELETE SET NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  user_agent    TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT NOT NULL,
  revoked_at    TEXT
);
CREATE INDEX devices_guardian ON devices (guardian_id);

-- Who watched what: kept when the guardian, device or camera is deleted (names copied in).
CREATE TABLE viewing_sessions (
  id             TEXT PRIMARY KEY,
  school_id      TEXT,
  camera_id      TEXT NOT NULL,
  camera_name    TEXT NOT NULL,
  viewer_kind    TEXT NOT NULL CHECK (viewer_kind IN ('guardian', 'user', 'dev')),
  viewer_id      TEXT,
  viewer_name    TEXT NOT NULL,
  device_id      TEXT,
  ip             TEXT,
  user_agent     TEXT,
  started_at     TEXT NOT NULL,
  ended_at       TEXT,
  bytes          INTEGER NOT NULL DEFAULT 0,
  end_reason     TEXT
);
CREATE INDEX viewing_sessions_school_time ON viewing_sessions (school_id, started_at);

CREATE TABLE audit_events (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  at           TEXT NOT NULL,
  school_id    TEXT,
  actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('user', 'guardian', 'system')),
  actor_id     TEXT,
  actor_name   TEXT NOT NULL,
  action       TEXT NOT NULL,
  target_kind  TEXT,
  target_id    TEXT,
  detail_json  TEXT NOT NULL DEFAULT '{}',
  ip           TEXT
);
CREATE INDEX audit_events_school_time ON audit_events (school_id, at);
CREATE INDEX audit_events_time ON audit_events (at);
