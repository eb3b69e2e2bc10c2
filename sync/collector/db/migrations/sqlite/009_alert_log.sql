-- The alert log: every alert the evaluator chore (sync/collector/alertlog.py)
-- opened, with its life.  An alert is open (state 'open'), acknowledged by a
-- person with a comment ('acknowledged', still not closed), and closed by the
-- evaluator when its condition clears (closed_at set, state 'closed').
-- Instants are RFC 3339 UTC text; data is the JSON of the numbers behind it.

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                 -- the rule: silent, burst, baseline, ...
    store_id TEXT NOT NULL REFERENCES stores (id),
    kiosk_id TEXT,                      -- the kiosk it is about, or NULL for the store
    severity INTEGER NOT NULL,          -- 2 = act now, 1 = look at it
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'acknowledged', 'closed')),
    opened_at TEXT NOT NULL,
    closed_at TEXT,                     -- NULL while open or acknowledged
    data TEXT NOT NULL,                 -- JSON: the numbers behind it, as last evaluated
    acknowledged_by TEXT,               -- who (a token's label and role; later a user)
    acknowledged_at TEXT,
    ack_comment TEXT
);
-- One alert per rule, store and kiosk is open at a time: two evaluators running
-- at once cannot both open it (the second INSERT does nothing).
CREATE UNIQUE INDEX alerts_one_open ON alerts (kind, store_id, COALESCE(kiosk_id, ''))
    WHERE closed_at IS NULL;
CREATE INDEX alerts_store_opened ON alerts (store_id, opened_at);
CREATE INDEX alerts_opened ON alerts (opened_at);

-- When the evaluator last ran: it claims a turn by moving evaluated_at forward
-- with a conditional UPDATE, so several server processes evaluate once a turn.
CREATE TABLE alert_runs (
    name TEXT PRIMARY KEY,
    evaluated_at TEXT NOT NULL
);
INSERT INTO alert_runs (name, evaluated_at) VALUES ('alerts', '1970-01-01T00:00:00.000Z');
