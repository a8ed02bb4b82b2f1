-- Where alerts go (issue 11): a school's own channels, and channels for every school (school_id NULL, made by
-- operators). config_json holds what is not secret (the webhook URL, the e-mail addresses, the Telegram chat);
-- secret_enc the webhook's HMAC key or the Telegram bot token, sealed with the gateway's SecretBox, never
-- returned by the API. A school removed takes its channels with it.
CREATE TABLE alert_channels (
  id          TEXT PRIMARY KEY,
  school_id   TEXT REFERENCES schools (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'email', 'telegram')),
  name        TEXT NOT NULL,
  config_json TEXT NOT NULL,
  secret_enc  TEXT,
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  TEXT NOT NULL
);
CREATE INDEX alert_channels_school ON alert_channels (school_id);
