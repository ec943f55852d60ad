//! Reconciliation's store side ([`Reconciliation`]): the digests rebuilt
//! and read, the items behind a day, and queuing them again, the same text
//! on both backends.

use async_trait::async_trait;
use chrono::NaiveDate;
use fengqiao_core::UnitId;

use super::{Dialect, SqlStore};
use crate::StoreError;
use crate::digest::Reconciliation;

#[async_trait]
impl<DB> Reconciliation for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    (String, NaiveDate, i64, Vec<u8>): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, i64, String, NaiveDate, String): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, i64, i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    (NaiveDate, i64, i64, i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, i64, Vec<u8>): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, i64, String, String): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    async fn ensure_digests(
        &self,
        basis: &str,
        roots: &[fengqiao_core::UnitId],
    ) -> Result<bool, crate::StoreError> {
        // The roots change with the rebuild: no write fans out
        // meanwhile, and later ones by the new roots.
        let mut current = self.topology.write().await;
        let topology = current.with_roots(roots.iter().map(ToString::to_string));
        let mut tx = DB::begin_write(&self.writer).await?;
        DB::lock_digests(&mut tx).await?;
        let stored: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(crate::digest::BASIS_KEY)
            .fetch_optional(&mut *tx)
            .await?;
        if stored.as_deref() == Some(basis) {
            tx.commit().await?;
            return Ok(false);
        }
        reset_digests::<DB>(&mut tx, roots).await?;
        let mut after = (crate::digest::first_day(), String::new());
        loop {
            let page: Vec<(String, chrono::NaiveDate, i64, Vec<u8>)> = sqlx::query_as(
                "SELECT unit_id, report_date, revision, content_hash FROM reports \
                 WHERE (report_date, unit_id) > ($1, $2) ORDER BY report_date, unit_id LIMIT $3",
            )
            .bind(after.0)
            .bind(&after.1)
            .bind(crate::digest::rebuild_page())
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = page.last() else { break };
            after = (last.1, last.0.clone());
            let deltas = crate::digest::head_rows_deltas(&page)?;
            DB::add_digests(&mut tx, &topology, &deltas).await?;
        }
        let mut after = (String::new(), 0i64);
        loop {
            let page: Vec<(String, i64, String, chrono::NaiveDate, String)> = sqlx::query_as(
                "SELECT case_id, seq, unit_id, on_date, body FROM case_events \
                 WHERE case_id > $1 OR (case_id = $1 AND seq > $2) ORDER BY case_id, seq LIMIT $3",
            )
            .bind(&after.0)
            .bind(after.1)
            .bind(crate::digest::rebuild_page())
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = page.last() else { break };
            after = (last.0.clone(), last.1);
            let deltas = crate::digest::case_event_deltas(page.iter().map(|row| crate::digest::EventItem {
                case_id: &row.0,
                seq: row.1,
                unit_id: &row.2,
                day: row.3,
                body: &row.4,
            }))?;
            DB::add_digests(&mut tx, &topology, &deltas).await?;
        }
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(crate::digest::BASIS_KEY)
        .bind(basis)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        *current = std::sync::Arc::new(topology);
        Ok(true)
    }

    async fn digest_total(
        &self,
        root: &fengqiao_core::UnitId,
    ) -> Result<fengqiao_core::reconcile::Digests, crate::StoreError> {
        let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT reports, report_hash, case_events, case_event_hash FROM digest_total \
             WHERE unit_id = $1",
        )
        .bind(root.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((r, rh, e, eh)) => crate::digest::digests_from_columns(r, rh, e, eh),
            None => Ok(Default::default()),
        }
    }

    async fn digests(
        &self,
        level: crate::digest::DigestLevel,
        root: &fengqiao_core::UnitId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        limit: u32,
    ) -> Result<Vec<(chrono::NaiveDate, fengqiao_core::reconcile::Digests)>, crate::StoreError> {
        let sql = match level {
            crate::digest::DigestLevel::Day => {
                "SELECT day, reports, report_hash, case_events, case_event_hash FROM digest_day \
                 WHERE unit_id = $1 AND day >= $2 AND day <= $3 ORDER BY day LIMIT $4"
            }
            crate::digest::DigestLevel::Week => {
                "SELECT week_start, reports, report_hash, case_events, case_event_hash FROM digest_week \
                 WHERE unit_id = $1 AND week_start >= $2 AND week_start <= $3 ORDER BY week_start LIMIT $4"
            }
        };
        let rows: Vec<(chrono::NaiveDate, i64, i64, i64, i64)> = sqlx::query_as(sql)
            .bind(root.as_str())
            .bind(from)
            .bind(to)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(period, r, rh, e, eh)| Ok((period, crate::digest::digests_from_columns(r, rh, e, eh)?)))
            .collect()
    }

    async fn held_reports(
        &self,
        root: &fengqiao_core::UnitId,
        day: chrono::NaiveDate,
        after: Option<&fengqiao_core::UnitId>,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::reconcile::HeldReport>, crate::StoreError> {
        let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT r.unit_id, r.revision, r.content_hash FROM unit_closure c \
             JOIN reports r ON r.unit_id = c.unit_id AND r.report_date = $2 \
             WHERE c.ancestor_id = $1 AND (c.valid_from IS NULL OR c.valid_from <= $2) \
             AND (c.valid_to IS NULL OR $2 < c.valid_to) AND r.unit_id > $3 \
             ORDER BY r.unit_id LIMIT $4",
        )
        .bind(root.as_str())
        .bind(day)
        .bind(after.map_or("", |unit| unit.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(crate::digest::held_report).collect()
    }

    async fn held_case_events(
        &self,
        root: &fengqiao_core::UnitId,
        day: chrono::NaiveDate,
        after: Option<(&fengqiao_core::case::CaseId, u32)>,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::reconcile::HeldCaseEvent>, crate::StoreError> {
        let (after_case, after_seq) = after.map_or(("", 0), |(case, seq)| (case.as_str(), i64::from(seq)));
        let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
            "SELECT e.case_id, e.seq, e.unit_id, e.body FROM unit_closure c \
             JOIN case_events e ON e.unit_id = c.unit_id AND e.on_date = $2 \
             WHERE c.ancestor_id = $1 AND (c.valid_from IS NULL OR c.valid_from <= $2) \
             AND (c.valid_to IS NULL OR $2 < c.valid_to) \
             AND (e.case_id > $3 OR (e.case_id = $3 AND e.seq > $4)) \
             ORDER BY e.case_id, e.seq LIMIT $5",
        )
        .bind(root.as_str())
        .bind(day)
        .bind(after_case)
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(crate::digest::held_case_event).collect()
    }

    async fn requeue(
        &self,
        day: chrono::NaiveDate,
        reports: &[fengqiao_core::reconcile::HeldReport],
        case_events: &[fengqiao_core::reconcile::HeldCaseEvent],
    ) -> Result<crate::digest::Requeued, crate::StoreError> {
        self.writes
            .track(async {
            let mut done = crate::digest::Requeued::default();
            let mut tx = DB::begin_write(&self.writer).await?;
            for held in reports {
                let refused: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM uplink_set_aside WHERE kind = 'report' AND item_date = $1 \
                     AND unit_id = $2 AND revision = $3",
                )
                .bind(day)
                .bind(held.unit_id.as_str())
                .bind(i64::from(held.revision.get()))
                .fetch_one(&mut *tx)
                .await?;
                if refused > 0 {
                    done.set_aside += 1;
                    continue;
                }
                let added = sqlx::query(
                    "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                     SELECT 'report', rv.unit_id, rv.report_date, rv.revision, rv.accepted_at \
                     FROM report_revisions rv WHERE rv.report_date = $1 AND rv.unit_id = $2 AND rv.revision = $3 \
                     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'report' AND o.item_date = $1 \
                     AND o.unit_id = $2 AND o.revision = $3)",
                )
                .bind(day)
                .bind(held.unit_id.as_str())
                .bind(i64::from(held.revision.get()))
                .execute(&mut *tx)
                .await
                .map(|done| DB::rows_affected(&done))?;
                if added > 0 { done.queued += added } else { done.already_queued += 1 }
            }
            for held in case_events {
                let refused: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM uplink_set_aside WHERE kind = 'case_event' AND unit_id = $1 \
                     AND revision = $2",
                )
                .bind(held.case_id.as_str())
                .bind(i64::from(held.seq))
                .fetch_one(&mut *tx)
                .await?;
                if refused > 0 {
                    done.set_aside += 1;
                    continue;
                }
                let added = sqlx::query(
                    "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                     SELECT 'case_event', e.case_id, e.on_date, e.seq, e.at FROM case_events e \
                     WHERE e.case_id = $1 AND e.seq = $2 \
                     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'case_event' \
                     AND o.unit_id = $1 AND o.revision = $2)",
                )
                .bind(held.case_id.as_str())
                .bind(i64::from(held.seq))
                .execute(&mut *tx)
                .await
                .map(|done| DB::rows_affected(&done))?;
                if added > 0 { done.queued += added } else { done.already_queued += 1 }
            }
            tx.commit().await?;
            Ok(done)
            })
            .await
    }
}

/// Empties the digests and sets the roots, inside a rebuild's transaction.
async fn reset_digests<DB>(connection: &mut DB::Connection, roots: &[UnitId]) -> Result<(), StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
{
    for table in ["digest_roots", "digest_day", "digest_week", "digest_total"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *connection).await?;
    }
    for root in roots {
        sqlx::query("INSERT INTO digest_roots (unit_id) VALUES ($1)")
            .bind(root.as_str())
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}
