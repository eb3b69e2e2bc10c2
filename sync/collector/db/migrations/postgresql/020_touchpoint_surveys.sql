-- Surveys per touchpoint; mirrors migrations/sqlite/020_touchpoint_surveys.sql
-- (see there for what each column holds and why versions stay one per store).
ALTER TABLE surveys ADD COLUMN touchpoint text COLLATE "C";
ALTER TABLE surveys ADD COLUMN unset_at text COLLATE "C";
