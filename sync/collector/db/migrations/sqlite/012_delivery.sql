-- Delivery: where alerts, digests and weekly reports go, and the outbox that sends them.
--
-- channels: one destination (kind email, slack, teams, apprise or webhook; target an
-- address or URL) owned by a user's e-mail or a team name.  secret signs a webhook's
-- bodies (HMAC-SHA256; shown once when the channel is made).  A removed channel is
-- disabled (disabled_at), never deleted: its deliveries keep their history.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    secret TEXT,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);

-- subscriptions: which events (alert, digest, weekly) reach a channel, for one store
-- or (store_id NULL) every store.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    event TEXT NOT NULL,
    store_id TEXT REFERENCES stores (id),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_one ON subscriptions (channel_id, event, COALESCE(store_id, ''));

-- deliveries: the outbox.  key names the event instance (an alert, a store's digest of a
-- day), so (key, channel_id) is queued once whatever calls enqueue twice.  A sender claims
-- a due row by a conditional UPDATE that sets lease_until (several processes race safely);
-- sent_at or failed_at ends it; attempts and last_error say what happened so far.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    event TEXT NOT NULL,
    store_id TEXT,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT,
    sent_at TEXT,
    failed_at TEXT,
    last_error TEXT,
    UNIQUE (key, channel_id)
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;
