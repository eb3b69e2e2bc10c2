-- Comments from the shopper's phone; mirrors migrations/sqlite/018_comments.sql
-- (see there for what each column means).

CREATE TABLE comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kiosk_id text COLLATE "C" NOT NULL,
    rating_id text COLLATE "C" NOT NULL,
    store_id text COLLATE "C" NOT NULL,
    body text NOT NULL,
    lang text COLLATE "C" NOT NULL,
    flagged integer NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    UNIQUE (kiosk_id, rating_id)
);
CREATE INDEX comments_store ON comments (store_id, created_at);
CREATE INDEX comments_created ON comments (created_at);
