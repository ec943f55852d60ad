//! SQLite's batch of reports: the heads read and the write half sent as
//! one multi-statement query, each table's rows one JSON parameter read by
//! `jsonb_each` (SQLite has no arrays: this is its `UNNEST`), so the text
//! never changes and stays prepared.

use std::sync::LazyLock;

use fengqiao_core::TimePolicy;
use fengqiao_core::audit::AuditRecord;

use super::{sqlite_time, to_json, writes};
use crate::fanout::{self, Topology};
use crate::plan;
use crate::rollup::Period;
use crate::{ItemResult, StoreError, Submission};

/// Applies a batch in three round trips to SQLite's worker thread: one
/// takes the write lock and reads the heads, one reads the audit log's
/// head, and one writes everything the plan says — the audit entries of
/// what changed, history, heads, outbox, reconciliation's digests,
/// rollups and employers, the last three already fanned out by
/// `topology` and summed per row — and commits ([`BATCH_WRITES`]). Each
/// table's rows travel as one JSON parameter (`jsonb_each`), so the
/// statements' text never changes and stays prepared — SQLite's
/// `UNNEST`. The caller rolls back on error.
pub(super) async fn apply_on(
    connection: &mut sqlx::SqliteConnection,
    batch: Vec<Submission>,
    forward: bool,
    policy: &TimePolicy,
    topology: &Topology,
) -> Result<Vec<ItemResult>, StoreError> {
    let started = std::time::Instant::now();
    let keys: Vec<(&str, String)> =
        batch.iter().map(|s| (s.report.unit_id().as_str(), s.report.date().to_string())).collect();
    let keys = to_json(&keys)?;
    let rows: Vec<plan::HeadRow> = sqlx::query_as(
        "BEGIN IMMEDIATE; \
         SELECT r.unit_id, r.report_date, r.revision, r.content_hash, r.accepted_at, r.first_accepted_at, \
         rv.disputes FROM jsonb_each(?1) AS k CROSS JOIN reports r \
         ON r.unit_id = k.value ->> 0 AND r.report_date = k.value ->> 1 \
         JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
         AND rv.revision = r.revision",
    )
    .bind(keys)
    .fetch_all(&mut *connection)
    .await?;
    let read_heads = started.elapsed();
    let heads = plan::heads_by_key(rows)?;
    let before = crate::digest::heads_before(&heads);
    let audits: Vec<AuditRecord> = batch.iter().map(|s| s.audit.clone()).collect();
    let plan = plan::plan(batch, heads, policy)?;
    if plan.revisions.is_empty() {
        sqlx::query("COMMIT").execute(&mut *connection).await?;
        return Ok(plan.results);
    }
    // Reconciliation's digests and the rollups, fanned out and summed.
    let deltas = crate::digest::report_deltas(&before, &plan.heads)?;
    let [digest_days, digest_weeks, digest_totals] = writes::digest_params(&topology.digests(&deltas));
    let rollups = topology.rollups(&plan.rollups);
    let planned = started.elapsed();
    let changed = plan.results.iter().map(|r| r.as_ref().is_ok_and(|o| o.applied.changes_state()));
    let records = crate::audit::of_changes(audits, changed);
    let audit = if records.is_empty() {
        "[]".to_owned()
    } else {
        let head = crate::audit::head(&mut *connection).await?;
        writes::audit_entries_json(head, records)?.1
    };
    let audit_head = started.elapsed();
    let revisions: Vec<_> = plan
        .revisions
        .iter()
        .map(|r| {
            (
                &r.unit_id,
                r.report_date.to_string(),
                r.revision,
                &r.reporter,
                r.zero,
                r.dispute_count,
                &r.disputes,
                &r.correction_reason,
                hex::encode(&r.content_hash),
                sqlite_time(r.accepted_at),
                &r.trace_parent,
            )
        })
        .collect();
    let heads: Vec<_> = plan
        .heads
        .iter()
        .map(|h| {
            (
                &h.unit_id,
                h.report_date.to_string(),
                h.revision,
                hex::encode(&h.content_hash),
                sqlite_time(h.accepted_at),
                sqlite_time(h.first_accepted_at),
            )
        })
        .collect();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(BATCH_WRITES.sql.as_str()))
        .bind(audit)
        .bind(to_json(&revisions)?)
        .bind(to_json(&heads)?)
        .bind(forward)
        .bind(digest_days)
        .bind(digest_weeks)
        .bind(digest_totals)
        .bind(fanout::rollup_json(&rollups.days))
        .bind(fanout::rollup_json(&rollups.weeks))
        .bind(fanout::employer_json(&rollups.employers));
    for _ in 0..BATCH_WRITES.padding {
        query = query.bind(None::<i64>);
    }
    query.execute(&mut *connection).await?;
    let written = started.elapsed();
    tracing::debug!(
        revisions = plan.revisions.len(),
        read_heads_us = read_heads.as_micros() as u64,
        plan_us = (planned - read_heads).as_micros() as u64,
        audit_head_us = (audit_head - planned).as_micros() as u64,
        write_commit_us = (written - audit_head).as_micros() as u64,
        "batch written"
    );
    Ok(plan.results)
}

