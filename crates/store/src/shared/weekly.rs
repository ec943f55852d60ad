//! [`Weekly`] for [`SqlStore`], the same text on both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;

use super::{Dialect, SqlStore};
use crate::StoreError;
use crate::weekly::{AccountabilityRow, HeldReportRow, Weekly, WeeklyApplied, WeeklyEventRow, WeeklyKeyRow};

#[async_trait]
impl<DB> Weekly for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Vec<u8>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    WeeklyEventRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    WeeklyKeyRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    AccountabilityRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    HeldReportRow: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    async fn apply_weekly_events(
        &self,
        rows: &[WeeklyEventRow],
        forward: bool,
        audit: Vec<AuditRecord>,
    ) -> Result<Vec<WeeklyApplied>, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let mut results = Vec::with_capacity(rows.len());
                for row in rows {
                    let stored: Option<Vec<u8>> = sqlx::query_scalar(
                        "SELECT body FROM weekly_events WHERE unit_id = $1 AND week_start = $2 AND ord = $3",
                    )
                    .bind(row.unit_id.as_str())
                    .bind(row.week_start)
                    .bind(row.ord)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let result = match stored {
                        Some(body) if body == row.body => WeeklyApplied::Duplicate,
                        Some(_) => WeeklyApplied::Conflict,
                        None => {
                            sqlx::query(
                                "INSERT INTO weekly_events (unit_id, week_start, ord, step, at, reviewer, body) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(row.unit_id.as_str())
                            .bind(row.week_start)
                            .bind(row.ord)
                            .bind(row.step.as_str())
                            .bind(row.at)
                            .bind(row.reviewer.clone())
                            .bind(row.body.clone())
                            .execute(&mut *tx)
                            .await?;
                            if forward {
                                sqlx::query(
                                    "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                                     VALUES ('weekly', $1, $2, $3, $4)",
                                )
                                .bind(row.unit_id.as_str())
                                .bind(row.week_start)
                                .bind(row.ord)
                                .bind(row.at)
                                .execute(&mut *tx)
                                .await?;
                            }
                            WeeklyApplied::Stored
                        }
                    };
                    results.push(result);
                }
                if !audit.is_empty() {
                    let stored = results.iter().map(|result| *result == WeeklyApplied::Stored);
                    DB::append_audit_in(&mut tx, crate::audit::of_changes(audit, stored)).await?;
                }
                tx.commit().await?;
                Ok(results)
            })
            .await
    }

    async fn weekly_events(
        &self,
        unit_id: &str,
        week_start: NaiveDate,
    ) -> Result<Vec<WeeklyEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT unit_id, week_start, ord, step, at, reviewer, body FROM weekly_events \
             WHERE unit_id = $1 AND week_start = $2 ORDER BY ord",
        )
        .bind(unit_id)
        .bind(week_start)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn weekly_keys(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<WeeklyKeyRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT unit_id, week_start, ord, at, reviewer FROM weekly_events \
             WHERE week_start BETWEEN $1 AND $2 ORDER BY week_start, unit_id, ord",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn weekly_filings(
        &self,
        unit_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<WeeklyEventRow>, StoreError> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT unit_id, week_start, ord, step, at, reviewer, body FROM weekly_events \
             WHERE week_start BETWEEN $1 AND $2 AND step = 'filed' AND {} ORDER BY week_start, unit_id, ord",
            DB::in_list("unit_id", "$3")
        );
        let ids: Vec<&str> = unit_ids.iter().map(String::as_str).collect();
        // The only text put in is the dialect's own list condition.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .bind(DB::text_list(&ids)?)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn insert_accountability(
        &self,
        row: &AccountabilityRow,
        forward: bool,
        audit: Option<AuditRecord>,
    ) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let done = sqlx::query(
                    "INSERT INTO accountability_actions (action_id, unit_id, kind, recorded_on, recorded_at, body) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (action_id) DO NOTHING",
                )
                .bind(row.action_id.as_str())
                .bind(row.unit_id.as_str())
                .bind(row.kind.as_str())
                .bind(row.recorded_on)
                .bind(row.recorded_at)
                .bind(row.body.clone())
                .execute(&mut *tx)
                .await?;
                let inserted = DB::rows_affected(&done) == 1;
                if inserted && forward {
                    sqlx::query(
                        "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
                         VALUES ('accountability', $1, $2, 0, $3)",
                    )
                    .bind(row.action_id.as_str())
                    .bind(row.recorded_on)
                    .bind(row.recorded_at)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(audit) = audit {
                    DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted])).await?;
                }
                tx.commit().await?;
                Ok(inserted)
            })
            .await
    }

    async fn accountability_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AccountabilityRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT action_id, unit_id, kind, recorded_on, recorded_at, body FROM accountability_actions \
             WHERE recorded_on BETWEEN $1 AND $2 ORDER BY recorded_at, action_id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn hold_report(&self, row: &HeldReportRow, audit: AuditRecord) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let done = sqlx::query(
                    "INSERT INTO held_reports (unit_id, report_date, revision, locked_by, held_at, body) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, report_date, revision) DO NOTHING",
                )
                .bind(row.unit_id.as_str())
                .bind(row.report_date)
                .bind(row.revision)
                .bind(row.locked_by.as_str())
                .bind(row.held_at)
                .bind(row.body.clone())
                .execute(&mut *tx)
                .await?;
                let inserted = DB::rows_affected(&done) == 1;
                DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted])).await?;
                tx.commit().await?;
                Ok(inserted)
            })
            .await
    }

    async fn held_for_approval(&self) -> Result<Vec<HeldReportRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT unit_id, report_date, revision, locked_by, held_at, body FROM held_reports \
             ORDER BY report_date, unit_id, revision",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn release_held(&self, keys: &[(String, NaiveDate, i64)]) -> Result<(), StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                for (unit_id, date, revision) in keys {
                    sqlx::query(
                        "DELETE FROM held_reports WHERE unit_id = $1 AND report_date = $2 AND revision = $3",
                    )
                    .bind(unit_id.as_str())
                    .bind(*date)
                    .bind(*revision)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    async fn supervision_issuers(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT from_unit_id FROM supervisions WHERE issued_at >= $1 AND issued_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }
}
