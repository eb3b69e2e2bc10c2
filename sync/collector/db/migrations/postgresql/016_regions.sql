-- Regions and touchpoints; mirrors migrations/sqlite/016_regions.sql (see there
-- for what each column means).

CREATE TABLE regions (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    parent_id text COLLATE "C" REFERENCES regions (id),
    created_at text COLLATE "C" NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_id);

ALTER TABLE stores ADD COLUMN region_id text COLLATE "C" REFERENCES regions (id);
CREATE INDEX stores_region ON stores (region_id);

ALTER TABLE kiosks ADD COLUMN touchpoint text COLLATE "C";

ALTER TABLE tokens ADD COLUMN region_id text COLLATE "C" REFERENCES regions (id);