/// A multi-statement query's text and the unbound arguments it needs after
/// its own (see [`padding_for`]).
struct MultiStatement {
    sql: String,
    padding: usize,
}

/// How many arguments sqlx consumes, beyond the query's own, for the
/// unused parameter numbers of a multi-statement query.
///
/// sqlx binds each statement of a multi-statement query separately: a
/// parameter number below the statement's highest that the statement does
/// not use (`?1`–`?3` of a statement using only `?4`) takes the next
/// argument of a running count over all the statements, and once that
/// count passes the number of arguments sqlx stops binding the statement —
/// its later parameters stay NULL. Binding this many NULLs after the
/// query's own arguments keeps the count within them. (The unused slots
/// receive some argument; they are unused.) Statements are split at `;`:
/// the SQL given here has none inside literals.
fn padding_for(sql: &str) -> usize {
    sql.split(';')
        .map(|statement| {
            let mut used = std::collections::BTreeSet::new();
            let mut rest = statement;
            while let Some(at) = rest.find('?') {
                rest = &rest[at + 1..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(number) = digits.parse::<usize>() {
                    used.insert(number);
                }
            }
            used.last().map_or(0, |highest| highest - used.len())
        })
        .sum()
}

/// The write half of a batch, in one round trip: the audit entries (`?1`),
/// history (`?2`), heads (`?3`), the outbox (`?4`: whether to queue), the
/// summed digest rows per day, week and root (`?5`–`?7`), rollup rows per
/// day and week (`?8`, `?9`) and employer changes (`?10`); commit.
static BATCH_WRITES: LazyLock<MultiStatement> = LazyLock::new(|| {
    let sql = format!(
        "{audit}; {history}; {digest_days}; {digest_weeks}; {digest_totals}; {days}; {weeks}; {employers}; COMMIT",
        audit = writes::audit_insert_sql(1),
        history = APPLY_WRITES,
        digest_days = writes::digest_upsert(0, 5),
        digest_weeks = writes::digest_upsert(1, 6),
        digest_totals = writes::digest_upsert(2, 7),
        days = writes::rollup_upsert(Period::Day, 8),
        weeks = writes::rollup_upsert(Period::Week, 9),
        employers = writes::employer_upsert(10),
    );
    let padding = padding_for(&sql);
    MultiStatement { sql, padding }
});

/// History (`?2`), heads (`?3`) and outbox (`?2`, when `?4`).
const APPLY_WRITES: &str = "INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, \
     dispute_count, disputes, correction_reason, content_hash, accepted_at) \
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
     value ->> 7, unhex(value ->> 8), value ->> 9 FROM jsonb_each(?2); \
     INSERT INTO reports (unit_id, report_date, revision, content_hash, accepted_at, first_accepted_at) \
     SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), value ->> 4, value ->> 5 \
     FROM jsonb_each(?3) WHERE true \
     ON CONFLICT (report_date, unit_id) DO UPDATE SET revision = excluded.revision, \
     content_hash = excluded.content_hash, accepted_at = excluded.accepted_at, \
     first_accepted_at = excluded.first_accepted_at; \
     INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at, trace_parent) \
     SELECT 'report', value ->> 0, value ->> 1, value ->> 2, value ->> 9, value ->> 10 FROM jsonb_each(?2) \
     WHERE ?4";
