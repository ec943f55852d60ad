-- Units move between parents on given dates: the closure table is dated.
-- A row says `ancestor_id` was an ancestor of `unit_id` (at `depth`) on the
-- days from `valid_from` (inclusive, NULL: always) to `valid_to` (exclusive,
-- NULL: still). Subtree queries for a date take the rows valid that day, so
-- a moved unit's reports before the move stay under its old parent.
ALTER TABLE units ADD COLUMN moves TEXT NOT NULL DEFAULT '';

DROP TABLE unit_closure;
CREATE TABLE unit_closure (
    ancestor_id TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT
);
CREATE INDEX unit_closure_by_ancestor ON unit_closure (ancestor_id, unit_id);
CREATE INDEX unit_closure_by_unit ON unit_closure (unit_id);
