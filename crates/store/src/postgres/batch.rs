//! PostgreSQL's batch of reports: heads read `FOR UPDATE` with one
//! `UNNEST … LATERAL` lookup, and the write half one statement of
//! data-modifying CTEs over typed arrays (`UNNEST`), so a batch of any size
//! costs a fixed number of round trips.

use std::sync::LazyLock;

use chrono::NaiveDate;
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::{ReportKey, TimePolicy};

use super::{PgStore, writes};
use crate::plan;
use crate::shared::Dialect;
use crate::{ItemResult, StoreError, Submission};

/// The write half of a batch in one statement: history (`$1`–`$10`), heads
/// (`$11`–`$16`), the outbox (when `$17`; trace contexts `$18`), and the
/// rollups, employers and digests already fanned out and summed per row
/// (typed arrays from `$19`, see [`writes::rollup_upserts`] and
/// [`writes::digest_upserts`]).
static APPLY_WRITES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH history AS ( \
         INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, dispute_count, \
         disputes, correction_reason, content_hash, accepted_at) \
         SELECT * FROM UNNEST($1::text[], $2::date[], $3::bigint[], $4::text[], $5::bool[], $6::bigint[], \
         $7::text[], $8::text[], $9::bytea[], $10::timestamptz[])), \
         queued AS ( \
         INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at, trace_parent) \
         SELECT 'report', * FROM UNNEST($1::text[], $2::date[], $3::bigint[], $10::timestamptz[], \
         $18::text[]) WHERE $17), \
         {rollups}, {digests} \
         INSERT INTO reports (unit_id, report_date, revision, content_hash, accepted_at, first_accepted_at) \
         SELECT * FROM UNNEST($11::text[], $12::date[], $13::bigint[], $14::bytea[], $15::timestamptz[], \
         $16::timestamptz[]) \
         ON CONFLICT (report_date, unit_id) DO UPDATE SET revision = excluded.revision, \
         content_hash = excluded.content_hash, accepted_at = excluded.accepted_at, \
         first_accepted_at = excluded.first_accepted_at",
        rollups = writes::rollup_upserts(19),
        digests = writes::digest_upserts(19 + writes::ROLLUP_PARAMS),
    )
});

async fn read_heads(tx: &mut sqlx::PgConnection, keys: &[ReportKey]) -> Result<plan::Heads, StoreError> {
    let units: Vec<&str> = keys.iter().map(|k| k.unit_id.as_str()).collect();
    let dates: Vec<NaiveDate> = keys.iter().map(|k| k.date).collect();
    let rows: Vec<plan::HeadRow> = sqlx::query_as(
        // LATERAL keeps the plan a primary-key lookup per key even when
        // PostgreSQL switches the prepared statement to a generic plan
        // (a plain join may then hash-join over the whole table).
        "SELECT r.unit_id, r.report_date, r.revision, r.content_hash, r.accepted_at, r.first_accepted_at, \
         r.disputes FROM UNNEST($1::text[], $2::date[]) AS k(unit_id, report_date) CROSS JOIN LATERAL ( \
         SELECT h.*, rv.disputes FROM reports h JOIN report_revisions rv ON rv.report_date = h.report_date \
         AND rv.unit_id = h.unit_id AND rv.revision = h.revision \
         WHERE h.report_date = k.report_date AND h.unit_id = k.unit_id FOR UPDATE OF h) r",
    )
    .bind(units)
    .bind(dates)
    .fetch_all(&mut *tx)
    .await?;
    let heads = plan::heads_by_key(rows)?;
    Ok(heads)
}

/// [`crate::Store::apply_reports`] on PostgreSQL.
pub(super) async fn apply(
    store: &PgStore,
    batch: Vec<Submission>,
    forward: bool,
    policy: &TimePolicy,
) -> Result<Vec<ItemResult>, StoreError> {
    let started = std::time::Instant::now();
    let keys: Vec<ReportKey> = batch.iter().map(|s| s.report.key()).collect();
    super::ensure_months(store, keys.iter().map(|k| k.date)).await?;
    let topology = store.topology.read().await;
    let mut tx = store.pool.begin().await?;
    let heads = read_heads(&mut tx, &keys).await?;
    let read_heads = started.elapsed();
    let before = crate::digest::heads_before(&heads);
    let audits: Vec<AuditRecord> = batch.iter().map(|s| s.audit.clone()).collect();
    let plan = plan::plan(batch, heads, policy)?;
    let planned = started.elapsed();
    if !plan.revisions.is_empty() {
        // History, heads, outbox, rollups, employers and reconciliation's
        // digests in one statement (data-modifying CTEs): one round trip
        // per batch, the fan-out done above the database.
        let rollups = topology.rollups(&plan.rollups);
        let digests = topology.digests(&crate::digest::report_deltas(&before, &plan.heads)?);
        let (r, h) = (&plan.revisions, &plan.heads);
        let query = sqlx::query(sqlx::AssertSqlSafe(APPLY_WRITES.as_str()))
            .bind(r.iter().map(|r| r.unit_id.as_str()).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.report_date).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.revision).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.reporter.as_str()).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.zero).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.dispute_count).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.disputes.as_str()).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.correction_reason.as_deref()).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.content_hash.as_slice()).collect::<Vec<_>>())
            .bind(r.iter().map(|r| r.accepted_at).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.unit_id.as_str()).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.report_date).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.revision).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.content_hash.as_slice()).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.accepted_at).collect::<Vec<_>>())
            .bind(h.iter().map(|h| h.first_accepted_at).collect::<Vec<_>>())
            .bind(forward)
            .bind(r.iter().map(|r| r.trace_parent.as_deref()).collect::<Vec<_>>());
        let query = writes::bind_rollups(query, &rollups);
        writes::bind_digests(query, &digests).execute(&mut *tx).await?;
    }
    let wrote = started.elapsed();
    let changed = plan.results.iter().map(|r| r.as_ref().is_ok_and(|o| o.applied.changes_state()));
    sqlx::Postgres::append_audit_in(&mut tx, crate::audit::of_changes(audits, changed)).await?;
    let audited = started.elapsed();
    tx.commit().await?;
    tracing::debug!(
        revisions = plan.revisions.len(),
        read_heads_us = read_heads.as_micros() as u64,
        plan_us = (planned - read_heads).as_micros() as u64,
        writes_us = (wrote - planned).as_micros() as u64,
        audit_us = (audited - wrote).as_micros() as u64,
        commit_us = (started.elapsed() - audited).as_micros() as u64,
        "batch written"
    );
    Ok(plan.results)
}
