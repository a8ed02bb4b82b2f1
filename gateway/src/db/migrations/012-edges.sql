-- A school's edge gateway, as the hub knows it: who it is and the public half of its NATS key (the seed was
-- shown once to the operator who made it). What it last said (version, link quality) is in memory; when it
-- was last heard from is kept, so the console can say "last contact 3 days ago" after a hub restart.
CREATE TABLE edges (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  school_id        TEXT NOT NULL REFERENCES schools (id) ON DELETE RESTRICT,
  public_key       TEXT NOT NULL UNIQUE,
  version          TEXT,
  last_contact_at  TEXT,
  created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX edges_school ON edges (school_id);
