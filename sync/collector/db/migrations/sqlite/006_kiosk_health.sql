-- Kiosk health, as each kiosk reports it with every batch and heartbeat
-- (sync.wire.KioskStatus): the fleet page and GET /api/v1/kiosks show it.
--
-- All NULL until a kiosk of this release reports (older kiosks never do).
-- Figures are as of kiosks.last_seen; config_timezone is the zone the kiosk's
-- own config names, which the dashboard compares with the store's.

ALTER TABLE kiosks ADD COLUMN rejected INTEGER;          -- ratings the kiosk keeps aside, refused
ALTER TABLE kiosks ADD COLUMN uptime_s INTEGER;          -- seconds since the kiosk app started
ALTER TABLE kiosks ADD COLUMN disk_free_bytes INTEGER;   -- free space beside its database
ALTER TABLE kiosks ADD COLUMN disk_total_bytes INTEGER;
ALTER TABLE kiosks ADD COLUMN database_bytes INTEGER;    -- its database file plus WAL
ALTER TABLE kiosks ADD COLUMN config_timezone TEXT;
