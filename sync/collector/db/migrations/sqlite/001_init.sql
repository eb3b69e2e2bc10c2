-- Hymy collector schema, SQLite.  Dates are ISO text (YYYY-MM-DD), instants are
-- RFC 3339 UTC text with milliseconds, flags are INTEGER 0/1: the same choices
-- the PostgreSQL migrations will make, so storage.py's SQL runs on both.

CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE kiosks (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    created_at TEXT NOT NULL,
    last_seen TEXT,                 -- last batch of any kind (heartbeats too)
    last_sync TEXT,                 -- last batch that carried ratings
    last_rating_at TEXT,            -- newest created_at received
    app_version TEXT,
    pending INTEGER,                -- unsent ratings the kiosk reported
    oldest_pending_at TEXT,
    reported_last_seq INTEGER,      -- highest seq the kiosk says it has written
    clock_offset_s REAL,            -- collector time minus kiosk time, last batch
    received INTEGER NOT NULL DEFAULT 0,  -- ratings stored
    max_seq INTEGER NOT NULL DEFAULT 0    -- highest seq stored
);
CREATE INDEX kiosks_store ON kiosks (store_id);

-- Ranges of seq below kiosks.max_seq that never arrived: the "nothing lost" audit.
CREATE TABLE seq_gaps (
    kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
    gap_start INTEGER NOT NULL,
    gap_end INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, gap_start)
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,      -- sha256 hex of the token; the token is never stored
    role TEXT NOT NULL CHECK (role IN ('kiosk', 'staff', 'office', 'admin')),
    store_id TEXT REFERENCES stores (id),
    kiosk_id TEXT REFERENCES kiosks (id),
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE surveys (
    store_id TEXT NOT NULL REFERENCES stores (id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,             -- JSON: scale, questions, reasons, reason_labels
    created_at TEXT NOT NULL,
    PRIMARY KEY (store_id, version)
);

-- Raw ratings.  ingest_seq is the export cursor: it only grows, and writers are
-- serialised, so a reader never sees a higher value before a lower one.
CREATE TABLE ratings (
    ingest_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    score INTEGER NOT NULL,
    scale INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    local_date TEXT NOT NULL,
    lang TEXT NOT NULL,
    reason TEXT,
    suppressed INTEGER NOT NULL,
    survey_version INTEGER,
    received_at TEXT NOT NULL,
    clock_suspect INTEGER NOT NULL DEFAULT 0
);
-- No index beyond id: reads use the roll-ups, seq audits use seq_gaps, and every
-- extra index would cost each insert.

-- Roll-ups, updated in the ingest transaction so reads never scan ratings.
CREATE TABLE daily_counts (
    store_id TEXT NOT NULL,
    local_date TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    suppressed INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (store_id, local_date, kiosk_id, scale, score, suppressed)
);
CREATE INDEX daily_counts_date ON daily_counts (local_date);

-- Counted (not suppressed) responses by store-local hour of the tap.
CREATE TABLE hourly_counts (
    store_id TEXT NOT NULL,
    local_date TEXT NOT NULL,
    hour INTEGER NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (store_id, local_date, hour, scale, score)
);

-- Counted responses that carried a follow-up reason, with the face they came with.
CREATE TABLE reason_counts (
    store_id TEXT NOT NULL,
    local_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    scale INTEGER NOT NULL,
    score INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (store_id, local_date, reason, scale, score)
);
