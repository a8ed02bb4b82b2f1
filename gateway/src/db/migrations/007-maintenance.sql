-- Maintenance windows and camera mutes (issue 11): while one applies, a camera's alerts are held back and the
-- time counts neither for nor against its uptime. Rows are never deleted by the API: a window or mute ends
-- (deleted_at, lifted_at) and stays, so last month's uptime reads the same next month.
CREATE TABLE maintenance_windows (
  id          TEXT PRIMARY KEY,
  -- NULL: every school (operators only).
  school_id   TEXT REFERENCES schools (id) ON DELETE CASCADE,
  -- NULL: the whole school (or every school).
  camera_id   TEXT REFERENCES cameras (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('once', 'weekly')),
  -- once: ISO instants (UTC).
  starts_at   TEXT,
  ends_at     TEXT,
  -- weekly: JSON array of ISO weekdays (Monday = 1) and local "HH:MM" in the school's time zone; an end
  -- before the start is on the next day.
  weekdays    TEXT,
  start_time  TEXT,
  end_time    TEXT,
  reason      TEXT NOT NULL DEFAULT '',
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  deleted_at  TEXT,
  deleted_by  TEXT,
  CHECK (
    (kind = 'once' AND starts_at IS NOT NULL AND ends_at IS NOT NULL AND weekdays IS NULL)
    OR (kind = 'weekly' AND weekdays IS NOT NULL AND start_time IS NOT NULL AND end_time IS NOT NULL
        AND starts_at IS NULL)
  )
);
CREATE INDEX maintenance_windows_school ON maintenance_windows (school_id);

CREATE TABLE camera_mutes (
  id          TEXT PRIMARY KEY,
  camera_id   TEXT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  -- NULL: until unmuted.
  until       TEXT,
  reason      TEXT NOT NULL DEFAULT '',
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  lifted_at   TEXT,
  lifted_by   TEXT
);
-- One mute at a time per camera: a new one lifts the last.
CREATE UNIQUE INDEX camera_mutes_open ON camera_mutes (camera_id) WHERE lifted_at IS NULL;
