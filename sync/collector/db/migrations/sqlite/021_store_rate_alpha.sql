-- A store's own threshold for the rate rule (issue #15, "per-store overrides").
--
-- rate_alpha: how rare a window's unhappy taps must be at the store's usual
-- rate for its hour before the rate rule alerts (sync/collector/alerts.py
-- above_rate); NULL means "as the chain" (HYMY_ALERT_RATE_ALPHA), like every
-- other threshold of 010's store_alerting.  Existing rows keep their values
-- and get NULL: the chain's, as before.
ALTER TABLE store_alerting ADD COLUMN rate_alpha REAL;
