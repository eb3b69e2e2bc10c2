-- Lifecycle of stores and kiosks: a kiosk's own label, and retirement.
--
-- A retired store or kiosk (retired_at set, a UTC instant) keeps every rating
-- and roll-up, stays readable and exportable, and accepts no more uploads;
-- rankings and alerts leave retired stores out.  Clearing retired_at restores it.

ALTER TABLE stores ADD COLUMN retired_at TEXT;
ALTER TABLE kiosks ADD COLUMN retired_at TEXT;

-- A kiosk's label lived only on its first token; it now belongs to the kiosk.
ALTER TABLE kiosks ADD COLUMN label TEXT;
UPDATE kiosks SET label = (
    SELECT t.label FROM tokens t
    WHERE t.kiosk_id = kiosks.id AND t.role = 'kiosk' ORDER BY t.id LIMIT 1
);
