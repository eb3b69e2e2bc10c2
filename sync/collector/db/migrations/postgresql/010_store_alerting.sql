-- A store's own alerting; mirrors migrations/sqlite/010_store_alerting.sql
-- (see there for what each column means).

CREATE TABLE store_alerting (
    store_id text COLLATE "C" PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    opening_hours text COLLATE "C",
    silent_hours double precision,
    funnel_sigmas double precision,
    funnel_min_responses integer,
    burst_share double precision,
    burst_min_responses integer,
    updated_at text COLLATE "C" NOT NULL
);
