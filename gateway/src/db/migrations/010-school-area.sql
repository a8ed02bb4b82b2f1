-- The area (kecamatan / district) of the kabupaten a school lies in: the Diskominfo dashboard filters and
-- groups by it. '' for a school whose area is not given yet.
ALTER TABLE schools ADD COLUMN area TEXT NOT NULL DEFAULT '';
CREATE INDEX schools_area ON schools (area);
