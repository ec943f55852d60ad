-- Unit ids compare bytewise (COLLATE "C"), as in SQLite, so "by unit id"
-- means the same order on both backends whatever the database's locale.

-- The unit tree a node serves, with a closure table for subtree queries.
CREATE TABLE units (
    id          TEXT COLLATE "C" PRIMARY KEY,
    parent_id   TEXT COLLATE "C",
    tier        TEXT NOT NULL,
    name        TEXT NOT NULL,
    reporting   BOOLEAN NOT NULL,
    active_from DATE,
    active_to   DATE
);

-- One row per (ancestor, descendant) pair, the unit itself included at depth 0.
CREATE TABLE unit_closure (
    ancestor_id TEXT COLLATE "C" NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    depth       INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, unit_id)
);
CREATE INDEX unit_closure_by_unit ON unit_closure (unit_id);

-- Keys lead with the date: a day's reports arrive together, so they land in
-- neighbouring pages (few pages dirtied per commit), and date-range listings
-- in (date, unit) order read the primary key in order.

-- Every revision ever accepted: the history of corrections.
CREATE TABLE report_revisions (
    unit_id           TEXT COLLATE "C" NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    reporter          TEXT NOT NULL,
    zero              BOOLEAN NOT NULL,
    dispute_count     BIGINT NOT NULL,
    disputes          TEXT NOT NULL,
    correction_reason TEXT,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, unit_id, revision)
);

-- The current revision of each report (the head), one row per (unit, date).
CREATE TABLE reports (
    unit_id           TEXT COLLATE "C" NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    first_accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, unit_id)
);
CREATE INDEX reports_by_unit ON reports (unit_id, report_date);
