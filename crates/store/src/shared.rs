//! The queries whose SQL is the same on both backends, written once: generic
//! over the sqlx database, with `$N` placeholders, which PostgreSQL reads
//! natively and SQLite as numbered parameters (`?N`). `SqliteStore` and
//! `PgStore` implement these `Store` methods by calling [`Shared`]; the
//! methods whose SQL or transactions differ (the batch write paths, `UNNEST`
//! against `json_each`, dialect functions, SQLite's `BEGIN IMMEDIATE` with
//! the audit append) stay in `sqlite.rs` and `postgres.rs`. Single-statement
//! writes go through `writer`: SQLite's one writer connection, PostgreSQL's
//! pool.
//! A query moves here when both backends can run its text unchanged.

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::case::{Case, CaseId, Petitioner};
use fengqiao_core::{DisputeCategory, Revision, StoredReport, UnitId, UnitTree};
use sqlx::Row;

use crate::cases::{self, OutboxEntryRow};
use crate::personal::{self, Keyring};
use crate::plan::{self, RevisionRow};
use crate::{
    CaseFigure, ChildSync, DownlinkRow, ListQuery, OutboxItem, OutboxStats, RevisionMeta, RosterRow,
    SetAsideRow, StoreError, StoredCase, SupervisionRow,
};

/// A backend's pools and keys, for the shared queries.
pub(crate) struct Shared<'a, DB: sqlx::Database> {
    /// Reads.
    pub pool: &'a sqlx::Pool<DB>,
    /// Single-statement writes.
    pub writer: &'a sqlx::Pool<DB>,
    pub keyring: &'a Keyring,
}

