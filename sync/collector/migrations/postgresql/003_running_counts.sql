-- Running totals per store; mirrors migrations/sqlite/003_running_counts.sql
-- (see there for why and how they are read).

CREATE TABLE running_keys (
    store_id text COLLATE "C" NOT NULL,
    scale integer NOT NULL,
    score integer NOT NULL,
    suppressed integer NOT NULL,
    PRIMARY KEY (store_id, scale, score, suppressed)
);

CREATE TABLE running_counts (
    store_id text COLLATE "C" NOT NULL,
    scale integer NOT NULL,
    score integer NOT NULL,
    suppressed integer NOT NULL,
    local_date text COLLATE "C" NOT NULL,
    total bigint NOT NULL,
    PRIMARY KEY (store_id, scale, score, suppressed, local_date)
);

INSERT INTO running_keys (store_id, scale, score, suppressed)
SELECT DISTINCT store_id, scale, score, suppressed FROM daily_counts WHERE n <> 0;

INSERT INTO running_counts (store_id, scale, score, suppressed, local_date, total)
SELECT store_id, scale, score, suppressed, local_date,
       CAST(SUM(SUM(n)) OVER (PARTITION BY store_id, scale, score, suppressed
                              ORDER BY local_date) AS bigint)
FROM daily_counts
GROUP BY store_id, scale, score, suppressed, local_date
HAVING SUM(n) <> 0;
