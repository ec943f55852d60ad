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
//!
//! What is SQLite's own (its `Dialect`): lists travel as one JSON
//! parameter read by `json_each` (no arrays), the batch of reports is one
//! multi-statement round trip (`batch.rs`), and multi-row inserts are
//! `VALUES (…),(…)`.

mod batch;
pub(crate) mod writes;

use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::TimePolicy;
use fengqiao_core::audit::{AuditEntry, AuditRecord};
use fengqiao_core::coverage::Span;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Pool, QueryBuilder, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::fanout::{self, DigestRows, RollupRows};
use crate::personal::Keyring;
use crate::plan::UnitRow;
use crate::rollup::{Period, RollupReads};
use crate::shared::{Answers, Dialect, SqlStore};
use crate::{Backend, ItemResult, StoreError, Submission};

/// Rows per multi-row statement (SQLite allows 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// A node's SQLite database: readers, and one writer connection (see
/// [`SqlStore`]'s `writer`).
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
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
        let pool = pool_options()
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
            pool_options().max_connections(1).connect_with(options).await.map_err(|e| damaged(&path, e))?
        };
        crate::shared::open(pool, writer, keyring).await
    }
}

/// The options of a SQLite store's pools. sqlx pings each connection it
/// hands out by default; a SQLite connection lives in this process (its
/// own thread), no server can close it, and the ping is only a round trip
/// to that thread in front of every statement — as many as the writes
/// themselves on the ingest path. sqlx still pings each connection when it
/// comes back to the pool. PostgreSQL keeps the ping: a server restart or
/// `pg_terminate_backend` closes pooled connections, and the ping is what
/// replaces them before a caller's statement meets the closed one.
fn pool_options() -> sqlx::pool::PoolOptions<sqlx::Sqlite> {
    sqlx::pool::PoolOptions::new().test_before_acquire(false)
}

// The units and periods come as lists (see `Dialect::text_list`), joined
// to the rollup table by primary key.
static ROLLUP_READS: LazyLock<RollupReads> = LazyLock::new(|| {
    RollupReads::new(
        // CROSS JOIN fixes SQLite's join order: the lists first, then one
        // probe of the table per (period, unit).
        |key, table| {
            format!(
                "json_each(?2) AS p CROSS JOIN json_each(?1) AS u \
                 CROSS JOIN {table} t ON t.{key} = p.value AND t.unit_id = u.value"
            )
        },
        |key, table| {
            format!(
                "json_each(?1) AS u CROSS JOIN {table} t ON t.unit_id = u.value \
                 WHERE t.{key} >= ?2 AND t.{key} <= ?3"
            )
        },
    )
});

