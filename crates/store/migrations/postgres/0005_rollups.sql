-- Live rollups: per unit, per day and per ISO week (keyed by its Monday),
-- the additive figures of every report of the unit's subtree on those days,
-- as the dated tree placed it on the report's date. Applying a report adds
-- its tally (less the replaced revision's) to its unit and every ancestor in
-- the same transaction. The counters are `fengqiao_core::tally::stored_columns`,
-- in that order. Keys lead with the period, as the reports' do: a batch's
-- reports share a day, so its upserts land in neighbouring pages.
CREATE TABLE rollup_day (
    unit_id TEXT COLLATE "C" NOT NULL,
    day     DATE NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    zero_reports BIGINT NOT NULL DEFAULT 0,
    disputes BIGINT NOT NULL DEFAULT 0,
    cat_wage_arrears BIGINT NOT NULL DEFAULT 0,
    cat_land BIGINT NOT NULL DEFAULT 0,
    cat_housing_property BIGINT NOT NULL DEFAULT 0,
    cat_neighbour BIGINT NOT NULL DEFAULT 0,
    cat_marriage_family BIGINT NOT NULL DEFAULT 0,
    cat_labour BIGINT NOT NULL DEFAULT 0,
    cat_environment BIGINT NOT NULL DEFAULT 0,
    cat_public_service BIGINT NOT NULL DEFAULT 0,
    cat_law_related BIGINT NOT NULL DEFAULT 0,
    cat_other BIGINT NOT NULL DEFAULT 0,
    out_resolved_on_the_spot BIGINT NOT NULL DEFAULT 0,
    out_mediating BIGINT NOT NULL DEFAULT 0,
    out_registered BIGINT NOT NULL DEFAULT 0,
    out_referred_up BIGINT NOT NULL DEFAULT 0,
    parties BIGINT NOT NULL DEFAULT 0,
    wage_disputes BIGINT NOT NULL DEFAULT 0,
    wage_resolved BIGINT NOT NULL DEFAULT 0,
    wage_workers BIGINT NOT NULL DEFAULT 0,
    wage_claimed_cents BIGINT NOT NULL DEFAULT 0,
    wage_recovered_cents BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit_id)
);

CREATE TABLE rollup_week (
    unit_id    TEXT COLLATE "C" NOT NULL,
    week_start DATE NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    zero_reports BIGINT NOT NULL DEFAULT 0,
    disputes BIGINT NOT NULL DEFAULT 0,
    cat_wage_arrears BIGINT NOT NULL DEFAULT 0,
    cat_land BIGINT NOT NULL DEFAULT 0,
    cat_housing_property BIGINT NOT NULL DEFAULT 0,
    cat_neighbour BIGINT NOT NULL DEFAULT 0,
    cat_marriage_family BIGINT NOT NULL DEFAULT 0,
    cat_labour BIGINT NOT NULL DEFAULT 0,
    cat_environment BIGINT NOT NULL DEFAULT 0,
    cat_public_service BIGINT NOT NULL DEFAULT 0,
    cat_law_related BIGINT NOT NULL DEFAULT 0,
    cat_other BIGINT NOT NULL DEFAULT 0,
    out_resolved_on_the_spot BIGINT NOT NULL DEFAULT 0,
    out_mediating BIGINT NOT NULL DEFAULT 0,
    out_registered BIGINT NOT NULL DEFAULT 0,
    out_referred_up BIGINT NOT NULL DEFAULT 0,
    parties BIGINT NOT NULL DEFAULT 0,
    wage_disputes BIGINT NOT NULL DEFAULT 0,
    wage_resolved BIGINT NOT NULL DEFAULT 0,
    wage_workers BIGINT NOT NULL DEFAULT 0,
    wage_claimed_cents BIGINT NOT NULL DEFAULT 0,
    wage_recovered_cents BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (week_start, unit_id)
);

-- Distinct counts (employers involved in wage arrears) are not additive: per
-- unit (its subtree, as rollups) and day, how many current reports name each
-- employer (normalised name). Applying a report adds +1 / -1 for the
-- employers its new / replaced revision names; an employer counts over a
-- period while some report names it (`reports > 0`).
CREATE TABLE employer_days (
    unit_id  TEXT COLLATE "C" NOT NULL,
    day      DATE NOT NULL,
    employer TEXT NOT NULL,
    reports  BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, employer)
);

-- The last push from each child node, and the time up to which everything
-- accepted in its subtree had reached this node.
CREATE TABLE child_syncs (
    child_unit_id  TEXT COLLATE "C" PRIMARY KEY,
    last_push_at   TIMESTAMPTZ NOT NULL,
    synced_through TIMESTAMPTZ
);
