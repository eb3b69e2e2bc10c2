-- Surveys per touchpoint (issue #16): a store's survey may be set for one of its
-- touchpoints (kiosks.touchpoint, 016), so one store asks CSAT at the checkout,
-- CES at the service desk and NPS at the exit.
--
-- touchpoint NULL is the store's own survey, as every row before this migration
-- is: existing stores keep theirs and their kiosks keep getting it.  Versions
-- stay one sequence per store (the primary key (store_id, version) is kept), so
-- a rating's survey_version still names exactly one survey, and a kiosk's ETag
-- changes whenever the survey it is given does (set, replaced or unset).
-- unset_at: when 'survey unset' removed this touchpoint's survey (its kiosks
-- fall back to the store's); the row stays, as ratings name its version.
ALTER TABLE surveys ADD COLUMN touchpoint TEXT;
ALTER TABLE surveys ADD COLUMN unset_at TEXT;
