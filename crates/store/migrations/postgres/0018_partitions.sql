-- Storage that lives for years: the report tables are partitioned by month
-- of `report_date` (native declarative partitioning), and a revision's free
-- text can be purged after a retention period (`text_purged_at`).
--
-- Why partitions: a district holds years of reports. A month's reports are
-- one table of their own, so the hot month's pages and indexes stay small
-- and cached, old months are never rewritten by VACUUM again once frozen,
-- and an operator can move or archive a month as a unit. The primary keys
-- lead with `report_date`, so they are valid keys of a partitioned table and
-- every lookup by key prunes to one partition.
--
-- A month's partitions (`report_revisions_YYYY_MM`, `reports_YYYY_MM`) are
-- made by `fengqiao_month_partitions(day)`, which the store calls before it
-- writes a batch touching a month it has not seen since it opened. A DEFAULT
-- partition takes any row whose month has none, so no write is ever refused
-- for want of one; the function moves such rows into the month's partition
-- when it makes it.

ALTER TABLE report_revisions RENAME TO report_revisions_unpartitioned;
ALTER INDEX report_revisions_pkey RENAME TO report_revisions_unpartitioned_pkey;
ALTER TABLE reports RENAME TO reports_unpartitioned;
ALTER INDEX reports_pkey RENAME TO reports_unpartitioned_pkey;
ALTER INDEX reports_by_unit RENAME TO reports_unpartitioned_by_unit;

CREATE TABLE report_revisions (
    unit_id           TEXT COLLATE "C" NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    reporter          TEXT NOT NULL,
    zero              BOOLEAN NOT NULL,
    dispute_count     BIGINT NOT NULL,
    disputes          TEXT NOT NULL,
    correction_reason TEXT,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    -- When the retention policy removed this revision's free text (dispute
    -- summaries, correction reason); NULL while it holds what was sent.
    -- `content_hash` stays the hash of what was sent.
    text_purged_at    TIMESTAMPTZ,
    PRIMARY KEY (report_date, unit_id, revision)
) PARTITION BY RANGE (report_date);
CREATE TABLE report_revisions_default PARTITION OF report_revisions DEFAULT;

CREATE TABLE reports (
    unit_id           TEXT COLLATE "C" NOT NULL,
    report_date       DATE NOT NULL,
    revision          BIGINT NOT NULL,
    content_hash      BYTEA NOT NULL,
    accepted_at       TIMESTAMPTZ NOT NULL,
    first_accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, unit_id)
) PARTITION BY RANGE (report_date);
CREATE INDEX reports_by_unit ON reports (unit_id, report_date);
CREATE TABLE reports_default PARTITION OF reports DEFAULT;

-- Makes the partitions of `day`'s month of both tables, when missing (and
-- when the tables are partitioned: a benchmark may flatten them). Rows of
-- that month already in a DEFAULT partition move into the new partition.
-- Serialised by an advisory lock, so concurrent callers make a month once.
CREATE FUNCTION fengqiao_month_partitions(day DATE) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    first_day DATE := date_trunc('month', day)::date;
    next_day  DATE := (date_trunc('month', day) + INTERVAL '1 month')::date;
    parent    TEXT;
    part      TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(7379250217103843954);
    FOREACH parent IN ARRAY ARRAY['report_revisions', 'reports'] LOOP
        part := parent || '_' || to_char(first_day, 'YYYY_MM');
        IF to_regclass(part) IS NULL
           AND (SELECT relkind FROM pg_class WHERE oid = to_regclass(parent)) = 'p' THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
            EXECUTE format(
                'WITH moved AS (DELETE FROM %I WHERE report_date >= $1 AND report_date < $2 RETURNING *) '
                'INSERT INTO %I SELECT * FROM moved', parent || '_default', part)
                USING first_day, next_day;
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                parent, part, first_day, next_day);
        END IF;
    END LOOP;
END
$$;

SELECT fengqiao_month_partitions(m)
FROM (SELECT DISTINCT date_trunc('month', report_date)::date AS m FROM report_revisions_unpartitioned) AS months;

INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, dispute_count, disputes,
    correction_reason, content_hash, accepted_at)
SELECT unit_id, report_date, revision, reporter, zero, dispute_count, disputes, correction_reason,
    content_hash, accepted_at
FROM report_revisions_unpartitioned;
INSERT INTO reports SELECT * FROM reports_unpartitioned;

DROP TABLE report_revisions_unpartitioned;
DROP TABLE reports_unpartitioned;
