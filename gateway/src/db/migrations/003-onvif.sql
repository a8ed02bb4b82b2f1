-- A camera registered through ONVIF keeps how to reach its ONVIF service (device service URL, chosen
-- profile tokens) and its device UUID (WS-Discovery endpoint reference), by which a re-probe finds it again
-- after its address changed. Its stream URLs stay in source_json, without credentials.
ALTER TABLE cameras ADD COLUMN onvif_json TEXT;
ALTER TABLE cameras ADD COLUMN onvif_uuid TEXT;
CREATE INDEX cameras_onvif_uuid ON cameras (onvif_uuid);
