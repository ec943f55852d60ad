-- The unit tree a node serves, with a closure table for subtree queries.
CREATE TABLE units (
    id          TEXT PRIMARY KEY NOT NULL,
    parent_id   TEXT,
    tier        TEXT NOT NULL,
    name        TEXT NOT NULL,
    reporting   INTEGER NOT NULL,
    active_from TEXT,
    active_to   TEXT
);

-- One row per (ancestor, descendant) pair, the unit itself included at depth 0.
CREATE TABLE unit_closure (
    ancestor_id TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, unit_id)
) WITHOUT ROWID;
CREATE INDEX unit_closure_by_unit ON unit_closure (unit_id);

-- Keys lead with the date: a day's reports arrive together, so they land in
-- neighbouring pages (few pages dirtied per commit), and date-range listings
-- in (date, unit) order read the primary key in order.

-- Every revision ever accepted: the history of corrections.
CREATE TABLE report_revisions (
    unit_id           TEXT NOT NULL,
    report_date       TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    reporter          TEXT NOT NULL,
    zero              INTEGER NOT NULL,
    dispute_count     INTEGER NOT NULL,
    disputes          TEXT NOT NULL,
    correction_reason TEXT,
    content_hash      BLOB NOT NULL,
    accepted_at       TEXT NOT NULL,
    PRIMARY KEY (report_date, unit_id, revision)
) WITHOUT ROWID;

-- The current revision of each report (the head), one row per (unit, date).
CREATE TABLE reports (
    unit_id           TEXT NOT NULL,
    report_date       TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    content_hash      BLOB NOT NULL,
    accepted_at       TEXT NOT NULL,
    first_accepted_at TEXT NOT NULL,
    PRIMARY KEY (report_date, unit_id)
) WITHOUT ROWID;
CREATE INDEX reports_by_unit ON reports (unit_id, report_date);
