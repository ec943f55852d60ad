//! [`Contacts`] for [`SqlStore`], the same text on both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::read::CaseCounts;
use fengqiao_core::unit::UnitId;

use super::{Dialect, SqlStore};
use crate::StoreError;
use crate::cases::{self, FigureSource};
use crate::contacts::{Contacts, DutyRow, DutySet, LedFigures, ProjectRow, SetOutcome, StoredDutyRow};

const DUTY_COLUMNS: &str = "duty_id, leader, unit_id, project_id, from_on, until_on, set_by, set_at";

#[async_trait]
impl<DB> Contacts for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    Option<&'static str>: for<'q> sqlx::Encode<'q, DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: for<'q> sqlx::Encode<'q, DB>,
    DateTime<Utc>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DB::TextList: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    ProjectRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    StoredDutyRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    async fn set_project(&self, row: &ProjectRow, audit: AuditRecord) -> Result<SetOutcome, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let stored: Option<ProjectRow> = sqlx::query_as(
                    "SELECT project_id, name, unit_id, kind, from_on, until_on FROM projects WHERE project_id = $1",
                )
                .bind(row.project_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match stored {
                    Some(stored) if &stored == row => SetOutcome::Unchanged,
                    Some(_) => SetOutcome::Replaced,
                    None => SetOutcome::Created,
                };
                if outcome != SetOutcome::Unchanged {
                    sqlx::query(
                        "INSERT INTO projects (project_id, name, unit_id, kind, from_on, until_on) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id) DO UPDATE SET \
                         name = excluded.name, unit_id = excluded.unit_id, kind = excluded.kind, \
                         from_on = excluded.from_on, until_on = excluded.until_on",
                    )
                    .bind(row.project_id.as_str())
                    .bind(row.name.as_str())
                    .bind(row.unit_id.as_str())
                    .bind(row.kind.as_str())
                    .bind(row.from_on)
                    .bind(row.until_on)
                    .execute(&mut *tx)
                    .await?;
                    DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [true])).await?;
                }
                tx.commit().await?;
                Ok(outcome)
            })
            .await
    }

    async fn project(&self, project_id: &str) -> Result<Option<ProjectRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT project_id, name, unit_id, kind, from_on, until_on FROM projects WHERE project_id = $1",
        )
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT project_id, name, unit_id, kind, from_on, until_on FROM projects ORDER BY project_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_contact_duty(&self, row: &DutyRow, audit: AuditRecord) -> Result<DutySet, StoreError> {
        let set_by = cases::actor_json(&row.set_by)?;
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                // Of two duties set at once, the second sees the first.
                DB::lock_ledger(&mut tx).await?;
                let stored: Option<StoredDutyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DUTY_COLUMNS} FROM contact_duties WHERE duty_id = $1"
                )))
                .bind(row.duty_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match stored.map(StoredDutyRow::into_row) {
                    Some(stored) if stored.same_content(row) => SetOutcome::Unchanged,
                    Some(_) => SetOutcome::Replaced,
                    None => SetOutcome::Created,
                };
                if outcome == SetOutcome::Unchanged {
                    tx.commit().await?;
                    return Ok(DutySet::Set(outcome));
                }
                // The same leader on the same target, other id, dates
                // overlapping (an open end overlaps everything after it).
                let overlapping: Option<String> = sqlx::query_scalar(
                    "SELECT duty_id FROM contact_duties WHERE leader = $1 AND duty_id <> $2 \
                     AND ((unit_id IS NOT NULL AND unit_id = $3) OR (project_id IS NOT NULL AND project_id = $4)) \
                     AND ($6 IS NULL OR from_on <= $6) AND (until_on IS NULL OR until_on >= $5) \
                     ORDER BY duty_id LIMIT 1",
                )
                .bind(row.leader.as_str())
                .bind(row.duty_id.as_str())
                .bind(row.unit_id.clone())
                .bind(row.project_id.clone())
                .bind(row.from_on)
                .bind(row.until_on)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(duty_id) = overlapping {
                    tx.commit().await?;
                    return Ok(DutySet::Overlaps { duty_id });
                }
                sqlx::query(
                    "INSERT INTO contact_duties (duty_id, leader, unit_id, project_id, from_on, until_on, set_by, set_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (duty_id) DO UPDATE SET \
                     leader = excluded.leader, unit_id = excluded.unit_id, project_id = excluded.project_id, \
                     from_on = excluded.from_on, until_on = excluded.until_on, set_by = excluded.set_by, \
                     set_at = excluded.set_at",
                )
                .bind(row.duty_id.as_str())
                .bind(row.leader.as_str())
                .bind(row.unit_id.clone())
                .bind(row.project_id.clone())
                .bind(row.from_on)
                .bind(row.until_on)
                .bind(set_by.as_str())
                .bind(row.set_at)
                .execute(&mut *tx)
                .await?;
                DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [true])).await?;
                tx.commit().await?;
                Ok(DutySet::Set(outcome))
            })
            .await
    }

    async fn contact_duty(&self, duty_id: &str) -> Result<Option<DutyRow>, StoreError> {
        let row: Option<StoredDutyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DUTY_COLUMNS} FROM contact_duties WHERE duty_id = $1"
        )))
        .bind(duty_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(StoredDutyRow::into_row))
    }

    async fn contact_duties(
        &self,
        leader: Option<&str>,
        on: Option<NaiveDate>,
    ) -> Result<Vec<DutyRow>, StoreError> {
        let rows: Vec<StoredDutyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DUTY_COLUMNS} FROM contact_duties \
             WHERE ($1 IS NULL OR leader = $1) AND ($2 IS NULL OR (from_on <= $2 AND (until_on IS NULL OR until_on >= $2))) \
             ORDER BY leader, from_on, duty_id"
        )))
        .bind(leader.map(str::to_owned))
        .bind(on)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(StoredDutyRow::into_row).collect())
    }

    async fn project_case_figures(
        &self,
        root: &UnitId,
        project_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CaseCounts, StoreError> {
        let ids = DB::text_list(&[root.as_str()])?;
        let roots = format!(
            "{} AND c.case_id IN (SELECT p.case_id FROM cases p WHERE p.project_id = $4)",
            DB::in_list("u.ancestor_id", "$1")
        );
        let mut counts = std::collections::HashMap::new();
        // One read transaction: the three sources see the same snapshot.
        let mut tx = self.pool.begin_with(DB::SNAPSHOT).await?;
        for source in FigureSource::ALL {
            let sql = cases::figures_sql(source, &roots);
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ids)
                .bind(from)
                .bind(to)
                .bind(project_id)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                cases::add_figure_row(&mut counts, source, row)?;
            }
        }
        tx.commit().await?;
        Ok(counts.get(root.as_str()).copied().unwrap_or_default())
    }

    async fn led_case_figures(
        &self,
        leader: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<LedFigures, StoreError> {
        let count =
            |value: i64| u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("count {value}")));
        let mut tx = self.pool.begin_with(DB::SNAPSHOT).await?;
        let led: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases c WHERE c.lead = $1 AND c.registered_on <= $3 \
             AND (c.closed_on IS NULL OR c.closed_on >= $2) AND c.status <> 'not_accepted'",
        )
        .bind(leader)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        let (closed, closed_on_time): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(DISTINCT c.case_id), COUNT(DISTINCT CASE WHEN e.on_time THEN c.case_id END) \
             FROM case_events e CROSS JOIN cases c WHERE c.case_id = e.case_id AND c.lead = $1 \
             AND e.kind = 'closed' AND e.seq <= c.seq AND e.on_date >= $2 AND e.on_date <= $3",
        )
        .bind(leader)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        let overdue: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT s.case_id) FROM cases c CROSS JOIN case_due_spans s \
             WHERE c.lead = $1 AND s.case_id = c.case_id AND (s.until_on IS NULL OR s.until_on > $2) \
             AND s.from_on <= $2 AND s.due_date < $2",
        )
        .bind(leader)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LedFigures {
            led: count(led)?,
            closed: count(closed)?,
            closed_on_time: count(closed_on_time)?,
            overdue: count(overdue)?,
        })
    }
}
