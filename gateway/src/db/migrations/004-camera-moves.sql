-- A camera registered through ONVIF keeps who it said it was (GetDeviceInformation's serial number and
-- hardware id, asked with the admin's credentials at registration): a re-probe follows it to a new address
-- on its own only when the host there says the same without being given any credentials. Cameras
-- registered before have none, so every move of theirs waits for a person.
ALTER TABLE cameras ADD COLUMN onvif_serial TEXT;
ALTER TABLE cameras ADD COLUMN onvif_hardware_id TEXT;

-- "Seen at another address": a host that answered a re-probe with a camera's UUID where the camera was not
-- followed on its own. A school admin confirms (the camera moves there) or dismisses it (it stays, and the same
-- camera and host never become a new pending item again).
CREATE TABLE camera_moves (
  id                  TEXT PRIMARY KEY,
  camera_id           TEXT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
  device_uuid         TEXT NOT NULL,
  from_host           TEXT NOT NULL,
  to_host             TEXT NOT NULL,
  -- The device service the answer named, kept on to_host (never a host that did not answer).
  device_service_url  TEXT NOT NULL,
  -- Why the camera was not moved on its own: a code the API explains in Bahasa Indonesia and English.
  reason              TEXT NOT NULL,
  -- superseded: the camera moved (or was confirmed elsewhere) while this item waited.
  status              TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'dismissed', 'superseded')),
  first_seen_at       TEXT NOT NULL,
  last_seen_at        TEXT NOT NULL,
  decided_at          TEXT,
  decided_by          TEXT
);
CREATE INDEX camera_moves_camera ON camera_moves (camera_id, status);
-- One open question per camera and host: a pending one is updated each round, a dismissed one stays the answer.
CREATE UNIQUE INDEX camera_moves_open ON camera_moves (camera_id, to_host)
  WHERE status IN ('pending', 'dismissed');
