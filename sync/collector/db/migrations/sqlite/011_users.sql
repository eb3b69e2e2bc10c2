-- People: personal accounts beside the tokens (which stay, for machines).
--
-- email is stored lower-cased, so it is unique case-insensitively.  A user's
-- password_hash is an Argon2id hash (NULL until they set one: sign-in links
-- still work).  Staff users read the stores in user_stores; office and admin
-- users read every store.  disabled_at set: the user can do nothing, and
-- their sessions and links were deleted when it was set.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('staff', 'office', 'admin')),
    password_hash TEXT,
    language TEXT CHECK (language IN ('fi', 'sv', 'en', 'de')),
    created_at TEXT NOT NULL,
    disabled_at TEXT
);

CREATE TABLE user_stores (
    user_id INTEGER NOT NULL REFERENCES users (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    PRIMARY KEY (user_id, store_id)
);

-- One-time sign-in and invitation links: only the SHA-256 hash of the random
-- token is stored; a link works once (used_at) until expires_at.
CREATE TABLE user_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('signin', 'invite')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX user_links_user ON user_links (user_id);

-- A session now belongs to a token or to a user: SQLite cannot drop NOT NULL
-- from token_id, so the table is rebuilt with its rows.
CREATE TABLE sessions_011 (
    hash TEXT PRIMARY KEY,
    token_id INTEGER REFERENCES tokens (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),  -- last, as PostgreSQL's ADD COLUMN puts it
    CHECK (token_id IS NOT NULL OR user_id IS NOT NULL)
);
INSERT INTO sessions_011 (hash, token_id, created_at, expires_at)
SELECT hash, token_id, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_011 RENAME TO sessions;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);
