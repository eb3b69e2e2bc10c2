-- Running totals per store; mirrors migrations/sqlite/003_running_counts.sql
-- (see there for why and how they are read).

-- Every (store, scale) with taps: the keys to look up.
CREATE TABLE running_keys (
    store_id text COLLATE "C" NOT NULL,
    scale integer NOT NULL,
    PRIMARY KEY (store_id, scale)
);

CREATE TABLE running_counts (
    store_id text COLLATE "C" NOT NULL,
    scale integer NOT NULL,
    local_date text COLLATE "C" NOT NULL,
    counted_1 bigint NOT NULL,
    counted_2 bigint NOT NULL,
    counted_3 bigint NOT NULL,
    counted_4 bigint NOT NULL,
    counted_5 bigint NOT NULL,
    suppressed_1 bigint NOT NULL,
    suppressed_2 bigint NOT NULL,
    suppressed_3 bigint NOT NULL,
    suppressed_4 bigint NOT NULL,
    suppressed_5 bigint NOT NULL,
    PRIMARY KEY (store_id, scale, local_date)
);

INSERT INTO running_keys (store_id, scale)
SELECT DISTINCT store_id, scale FROM daily_counts WHERE n <> 0;

INSERT INTO running_counts (store_id, scale, local_date,
    counted_1, counted_2, counted_3, counted_4, counted_5,
    suppressed_1, suppressed_2, suppressed_3, suppressed_4, suppressed_5)
SELECT store_id, scale, local_date,
       CAST(SUM(SUM(CASE WHEN score = 1 AND suppressed = 0 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 2 AND suppressed = 0 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 3 AND suppressed = 0 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 4 AND suppressed = 0 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 5 AND suppressed = 0 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 1 AND suppressed = 1 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 2 AND suppressed = 1 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 3 AND suppressed = 1 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 4 AND suppressed = 1 THEN n ELSE 0 END)) OVER w AS bigint),
       CAST(SUM(SUM(CASE WHEN score = 5 AND suppressed = 1 THEN n ELSE 0 END)) OVER w AS bigint)
FROM daily_counts
GROUP BY store_id, scale, local_date
HAVING SUM(n) <> 0
WINDOW w AS (PARTITION BY store_id, scale ORDER BY local_date);
