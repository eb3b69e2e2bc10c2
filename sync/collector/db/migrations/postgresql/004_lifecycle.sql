-- Lifecycle of stores and kiosks; mirrors migrations/sqlite/004_lifecycle.sql
-- (see there for what retirement means).

ALTER TABLE stores ADD COLUMN retired_at text COLLATE "C";
ALTER TABLE kiosks ADD COLUMN retired_at text COLLATE "C";

-- A kiosk's label lived only on its first token; it now belongs to the kiosk.
ALTER TABLE kiosks ADD COLUMN label text;
UPDATE kiosks SET label = (
    SELECT t.label FROM tokens t
    WHERE t.kiosk_id = kiosks.id AND t.role = 'kiosk' ORDER BY t.id LIMIT 1
);
