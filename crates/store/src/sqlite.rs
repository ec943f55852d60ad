//! The SQLite store: one file per node, the embedded default.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a transaction is on
//! disk before its commit returns (NORMAL could lose the last commits on
//! power loss, and we acknowledge reports on commit). Writes take the write
//! lock up front (`BEGIN IMMEDIATE`) so a batch never fails half-way on a
//! lock upgrade; holding it, a write appends its audit entries in the same
//! transaction (see [`crate::audit`]).
//!
//! Integrity: opening a database runs `PRAGMA quick_check` before anything
//! else, and a damaged file is refused naming it ([`StoreError::Corrupt`]).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::case::{Case, CaseId, Petitioner};
use fengqiao_core::{DisputeCategory, Revision, StoredReport, TimePolicy, UnitId, UnitTree};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tracing::instrument;

use crate::cases::{self, FigureSource};
use crate::fanout::{self, SharedTopology, Topology};
use crate::personal::{self, Keyring, RekeyReport};
use crate::plan;
use crate::rollup::{self, Period, RollupRow};
use crate::{
    Backend, CaseApplied, CaseCounts, CaseEventItem, CaseFigure, CaseItemResult, CaseQuery, ChildSync,
    DownlinkRow, ItemResult, ListQuery, NoticeRow, OutboxItem, OutboxStats, RevisionMeta, RosterRow,
    SetAsideRow, Store, StoreError, StoredCase, Submission, SupervisionRow, WriteFailures,
};

/// Rows per multi-row statement (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// A node's SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers (WAL: they never wait for the writer).
    pool: SqlitePool,
    /// The one connection every write transaction takes. SQLite admits one
    /// writer at a time; writers on several connections would meet the
    /// lock in SQLite's busy handler, which *sleeps* (1, 2, 5 … 100 ms) and
    /// polls rather than queues, so a node under load spent its time in
    /// those sleeps. Waiting for this pool's connection is a FIFO queue.
    writer: SqlitePool,
    /// Seals and opens personal data.
    keyring: Keyring,
    /// Writes that failed in the database.
    writes: WriteFailures,
    /// The dated closure and the digest roots, for the fan-out.
    topology: SharedTopology,
}

impl SqliteStore {
    /// The queries both backends share (`crate::shared`).
    fn shared(&self) -> crate::shared::Shared<'_, sqlx::Sqlite> {
        crate::shared::Shared { pool: &self.pool, writer: &self.writer, keyring: &self.keyring }
    }

    /// Opens (creating when missing) the database at `url`
    /// (`sqlite://PATH` or `sqlite::memory:`) and migrates it; personal
    /// data sealed under the development key (see [`crate::connect`]).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Keyring::development()).await
    }

    /// [`SqliteStore::connect`] with the keys personal data is sealed with.
    pub async fn connect_with(url: &str, keyring: Keyring) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of page cache per connection (the default is 2 MiB):
            // rollup upserts land all over their B-trees.
            .pragma("cache_size", "-65536")
            .foreign_keys(true);
        let in_memory = url.contains(":memory:");
        let path = options.get_filename().to_owned();
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives in one connection.
            .max_connections(if in_memory { 1 } else { 8 })
            .connect_with(options.clone())
            .await
            .map_err(|e| damaged(&path, e))?;
        check_integrity(&pool, &path).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let writer = if in_memory {
            pool.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| damaged(&path, e))?
        };
        let topology = SharedTopology::new(fanout::load_topology(&pool).await?);
        let store = SqliteStore { pool, writer, keyring, writes: WriteFailures::default(), topology };
        // Read first, so that an ordinary start takes no write lock.
        if store.get_meta(cases::DUE_SPANS_PENDING).await?.is_some() {
            let mut tx = store.writer.begin_with("BEGIN IMMEDIATE").await?;
            cases::build_pending_due_spans(&mut Ledger(&mut tx, &store.keyring)).await?;
            tx.commit().await?;
        }
        Ok(store)
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The connection write transactions take (see the field).
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    pub(crate) fn topology(&self) -> &SharedTopology {
        &self.topology
    }

    /// Applies a batch in three round trips to SQLite's worker thread: one
    /// takes the write lock and reads the heads, one reads the audit log's
    /// head, and one writes everything the plan says — the audit entries of
    /// what changed, history, heads, outbox, reconciliation's digests,
    /// rollups and employers, the last three already fanned out by
    /// `topology` and summed per row — and commits ([`BATCH_WRITES`]). Each
    /// table's rows travel as one JSON parameter (`json_each`), so the
    /// statements' text never changes and stays prepared — SQLite's
    /// `UNNEST`. The caller rolls back on error.
    async fn apply_on(
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
             rv.disputes FROM json_each(?1) AS k CROSS JOIN reports r \
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
        let [digest_days, digest_weeks, digest_totals] =
            crate::digest::sqlite_params(&topology.digests(&deltas));
        let rollups = topology.rollups(&plan.rollups);
        let planned = started.elapsed();
        let changed = plan.results.iter().map(|r| r.as_ref().is_ok_and(|o| o.applied.changes_state()));
        let records = crate::audit::of_changes(audits, changed);
        let audit = if records.is_empty() {
            "[]".to_owned()
        } else {
            let head = crate::audit::sqlite::head_in(&mut *connection).await?;
            crate::audit::sqlite::entries_json(head, records)?.1
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
        audit = crate::audit::sqlite::insert_sql(1),
        history = APPLY_WRITES,
        digest_days = crate::digest::sqlite_upsert(0, 5),
        digest_weeks = crate::digest::sqlite_upsert(1, 6),
        digest_totals = crate::digest::sqlite_upsert(2, 7),
        days = rollup::sqlite_upsert(Period::Day, 8),
        weeks = rollup::sqlite_upsert(Period::Week, 9),
        employers = rollup::sqlite_employer_upsert(10),
    );
    let padding = padding_for(&sql);
    MultiStatement { sql, padding }
});

