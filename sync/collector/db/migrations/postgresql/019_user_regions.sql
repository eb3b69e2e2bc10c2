-- People scoped to regions; mirrors migrations/sqlite/019_user_regions.sql (see there
-- for what it means).
CREATE TABLE user_regions (
    user_id bigint NOT NULL REFERENCES users (id),
    region_id text COLLATE "C" NOT NULL REFERENCES regions (id),
    PRIMARY KEY (user_id, region_id)
);
CREATE INDEX user_regions_region ON user_regions (region_id);
