-- A store's own threshold for the rate rule; mirrors
-- migrations/sqlite/021_store_rate_alpha.sql (see there for what it means).
ALTER TABLE store_alerting ADD COLUMN rate_alpha double precision;