/// History (`?2`), heads (`?3`) and outbox (`?2`, when `?4`).
const APPLY_WRITES: &str = "INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, \
     dispute_count, disputes, correction_reason, content_hash, accepted_at) \
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
     value ->> 7, unhex(value ->> 8), value ->> 9 FROM json_each(?2); \
     INSERT INTO reports (unit_id, report_date, revision, content_hash, accepted_at, first_accepted_at) \
     SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), value ->> 4, value ->> 5 \
     FROM json_each(?3) WHERE true \
     ON CONFLICT (report_date, unit_id) DO UPDATE SET revision = excluded.revision, \
     content_hash = excluded.content_hash, accepted_at = excluded.accepted_at, \
     first_accepted_at = excluded.first_accepted_at; \
     INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at, trace_parent) \
     SELECT 'report', value ->> 0, value ->> 1, value ->> 2, value ->> 9, value ->> 10 FROM json_each(?2) \
     WHERE ?4";

/// Reports per page when rebuilding rollups.
const REBUILD_PAGE: i64 = 5000;

static READ_DAYS: LazyLock<String> = LazyLock::new(|| read_rollups(Period::Day));
static READ_WEEKS: LazyLock<String> = LazyLock::new(|| read_rollups(Period::Week));
static LOOKUP_DAYS: LazyLock<String> = LazyLock::new(|| lookup_rollups(Period::Day));
static LOOKUP_WEEKS: LazyLock<String> = LazyLock::new(|| lookup_rollups(Period::Week));

/// The rollups of units `?1` (JSON) at the periods `?2` (JSON), each pair
/// one probe of the primary key (period, unit): the cost follows the range
/// asked for, not the history held. A range scan of the period key would
/// read every unit's row of every period in the range, the whole subtree's
/// history of that range (a year: 53 weeks × every unit of the node).
fn lookup_rollups(period: Period) -> String {
    format!(
        "SELECT t.unit_id, t.{key}, {columns} FROM json_each(?2) AS p CROSS JOIN json_each(?1) AS u \
         CROSS JOIN {table} t ON t.{key} = p.value AND t.unit_id = u.value ORDER BY t.unit_id, t.{key}",
        key = period.key(),
        table = period.table(),
        columns = rollup::column_list().split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", "),
    )
}

/// The rollups of units `?1` with periods in `?2`–`?3`, by a range scan (a
/// read too wide to probe pair by pair).
fn read_rollups(period: Period) -> String {
    format!(
        "SELECT t.unit_id, t.{key}, {columns} FROM json_each(?1) AS u CROSS JOIN {table} t \
         ON t.unit_id = u.value WHERE t.{key} >= ?2 AND t.{key} <= ?3 ORDER BY t.unit_id, t.{key}",
        key = period.key(),
        table = period.table(),
        columns = rollup::column_list().split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", "),
    )
}

