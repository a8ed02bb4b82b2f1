-- Parental consent (UU PDP 27/2022 asks for provable consent to process a child's data): when and how the
-- school recorded each guardian's consent, by whom, and when it was withdrawn. Rows are never rewritten but
-- to withdraw them: a new consent is a new row, so the history stays provable. The recorder's name is copied
-- in, so the record still names them after their account is gone.
CREATE TABLE guardian_consents (
  id                TEXT PRIMARY KEY,
  guardian_id       TEXT NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
  recorded_at       TEXT NOT NULL,
  method            TEXT NOT NULL CHECK (method IN ('paper_form', 'in_person', 'whatsapp', 'email', 'other')),
  note              TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  recorded_by       TEXT,
  recorded_by_name  TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  withdrawn_at      TEXT,
  withdrawn_by      TEXT
);
CREATE INDEX guardian_consents_guardian ON guardian_consents (guardian_id, created_at);

-- A guardian's last viewing, shown in the admin's guardian list.
CREATE INDEX viewing_sessions_viewer ON viewing_sessions (viewer_kind, viewer_id, started_at);
