-- Digests; mirrors migrations/sqlite/013_digests.sql (see there for what each
-- table and column means).

CREATE TABLE digest_settings (
    scope text COLLATE "C" PRIMARY KEY,
    hour integer NOT NULL CHECK (hour >= 0 AND hour <= 23)
);

CREATE TABLE digest_recipients (
    scope text COLLATE "C" NOT NULL,
    address text COLLATE "C" NOT NULL,
    lang text COLLATE "C" NOT NULL,
    added_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (scope, address)
);

CREATE TABLE digests_sent (
    kind text COLLATE "C" NOT NULL,
    scope text COLLATE "C" NOT NULL,
    day text COLLATE "C" NOT NULL,
    address text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL,
    attempts integer NOT NULL,
    claimed_at text COLLATE "C" NOT NULL,
    error text,
    PRIMARY KEY (kind, scope, day, address)
);
