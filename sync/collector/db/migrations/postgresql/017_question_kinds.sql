-- Question kinds; mirrors migrations/sqlite/017_question_kinds.sql (see there
-- for why kind is a stored column and what each part holds).
ALTER TABLE ratings ADD COLUMN kind text COLLATE "C" NOT NULL DEFAULT 'csat'
    CHECK (kind IN ('csat', 'nps', 'ces'));
ALTER TABLE ratings ADD COLUMN followup text COLLATE "C" CHECK (followup IN ('skipped', 'timeout'));

-- Running totals for every score of every kind: NPS answers 0-10 and CES 1-7,
-- so faces 0 and 6-10 get columns beside 1-5 (zero in every existing row, which
-- held CSAT taps only).  The roll-ups keyed by scale need nothing new: the scale
-- tells the kinds apart (11: nps, 7: ces).
ALTER TABLE running_counts ADD COLUMN counted_0 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN counted_6 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN counted_7 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN counted_8 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN counted_9 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN counted_10 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_0 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_6 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_7 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_8 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_9 bigint NOT NULL DEFAULT 0;
ALTER TABLE running_counts ADD COLUMN suppressed_10 bigint NOT NULL DEFAULT 0;

-- The BI views of migration 008 again, with question_kind from the data: a row per
-- kind (a store whose kiosks ask CSAT at the checkout and NPS at the exit has two
-- rows a day).  The columns of 008 keep their names and order; csat, satisfied and
-- happy_index are NULL on NPS and CES rows.  New at the end: value, the kind's own
-- figure as sync/metrics.py defines it (CSAT %, NPS -100..100, the CES mean 1-7),
-- and the responses on faces 0 and 6-10 (NPS and CES answers).
DROP VIEW bi_chain_daily;
DROP VIEW bi_store_hourly;
DROP VIEW bi_store_reasons_daily;
DROP VIEW bi_kiosk_daily;
DROP VIEW bi_store_daily;
DROP VIEW bi_face_weights;
DROP VIEW bi_faces;

-- Every face of every scale: satisfied (0/1) and its Happy Index value (CSAT faces),
-- its kind, and what it adds to the kind's value (points / responses = value).
CREATE VIEW bi_faces AS
SELECT f.column1 AS scale, f.column2 AS score,
       CASE WHEN f.column2 > f.column1 - CASE WHEN f.column1 = 3 THEN 1 ELSE 2 END
            THEN 1 ELSE 0 END AS satisfied,
       (f.column2 - 1) * 100.0::double precision / (f.column1 - 1) AS happy_value,
       'csat' AS question_kind,
       CASE WHEN f.column2 > f.column1 - CASE WHEN f.column1 = 3 THEN 1 ELSE 2 END
            THEN 100.0::double precision ELSE 0.0 END AS points
FROM (VALUES (3, 1), (3, 2), (3, 3), (4, 1), (4, 2), (4, 3), (4, 4), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5)) AS f
UNION ALL
SELECT 11, f.column1, CAST(NULL AS integer), CAST(NULL AS double precision), 'nps',
       CASE WHEN f.column1 >= 9 THEN 100.0::double precision WHEN f.column1 <= 6 THEN -100.0::double precision ELSE 0.0 END
FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) AS f
UNION ALL
SELECT 7, f.column1, CAST(NULL AS integer), CAST(NULL AS double precision), 'ces', f.column1 * 1.0
FROM (VALUES (1), (2), (3), (4), (5), (6), (7)) AS f;

-- What one tap adds to each sum, by face and suppressed (0/1); see 008.
CREATE VIEW bi_face_weights AS
SELECT f.scale, f.score, t.column1 AS suppressed, 1 - t.column1 AS counted,
       (1 - t.column1) * f.satisfied AS satisfied, (1 - t.column1) * f.happy_value AS happy,
       CASE WHEN f.score = 1 THEN 1 - t.column1 ELSE 0 END AS face_1,
       CASE WHEN f.score = 2 THEN 1 - t.column1 ELSE 0 END AS face_2,
       CASE WHEN f.score = 3 THEN 1 - t.column1 ELSE 0 END AS face_3,
       CASE WHEN f.score = 4 THEN 1 - t.column1 ELSE 0 END AS face_4,
       CASE WHEN f.score = 5 THEN 1 - t.column1 ELSE 0 END AS face_5,
       f.question_kind, (1 - t.column1) * f.points AS points,
       CASE WHEN f.score = 0 THEN 1 - t.column1 ELSE 0 END AS face_0,
       CASE WHEN f.score = 6 THEN 1 - t.column1 ELSE 0 END AS face_6,
       CASE WHEN f.score = 7 THEN 1 - t.column1 ELSE 0 END AS face_7,
       CASE WHEN f.score = 8 THEN 1 - t.column1 ELSE 0 END AS face_8,
       CASE WHEN f.score = 9 THEN 1 - t.column1 ELSE 0 END AS face_9,
       CASE WHEN f.score = 10 THEN 1 - t.column1 ELSE 0 END AS face_10
