-- Digests for reconciliation between tiers (anti-entropy; see
-- fengqiao_core::reconcile and ARCHITECTURE.md, "Reconciliation").
--
-- Kept for the *digest roots* only: the subtrees this node compares with
-- another node — its own home unit (with its parent) and each child node's
-- unit (with that child). Per root and day, ISO week (keyed by its Monday)
-- and all time: how many current report heads and case events of the
-- root's subtree (as the dated tree placed them on their day) this node
-- holds, and the sum of their item hashes modulo 2^48. Applying a report
-- or a case event changes them in the same transaction: a new head adds its
-- hash, a correction adds the new head's and subtracts the old one's (as
-- hash + 2^48 - old, so every stored value stays in [0, 2^48)).
CREATE TABLE digest_roots (
    unit_id TEXT COLLATE "C" PRIMARY KEY NOT NULL
);

CREATE TABLE digest_day (
    unit_id         TEXT COLLATE "C" NOT NULL,
    day             DATE NOT NULL,
    reports         BIGINT NOT NULL DEFAULT 0,
    report_hash     BIGINT NOT NULL DEFAULT 0,
    case_events     BIGINT NOT NULL DEFAULT 0,
    case_event_hash BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE digest_week (
    unit_id         TEXT COLLATE "C" NOT NULL,
    week_start      DATE NOT NULL,
    reports         BIGINT NOT NULL DEFAULT 0,
    report_hash     BIGINT NOT NULL DEFAULT 0,
    case_events     BIGINT NOT NULL DEFAULT 0,
    case_event_hash BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, week_start)
);

CREATE TABLE digest_total (
    unit_id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    reports         BIGINT NOT NULL DEFAULT 0,
    report_hash     BIGINT NOT NULL DEFAULT 0,
    case_events     BIGINT NOT NULL DEFAULT 0,
    case_event_hash BIGINT NOT NULL DEFAULT 0
);

-- A day's case events of a unit, for listing a root's items of one day.
CREATE INDEX case_events_by_unit_day ON case_events (unit_id, on_date);
