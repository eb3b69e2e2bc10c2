-- Dashboard: server-side browser sessions, and an index for the unhappy-burst alert.
-- Mirrors migrations/sqlite/002_dashboard.sql.

-- A session is a random id given to the browser in an HttpOnly cookie; only its
-- SHA-256 hash is stored.  It borrows the rights of the token used to log in, so
-- revoking that token ends its sessions too.
CREATE TABLE sessions (
    hash text COLLATE "C" PRIMARY KEY,
    token_id bigint NOT NULL REFERENCES tokens (id),
    created_at text COLLATE "C" NOT NULL,
    expires_at text COLLATE "C" NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The burst alert reads the last day's taps by time.
CREATE INDEX ratings_created ON ratings (created_at);
