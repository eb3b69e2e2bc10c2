-- Running totals per store, so a period's counts for every store are two index
-- lookups per store instead of a sum over every day (the all-stores ranking over
-- a year at 500 stores read 1.8 M daily_counts rows).
--
-- A running_counts row holds, for one store and scale, the number of taps of
-- each face on or before local_date, counted and suppressed apart; a row exists
-- for each local date with taps.  A period [a, b] is the row of the latest date
-- <= b minus the row of the latest date < a.  Ingest adds a day's taps to its
-- own row and every later row of the same store and scale.

-- Every (store, scale) with taps: the keys to look up.
CREATE TABLE running_keys (
    store_id TEXT NOT NULL,
    scale INTEGER NOT NULL,
    PRIMARY KEY (store_id, scale)
);

CREATE TABLE running_counts (
    store_id TEXT NOT NULL,
    scale INTEGER NOT NULL,
    local_date TEXT NOT NULL,
    counted_1 INTEGER NOT NULL,
    counted_2 INTEGER NOT NULL,
    counted_3 INTEGER NOT NULL,
    counted_4 INTEGER NOT NULL,
    counted_5 INTEGER NOT NULL,
    suppressed_1 INTEGER NOT NULL,
    suppressed_2 INTEGER NOT NULL,
    suppressed_3 INTEGER NOT NULL,
    suppressed_4 INTEGER NOT NULL,
    suppressed_5 INTEGER NOT NULL,
    PRIMARY KEY (store_id, scale, local_date)
);

INSERT INTO running_keys (store_id, scale)
SELECT DISTINCT store_id, scale FROM daily_counts WHERE n <> 0;

INSERT INTO running_counts (store_id, scale, local_date,
    counted_1, counted_2, counted_3, counted_4, counted_5,
    suppressed_1, suppressed_2, suppressed_3, suppressed_4, suppressed_5)
SELECT store_id, scale, local_date,
       SUM(SUM(CASE WHEN score = 1 AND suppressed = 0 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 2 AND suppressed = 0 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 3 AND suppressed = 0 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 4 AND suppressed = 0 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 5 AND suppressed = 0 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 1 AND suppressed = 1 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 2 AND suppressed = 1 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 3 AND suppressed = 1 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 4 AND suppressed = 1 THEN n ELSE 0 END)) OVER w,
       SUM(SUM(CASE WHEN score = 5 AND suppressed = 1 THEN n ELSE 0 END)) OVER w
FROM daily_counts
GROUP BY store_id, scale, local_date
HAVING SUM(n) <> 0
WINDOW w AS (PARTITION BY store_id, scale ORDER BY local_date);
