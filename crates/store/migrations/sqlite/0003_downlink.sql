-- This node's downlink log: events for its child nodes, in sequence order.
-- The body is opaque to the store (an encoded fengqiao.v1 event body).
CREATE TABLE downlink_events (
    sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
    target_unit_id TEXT NOT NULL,
    body           BLOB NOT NULL,
    created_at     TEXT NOT NULL
);

-- Small durable settings of the node, such as the downlink cursor.
CREATE TABLE node_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Notices received for units this node serves; keyed by the issuer's id, so
-- a replayed event changes nothing.
CREATE TABLE notices (
    notice_id      TEXT PRIMARY KEY NOT NULL,
    target_unit_id TEXT NOT NULL,
    from_unit_id   TEXT NOT NULL,
    text           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX notices_by_target ON notices (target_unit_id, created_at);
