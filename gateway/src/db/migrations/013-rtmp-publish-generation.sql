-- A pushed camera's publish generation: part of what its RTMP publish URL signs, raised by
-- POST /api/cameras/:id/publish-url so that every URL issued before is refused. 0 for every camera so far:
-- generation 0 signs as the URLs handed out before generations existed, which keep working.
ALTER TABLE cameras ADD COLUMN publish_generation INTEGER NOT NULL DEFAULT 0;