/// A timestamp as sqlx writes `DateTime<Utc>` to SQLite, so rows written
/// through JSON read back like any other.
pub(crate) fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A batch parameter as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

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

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;

    type TextList = String;
    type DateList = String;

    fn text_list(values: &[&str]) -> Result<String, StoreError> {
        to_json(&values)
    }

    fn date_list(values: &[NaiveDate]) -> Result<String, StoreError> {
        to_json(&values.iter().map(NaiveDate::to_string).collect::<Vec<_>>())
    }

    // No arrays in SQLite: a list is a JSON array, its items read by `json_each`.
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    fn in_list(column: &str, param: &str) -> String {
        format!("{column} IN (SELECT value FROM json_each({param}))")
    }

    const SNAPSHOT: &'static str = "BEGIN";

    const CLEAR_ROLLUPS: &'static str =
        "DELETE FROM rollup_day; DELETE FROM rollup_week; DELETE FROM employer_days";

    const PLAIN_PETITIONERS_EXIST: &'static str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_petitioners_plain'";

    fn rollup_reads() -> &'static RollupReads {
        &ROLLUP_READS
    }

    // The write lock up front, so a write never fails half-way on a lock upgrade.
    async fn begin_write(pool: &Pool<Sqlite>) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn lock_ledger(_: &mut SqliteConnection) -> Result<(), StoreError> {
        // `BEGIN IMMEDIATE` already holds the database's write lock.
        Ok(())
    }

    async fn insert_audit(
        connection: &mut SqliteConnection,
        records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let head = crate::audit::head(&mut *connection).await?;
        let (entries, json) = writes::audit_entries_json(head, records)?;
        sqlx::query(sqlx::AssertSqlSafe(writes::AUDIT_INSERT.as_str()))
            .bind(json)
            .execute(&mut *connection)
            .await?;
        Ok(entries)
    }

    async fn write_digests(connection: &mut SqliteConnection, rows: &DigestRows) -> Result<(), StoreError> {
        for (sql, json) in writes::DIGEST_UPSERTS.iter().zip(writes::digest_params(rows)) {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(json).execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn lock_digests(_: &mut SqliteConnection) -> Result<(), StoreError> {
        // `BEGIN IMMEDIATE` already holds the database's write lock.
        Ok(())
    }

    async fn insert_units(
        connection: &mut SqliteConnection,
        units: &[UnitRow],
        closure: &[Span],
    ) -> Result<(), StoreError> {
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
            query.build().execute(&mut *connection).await?;
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
            query.build().execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn write_rollups(connection: &mut SqliteConnection, rows: &RollupRows) -> Result<(), StoreError> {
        static DAYS: LazyLock<String> = LazyLock::new(|| writes::rollup_upsert(Period::Day, 1));
        static WEEKS: LazyLock<String> = LazyLock::new(|| writes::rollup_upsert(Period::Week, 1));
        static EMPLOYERS: LazyLock<String> = LazyLock::new(|| writes::employer_upsert(1));
        for (sql, json) in [
            (&*DAYS, fanout::rollup_json(&rows.days)),
            (&*WEEKS, fanout::rollup_json(&rows.weeks)),
            (&*EMPLOYERS, fanout::employer_json(&rows.employers)),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(json).execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn apply_reports(
        store: &SqliteStore,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError> {
        let topology = store.topology.read().await;
        let mut connection = store.writer.acquire().await?;
        let result = batch::apply_on(&mut connection, batch, forward, policy, &topology).await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *connection).await.is_err() {
            // No transaction was open, or the connection is broken: either
            // way it must not go back to the pool in an unknown state.
            connection.close_on_drop();
        }
        result
    }

    // One multi-statement round trip, the lists as JSON.
    async fn outbox_ack(store: &SqliteStore, answers: &Answers<'_>) -> Result<(), StoreError> {
        let &Answers { ref ids, conflicts, refused, at } = answers;
        let mut connection = store.writer.acquire().await?;
        let result = sqlx::query(
            "BEGIN IMMEDIATE; \
             INSERT INTO uplink_conflicts (outbox_id, kind, unit_id, item_date, revision, detail, recorded_at) \
             SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, c.value ->> 1, ?3 \
             FROM jsonb_each(?1) AS c JOIN outbox o ON o.id = c.value ->> 0; \
             INSERT INTO uplink_set_aside (outbox_id, kind, unit_id, item_date, revision, detail, set_aside_at) \
             SELECT o.id, o.kind, o.unit_id, o.item_date, o.revision, r.value ->> 1, ?3 \
             FROM jsonb_each(?4) AS r JOIN outbox o ON o.id = r.value ->> 0 WHERE true \
             ON CONFLICT (outbox_id) DO NOTHING; \
             DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?2)); \
             COMMIT",
        )
        .bind(to_json(&conflicts)?)
        .bind(to_json(&ids)?)
        .bind(sqlite_time(at))
        .bind(to_json(&refused)?)
        .execute(&mut *connection)
        .await;
        if result.is_err() && sqlx::query("ROLLBACK").execute(&mut *connection).await.is_err() {
            connection.close_on_drop();
        }
        result?;
        Ok(())
    }

    async fn compact(store: &SqliteStore) -> Result<(), StoreError> {
        // The plaintext's old pages are free but not blank: rewrite the
        // file, then fold the WAL (which now holds the rewrite) into it
        // and truncate the WAL.
        let mut connection = store.writer.acquire().await?;
        sqlx::query("VACUUM").execute(&mut *connection).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *connection).await?;
        Ok(())
    }
}