/// A timestamp as sqlx writes `DateTime<Utc>` to SQLite, so rows written
/// through JSON read back like any other.
pub(crate) fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A batch parameter as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

crate::digest::reconciliation!(SqliteStore, SqliteConnection, "BEGIN IMMEDIATE");

/// A failure to open the file at `path`, named as damage when SQLite says
/// the file is corrupt or not a database.
fn damaged(path: &Path, error: sqlx::Error) -> StoreError {
    let code = match &error {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff,
        _ => 0,
    };
    // SQLITE_CORRUPT (11), SQLITE_NOTADB (26).
    if matches!(code, 11 | 26) {
        StoreError::Corrupt(format!(
            "database file {} is damaged or not a database ({error}); restore it from a backup",
            path.display()
        ))
    } else {
        StoreError::Database(error)
    }
}

/// `PRAGMA quick_check`: reads every page of the file once and checks the
/// structure of every table and index b-tree (not that each index matches
/// its table, which `integrity_check` does at several times the cost), so
/// its time grows with the file's size. A damaged file is refused, naming
/// it and the first problems found.
async fn check_integrity(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    let found: Vec<String> =
        sqlx::query_scalar("PRAGMA quick_check(5)").fetch_all(pool).await.map_err(|e| damaged(path, e))?;
    if found.len() == 1 && found[0] == "ok" {
        return Ok(());
    }
    Err(StoreError::Corrupt(format!(
        "database file {} is damaged: its integrity check (PRAGMA quick_check) found {}; restore it from a backup",
        path.display(),
        found.join("; ")
    )))
}

/// The `node_meta` counter the write probe increments.
const PROBE: &str = "INSERT INTO node_meta (key, value) VALUES ('write_probe', '1') \
     ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(node_meta.value AS INTEGER) + 1 AS TEXT)";

/// The case ledger's writes inside a `BEGIN IMMEDIATE` transaction.
#[derive(Debug)]
struct Ledger<'c>(&'c mut SqliteConnection, &'c Keyring);

