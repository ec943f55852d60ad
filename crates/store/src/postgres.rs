//! The PostgreSQL store, for production nodes.
//!
//! Batches are written with one `UNNEST` statement per table, so a batch of
//! any size costs three round trips (read heads, insert history, upsert
//! heads) plus the commit. Heads are read `FOR UPDATE`, so two writers on one
//! database never interleave on a key. Every write appends its audit entries
//! as the last step of its transaction (see [`crate::audit`]).
//!
//! Integrity: the node does not scan a PostgreSQL database at start (the
//! server's page checksums verify each page as it is read, and
//! `pg_amcheck` checks tables and indexes in full; see
//! docs/OPERATIONS.md); opening one only warns when the cluster runs
//! without data checksums.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::case::{Case, CaseId, Petitioner};
use fengqiao_core::{DisputeCategory, ReportKey, Revision, StoredReport, TimePolicy, UnitId, UnitTree};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tracing::instrument;

use crate::cases::{self, FigureSource};
use crate::fanout::{self, SharedTopology};
use crate::personal::{self, Keyring, RekeyReport};
use crate::plan;
use crate::rollup::{self, Period, RollupRow};
use crate::{
    Backend, CaseApplied, CaseCounts, CaseEventItem, CaseFigure, CaseItemResult, CaseQuery, ChildSync,
    DownlinkRow, ItemResult, ListQuery, NoticeRow, OutboxItem, OutboxStats, RevisionMeta, RosterRow,
    SetAsideRow, Store, StoreError, StoredCase, Submission, SupervisionRow, WriteFailures,
};

/// The write half of a batch in one statement: history (`$1`–`$10`), heads
/// (`$11`–`$16`), the outbox (when `$17`; trace contexts `$18`), and the
/// rollups, employers and digests already fanned out and summed per row
/// (typed arrays from `$19`, see [`rollup::pg_upserts`] and
/// [`crate::digest::pg_upserts`]).
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
        rollups = rollup::pg_upserts(19),
        digests = crate::digest::pg_upserts(19 + rollup::PG_PARAMS),
    )
});

/// Reports per page when rebuilding rollups.
const REBUILD_PAGE: i64 = 5000;

static READ_DAYS: LazyLock<String> = LazyLock::new(|| read_rollups(Period::Day));
static READ_WEEKS: LazyLock<String> = LazyLock::new(|| read_rollups(Period::Week));
static LOOKUP_DAYS: LazyLock<String> = LazyLock::new(|| lookup_rollups(Period::Day));
static LOOKUP_WEEKS: LazyLock<String> = LazyLock::new(|| lookup_rollups(Period::Week));

/// The rollups of units `$1` at the periods `$2`, each pair one probe of
/// the primary key (period, unit): the cost follows the range asked for,
/// not the history held (see the SQLite store's `lookup_rollups`).
fn lookup_rollups(period: Period) -> String {
    format!(
        "SELECT t.unit_id, t.{key}, {columns} FROM UNNEST($2::date[]) AS p(k) CROSS JOIN UNNEST($1::text[]) AS u(id) \
         JOIN {table} t ON t.{key} = p.k AND t.unit_id = u.id ORDER BY t.unit_id, t.{key}",
        key = period.key(),
        table = period.table(),
        columns = rollup::column_list().split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", "),
    )
}

/// The rollups of units `$1` with periods in `$2`–`$3`, by a range scan (a
/// read too wide to probe pair by pair).
fn read_rollups(period: Period) -> String {
    format!(
        "SELECT unit_id, {key}, {columns} FROM {table} \
         WHERE unit_id = ANY($1) AND {key} >= $2 AND {key} <= $3 ORDER BY unit_id, {key}",
        key = period.key(),
        table = period.table(),
        columns = rollup::column_list(),
    )
}

/// A node's PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Seals and opens personal data.
    keyring: Keyring,
    /// Writes that failed in the database.
    writes: WriteFailures,
    /// The dated closure and the digest roots, for the fan-out.
    topology: SharedTopology,
}

