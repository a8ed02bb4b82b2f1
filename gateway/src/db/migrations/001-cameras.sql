-- Cameras and their sources. The full registry (schools, classrooms, guardians, access) comes in later
-- migrations; school_id stays a plain column until the schools table exists.
CREATE TABLE cameras (
  id            TEXT PRIMARY KEY,
  school_id     TEXT,
  classroom_id  TEXT,
  name          TEXT NOT NULL,
  source_kind   TEXT NOT NULL CHECK (source_kind IN ('rtsp', 'test-pattern')),
  -- Source without credentials: {"url": "...", "subUrl": "..."}; credentials never live in a URL.
  source_json   TEXT NOT NULL,
  username      TEXT,
  -- AES-256-GCM box (access/secret-box.ts), never returned by the API.
  password_enc  TEXT,
  video_codec   TEXT,
  audio         INTEGER NOT NULL DEFAULT 0,
  always_on     INTEGER NOT NULL DEFAULT 0,
  enabled       INTEGER NOT NULL DEFAULT 1,
  demo          INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