cases::ledger_writer!(Ledger<'_>);
personal::personal_rows!(
    Ledger<'_>,
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_petitioners_plain'"
);

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.writes
            .track(async {
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(PROBE).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    fn write_failures(&self) -> &WriteFailures {
        &self.writes
    }

    #[instrument(name = "store.sqlite.replace_units", skip_all, fields(units = tree.len()))]
    async fn replace_units(&self, tree: &UnitTree, audit: AuditRecord) -> Result<(), StoreError> {
        let (units, closure) = plan::tree_rows(tree);
        // No write fans out while the closure changes; later ones by the new one.
        let mut current = self.topology.write().await;
        let topology = current.with_closure(&closure);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM unit_closure").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM units").execute(&mut *tx).await?;
        for chunk in units.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO units (id, parent_id, tier, name, reporting, active_from, active_to, moves) ",
            );
            query.push_values(chunk, |mut row, unit| {
                row.push_bind(unit.id.clone())
                    .push_bind(unit.parent_id.clone())
                    .push_bind(unit.tier)
                    .push_bind(unit.name.clone())
                    .push_bind(unit.reporting)
                    .push_bind(unit.active_from)
                    .push_bind(unit.active_to)
                    .push_bind(unit.moves.clone());
            });
            query.build().execute(&mut *tx).await?;
        }
        for chunk in closure.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO unit_closure (ancestor_id, unit_id, depth, valid_from, valid_to) ",
            );
            query.push_values(chunk, |mut row, c| {
                row.push_bind(c.ancestor.to_string())
                    .push_bind(c.unit.to_string())
                    .push_bind(c.depth)
                    .push_bind(c.from)
                    .push_bind(c.to);
            });
            query.build().execute(&mut *tx).await?;
        }
        crate::audit::sqlite::append_in(&mut tx, vec![audit]).await?;
        tx.commit().await?;
        *current = std::sync::Arc::new(topology);
        Ok(())
    }

    async fn load_units(&self) -> Result<Option<UnitTree>, StoreError> {
        self.shared().load_units().await
    }

    #[instrument(name = "store.sqlite.apply_reports", skip_all, fields(n = batch.len()))]
    async fn apply_reports(
        &self,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let topology = self.topology.read().await;
        let mut connection = self.writer.acquire().await?;
        let result = Self::apply_on(&mut connection, batch, forward, policy, &topology).await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *connection).await.is_err() {
            // No transaction was open, or the connection is broken: either
            // way it must not go back to the pool in an unknown state.
            connection.close_on_drop();
        }
        result
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
        let rows = |items: &[(i64, String)]| -> Vec<(i64, String)> { items.to_vec() };
        let ids: Vec<i64> = done
            .iter()
            .copied()
            .chain(conflicts.iter().map(|(id, _)| *id))
            .chain(refused.iter().map(|(id, _)| *id))
            .collect();
        let mut connection = self.writer.acquire().await?;
        let result = sqlx::query(
            "BEGIN IMMEDIATE; \
             INSERT INTO uplink_conflicts (outbox_id, kind, unit_id, item_date, revision, detail, recorded_at) \
             SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, c.value ->> 1, ?3 \
             FROM json_each(?1) AS c JOIN outbox o ON o.id = c.value ->> 0; \
             INSERT INTO uplink_set_aside (outbox_id, kind, unit_id, item_date, revision, detail, set_aside_at) \
             SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, r.value ->> 1, ?3 \
             FROM json_each(?4) AS r JOIN outbox o ON o.id = r.value ->> 0 WHERE true \
             ON CONFLICT (outbox_id) DO NOTHING; \
             DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?2)); \
             COMMIT",
        )
        .bind(to_json(&rows(conflicts))?)
        .bind(to_json(&ids)?)
        .bind(sqlite_time(at))
        .bind(to_json(&rows(refused))?)
        .execute(&mut *connection)
        .await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *connection).await.is_err() {
            connection.close_on_drop();
        }
        result?;
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
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                let sequence: i64 = sqlx::query_scalar(
                    "INSERT INTO downlink_events (target_unit_id, key_id, body, created_at) VALUES (?, ?, ?, ?) \
                     RETURNING sequence",
                )
                .bind(target.as_str())
                .bind(self.keyring.current_id().to_hex())
                .bind(sealed)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                crate::audit::sqlite::append_in(&mut tx, vec![audit]).await?;
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
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                let done = sqlx::query(
                    "INSERT INTO notices (notice_id, target_unit_id, from_unit_id, text, created_at, sender) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (notice_id) DO NOTHING",
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
                crate::audit::sqlite::append_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted]))
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
             WHERE target_unit_id = ?1 AND (?2 IS NULL OR (created_at, notice_id) > (?2, ?3)) \
             ORDER BY created_at, notice_id LIMIT ?4",
        )
        .bind(unit.as_str())
        .bind(after.map(|(at, _)| *at))
        .bind(after.map(|(_, id)| id.as_str()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(records.into_iter().map(cases::NoticeRecord::into_row).collect())
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
                let periods: Vec<String> = periods.iter().map(NaiveDate::to_string).collect();
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(to_json(&ids)?)
                    .bind(to_json(&periods)?)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = match period {
                    Period::Day => &*READ_DAYS,
                    Period::Week => &*READ_WEEKS,
                };
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(to_json(&ids)?)
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

    #[instrument(name = "store.sqlite.rebuild_rollups", skip_all)]
    async fn rebuild_rollups(&self, policy: &TimePolicy) -> Result<u64, StoreError> {
        let topology = self.topology.read().await;
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM rollup_day; DELETE FROM rollup_week; DELETE FROM employer_days")
            .execute(&mut *tx)
            .await?;
        let mut after = (NaiveDate::MIN, String::new());
        let mut total = 0u64;
        loop {
            let page: Vec<plan::TallyRow> = sqlx::query_as(
                "SELECT r.unit_id, r.report_date, r.first_accepted_at, rv.disputes FROM reports r \
                 JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
                 AND rv.revision = r.revision WHERE (r.report_date, r.unit_id) > (?, ?) \
                 ORDER BY r.report_date, r.unit_id LIMIT ?",
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
            rollup::sqlite_write(&mut tx, &topology.rollups(&rollups)).await?;
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

    async fn count_reports(&self) -> Result<u64, StoreError> {
        self.shared().count_reports().await
    }

    #[instrument(name = "store.sqlite.apply_case_events", skip_all, fields(n = items.len()))]
    async fn apply_case_events(
        &self,
        items: Vec<CaseEventItem>,
        forward: bool,
    ) -> Result<Vec<CaseItemResult>, StoreError> {
        self.writes
            .track(async {
                let audits: Vec<AuditRecord> = items.iter().map(|item| item.audit.clone()).collect();
                let topology = self.topology.read().await;
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                let results =
                    cases::apply_items(&mut Ledger(&mut tx, &self.keyring), items, forward, &topology)
                        .await?;
                let applied = results.iter().map(|r| matches!(r, Ok(CaseApplied::Applied)));
                crate::audit::sqlite::append_in(&mut tx, crate::audit::of_changes(audits, applied)).await?;
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
             WHERE EXISTS (SELECT 1 FROM unit_closure u WHERE u.ancestor_id = ?1 AND u.valid_to IS NULL \
             AND u.unit_id IN (c.owner_unit, c.origin_unit)) \
             AND (json_array_length(?2) = 0 OR c.status IN (SELECT value FROM json_each(?2))) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM case_due_spans s WHERE s.case_id = c.case_id \
             AND s.from_on <= ?3 AND (s.until_on IS NULL OR s.until_on > ?3) AND s.due_date < ?3)) \
             AND (NOT ?4 OR c.repeat) \
             AND (?5 IS NULL OR c.registered_on >= ?5) AND (?6 IS NULL OR c.registered_on <= ?6) \
             AND (?7 IS NULL OR (c.registered_at, c.case_id) < (?7, ?8)) \
             ORDER BY c.registered_at DESC, c.case_id DESC LIMIT ?9",
        )
        .bind(query.root.as_str())
        .bind(to_json(&statuses)?)
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
        let ids = to_json(&ids)?;
        let mut counts: HashMap<String, CaseCounts> = HashMap::new();
        // One read transaction: the three sources see the same snapshot.
        let mut tx = self.pool.begin().await?;
        for source in FigureSource::ALL {
            let sql = cases::figures_sql(source, "u.ancestor_id IN (SELECT value FROM json_each($1))");
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
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                let done = sqlx::query(
                    "INSERT INTO supervisions (supervision_id, case_id, from_unit_id, to_unit_id, kind, reply_by, \
                     text, actor, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
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
                crate::audit::sqlite::append_in(&mut tx, crate::audit::of_changes(vec![audit], [inserted]))
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
                let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
                let mut stored = 0;
                for entry in entries {
                    stored += sqlx::query(
                        "INSERT INTO roster (unit_id, duty_date, leader) VALUES (?, ?, ?) \
                         ON CONFLICT (unit_id, duty_date) DO UPDATE SET leader = excluded.leader",
                    )
                    .bind(&entry.unit_id)
                    .bind(entry.duty_date)
                    .bind(&entry.leader)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                crate::audit::sqlite::append_in(&mut tx, vec![audit]).await?;
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

    #[instrument(name = "store.sqlite.append_audit", skip_all, fields(n = records.len()))]
    async fn append_audit(
        &self,
        records: Vec<fengqiao_core::audit::AuditRecord>,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::sqlite::append(&self.writer, records).await
    }

    async fn audit_page(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::sqlite::page(&self.pool, after, limit).await
    }

    async fn audit_head(&self) -> Result<Option<fengqiao_core::audit::AuditEntry>, StoreError> {
        crate::audit::sqlite::head(&self.pool).await
    }

    #[instrument(name = "store.sqlite.rekey_personal_data", skip_all)]
    async fn rekey_personal_data(&self) -> Result<RekeyReport, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let report = personal::rekey(&mut Ledger(&mut tx, &self.keyring)).await?;
        tx.commit().await?;
        if report.plaintext_sealed > 0 {
            // The plaintext's old pages are free but not blank: rewrite the
            // file, then fold the WAL (which now holds the rewrite) into it
            // and truncate the WAL.
            let mut connection = self.writer.acquire().await?;
            sqlx::query("VACUUM").execute(&mut *connection).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *connection).await?;
        }
        Ok(report)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