impl PgStore {
    /// The queries both backends share (`crate::shared`).
    fn shared(&self) -> crate::shared::Shared<'_, sqlx::Postgres> {
        crate::shared::Shared { pool: &self.pool, writer: &self.pool, keyring: &self.keyring }
    }

    /// Connects to `url` and migrates the database; personal data sealed
    /// under the development key (see [`crate::connect`]).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_keyring(url, Keyring::development()).await
    }

    /// Connects to `url` and migrates the database; personal data sealed
    /// with `keyring`.
    pub async fn connect_with_keyring(url: &str, keyring: Keyring) -> Result<Self, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?;
        Self::open(options, keyring).await
    }

    /// Connects to `url` with every table in `schema` (created when
    /// missing), so several stores can share one database — tests give each
    /// case its own schema.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_in_schema_with(url, schema, Keyring::development()).await
    }

    /// [`PgStore::connect_in_schema`] with the keys personal data is sealed with.
    pub async fn connect_in_schema_with(
        url: &str,
        schema: &str,
        keyring: Keyring,
    ) -> Result<Self, StoreError> {
        if schema.is_empty()
            || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Config(format!(
                "schema {schema:?}: use lowercase letters, digits and _"
            )));
        }
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?;
        let admin = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}")))
            .execute(&admin)
            .await?;
        admin.close().await;
        Self::open(options.options([("search_path", schema)]), keyring).await
    }

    async fn open(options: PgConnectOptions, keyring: Keyring) -> Result<Self, StoreError> {
        // One direct connection first: an unreachable server then fails at
        // once with its own error ("connection refused"), where the pool
        // would retry until its acquire timeout and say only "timed out".
        let connect = PgConnection::connect_with(&options);
        match tokio::time::timeout(std::time::Duration::from_secs(10), connect).await {
            Ok(connection) => connection?.close().await?,
            Err(_) => {
                return Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no answer from the database server within 10 s",
                ))));
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A call waits at most this long for a connection; when the
            // database is unreachable it fails with UNAVAILABLE instead of
            // outliving the caller's deadline (sqlx's default is 30 s).
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let checksums: String = sqlx::query_scalar("SHOW data_checksums").fetch_one(&pool).await?;
        if checksums != "on" {
            tracing::warn!(
                "the PostgreSQL cluster runs without data checksums: a damaged page is not detected when it is \
                 read; enable them (initdb --data-checksums, or pg_checksums --enable on the stopped cluster)"
            );
        }
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let topology = SharedTopology::new(fanout::load_topology(&pool).await?);
        let store = PgStore { pool, keyring, writes: WriteFailures::default(), topology };
        // Read first, so that an ordinary start takes no lock.
        if store.get_meta(cases::DUE_SPANS_PENDING).await?.is_some() {
            let mut tx = store.pool.begin().await?;
            // The ledger writers' lock (see `apply_case_events`).
            sqlx::query("LOCK TABLE case_events IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
            cases::build_pending_due_spans(&mut Ledger(&mut tx, &store.keyring)).await?;
            tx.commit().await?;
        }
        Ok(store)
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Write transactions take any connection: PostgreSQL's row locks queue.
    pub(crate) fn writer(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn topology(&self) -> &SharedTopology {
        &self.topology
    }

    /// Drops a schema made by [`PgStore::connect_in_schema`] (tests clean up with it).
    pub async fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?;
        let admin = PgPoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok(())
    }

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
}

crate::digest::reconciliation!(PgStore, PgConnection, "BEGIN");

/// The case ledger's writes inside a transaction holding the ledger's write
/// lock.
#[derive(Debug)]
struct Ledger<'c>(&'c mut PgConnection, &'c Keyring);

