-- BI views; mirrors migrations/sqlite/008_bi_views.sql (see there for what each
-- view holds and how they are named).  Figures are double precision, computed in
-- the same order as sync/metrics.py, so CSAT is the same number on both backends.

-- Every face of every scale: satisfied (0/1) and its Happy Index value.
CREATE VIEW bi_faces AS
SELECT f.column1 AS scale, f.column2 AS score,
       CASE WHEN f.column2 > f.column1 - CASE WHEN f.column1 = 3 THEN 1 ELSE 2 END
            THEN 1 ELSE 0 END AS satisfied,
       (f.column2 - 1) * 100.0::double precision / (f.column1 - 1) AS happy_value
FROM (VALUES (3, 1), (3, 2), (3, 3), (4, 1), (4, 2), (4, 3), (4, 4), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5)) AS f;

-- What one tap adds to each sum, by face and suppressed (0/1): the one place that
-- says a suppressed tap is no response and which face column a tap counts in.
-- Each view below only groups its roll-up table and sums n x weight: SQLite does
-- not carry a view's WHERE (store_id = ...) through GROUP BY into a UNION ALL, so
-- one grouped view over all three tables would scan them all on every query,
-- while a view over its own table answers one store from its primary key.
CREATE VIEW bi_face_weights AS
SELECT f.scale, f.score, t.column1 AS suppressed, 1 - t.column1 AS counted,
       (1 - t.column1) * f.satisfied AS satisfied, (1 - t.column1) * f.happy_value AS happy,
       CASE WHEN f.score = 1 THEN 1 - t.column1 ELSE 0 END AS face_1,
       CASE WHEN f.score = 2 THEN 1 - t.column1 ELSE 0 END AS face_2,
       CASE WHEN f.score = 3 THEN 1 - t.column1 ELSE 0 END AS face_3,
       CASE WHEN f.score = 4 THEN 1 - t.column1 ELSE 0 END AS face_4,
       CASE WHEN f.score = 5 THEN 1 - t.column1 ELSE 0 END AS face_5
FROM bi_faces f CROSS JOIN (VALUES (0), (1)) AS t;

-- One row per store and local day with taps (retired stores too, retired = 1).
CREATE VIEW bi_store_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, 'csat' AS question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5
FROM (SELECT r.store_id, r.local_date, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.store_id, r.local_date) AS c
JOIN stores s ON s.id = c.store_id;

-- One row per store, kiosk and local day with taps: a kiosk moved between stores
-- has a row under each store for the days it stood there.
CREATE VIEW bi_kiosk_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.kiosk_id, k.label AS kiosk_label, CASE WHEN k.retired_at IS NULL THEN 0 ELSE 1 END AS kiosk_retired,
       c.local_date, 'csat' AS question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5
FROM (SELECT r.store_id, r.kiosk_id, r.local_date, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.store_id, r.kiosk_id, r.local_date) AS c
JOIN stores s ON s.id = c.store_id LEFT JOIN kiosks k ON k.id = c.kiosk_id;

-- One row per store, local day and follow-up reason given (counted taps only).
CREATE VIEW bi_store_reasons_daily AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, c.reason, 'csat' AS question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.face_1, c.face_2, c.face_3, c.face_4, c.face_5
FROM (SELECT r.store_id, r.local_date, r.reason, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5
      FROM reason_counts r JOIN bi_face_weights w ON w.scale = r.scale AND w.score = r.score AND w.suppressed = 0
      GROUP BY r.store_id, r.local_date, r.reason) AS c
JOIN stores s ON s.id = c.store_id;

-- One row per store, local day and store-local hour (0-23) with counted taps.
CREATE VIEW bi_store_hourly AS
SELECT c.store_id, s.name AS store_name, CASE WHEN s.retired_at IS NULL THEN 0 ELSE 1 END AS retired,
       c.local_date, c.hour, 'csat' AS question_kind, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.face_1, c.face_2, c.face_3, c.face_4, c.face_5
FROM (SELECT r.store_id, r.local_date, r.hour, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5
      FROM hourly_counts r JOIN bi_face_weights w ON w.scale = r.scale AND w.score = r.score AND w.suppressed = 0
      GROUP BY r.store_id, r.local_date, r.hour) AS c
JOIN stores s ON s.id = c.store_id;

-- The whole chain per local date (each store's taps on its own local date, retired
-- stores included, as the office page's chain trend counts them).
CREATE VIEW bi_chain_daily AS
SELECT c.local_date, 'csat' AS question_kind, c.stores, c.responses, c.satisfied,
       c.satisfied * 100.0::double precision / NULLIF(c.responses, 0) AS csat, c.happy / NULLIF(c.responses, 0) AS happy_index,
       c.suppressed, c.face_1, c.face_2, c.face_3, c.face_4, c.face_5
FROM (SELECT r.local_date, COUNT(DISTINCT r.store_id) AS stores, SUM(r.n * w.counted) AS responses,
             SUM(r.n * w.satisfied) AS satisfied, SUM(r.n * w.happy) AS happy, SUM(r.n * w.suppressed) AS suppressed,
             SUM(r.n * w.face_1) AS face_1, SUM(r.n * w.face_2) AS face_2, SUM(r.n * w.face_3) AS face_3,
             SUM(r.n * w.face_4) AS face_4, SUM(r.n * w.face_5) AS face_5
      FROM daily_counts r JOIN bi_face_weights w USING (scale, score, suppressed)
      GROUP BY r.local_date) AS c;
