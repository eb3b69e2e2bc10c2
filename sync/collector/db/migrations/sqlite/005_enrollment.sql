-- Enrollment codes: a short one-time code a kiosk exchanges for its token
-- (POST /api/v1/enroll), so nobody copies a 40-character token by hand.
--
-- Only the SHA-256 hash of a code is stored, like tokens.  A code works once
-- (used_at), until expires_at (a UTC instant), and only while it is the
-- kiosk's newest (replaced_at is set when a fresh one is issued).  token_id is
-- the kiosk token minted by the exchange.
CREATE TABLE enrollment_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    replaced_at TEXT,
    token_id INTEGER REFERENCES tokens (id)
);
CREATE INDEX enrollment_codes_kiosk ON enrollment_codes (kiosk_id);