impl<DB> Shared<'_, DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: for<'q> sqlx::Encode<'q, DB>,
    Vec<u8>: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    plan::StoredUnitRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    RevisionRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    plan::HistoryRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    OutboxEntryRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    SetAsideRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    personal::SealedDownlinkRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    ChildSync: for<'r> sqlx::FromRow<'r, DB::Row>,
    cases::SupervisionRecord: for<'r> sqlx::FromRow<'r, DB::Row>,
    RosterRow: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    pub(crate) async fn load_units(&self) -> Result<Option<UnitTree>, StoreError> {
        let rows: Vec<plan::StoredUnitRow> = sqlx::query_as(
            "SELECT id, parent_id, tier, name, reporting, active_from, active_to, moves FROM units",
        )
        .fetch_all(self.pool)
        .await?;
        crate::tree_from_rows(rows)
    }

    pub(crate) async fn get_report(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
        revision: Option<Revision>,
    ) -> Result<Option<StoredReport>, StoreError> {
        let row: Option<RevisionRow> = sqlx::query_as(
            "SELECT rv.unit_id, rv.report_date, rv.revision, rv.reporter, rv.disputes, rv.correction_reason, \
             rv.accepted_at, r.first_accepted_at FROM reports r JOIN report_revisions rv \
             ON rv.unit_id = r.unit_id AND rv.report_date = r.report_date \
             AND rv.revision = COALESCE($1, r.revision) WHERE r.unit_id = $2 AND r.report_date = $3",
        )
        .bind(revision.map(|r| i64::from(r.get())))
        .bind(unit_id.as_str())
        .bind(date)
        .fetch_optional(self.pool)
        .await?;
        row.map(crate::stored_report).transpose()
    }

    pub(crate) async fn report_history(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<RevisionMeta>, StoreError> {
        let rows: Vec<plan::HistoryRow> = sqlx::query_as(
            "SELECT revision, accepted_at, correction_reason, zero, dispute_count FROM report_revisions \
             WHERE unit_id = $1 AND report_date = $2 ORDER BY revision",
        )
        .bind(unit_id.as_str())
        .bind(date)
        .fetch_all(self.pool)
        .await?;
        rows.into_iter().map(plan::HistoryRow::into_meta).collect()
    }

    pub(crate) async fn list_reports(&self, query: &ListQuery) -> Result<Vec<StoredReport>, StoreError> {
        let (after_date, after_unit) = match &query.after {
            Some((date, unit)) => (*date, unit.as_str().to_owned()),
            None => (query.from, String::new()),
        };
        let rows: Vec<RevisionRow> = sqlx::query_as(
            "SELECT rv.unit_id, rv.report_date, rv.revision, rv.reporter, rv.disputes, rv.correction_reason, \
             rv.accepted_at, r.first_accepted_at FROM unit_closure c \
             JOIN reports r ON r.unit_id = c.unit_id \
             JOIN report_revisions rv ON rv.unit_id = r.unit_id AND rv.report_date = r.report_date \
             AND rv.revision = r.revision \
             WHERE c.ancestor_id = $1 AND r.report_date >= $2 AND r.report_date <= $3 \
             AND (c.valid_from IS NULL OR c.valid_from <= r.report_date) \
             AND (c.valid_to IS NULL OR r.report_date < c.valid_to) \
             AND (r.report_date, r.unit_id) > ($4, $5) ORDER BY r.report_date, r.unit_id LIMIT $6",
        )
        .bind(query.root.as_str())
        .bind(query.from)
        .bind(query.to)
        .bind(after_date)
        .bind(after_unit)
        .bind(i64::from(query.limit))
        .fetch_all(self.pool)
        .await?;
        rows.into_iter().map(crate::stored_report).collect()
    }

    pub(crate) async fn outbox_peek(&self, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<OutboxEntryRow> =
            sqlx::query_as(cases::OUTBOX_PEEK).bind(i64::from(limit)).fetch_all(self.pool).await?;
        rows.into_iter().map(OutboxEntryRow::into_item).collect()
    }

    pub(crate) async fn set_aside(&self, limit: u32) -> Result<(u64, Vec<SetAsideRow>), StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM uplink_set_aside").fetch_one(self.pool).await?;
        let rows = sqlx::query_as(
            "SELECT outbox_id, kind, unit_id, item_date, revision, detail, set_aside_at FROM uplink_set_aside \
             ORDER BY set_aside_at DESC, outbox_id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool)
        .await?;
        Ok((count as u64, rows))
    }

    pub(crate) async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS depth, MIN(accepted_at) AS oldest FROM outbox")
            .fetch_one(self.pool)
            .await?;
        let depth: i64 = row.try_get("depth")?;
        let oldest: Option<DateTime<Utc>> = row.try_get("oldest")?;
        Ok(OutboxStats { depth: depth as u64, oldest })
    }

    pub(crate) async fn read_downlink(
        &self,
        subscriber: &UnitId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DownlinkRow>, StoreError> {
        let rows: Vec<personal::SealedDownlinkRow> = sqlx::query_as(
            "SELECT e.sequence, e.target_unit_id, e.key_id, e.body, e.created_at FROM downlink_events e \
             JOIN unit_closure c ON c.unit_id = e.target_unit_id AND c.ancestor_id = $1 AND c.valid_to IS NULL \
             WHERE e.sequence > $2 ORDER BY e.sequence LIMIT $3",
        )
        .bind(subscriber.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool)
        .await?;
        rows.into_iter().map(|row| row.open(self.keyring)).collect()
    }

    pub(crate) async fn downlink_head(&self) -> Result<i64, StoreError> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM downlink_events").fetch_one(self.pool).await?;
        Ok(head.unwrap_or(0))
    }

    pub(crate) async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool)
            .await?)
    }

    pub(crate) async fn distinct_employers(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT employer) FROM employer_days \
             WHERE unit_id = $1 AND day >= $2 AND day <= $3 AND reports > 0",
        )
        .bind(unit.as_str())
        .bind(from)
        .bind(to)
        .fetch_one(self.pool)
        .await?;
        Ok(count as u64)
    }

    pub(crate) async fn rollup_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let row: (Option<NaiveDate>, Option<NaiveDate>) =
            sqlx::query_as("SELECT MIN(day), MAX(day) FROM rollup_day").fetch_one(self.pool).await?;
        Ok(row.0.zip(row.1))
    }

    pub(crate) async fn report_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let row: (Option<NaiveDate>, Option<NaiveDate>) =
            sqlx::query_as("SELECT MIN(report_date), MAX(report_date) FROM reports")
                .fetch_one(self.pool)
                .await?;
        Ok(row.0.zip(row.1))
    }

    pub(crate) async fn held_days(&self) -> Result<Vec<NaiveDate>, StoreError> {
        Ok(sqlx::query_scalar(crate::rollup::HELD_DAYS).fetch_all(self.pool).await?)
    }

    pub(crate) async fn received_on(
        &self,
        root: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<(UnitId, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT r.unit_id, r.first_accepted_at FROM unit_closure c \
             JOIN reports r ON r.unit_id = c.unit_id AND r.report_date = $2 \
             WHERE c.ancestor_id = $1 AND (c.valid_from IS NULL OR c.valid_from <= $2) \
             AND (c.valid_to IS NULL OR $2 < c.valid_to) ORDER BY r.unit_id",
        )
        .bind(root.as_str())
        .bind(date)
        .fetch_all(self.pool)
        .await?;
        plan::parse_received(rows)
    }

    pub(crate) async fn child_syncs(&self) -> Result<Vec<ChildSync>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT child_unit_id, last_push_at, synced_through FROM child_syncs ORDER BY child_unit_id",
        )
        .fetch_all(self.pool)
        .await?)
    }

    pub(crate) async fn count_reports(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports").fetch_one(self.pool).await?;
        Ok(count as u64)
    }

    pub(crate) async fn get_case(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError> {
        // The projection first: events stored meanwhile only add to the log.
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM cases WHERE case_id = $1")
            .bind(id.as_str())
            .fetch_optional(self.pool)
            .await?;
        let Some(body) = body else { return Ok(None) };
        let events: Vec<String> =
            sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 ORDER BY seq")
                .bind(id.as_str())
                .fetch_all(self.pool)
                .await?;
        Ok(Some(StoredCase {
            case: cases::parse_case(&body)?,
            events: events.iter().map(|e| cases::parse_event(e)).collect::<Result<_, _>>()?,
        }))
    }

    pub(crate) async fn case_petitioner(&self, id: &CaseId) -> Result<Option<Petitioner>, StoreError> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM case_petitioners WHERE case_id = $1")
                .bind(id.as_str())
                .fetch_optional(self.pool)
                .await?;
        sealed.map(|sealed| cases::open_petitioner(self.keyring, id.as_str(), &sealed)).transpose()
    }

    pub(crate) async fn find_repeats(
        &self,
        petitioner_ref: &str,
        category: DisputeCategory,
        since: NaiveDate,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT case_id FROM cases WHERE petitioner_ref = $1 AND category = $2 AND registered_on >= $3 \
             ORDER BY registered_at DESC, case_id DESC",
        )
        .bind(petitioner_ref)
        .bind(category.as_str())
        .bind(since)
        .fetch_all(self.pool)
        .await?;
        ids.iter().map(|id| cases::parse_case_id(id)).collect()
    }

    pub(crate) async fn cases_of_petitioner(
        &self,
        petitioner_ref: &str,
        category: DisputeCategory,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Case>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM cases WHERE petitioner_ref = $1 AND category = $2 \
             AND registered_on >= $3 AND registered_on <= $4 ORDER BY registered_at, case_id",
        )
        .bind(petitioner_ref)
        .bind(category.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(self.pool)
        .await?;
        bodies.iter().map(|body| cases::parse_case(body)).collect()
    }

    pub(crate) async fn count_cases_with_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let (low, high) = cases::prefix_range(prefix);
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE case_id >= $1 AND case_id < $2 \
             AND substr(case_id, 1, length($3)) = $3",
        )
        .bind(low)
        .bind(high)
        .bind(prefix)
        .fetch_one(self.pool)
        .await?;
        Ok(count as u64)
    }

    pub(crate) async fn case_drill(
        &self,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        figure: CaseFigure,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(cases::drill_sql(figure)))
            .bind(root.as_str())
            .bind(from)
            .bind(to)
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(self.pool)
            .await?;
        ids.iter().map(|id| cases::parse_case_id(id)).collect()
    }

    pub(crate) async fn list_supervisions(
        &self,
        case_id: &CaseId,
    ) -> Result<Vec<SupervisionRow>, StoreError> {
        let records: Vec<cases::SupervisionRecord> = sqlx::query_as(
            "SELECT supervision_id, case_id, from_unit_id, to_unit_id, kind, reply_by, text, actor, issued_at \
             FROM supervisions WHERE case_id = $1 ORDER BY issued_at, supervision_id",
        )
        .bind(case_id.as_str())
        .fetch_all(self.pool)
        .await?;
        records.into_iter().map(cases::SupervisionRecord::into_row).collect()
    }

    pub(crate) async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn record_child_sync(
        &self,
        child: &UnitId,
        at: DateTime<Utc>,
        synced_through: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO child_syncs (child_unit_id, last_push_at, synced_through) VALUES ($1, $2, $3) \
             ON CONFLICT (child_unit_id) DO UPDATE SET last_push_at = excluded.last_push_at, \
             synced_through = COALESCE(excluded.synced_through, child_syncs.synced_through)",
        )
        .bind(child.as_str())
        .bind(at)
        .bind(synced_through)
        .execute(self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn roster(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RosterRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT unit_id, duty_date, leader FROM roster WHERE unit_id = $1 AND duty_date >= $2 \
             AND duty_date <= $3 ORDER BY duty_date",
        )
        .bind(unit.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(self.pool)
        .await?)
    }
}
