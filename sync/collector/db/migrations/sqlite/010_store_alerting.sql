-- A store's own alerting: the opening hours an admin set and thresholds that
-- override the chain's (HYMY_ALERT_*).  One row per store that has any; a
-- NULL column means "as the chain" (opening hours: inferred from the hours
-- the store got responses, sync/collector/alerts.py).  opening_hours is the
-- canonical text alerts.format_opening_hours writes ('mon-fri 9-21; sat 10-18').

CREATE TABLE store_alerting (
    store_id TEXT PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    opening_hours TEXT,
    silent_hours REAL,
    funnel_sigmas REAL,
    funnel_min_responses INTEGER,
    burst_share REAL,
    burst_min_responses INTEGER,
    updated_at TEXT NOT NULL
);
