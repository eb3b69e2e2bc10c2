-- Where each kiosk stood: one row per move, the store it left and when.
--
-- Ingest files a rating under the store its kiosk stood in at the rating's
-- created_at (db/stays.py), so taps a kiosk still held when it was moved, or
-- made before its kiosk.toml named the new store, are neither refused nor
-- misfiled.  A kiosk's current store is kiosks.store_id; until is a UTC instant
-- (RFC 3339, milliseconds) and only grows per kiosk.

CREATE TABLE kiosk_moves (
    kiosk_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE INDEX kiosk_moves_kiosk ON kiosk_moves (kiosk_id, until);

-- Moves made before this migration left no record but their ratings: a kiosk
-- with ratings filed under a store other than its own stood there until the
-- first rating it made under another store after its last one there (or, with
-- none yet, until now).  The roll-ups name the pairs; the created_at index
-- finds the instants.
INSERT INTO kiosk_moves (kiosk_id, store_id, until)
SELECT m.kiosk_id, m.store_id, COALESCE(
    (SELECT MIN(r.created_at) FROM ratings r
     WHERE r.created_at > m.left_at AND r.kiosk_id = m.kiosk_id AND r.store_id <> m.store_id),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
FROM (
    SELECT p.kiosk_id, p.store_id,
        (SELECT MAX(r.created_at) FROM ratings r
         WHERE r.created_at >= date(p.last_day, '-1 day')
           AND r.kiosk_id = p.kiosk_id AND r.store_id = p.store_id) AS left_at
    FROM (SELECT d.kiosk_id, d.store_id, MAX(d.local_date) AS last_day
          FROM daily_counts d JOIN kiosks k ON k.id = d.kiosk_id
          WHERE d.store_id <> k.store_id
          GROUP BY d.kiosk_id, d.store_id) AS p
) AS m;
