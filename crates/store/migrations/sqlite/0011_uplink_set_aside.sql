-- Items the parent refused outright (a report dated after its today or
-- before reporting started, acceptance times no honest node stamps, a case
-- event from the future, a malformed item): set aside here for the operator,
-- out of the outbox, so the items behind them still flow. The key columns
-- are the outbox row's (a report revision; for a case event the case id and
-- sequence), so the item itself stays readable where it was stored.
CREATE TABLE uplink_set_aside (
    outbox_id    INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    item_date    TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    detail       TEXT NOT NULL,
    set_aside_at TEXT NOT NULL
);
