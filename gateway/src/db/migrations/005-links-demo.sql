-- Why a phone was revoked: 'device' (the school removed this phone: reopening a link on it says so and
-- registers nothing), 'link' (its link was revoked: a new link from the school may register it again) or
-- 'replaced' (the phone now watches for another guardian). Revocations from before are read back from the
-- link revocation that cut them (same instant), else they were a phone removed on its own.
ALTER TABLE devices ADD COLUMN revoked_reason TEXT CHECK (revoked_reason IN ('device', 'link', 'replaced'));
UPDATE devices SET revoked_reason = CASE
    WHEN EXISTS (SELECT 1 FROM access_links l WHERE l.id = devices.link_id AND l.revoked_at = devices.revoked_at)
    THEN 'link' ELSE 'device' END
  WHERE revoked_at IS NOT NULL;

-- How parents reach the school (a phone number, WhatsApp, an e-mail): shown on the link page.
ALTER TABLE schools ADD COLUMN contact TEXT NOT NULL DEFAULT '';

-- A demo camera that was given a real source is a real camera: it is never anonymously watchable again.
UPDATE cameras SET demo = 0 WHERE demo = 1 AND source_kind <> 'test-pattern';
