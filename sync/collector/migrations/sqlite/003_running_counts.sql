-- Running totals per store, so a period's counts for every store are two index
-- lookups per store and face instead of a sum over every day (the all-stores
-- ranking over a year at 500 stores read 1.8 M daily_counts rows).
--
-- running_counts.total is the number of taps of that store, scale, face and
-- suppressed flag on or before local_date; a row exists for each local date
-- with taps.  A period [a, b] is total(latest date <= b) - total(latest date < a).
-- Ingest adds a day's taps to its own row and every later row of the same key.

-- Every (store, scale, score, suppressed) that has taps: the keys to look up.
CREATE TABLE running_keys (
    store_id TEXT NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    suppressed INTEGER NOT NULL,
    PRIMARY KEY (store_id, scale, score, suppressed)
);

CREATE TABLE running_counts (
    store_id TEXT NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    suppressed INTEGER NOT NULL,
    local_date TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (store_id, scale, score, suppressed, local_date)
);

INSERT INTO running_keys (store_id, scale, score, suppressed)
SELECT DISTINCT store_id, scale, score, suppressed FROM daily_counts WHERE n <> 0;

INSERT INTO running_counts (store_id, scale, score, suppressed, local_date, total)
SELECT store_id, scale, score, suppressed, local_date,
       SUM(SUM(n)) OVER (PARTITION BY store_id, scale, score, suppressed ORDER BY local_date)
FROM daily_counts
GROUP BY store_id, scale, score, suppressed, local_date
HAVING SUM(n) <> 0;
