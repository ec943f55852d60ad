-- What this node accepted and its parent has not acknowledged yet, written in
-- the same transaction as the item itself (a transactional outbox). A generic
-- envelope: `kind` says what the key columns point at ('report': a
-- report_revisions row).
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    item_date   DATE NOT NULL,
    revision    BIGINT NOT NULL,
    accepted_at TIMESTAMPTZ NOT NULL
);

-- Items the parent refused as conflicting (same revision, other content),
-- kept for the operator instead of being retried for ever.
CREATE TABLE uplink_conflicts (
    outbox_id   BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    unit_id     TEXT COLLATE "C" NOT NULL,
    item_date   DATE NOT NULL,
    revision    BIGINT NOT NULL,
    detail      TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
