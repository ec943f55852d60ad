-- Above the summary boundary: what a node fed summaries holds of its child
-- nodes' subtrees (see `RollupState` in uplink.proto). The rollup tables
-- (`rollup_day`, `rollup_week`, `employer_days` with employer keys in
-- place of names) hold the same figures as at a node fed reports; these
-- tables hold what a node fed reports reads from its tree and case ledger.

-- The newest state applied per (unit, day): its version, and the reporting
-- units its sender expected that day in the unit's subtree.
CREATE TABLE summary_states (
    unit_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    version  BIGINT NOT NULL,
    expected BIGINT NOT NULL,
    PRIMARY KEY (day, unit_id)
);

-- Expected reporting units per (unit, day), summed up the tree like the
-- rollups: the unit's own state, and for the units above a child node's
-- home unit, the sum of their child nodes' states.
CREATE TABLE expected_days (
    unit_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    expected BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day)
);

-- The cases behind each case figure per (unit, day), by id (no case text):
-- a figure over a range counts the distinct ids with n > 0 (overdue: on the
-- range's last day). n counts the states naming the case at this unit.
CREATE TABLE case_key_days (
    unit_id TEXT NOT NULL,
    day     TEXT NOT NULL,
    figure  TEXT NOT NULL,
    case_id TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, figure, case_id)
);