FROM bi_faces f CROSS JOIN (VALUES (0), (1)) AS t;

-- One row per store, local day and kind with taps (retired stores too, retired = 1).
CREATE VIEW bi_store_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, c.question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5,
       c.points / NULLIF(c.responses, 0) AS value, c.face_0, c.face_6, c.face_7, c.face_8, c.face_9, c.face_10
FROM (SELECT r.store_id, r.local_date, w.question_kind, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5, SUM(r.n * w.points) AS points,
             SUM(r.n * w.face_0) AS face_0, SUM(r.n * w.face_6) AS face_6, SUM(r.n * w.face_7) AS face_7, SUM(r.n * w.face_8) AS face_8, SUM(r.n * w.face_9) AS face_9, SUM(r.n * w.face_10) AS face_10
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.store_id, r.local_date, w.question_kind) AS c
JOIN stores s ON s.id = c.store_id;

-- One row per store, kiosk, local day and kind with taps.
CREATE VIEW bi_kiosk_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.kiosk_id, k.label AS kiosk_label, CASE WHEN k.retired_at IS NULL THEN 0 ELSE 1 END AS kiosk_retired,
       c.local_date, c.question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5,
       c.points / NULLIF(c.responses, 0) AS value, c.face_0, c.face_6, c.face_7, c.face_8, c.face_9, c.face_10
FROM (SELECT r.store_id, r.kiosk_id, r.local_date, w.question_kind, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5, SUM(r.n * w.points) AS points,
             SUM(r.n * w.face_0) AS face_0, SUM(r.n * w.face_6) AS face_6, SUM(r.n * w.face_7) AS face_7, SUM(r.n * w.face_8) AS face_8, SUM(r.n * w.face_9) AS face_9, SUM(r.n * w.face_10) AS face_10
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.store_id, r.kiosk_id, r.local_date, w.question_kind) AS c
JOIN stores s ON s.id = c.store_id LEFT JOIN kiosks k ON k.id = c.kiosk_id;

-- One row per store, local day, follow-up reason and kind (counted taps only).
CREATE VIEW bi_store_reasons_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, c.reason, c.question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.face_1, c.face_2, c.face_3, c.face_4, c.face_5,
       c.points / NULLIF(c.responses, 0) AS value, c.face_0, c.face_6, c.face_7, c.face_8, c.face_9, c.face_10
FROM (SELECT r.store_id, r.local_date, r.reason, w.question_kind, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5, SUM(r.n * w.points) AS points,
             SUM(r.n * w.face_0) AS face_0, SUM(r.n * w.face_6) AS face_6, SUM(r.n * w.face_7) AS face_7, SUM(r.n * w.face_8) AS face_8, SUM(r.n * w.face_9) AS face_9, SUM(r.n * w.face_10) AS face_10
      FROM reason_counts r JOIN bi_face_weights w ON w.scale = r.scale AND w.score = r.score AND w.suppressed = 0
      GROUP BY r.store_id, r.local_date, r.reason, w.question_kind) AS c
JOIN stores s ON s.id = c.store_id;

-- One row per store, local day, store-local hour (0-23) and kind with counted taps.
CREATE VIEW bi_store_hourly AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, c.hour, c.question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.face_1, c.face_2, c.face_3, c.face_4, c.face_5,
       c.points / NULLIF(c.responses, 0) AS value, c.face_0, c.face_6, c.face_7, c.face_8, c.face_9, c.face_10
FROM (SELECT r.store_id, r.local_date, r.hour, w.question_kind, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5, SUM(r.n * w.points) AS points,
             SUM(r.n * w.face_0) AS face_0, SUM(r.n * w.face_6) AS face_6, SUM(r.n * w.face_7) AS face_7, SUM(r.n * w.face_8) AS face_8, SUM(r.n * w.face_9) AS face_9, SUM(r.n * w.face_10) AS face_10
      FROM hourly_counts r JOIN bi_face_weights w ON w.scale = r.scale AND w.score = r.score AND w.suppressed = 0
      GROUP BY r.store_id, r.local_date, r.hour, w.question_kind) AS c
JOIN stores s ON s.id = c.store_id;

-- The whole chain per local date and kind.
CREATE VIEW bi_chain_daily AS
SELECT c.local_date, c.question_kind, c.stores, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5,
       c.points / NULLIF(c.responses, 0) AS value, c.face_0, c.face_6, c.face_7, c.face_8, c.face_9, c.face_10
FROM (SELECT r.local_date, w.question_kind, COUNT(DISTINCT r.store_id) AS stores, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5, SUM(r.n * w.points) AS points,
             SUM(r.n * w.face_0) AS face_0, SUM(r.n * w.face_6) AS face_6, SUM(r.n * w.face_7) AS face_7, SUM(r.n * w.face_8) AS face_8, SUM(r.n * w.face_9) AS face_9, SUM(r.n * w.face_10) AS face_10
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.local_date, w.question_kind) AS c;
