-- Dashboard: server-side browser sessions, and an index for the unhappy-burst alert.

-- A session is a random id given to the browser in an HttpOnly cookie; only its
-- SHA-256 hash is stored.  It borrows the rights of the token used to log in, so
-- revoking that token ends its sessions too.
CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES tokens (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The burst alert reads the last day's taps by time.
CREATE INDEX ratings_created ON ratings (created_at);
