-- The unit tree a node serves, with a closure table for subtree queries.
CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT,
    tier        TEXT NOT NULL,
    name        TEXT NOT NULL,
    reporting   BOOLEAN NOT NULL,
    active_from DATE,
    active_to   DATE
);

-- One row per (ancestor, descendant) pair, the unit itself included at depth 0.
CREATE TABLE unit_closure (
    ancestor_id TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, unit_id)
);
CREATE INDEX unit_closure_by_unit ON unit_closure (unit_id);

-- Every revision ever accepted: the history of corrections.
CREATE TABLE report_revisions (
    unit_id           TEXT NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    reporter          TEXT NOT NULL,
    zero              BOOLEAN NOT NULL,
    dispute_count     BIGINT NOT NULL,
    disputes          TEXT NOT NULL,
    correction_reason TEXT,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, report_date, revision)
);

-- The current revision of each report (the head), one row per (unit, date).
CREATE TABLE reports (
    unit_id           TEXT NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    first_accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, report_date)
);
CREATE INDEX reports_by_date ON reports (report_date, unit_id);
