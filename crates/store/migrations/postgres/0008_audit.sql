-- The tamper-evident audit log: one row per change, each carrying the hash
-- of the row before it (see fengqiao_core::audit). Rows are only ever
-- appended; seq is assigned by the appender as the head's seq + 1 under a
-- table lock, so the chain never forks.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    rpc       TEXT NOT NULL,
    target    TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL
);
