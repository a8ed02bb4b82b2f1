-- Camera health, one row per change: state transitions (with the reason), the flapping flag going on or off,
-- and drift (camera replaced, firmware or resolution changed, rebooted). Uptime is computed from these rows,
-- never from counting probes. No foreign key: a camera removed mid-month still counts in that month's
-- report, under the school it belonged to.
CREATE TABLE camera_health_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  camera_id   TEXT NOT NULL,
  school_id   TEXT,
  at          INTEGER NOT NULL,               -- ms since the epoch
  kind        TEXT NOT NULL CHECK (kind IN ('state', 'flapping', 'drift')),
  -- kind state: the states; kind flapping: to_state 'on' or 'off'; kind drift: the drift kind in to_state.
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  detail      TEXT                            -- JSON, or NULL
);
CREATE INDEX camera_health_events_camera ON camera_health_events (camera_id, at);
CREATE INDEX camera_health_events_school ON camera_health_events (school_id, at);

-- What a camera last said about itself (ONVIF GetDeviceInformation, GetSystemDateAndTime, the stream's
-- picture size) and when it was last probed: drift is a change against this row.
CREATE TABLE camera_facts (
  camera_id      TEXT PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
  serial         TEXT,
  firmware       TEXT,
  model          TEXT,
  width          INTEGER,
  height         INTEGER,
  booted_at      INTEGER,
  clock_skew_ms  INTEGER,
  last_probe_at  INTEGER,
  last_ok_at     INTEGER,
  last_error     TEXT,
  updated_at     INTEGER NOT NULL
);
