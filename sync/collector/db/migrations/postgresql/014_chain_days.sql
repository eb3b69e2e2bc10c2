-- The whole chain's taps per local date, so the office page's chain trend reads
-- one row per date, scale, face and flag instead of every store's daily rows
-- (at 2 000 stores a 30-day trend summed some 700 000 daily_counts rows).
--
-- Ingest adds to it in the same transaction as daily_counts (the same tallies
-- without the store and the kiosk); hymy-collector check recomputes it.

CREATE TABLE chain_day_counts (
    local_date text COLLATE "C" NOT NULL,
    scale integer NOT NULL,
    score integer NOT NULL,
    suppressed integer NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (local_date, scale, score, suppressed)
);

INSERT INTO chain_day_counts (local_date, scale, score, suppressed, n)
SELECT local_date, scale, score, suppressed, SUM(n) FROM daily_counts
GROUP BY local_date, scale, score, suppressed
HAVING SUM(n) <> 0;
