-- Comments from the shopper's phone (issue #16): the text written on the page a
-- kiosk's QR code links to (sync/commentlink.py).
--
-- One comment per (kiosk_id, rating_id): the key is what makes a link single
-- use, and it ties the comment to its rating, which may arrive later (the
-- kiosk may be offline); reads join ratings on id.  store_id is the kiosk's
-- store when the comment came.  body is stored masked (e-mail addresses and
-- phone numbers replaced before the INSERT); flagged is 1 when a word of the
-- profanity lists was found (the text is kept).  Nothing else about the
-- writer is kept: no address, no user agent.  id is the export cursor.
-- Deleted after comment_retention_days by the comments chore.

CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kiosk_id TEXT NOT NULL,
    rating_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    body TEXT NOT NULL,
    lang TEXT NOT NULL,
    flagged INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kiosk_id, rating_id)
);
CREATE INDEX comments_store ON comments (store_id, created_at);
CREATE INDEX comments_created ON comments (created_at);
