-- Kiosk health; mirrors migrations/sqlite/006_kiosk_health.sql (see there).

ALTER TABLE kiosks ADD COLUMN rejected bigint;
ALTER TABLE kiosks ADD COLUMN uptime_s bigint;
ALTER TABLE kiosks ADD COLUMN disk_free_bytes bigint;
ALTER TABLE kiosks ADD COLUMN disk_total_bytes bigint;
ALTER TABLE kiosks ADD COLUMN database_bytes bigint;
ALTER TABLE kiosks ADD COLUMN config_timezone text COLLATE "C";
