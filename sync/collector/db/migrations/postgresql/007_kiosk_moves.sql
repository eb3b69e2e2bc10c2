-- Where each kiosk stood; mirrors migrations/sqlite/007_kiosk_moves.sql (see
-- there for how ingest uses it and how earlier moves are inferred).

CREATE TABLE kiosk_moves (
    kiosk_id text COLLATE "C" NOT NULL,
    store_id text COLLATE "C" NOT NULL,
    until text COLLATE "C" NOT NULL
);
CREATE INDEX kiosk_moves_kiosk ON kiosk_moves (kiosk_id, until);

INSERT INTO kiosk_moves (kiosk_id, store_id, until)
SELECT m.kiosk_id, m.store_id, COALESCE(
    (SELECT MIN(r.created_at) FROM ratings r
     WHERE r.created_at > m.left_at AND r.kiosk_id = m.kiosk_id AND r.store_id <> m.store_id),
    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
FROM (
    SELECT p.kiosk_id, p.store_id,
        (SELECT MAX(r.created_at) FROM ratings r
         WHERE r.created_at >= ((p.last_day::date - 1)::text COLLATE "C")
           AND r.kiosk_id = p.kiosk_id AND r.store_id = p.store_id) AS left_at
    FROM (SELECT d.kiosk_id, d.store_id, MAX(d.local_date) AS last_day
          FROM daily_counts d JOIN kiosks k ON k.id = d.kiosk_id
          WHERE d.store_id <> k.store_id
          GROUP BY d.kiosk_id, d.store_id) AS p
) AS m;
