-- People scoped to regions (issue #16: "Staff and office access can be scoped to a region").
--
-- A staff or office person may be given regions besides (staff) or instead of
-- stores: they read every store in each region's subtree, stores put in the
-- region later included, as a token with tokens.region_id does (016).  A person
-- with no row here keeps the access 011 gave them: staff their user_stores,
-- office and admin every store.  A region with people in it is not removed
-- until they are moved out (db/regions.py holds).
CREATE TABLE user_regions (
    user_id INTEGER NOT NULL REFERENCES users (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    PRIMARY KEY (user_id, region_id)
);
CREATE INDEX user_regions_region ON user_regions (region_id);
