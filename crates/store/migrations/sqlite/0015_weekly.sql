-- The weekly resolution work report (化解工作周报告) as a document
-- (fengqiao_core::weekly). Every step of every unit's weekly report this
-- node holds: its own unit's, its subtree's (they travel up), and the
-- review steps on its own unit's (they travel down). Keyed by (unit, the
-- week's Monday, ord = filing × 8 + step): each step is taken once, so a
-- resent step is stored once. `body` is the step as it travels (the wire's
-- `fengqiao.v1.WeeklyEvent`, protobuf), kept byte for byte; the key
-- columns and `reviewer` are what the node's rules and locks read without
-- opening it.
--
-- The outbox (0002) carries kind 'weekly' (unit_id, item_date = week_start,
-- revision = ord) and kind 'accountability' (unit_id = action_id,
-- item_date = recorded_on, revision = 0).
CREATE TABLE weekly_events (
    unit_id    TEXT NOT NULL,
    week_start TEXT NOT NULL,
    ord        INTEGER NOT NULL,
    step       TEXT NOT NULL,
    at         TEXT NOT NULL,
    reviewer   TEXT,
    body       BLOB NOT NULL,
    PRIMARY KEY (unit_id, week_start, ord)
) WITHOUT ROWID;
CREATE INDEX weekly_events_by_week ON weekly_events (week_start, unit_id);

-- Accountability actions (责任追究) recorded here or below: the body is the
-- wire's `fengqiao.v1.AccountabilityAction` with its evidence, frozen when
-- it was recorded.
CREATE TABLE accountability_actions (
    action_id   TEXT PRIMARY KEY NOT NULL,
    unit_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    body        BLOB NOT NULL
);
CREATE INDEX accountability_by_day ON accountability_actions (recorded_on);

-- Reports a child node pushed for a week whose approval stands here: held
-- for the approvers, applied when the week is unapproved. `body` is the
-- pushed `fengqiao.v1.StoredDailyReport`, as it came.
CREATE TABLE held_reports (
    unit_id     TEXT NOT NULL,
    report_date TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    locked_by   TEXT NOT NULL,
    held_at     TEXT NOT NULL,
    body        BLOB NOT NULL,
    PRIMARY KEY (unit_id, report_date, revision)
) WITHOUT ROWID;