cases::ledger_writer!(Ledger<'_>);
personal::personal_rows!(
    Ledger<'_>,
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
     AND table_name = 'case_petitioners_plain'"
);

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.writes
            .track(async {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO node_meta (key, value) VALUES ('write_probe', '1') ON CONFLICT (key) \
                     DO UPDATE SET value = (node_meta.value::bigint + 1)::text",
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

    #[instrument(name = "store.postgres.replace_units", skip_all, fields(units = tree.len()))]
    async fn replace_units(&self, tree: &UnitTree, audit: AuditRecord) -> Result<(), StoreError> {
        let (units, closure) = plan::tree_rows(tree);
        // No write fans out while the closure changes; later ones by the new one.
        let mut current = self.topology.write().await;
        let topology = current.with_closure(&closure);
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM unit_closure").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM units").execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO units (id, parent_id, tier, name, reporting, active_from, active_to, moves) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::date[], $7::date[], \
             $8::text[])",
        )
        .bind(units.iter().map(|u| u.id.clone()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.parent_id.clone()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.tier.to_owned()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.name.clone()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.reporting).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.active_from).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.active_to).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.moves.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO unit_closure (ancestor_id, unit_id, depth, valid_from, valid_to) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int[], $4::date[], $5::date[])",
        )
        .bind(closure.iter().map(|c| c.ancestor.to_string()).collect::<Vec<_>>())
        .bind(closure.iter().map(|c| c.unit.to_string()).collect::<Vec<_>>())
        .bind(closure.iter().map(|c| c.depth as i32).collect::<Vec<_>>())
        .bind(closure.iter().map(|c| c.from).collect::<Vec<_>>())
        .bind(closure.iter().map(|c| c.to).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        crate::audit::postgres::append_in(&mut tx, vec![audit]).await?;
        tx.commit().await?;
        *current = std::sync::Arc::new(topology);
        Ok(())
    }

    async fn load_units(&self) -> Result<Option<UnitTree>, StoreError> {
        self.shared().load_units().await
    }

    #[instrument(name = "store.postgres.apply_reports", skip_all, fields(n = batch.len()))]
    async fn apply_reports(
        &self,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let started = std::time::Instant::now();
        let keys: Vec<ReportKey> = batch.iter().map(|s| s.report.key()).collect();
        let topology = self.topology.read().await;
        let mut tx = self.pool.begin().await?;
        let heads = Self::read_heads(&mut tx, &keys).await?;
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
            let query = rollup::pg_bind(query, &rollups);
            crate::digest::pg_bind(query, &digests).execute(&mut *tx).await?;
        }
        let wrote = started.elapsed();
        let changed = plan.results.iter().map(|r| r.as_ref().is_ok_and(|o| o.applied.changes_state()));
        crate::audit::postgres::append_in(&mut tx, crate::audit::of_changes(audits, changed)).await?;
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
                let sql = match period {
                    Period::Day => &*LOOKUP_DAYS,
                    Period::Week => &*LOOKUP_WEEKS,
                };
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(ids)
                    .bind(periods)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = match period {
                    Period::Day => &*READ_DAYS,
                    Period::Week => &*READ_WEEKS,
                };
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(ids)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(rollup::decode_row).collect()
    }

    async fn distinct_employers(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError> {
        self.shared().distinct_employers(unit, from, to).await
    }

    #[instrument(name = "store.postgres.rebuild_rollups", skip_all)]
    async fn rebuild_rollups(&self, policy: &TimePolicy) -> Result<u64, StoreError> {
        let topology = self.topology.read().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("TRUNCATE rollup_day, rollup_week, employer_days").execute(&mut *tx).await?;
        // Before any report; `NaiveDate::MIN` is outside PostgreSQL's date range.
        let mut after = (NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date"), String::new());
        let mut total = 0u64;
        loop {
            let page: Vec<plan::TallyRow> = sqlx::query_as(
                "SELECT r.unit_id, r.report_date, r.first_accepted_at, rv.disputes FROM reports r \
                 JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
                 AND rv.revision = r.revision WHERE (r.report_date, r.unit_id) > ($1, $2) \
                 ORDER BY r.report_date, r.unit_id LIMIT $3",
            )
            .bind(after.0)
            .bind(&after.1)
            .bind(REBUILD_PAGE)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = page.last() else { break };
            after = (last.report_date, last.unit_id.clone());
            total += page.len() as u64;
            let rollups = plan::rollups_of(&page, policy)?;
            rollup::pg_write(&mut tx, &topology.rollups(&rollups)).await?;
        }
        tx.commit().await?;
        Ok(total)
    }

    async fn rollup_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        self.shared().rollup_extent().await
    }

    async fn report_extent(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        self.shared().report_extent().await
    }

    async fn held_days(&self) -> Result<Vec<NaiveDate>, StoreError> {
        self.shared().held_days().await
    }

    async fn received_on(
        &self,
        root: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<(UnitId, DateTime<Utc>)>, StoreError> {
        self.shared().received_on(root, date).await
    }

    async fn record_child_sync(
        &self,
        child: &UnitId,
        at: DateTime<Utc>,
        synced_through: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.shared().record_child_sync(child, at, synced_through).await
    }

    async fn child_syncs(&self) -> Result<Vec<ChildSync>, StoreError> {
        self.shared().child_syncs().await
    }

    async fn get_report(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
        revision: Option<Revision>,
    ) -> Result<Option<StoredReport>, StoreError> {
        self.shared().get_report(unit_id, date, revision).await
    }

    async fn report_history(
        &self,
        unit_id: &UnitId,
        date: NaiveDate,
    ) -> Result<Vec<RevisionMeta>, StoreError> {
        self.shared().report_history(unit_id, date).await
    }

    async fn list_reports(&self, query: &ListQuery) -> Result<Vec<StoredReport>, StoreError> {
        self.shared().list_reports(query).await
    }

    async fn outbox_peek(&self, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        self.shared().outbox_peek(limit).await
    }

    async fn outbox_ack(
        &self,
        done: &[i64],
        conflicts: &[(i64, String)],
        refused: &[(i64, String)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if !refused.is_empty() {
            sqlx::query(
                "INSERT INTO uplink_set_aside (outbox_id, kind, unit_id, item_date, revision, detail, set_aside_at) \
                 SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, r.detail, $3 \
                 FROM UNNEST($1::bigint[], $2::text[]) AS r(id, detail) JOIN outbox o ON o.id = r.id \
                 ON CONFLICT (outbox_id) DO NOTHING",
            )
            .bind(refused.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .bind(refused.iter().map(|(_, detail)| detail.clone()).collect::<Vec<_>>())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        if !conflicts.is_empty() {
            sqlx::query(
                "INSERT INTO uplink_conflicts (outbox_id, kind, unit_id, item_date, revision, detail, recorded_at) \
                 SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, c.detail, $3 \
                 FROM UNNEST($1::bigint[], $2::text[]) AS c(id, detail) JOIN outbox o ON o.id = c.id",
            )
            .bind(conflicts.iter().map(|(id, _)| *id).collect::<Vec<_>>())
            .bind(conflicts.iter().map(|(_, detail)| detail.clone()).collect::<Vec<_>>())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        let ids: Vec<i64> = done
            .iter()
            .copied()
            .chain(conflicts.iter().map(|(id, _)| *id))
            .chain(refused.iter().map(|(id, _)| *id))
            .collect();
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)").bind(ids).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_aside(&self, limit: u32) -> Result<(u64, Vec<SetAsideRow>), StoreError> {
        self.shared().set_aside(limit).await
    }

    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        self.shared().outbox_stats().await
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
                let mut tx = self.pool.begin().await?;
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
                crate::audit::postgres::append_in(&mut tx, vec![audit]).await?;
                tx.commit().await?;
                Ok(sequence)
            })
            .await
    }

    async fn read_downlink(
        &self,
        subscriber: &UnitId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DownlinkRow>, StoreError> {
        self.shared().read_downlink(subscriber, after, limit).await
    }

    async fn downlink_head(&self) -> Result<i64, StoreError> {
        self.shared().downlink_head().await
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.shared().get_meta(key).await
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.shared().set_meta(key, value).await
    }

    async fn insert_notice(&self, notice: &NoticeRow, audit: AuditRecord) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO notices (notice_id, target_unit_id, from_unit_id, text, created_at, sender) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (notice_id) DO NOTHING",
                )
                .bind(&notice.notice_id)
                .bind(&notice.target_unit_id)
                .bind(&notice.from_unit_id)
                .bind(&notice.text)
                .bind(notice.created_at)
                .bind(notice.sender.as_ref().map(cases::actor_json).transpose()?)
                .execute(&mut *tx)
                .await?;
                let inserted = done.rows_affected() == 1;
                crate::audit::postgres::append_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted]))
                    .await?;
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
             WHERE target_unit_id = $1 AND ($2::timestamptz IS NULL OR (created_at, notice_id) > ($2, $3)) \
             ORDER BY created_at, notice_id LIMIT $4",
        )
        .bind(unit.as_str())
        .bind(after.map(|(at, _)| *at))
        .bind(after.map(|(_, id)| id.as_str()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(records.into_iter().map(cases::NoticeRecord::into_row).collect())
    }

    async fn count_reports(&self) -> Result<u64, StoreError> {
        self.shared().count_reports().await
    }

    #[instrument(name = "store.postgres.apply_case_events", skip_all, fields(n = items.len()))]
    async fn apply_case_events(
        &self,
        items: Vec<CaseEventItem>,
        forward: bool,
    ) -> Result<Vec<CaseItemResult>, StoreError> {
        self.writes
            .track(async {
                let audits: Vec<AuditRecord> = items.iter().map(|item| item.audit.clone()).collect();
                let topology = self.topology.read().await;
                let mut tx = self.pool.begin().await?;
                // One ledger writer at a time (readers go on): a case is refolded
                // from the events its transaction sees, so two writers of one case
                // must not interleave. SHARE ROW EXCLUSIVE conflicts with itself and
                // with row writes, not with reads.
                sqlx::query("LOCK TABLE case_events IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
                let results =
                    cases::apply_items(&mut Ledger(&mut tx, &self.keyring), items, forward, &topology)
                        .await?;
                let applied = results.iter().map(|r| matches!(r, Ok(CaseApplied::Applied)));
                crate::audit::postgres::append_in(&mut tx, crate::audit::of_changes(audits, applied)).await?;
                tx.commit().await?;
                Ok(results)
            })
            .await
    }

    async fn get_case(&self, id: &CaseId) -> Result<Option<StoredCase>, StoreError> {
        self.shared().get_case(id).await
    }

    async fn case_petitioner(&self, id: &CaseId) -> Result<Option<Petitioner>, StoreError> {
        self.shared().case_petitioner(id).await
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
        let (before_at, before_id) = match &query.before {
            Some((at, id)) => (Some(*at), Some(id.as_str())),
            None => (None, None),
        };
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT c.body FROM cases c \
             WHERE EXISTS (SELECT 1 FROM unit_closure u WHERE u.ancestor_id = $1 AND u.valid_to IS NULL \
             AND u.unit_id IN (c.owner_unit, c.origin_unit)) \
             AND (cardinality($2::text[]) = 0 OR c.status = ANY($2)) \
             AND ($3::date IS NULL OR EXISTS (SELECT 1 FROM case_due_spans s WHERE s.case_id = c.case_id \
             AND s.from_on <= $3 AND (s.until_on IS NULL OR s.until_on > $3) AND s.due_date < $3)) \
             AND (NOT $4 OR c.repeat) \
             AND ($5::date IS NULL OR c.registered_on >= $5) AND ($6::date IS NULL OR c.registered_on <= $6) \
             AND ($7::timestamptz IS NULL OR (c.registered_at, c.case_id) < ($7, $8)) \
             ORDER BY c.registered_at DESC, c.case_id DESC LIMIT $9",
        )
        .bind(query.root.as_str())
        .bind(statuses)
        .bind(query.overdue_on)
        .bind(query.repeat_only)
        .bind(query.registered_from)
        .bind(query.registered_to)
        .bind(before_at)
        .bind(before_id)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await?;
        bodies.iter().map(|body| cases::parse_case(body)).collect()
    }

    async fn find_repeats(
        &self,
        petitioner_ref: &str,
        category: DisputeCategory,
        since: NaiveDate,
    ) -> Result<Vec<CaseId>, StoreError> {
        self.shared().find_repeats(petitioner_ref, category, since).await
    }

    async fn cases_of_petitioner(
        &self,
        petitioner_ref: &str,
        category: DisputeCategory,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Case>, StoreError> {
        self.shared().cases_of_petitioner(petitioner_ref, category, from, to).await
    }

    async fn count_cases_with_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        self.shared().count_cases_with_prefix(prefix).await
    }

    async fn case_figures(
        &self,
        roots: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseCounts>, StoreError> {
        let ids: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
        let mut counts: HashMap<String, CaseCounts> = HashMap::new();
        // One snapshot for the three sources.
        let mut tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        for source in FigureSource::ALL {
            let rows =
                sqlx::query(sqlx::AssertSqlSafe(cases::figures_sql(source, "u.ancestor_id = ANY($1)")))
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

    async fn case_drill(
        &self,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        figure: CaseFigure,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        self.shared().case_drill(root, from, to, figure, after, limit).await
    }

    async fn insert_supervision(&self, row: &SupervisionRow, audit: AuditRecord) -> Result<bool, StoreError> {
        self.writes
            .track(async {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO supervisions (supervision_id, case_id, from_unit_id, to_unit_id, kind, reply_by, \
                     text, actor, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (supervision_id) DO NOTHING",
                )
                .bind(&row.supervision_id)
                .bind(&row.case_id)
                .bind(&row.from_unit_id)
                .bind(&row.to_unit_id)
                .bind(&row.kind)
                .bind(row.reply_by)
                .bind(&row.text)
                .bind(cases::actor_json(&row.sender)?)
                .bind(row.issued_at)
                .execute(&mut *tx)
                .await?;
                let inserted = done.rows_affected() == 1;
                crate::audit::postgres::append_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted]))
                    .await?;
                tx.commit().await?;
                Ok(inserted)
            })
            .await
    }

    async fn list_supervisions(&self, case_id: &CaseId) -> Result<Vec<SupervisionRow>, StoreError> {
        self.shared().list_supervisions(case_id).await
    }

    async fn set_roster(&self, entries: &[RosterRow], audit: AuditRecord) -> Result<u64, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        self.writes
            .track(async {
                let mut tx = self.pool.begin().await?;
                let mut stored = 0;
                for entry in entries {
                    stored += sqlx::query(
                        "INSERT INTO roster (unit_id, duty_date, leader) VALUES ($1, $2, $3) \
                         ON CONFLICT (unit_id, duty_date) DO UPDATE SET leader = excluded.leader",
                    )
                    .bind(&entry.unit_id)
                    .bind(entry.duty_date)
                    .bind(&entry.leader)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                crate::audit::postgres::append_in(&mut tx, vec![audit]).await?;
                tx.commit().await?;
                Ok(stored)
            })
            .await
    }

    async fn roster(
        &self,
        unit: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RosterRow>, StoreError> {
        self.shared().roster(unit, from, to).await
    }

    #[instrument(name = "store.postgres.append_audit", skip_all, fields(n = records.len()))]
    async fn append_audit(
        &self,
        records: Vec<fengqiao_core::audit::AuditRecord>,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::postgres::append(&self.pool, records).await
    }

    async fn audit_page(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::postgres::page(&self.pool, after, limit).await
    }

    async fn audit_head(&self) -> Result<Option<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::postgres::head(&self.pool).await
    }

    #[instrument(name = "store.postgres.rekey_personal_data", skip_all)]
    async fn rekey_personal_data(&self) -> Result<RekeyReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The ledger writers' lock (see `apply_case_events`), and the
        // downlink log's rows are updated under row locks.
        sqlx::query("LOCK TABLE case_events IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let report = personal::rekey(&mut Ledger(&mut tx, &self.keyring)).await?;
        tx.commit().await?;
        if report.plaintext_sealed > 0 {
            // The plaintext petitioners' table is dropped (its files go);
            // the downlink bodies' old versions are dead tuples until the
            // table is rewritten.
            sqlx::query("VACUUM FULL downlink_events").execute(&self.pool).await?;
        }
        Ok(report)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
