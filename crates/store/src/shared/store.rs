//! [`Store`] for [`SqlStore`], once for both backends: the queries in
//! `$N` text both run, the writes in the transactions the [`Dialect`]
//! begins, with the audit log appended in them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::{AuditEntry, AuditRecord};
use fengqiao_core::case::{Case, CaseId, Petitioner};
use fengqiao_core::{DisputeCategory, Revision, StoredReport, TimePolicy, UnitId, UnitTree};
use sqlx::Row;

use super::{Answers, Dialect, Ledger, SqlStore};
use crate::cases::{self, CaseCounts, FigureSource, OutboxEntryRow};
use crate::personal::{self, RekeyReport};
use crate::plan::{self, RevisionRow};
use crate::rollup::{self, Period, RollupRow};
use crate::{
    Backend, CaseApplied, CaseEventItem, CaseFigure, CaseItemResult, CaseQuery, ChildSync, DownlinkRow,
    ItemResult, ListQuery, LoginToken, LoginTokenUse, NoticeRow, OutboxItem, OutboxStats, RevisionMeta,
    RosterRow, SetAsideRow, Store, StoreError, StoredCase, Submission, SupervisionRow, WriteFailures,
};

/// Reports per page when rebuilding rollups.
const REBUILD_PAGE: i64 = 5000;

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> Ledger<'c, DB>: cases::LedgerWriter,
    SqlStore<DB>: crate::digest::Reconciliation,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    Option<&'static str>: for<'q> sqlx::Encode<'q, DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB>,
    bool: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    NaiveDate: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: for<'q> sqlx::Encode<'q, DB>,
    DateTime<Utc>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: for<'q> sqlx::Encode<'q, DB>,
    Vec<u8>: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    plan::StoredUnitRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    RevisionRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    plan::HistoryRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    plan::TallyRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    OutboxEntryRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    SetAsideRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    personal::SealedDownlinkRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    ChildSync: for<'r> sqlx::FromRow<'r, DB::Row>,
    LoginToken: for<'r> sqlx::FromRow<'r, DB::Row>,
    cases::NoticeRecord: for<'r> sqlx::FromRow<'r, DB::Row>,
    cases::SupervisionRecord: for<'r> sqlx::FromRow<'r, DB::Row>,
    RosterRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    crate::audit::AuditRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    crate::retention::PurgeRow: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                sqlx::query(
                    "INSERT INTO node_meta (key, value) VALUES ('write_probe', '1') ON CONFLICT (key) \
                     DO UPDATE SET value = CAST(CAST(node_meta.value AS BIGINT) + 1 AS TEXT)",
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    fn write_failures(&self) -> &WriteFailures {
        &self.writes
    }

    #[tracing::instrument(name = "store.replace_units", skip_all, fields(backend = %DB::BACKEND, units = tree.len()))]
    async fn replace_units(&self, tree: &UnitTree, audit: AuditRecord) -> Result<(), StoreError> {
        let (units, closure) = plan::tree_rows(tree);
        // No write fans out while the closure changes; later ones by the new one.
        let mut current = self.topology.write().await;
        let topology = current.with_closure(&closure);
        let mut tx = DB::begin_write(&self.writer).await?;
        sqlx::query("DELETE FROM unit_closure").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM units").execute(&mut *tx).await?;
        DB::insert_units(&mut tx, &units, &closure).await?;
        DB::append_audit_in(&mut tx, vec![audit]).await?;
        tx.commit().await?;
        *current = std::sync::Arc::new(topology);
        Ok(())
    }

    #[tracing::instrument(name = "store.apply_reports", skip_all, fields(backend = %DB::BACKEND, n = batch.len()))]
    async fn apply_reports(
        &self,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError> {
        DB::apply_reports(self, batch, forward, policy).await
    }

    async fn rollups(
        &self,
        period: Period,
        units: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let ids: Vec<&str> = units.iter().map(UnitId::as_str).collect();
        let limit = rollup::MAX_LOOKUPS / units.len().max(1);
        let rows = match rollup::periods_in(period, from, to, limit) {
            Some(periods) => {
                sqlx::query(sqlx::AssertSqlSafe(DB::rollup_reads().sql(period, true)))
                    .bind(DB::text_list(&ids)?)
                    .bind(DB::date_list(&periods)?)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(DB::rollup_reads().sql(period, false)))
                    .bind(DB::text_list(&ids)?)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(rollup::decode_row).collect()
    }

    #[tracing::instrument(name = "store.rebuild_rollups", skip_all, fields(backend = %DB::BACKEND))]
    async fn rebuild_rollups(&self, policy: &TimePolicy) -> Result<u64, StoreError> {
        let topology = self.topology.read().await;
        let mut tx = DB::begin_write(&self.writer).await?;
        sqlx::query(DB::CLEAR_ROLLUPS).execute(&mut *tx).await?;
        let mut after = (crate::digest::first_day(), String::new());
        let mut total = 0u64;
        loop {
            let page: Vec<plan::TallyRow> = sqlx::query_as(
                "SELECT r.unit_id, r.report_date, r.first_accepted_at, rv.disputes FROM reports r \
                 JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
                 AND rv.revision = r.revision WHERE (r.report_date, r.unit_id) > ($1, $2) \
                 ORDER BY r.report_date, r.unit_id LIMIT $3",
            )
            .bind(after.0)
            .bind(after.1.clone())
            .bind(REBUILD_PAGE)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = page.last() else { break };
            after = (last.report_date, last.unit_id.clone());
            total += page.len() as u64;
            let rollups = plan::rollups_of(&page, policy)?;
            DB::write_rollups(&mut tx, &topology.rollups(&rollups)).await?;
        }
        tx.commit().await?;
        Ok(total)
    }

    async fn outbox_ack(
        &self,
        done: &[i64],
        conflicts: &[(i64, String)],
        refused: &[(i64, String)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        DB::outbox_ack(self, &Answers::new(done, conflicts, refused, at)).await
    }

    async fn append_downlink(
        &self,
        target: &UnitId,
        body: &[u8],
        at: DateTime<Utc>,
        audit: AuditRecord,
    ) -> Result<i64, StoreError> {
        let sealed = self.keyring.seal(&personal::downlink_context(target.as_str()), body);
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let sequence: i64 = sqlx::query_scalar(
                    "INSERT INTO downlink_events (target_unit_id, key_id, body, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING sequence",
                )
                .bind(target.as_str())
                .bind(self.keyring.current_id().to_hex())
                .bind(sealed)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                DB::append_audit_in(&mut tx, vec![audit]).await?;
                tx.commit().await?;
                Ok(sequence)
            })
            .await
    }

    async fn insert_notice(&self, notice: &NoticeRow, audit: AuditRecord) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let done = sqlx::query(
                    "INSERT INTO notices (notice_id, target_unit_id, from_unit_id, text, created_at, sender) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (notice_id) DO NOTHING",
                )
                .bind(notice.notice_id.clone())
                .bind(notice.target_unit_id.clone())
                .bind(notice.from_unit_id.clone())
                .bind(notice.text.clone())
                .bind(notice.created_at)
                .bind(notice.sender.as_ref().map(cases::actor_json).transpose()?)
                .execute(&mut *tx)
                .await?;
                let inserted = DB::rows_affected(&done) == 1;
                DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted])).await?;
                tx.commit().await?;
                Ok(inserted)
            })
            .await
    }

    async fn list_notices(
        &self,
        unit: &UnitId,
        after: Option<&(DateTime<Utc>, String)>,
        limit: u32,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        let records: Vec<cases::NoticeRecord> = sqlx::query_as(
            "SELECT notice_id, target_unit_id, from_unit_id, text, created_at, sender FROM notices \
             WHERE target_unit_id = $1 AND (NOT $2 OR (created_at, notice_id) > ($3, $4)) \
             ORDER BY created_at, notice_id LIMIT $5",
        )
        .bind(unit.as_str())
        .bind(after.is_some())
        .bind(after.map_or(DateTime::UNIX_EPOCH, |(at, _)| *at))
        .bind(after.map(|(_, id)| id.clone()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(records.into_iter().map(cases::NoticeRecord::into_row).collect())
    }

    #[tracing::instrument(name = "store.apply_case_events", skip_all, fields(backend = %DB::BACKEND, n = items.len()))]
    async fn apply_case_events(
        &self,
        items: Vec<CaseEventItem>,
        forward: bool,
    ) -> Result<Vec<CaseItemResult>, StoreError> {
        self.writes
            .track(async {
                let audits: Vec<AuditRecord> = items.iter().map(|item| item.audit.clone()).collect();
                let topology = self.topology.read().await;
                let mut tx = DB::begin_write(&self.writer).await?;
                DB::lock_ledger(&mut tx).await?;
                let results =
                    cases::apply_items(&mut Ledger::<DB>(&mut tx, &self.keyring), items, forward, &topology)
                        .await?;
                let applied = results.iter().map(|r| matches!(r, Ok(CaseApplied::Applied)));
                DB::append_audit_in(&mut tx, crate::audit::of_changes(audits, applied)).await?;
                tx.commit().await?;
                Ok(results)
            })
            .await
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
        let (before_at, before_id) = match &query.before {
            Some((at, id)) => (Some(*at), Some(id.as_str().to_owned())),
            None => (None, None),
        };
        let sql = format!(
            "SELECT c.body FROM cases c \
             WHERE (EXISTS (SELECT 1 FROM unit_closure u WHERE u.ancestor_id = $1 AND u.valid_to IS NULL \
             AND u.unit_id IN (c.owner_unit, c.origin_unit)) \
             OR ($14 IS NOT NULL AND EXISTS (SELECT 1 FROM case_group_members g WHERE g.case_id = c.case_id \
             AND g.person = $14 AND g.unit_id = $15 AND g.department_id = $16))) \
             AND ($12 IS NULL OR c.lead = $12) AND ($13 IS NULL OR c.project_id = $13) \
             AND ($10 OR {status}) \
             AND ($3 IS NULL OR EXISTS (SELECT 1 FROM case_due_spans s WHERE s.case_id = c.case_id \
             AND s.from_on <= $3 AND (s.until_on IS NULL OR s.until_on > $3) AND s.due_date < $3)) \
             AND (NOT $4 OR c.repeat) \
             AND ($5 IS NULL OR c.registered_on >= $5) AND ($6 IS NULL OR c.registered_on <= $6) \
             AND ($7 IS NULL OR (c.registered_at, c.case_id) < ($7, $8)) \
             AND ($11 IS NULL OR EXISTS (SELECT 1 FROM case_departments d WHERE d.department = $11 \
             AND d.case_id = c.case_id AND d.involved)) \
             ORDER BY c.registered_at DESC, c.case_id DESC LIMIT $9",
            status = DB::in_list("c.status", "$2"),
        );
        let bodies: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(query.root.as_str())
            .bind(DB::text_list(&statuses)?)
            .bind(query.overdue_on)
            .bind(query.repeat_only)
            .bind(query.registered_from)
            .bind(query.registered_to)
            .bind(before_at)
            .bind(before_id)
            .bind(i64::from(query.limit))
            .bind(statuses.is_empty())
            .bind(query.department.as_ref().map(ToString::to_string))
            .bind(query.people.leader.clone())
            .bind(query.people.project_id.clone())
            .bind(query.people.group_member.as_ref().map(|m| m.0.clone()))
            .bind(query.people.group_member.as_ref().map(|m| m.1.clone()))
            .bind(query.people.group_member.as_ref().map(|m| m.2.clone()))
            .fetch_all(&self.pool)
            .await?;
        bodies.iter().map(|body| cases::parse_case(body)).collect()
    }

    async fn department_figures(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<crate::departments::DepartmentFigures, StoreError> {
        // The logs of every case that involved a department of the unit, in
        // one snapshot, folded in Rust (the figures need the case as it
        // stood at the end of the range).
        let bodies: Vec<(String, String)> = sqlx::query_as(
            "SELECT e.case_id, e.body FROM case_events e \
             WHERE e.case_id IN (SELECT d.case_id FROM case_departments d WHERE d.unit_id = $1) \
             ORDER BY e.case_id, e.seq",
        )
        .bind(unit.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut logs: Vec<Vec<fengqiao_core::case::CaseEvent>> = Vec::new();
        let mut last: Option<String> = None;
        for (case_id, body) in bodies {
            if last.as_deref() != Some(case_id.as_str()) {
                logs.push(Vec::new());
                last = Some(case_id);
            }
            if let Some(log) = logs.last_mut() {
                log.push(cases::parse_event(&body)?);
            }
        }
        Ok(crate::departments::figures(&logs, unit, from, to))
    }

    async fn case_figures(
        &self,
        roots: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseCounts>, StoreError> {
        let ids: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
        let ids = DB::text_list(&ids)?;
        let mut counts: std::collections::HashMap<String, CaseCounts> = std::collections::HashMap::new();
        // One read transaction: the three sources see the same snapshot.
        let mut tx = self.pool.begin_with(DB::SNAPSHOT).await?;
        for source in FigureSource::ALL {
            let sql = cases::figures_sql(source, &DB::in_list("u.ancestor_id", "$1"));
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ids)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                cases::add_figure_row(&mut counts, source, row)?;
            }
        }
        tx.commit().await?;
        Ok(roots.iter().map(|root| counts.get(root.as_str()).copied().unwrap_or_default()).collect())
    }

    async fn insert_supervision(&self, row: &SupervisionRow, audit: AuditRecord) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let done = sqlx::query(
                    "INSERT INTO supervisions (supervision_id, case_id, from_unit_id, to_unit_id, kind, reply_by, \
                     text, actor, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (supervision_id) DO NOTHING",
                )
                .bind(row.supervision_id.clone())
                .bind(row.case_id.clone())
                .bind(row.from_unit_id.clone())
                .bind(row.to_unit_id.clone())
                .bind(row.kind.clone())
                .bind(row.reply_by)
                .bind(row.text.clone())
                .bind(cases::actor_json(&row.sender)?)
                .bind(row.issued_at)
                .execute(&mut *tx)
                .await?;
                let inserted = DB::rows_affected(&done) == 1;
                DB::append_audit_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted])).await?;
                tx.commit().await?;
                Ok(inserted)
            })
            .await
    }

    async fn set_roster(&self, entries: &[RosterRow], audit: AuditRecord) -> Result<u64, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        self.writes
            .track(async {
                let mut tx = DB::begin_write(&self.writer).await?;
                let mut stored = 0;
                for entry in entries {
                    stored += sqlx::query(
                        "INSERT INTO roster (unit_id, duty_date, leader) VALUES ($1, $2, $3) \
                         ON CONFLICT (unit_id, duty_date) DO UPDATE SET leader = excluded.leader",
                    )
                    .bind(entry.unit_id.clone())
                    .bind(entry.duty_date)
                    .bind(entry.leader.clone())
                    .execute(&mut *tx)
                    .await
                    .map(|done| DB::rows_affected(&done))?;
                }
                DB::append_audit_in(&mut tx, vec![audit]).await?;
                tx.commit().await?;
                Ok(stored)
            })
            .await
    }

    #[tracing::instrument(name = "store.append_audit", skip_all, fields(backend = %DB::BACKEND, n = records.len()))]
    async fn append_audit(&self, records: Vec<AuditRecord>) -> Result<Vec<AuditEntry>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = DB::begin_write(&self.writer).await?;
        let entries = DB::append_audit_in(&mut tx, records).await?;
        tx.commit().await?;
        Ok(entries)
    }

    async fn audit_page(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        crate::audit::page(&self.pool, after, limit).await
    }

    async fn audit_head(&self) -> Result<Option<AuditEntry>, StoreError> {
        crate::audit::head(&self.pool).await
    }

    #[tracing::instrument(name = "store.rekey_personal_data", skip_all, fields(backend = %DB::BACKEND))]
    async fn rekey_personal_data(&self) -> Result<RekeyReport, StoreError> {
        let mut tx = DB::begin_write(&self.writer).await?;
        // The ledger writers' lock; the downlink log's rows are updated
        // under the write transaction's locks.
        DB::lock_ledger(&mut tx).await?;
        let report = personal::rekey(&mut Ledger::<DB>(&mut tx, &self.keyring)).await?;
        tx.commit().await?;
        if report.plaintext_sealed > 0 {
            DB::compact(self).await?;
        }
        Ok(report)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    async fn insert_login_token(&self, token: &LoginToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_login_tokens (token_hash, unit_id, person, role, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.token_hash.as_str())
        .bind(token.unit_id.as_str())
        .bind(token.person.as_str())
        .bind(token.role.as_str())
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn use_login_token(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<LoginTokenUse, StoreError> {
        // One statement marks and reads: a second opening finds `used_at`
        // set and changes nothing, whichever backend and connection it runs on.
        let opened: Option<LoginToken> = sqlx::query_as(
            "UPDATE web_login_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
             RETURNING token_hash, unit_id, person, role, created_at, expires_at, used_at",
        )
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&self.writer)
        .await?;
        if let Some(token) = opened {
            return Ok(LoginTokenUse::Opened(token));
        }
        let known: Option<String> =
            sqlx::query_scalar("SELECT token_hash FROM web_login_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(if known.is_some() { LoginTokenUse::AlreadyUsed } else { LoginTokenUse::Unknown })
    }

    async fn load_units(&self) -> Result<Option<UnitTree>, StoreError> {
        let rows: Vec<plan::StoredUnitRow> = sqlx::query_as(
            "SELECT id, parent_id, tier, name, reporting, active_from, active_to, moves FROM units",
        )
        .fetch_all(&self.pool)
        .await?;
        crate::tree_from_rows(rows)
    }

    async fn get_report(
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
        .fetch_optional(&self.pool)
        .await?;
        row.map(crate::stored_report).transpose()
    }

    async fn report_history(
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
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(plan::HistoryRow::into_meta).collect()
    }

    async fn list_reports(&self, query: &ListQuery) -> Result<Vec<StoredReport>, StoreError> {
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
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(crate::stored_report).collect()
    }

    async fn outbox_peek(&self, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<OutboxEntryRow> =
            sqlx::query_as(cases::OUTBOX_PEEK).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.into_iter().map(OutboxEntryRow::into_item).collect()
    }

    async fn set_aside(&self, limit: u32) -> Result<(u64, Vec<SetAsideRow>), StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM uplink_set_aside").fetch_one(&self.pool).await?;
        let rows = sqlx::query_as(
            "SELECT outbox_id, kind, unit_id, item_date, revision, detail, set_aside_at FROM uplink_set_aside \
             ORDER BY set_aside_at DESC, outbox_id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok((count as u64, rows))
    }

    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS depth, MIN(accepted_at) AS oldest FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        let depth: i64 = row.try_get("depth")?;
        let oldest: Option<DateTime<Utc>> = row.try_get("oldest")?;
        Ok(OutboxStats { depth: depth as u64, oldest })
    }

    async fn read_downlink(
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
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| row.open(&self.keyring)).collect()
    }

    async fn downlink_head(&self) -> Result<i64, StoreError> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM downlink_events").fetch_one(&self.pool).await?;
        Ok(head.unwrap_or(0))
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn distinct_employers(
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
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    async fn rollup_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let row: (Option<NaiveDate>, Option<NaiveDate>) =
            sqlx::query_as("SELECT MIN(day), MAX(day) FROM rollup_day").fetch_one(&self.pool).await?;
        Ok(row.0.zip(row.1))
    }

    async fn report_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let row: (Option<NaiveDate>, Option<NaiveDate>) =
            sqlx::query_as("SELECT MIN(report_date), MAX(report_date) FROM reports")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.0.zip(row.1))
    }

    async fn held_days(&self) -> Result<Vec<NaiveDate>, StoreError> {
        Ok(sqlx::query_scalar(crate::rollup::HELD_DAYS).fetch_all(&self.pool).await?)
    }

    async fn received_on(
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
        .fetch_all(&self.pool)
        .await?;
        plan::parse_received(rows)
    }

    async fn child_syncs(&self) -> Result<Vec<ChildSync>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT child_unit_id, last_push_at, synced_through FROM child_syncs ORDER BY child_unit_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn purge_report_text(
        &self,
        before: NaiveDate,
        at: DateTime<Utc>,
        audit: AuditRecord,
    ) -> Result<crate::retention::Purged, StoreError> {
        // Revisions still queued for the parent keep what was sent.
        const NOT_QUEUED: &str = "NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'report' \
             AND o.item_date = rv.report_date AND o.unit_id = rv.unit_id AND o.revision = rv.revision)";
        self.writes
            .track(async {
                let mut purged = crate::retention::Purged::default();
                // Revisions without text (zero reports, most first
                // revisions) are only marked, in one statement.
                let mut tx = DB::begin_write(&self.writer).await?;
                let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE report_revisions SET text_purged_at = $1 WHERE report_date < $2 \
                     AND text_purged_at IS NULL AND disputes = '[]' AND correction_reason IS NULL \
                     AND {}",
                    NOT_QUEUED.replace("rv.", "report_revisions.")
                )))
                .bind(at)
                .bind(before)
                .execute(&mut *tx)
                .await
                .map(|done| DB::rows_affected(&done))?;
                purged.revisions += marked;
                if marked > 0 {
                    DB::append_audit_in(&mut tx, vec![audit.clone()]).await?;
                }
                tx.commit().await?;
                loop {
                    let mut tx = DB::begin_write(&self.writer).await?;
                    let page: Vec<crate::retention::PurgeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT rv.unit_id, rv.report_date, rv.revision, rv.disputes, rv.correction_reason \
                         FROM report_revisions rv WHERE rv.report_date < $1 AND rv.text_purged_at IS NULL \
                         AND {NOT_QUEUED} ORDER BY rv.report_date, rv.unit_id, rv.revision LIMIT $2"
                    )))
                    .bind(before)
                    .bind(crate::retention::PURGE_PAGE)
                    .fetch_all(&mut *tx)
                    .await?;
                    if page.is_empty() {
                        break;
                    }
                    for row in &page {
                        let (disputes, reason, removed) = row.stripped()?;
                        sqlx::query(
                            "UPDATE report_revisions SET disputes = $1, correction_reason = $2, \
                             text_purged_at = $3 WHERE report_date = $4 AND unit_id = $5 AND revision = $6",
                        )
                        .bind(disputes)
                        .bind(reason)
                        .bind(at)
                        .bind(row.report_date)
                        .bind(row.unit_id.clone())
                        .bind(row.revision)
                        .execute(&mut *tx)
                        .await?;
                        purged.texts_removed += u64::from(removed);
                    }
                    purged.revisions += page.len() as u64;
                    DB::append_audit_in(&mut tx, vec![audit.clone()]).await?;
                    tx.commit().await?;
                }
                Ok(purged)
            })
            .await
    }

    async fn text_purged_at(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
        revision: Revision,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "SELECT text_purged_at FROM report_revisions WHERE report_date = $1 AND unit_id = $2 \
             AND revision = $3",
        )
        .bind(date)
        .bind(unit_id.as_str())
        .bind(i64::from(revision.get()))
        .fetch_optional(&self.pool)
        .await?;
        Ok(at.flatten())
    }

    async fn count_reports(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports").fetch_one(&self.pool).await?;
        Ok(count as u64)
    }

    async fn get_case(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError> {
        // The projection first: events stored meanwhile only add to the log.
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM cases WHERE case_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(body) = body else { return Ok(None) };
        let events: Vec<String> =
            sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 ORDER BY seq")
                .bind(id.as_str())
                .fetch_all(&self.pool)
                .await?;
        Ok(Some(StoredCase {
            case: cases::parse_case(&body)?,
            events: events.iter().map(|e| cases::parse_event(e)).collect::<Result<_, _>>()?,
        }))
    }

    async fn case_petitioner(&self, id: &CaseId) -> Result<Option<Petitioner>, StoreError> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM case_petitioners WHERE case_id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        sealed.map(|sealed| cases::open_petitioner(&self.keyring, id.as_str(), &sealed)).transpose()
    }

    async fn find_repeats(
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
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|id| cases::parse_case_id(id)).collect()
    }

    async fn cases_of_petitioner(
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
        .fetch_all(&self.pool)
        .await?;
        bodies.iter().map(|body| cases::parse_case(body)).collect()
    }

    async fn count_cases_with_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let (low, high) = cases::prefix_range(prefix);
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE case_id >= $1 AND case_id < $2 \
             AND substr(case_id, 1, length($3)) = $3",
        )
        .bind(low)
        .bind(high)
        .bind(prefix)
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    async fn case_drill(
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
            .fetch_all(&self.pool)
            .await?;
        ids.iter().map(|id| cases::parse_case_id(id)).collect()
    }

    async fn list_supervisions(&self, case_id: &CaseId) -> Result<Vec<SupervisionRow>, StoreError> {
        let records: Vec<cases::SupervisionRecord> = sqlx::query_as(
            "SELECT supervision_id, case_id, from_unit_id, to_unit_id, kind, reply_by, text, actor, issued_at \
             FROM supervisions WHERE case_id = $1 ORDER BY issued_at, supervision_id",
        )
        .bind(case_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        records.into_iter().map(cases::SupervisionRecord::into_row).collect()
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO node_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn record_child_sync(
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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn roster(
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
        .fetch_all(&self.pool)
        .await?)
    }
}
