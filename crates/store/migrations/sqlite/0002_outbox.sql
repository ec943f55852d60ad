-- What this node accepted and its parent has not acknowledged yet, written in
-- the same transaction as the item itself (a transactional outbox). A generic
-- envelope: `kind` says what the key columns point at ('report': a
-- report_revisions row).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    item_date   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    accepted_at TEXT NOT NULL
);

-- Items the parent refused as conflicting (same revision, other content),
-- kept for the operator instead of being retried for ever.
CREATE TABLE uplink_conflicts (
    outbox_id   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    item_date   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
