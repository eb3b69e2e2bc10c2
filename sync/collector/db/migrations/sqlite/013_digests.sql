-- Digests (issue #15): a daily e-mail per store, a weekly one for the office.
--
-- scope is a store id, or '*' for the chain (the office's weekly digest).
-- digest_settings: the local hour a scope's digest goes out (a store without
-- a row sends at 07; the chain's weekly digest goes out on Monday at its hour,
-- in the chain's main time zone).  digest_recipients: who gets it, and in
-- which language (fi, sv, en, de).
--
-- digests_sent is the claim that keeps a digest from going out twice: a
-- process inserts (kind, scope, day, address) before handing the mail over,
-- and only the process whose insert (or retry UPDATE of a failed row) took
-- effect sends it.  day is the store-local date reported (daily) or the
-- Monday of the week (weekly); status is sending, sent or failed.

CREATE TABLE digest_settings (
    scope TEXT PRIMARY KEY,
    hour INTEGER NOT NULL CHECK (hour >= 0 AND hour <= 23)
);

CREATE TABLE digest_recipients (
    scope TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (scope, address)
);

CREATE TABLE digests_sent (
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    day TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    claimed_at TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (kind, scope, day, address)
);
