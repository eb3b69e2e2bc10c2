-- Regions and touchpoints (issue #16, "Hierarchy").
--
-- A chain is a tree: regions nest (parent_id NULL = directly under the chain),
-- a store stands in one region or directly under the chain (region_id NULL),
-- and a kiosk stands at a named touchpoint of its store (checkout,
-- service_desk, exit, ... or free text; NULL = not named).  A staff or office
-- token may be scoped to a region (tokens.region_id): it reads that region's
-- stores and sub-regions only.  Figures per region are sums of its stores'
-- roll-ups (db/regions.py); per touchpoint, of its kiosks' daily_counts.

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES regions (id),
    created_at TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_id);

ALTER TABLE stores ADD COLUMN region_id TEXT REFERENCES regions (id);
CREATE INDEX stores_region ON stores (region_id);

ALTER TABLE kiosks ADD COLUMN touchpoint TEXT;

ALTER TABLE tokens ADD COLUMN region_id TEXT REFERENCES regions (id);
