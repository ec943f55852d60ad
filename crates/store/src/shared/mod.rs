//! The store written once for both backends: [`SqlStore`], generic over
//! the sqlx database, implements [`Store`](crate::Store) (in `store.rs`; the
//! case ledger's statements in `ledger.rs`, reconciliation's in
//! `reconcile.rs`). Its queries take `$N`
//! placeholders, which PostgreSQL reads natively and SQLite as numbered
//! parameters (`?N`), so most of them are one text for both.
//!
//! What differs between the backends is the [`Dialect`], implemented for
//! `sqlx::Sqlite` (in `sqlite/`) and `sqlx::Postgres` (in `postgres/`): how
//! a write transaction begins and takes its locks, how the audit log is
//! appended in it, how a list travels as one parameter (a JSON array read by
//! `json_each`, a typed array read by `ANY`/`UNNEST`), and the hand-tuned
//! batch writes. A query moves to the dialect only when its text cannot be
//! the same on both.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::TimePolicy;
use fengqiao_core::audit::{AuditEntry, AuditRecord};
use fengqiao_core::coverage::Span;
use sqlx::{Pool, Transaction};

mod contacts;
mod ledger;
mod reconcile;
mod store;
mod summary_states;
mod weekly;

use crate::cases;
use crate::digest::DigestDelta;
use crate::fanout::{DigestRows, RollupRows, SharedTopology, Topology};
use crate::personal::Keyring;
use crate::plan::{self, UnitRow};
use crate::rollup;
use crate::{Backend, ItemResult, StoreError, Submission, WriteFailures};

/// A node's database on either backend (see [`crate::sqlite::SqliteStore`]
/// and [`crate::postgres::PgStore`]).
#[derive(Debug)]
pub struct SqlStore<DB: sqlx::Database> {
    /// Reads (SQLite in WAL mode: they never wait for the writer).
    pub(crate) pool: Pool<DB>,
    /// The connections write transactions take. SQLite: one connection.
    /// SQLite admits one writer at a time; writers on several connections
    /// would meet the lock in SQLite's busy handler, which *sleeps* (1, 2, 5
    /// … 100 ms) and polls rather than queues, so a node under load spent
    /// its time in those sleeps; waiting for this pool's connection is a
    /// FIFO queue. PostgreSQL: the pool itself (its row locks queue).
    pub(crate) writer: Pool<DB>,
    /// Seals and opens personal data.
    pub(crate) keyring: Keyring,
    /// Writes that failed in the database.
    pub(crate) writes: WriteFailures,
    /// The dated closure and the digest roots, for the fan-out.
    pub(crate) topology: SharedTopology,
    /// PostgreSQL: the months (their first days) whose report partitions
    /// this store has made or found since it opened (see
    /// `postgres::ensure_months`). Unused on SQLite.
    pub(crate) months: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<NaiveDate>>>,
}

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
            keyring: self.keyring.clone(),
            writes: self.writes.clone(),
            topology: self.topology.clone(),
            months: self.months.clone(),
        }
    }
}

/// What the parent answered of the outbox, for [`Dialect::outbox_ack`].
pub(crate) struct Answers<'a> {
    /// Every answered entry (done, conflicting or refused): they leave the outbox.
    pub(crate) ids: Vec<i64>,
    /// Entries refused as conflicting, with the reason (to `uplink_conflicts`).
    pub(crate) conflicts: &'a [(i64, String)],
    /// Entries refused outright, with the reason (to `uplink_set_aside`).
    pub(crate) refused: &'a [(i64, String)],
    pub(crate) at: DateTime<Utc>,
}

impl<'a> Answers<'a> {
    pub(crate) fn new(
        done: &[i64],
        conflicts: &'a [(i64, String)],
        refused: &'a [(i64, String)],
        at: DateTime<Utc>,
    ) -> Self {
        let answered = conflicts.iter().chain(refused).map(|(id, _)| *id);
        Answers { ids: done.iter().copied().chain(answered).collect(), conflicts, refused, at }
    }
}

/// The case ledger's writes inside a write transaction holding the ledger's
/// lock ([`Dialect::lock_ledger`]).
pub(crate) struct Ledger<'c, DB: sqlx::Database>(pub(crate) &'c mut DB::Connection, pub(crate) &'c Keyring);

/// What differs between the backends (see the module's introduction).
/// Implemented for `sqlx::Sqlite` and `sqlx::Postgres` only.
pub(crate) trait Dialect: sqlx::Database {
    const BACKEND: Backend;

    /// A list of texts as one parameter.
    type TextList: for<'q> sqlx::Encode<'q, Self> + sqlx::Type<Self> + Send + 'static;
    /// A list of dates as one parameter.
    type DateList: for<'q> sqlx::Encode<'q, Self> + sqlx::Type<Self> + Send + 'static;

    fn text_list(values: &[&str]) -> Result<Self::TextList, StoreError>;

    fn date_list(values: &[NaiveDate]) -> Result<Self::DateList, StoreError>;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// The condition that `column` is one of the list parameter `param`.
    fn in_list(column: &str, param: &str) -> String;

    /// The statement a read of one consistent snapshot begins with.
    const SNAPSHOT: &'static str;

    /// Empties the rollup tables (before a rebuild).
    const CLEAR_ROLLUPS: &'static str;

    /// Counts the tables named `case_petitioners_plain` in the store's schema.
    const PLAIN_PETITIONERS_EXIST: &'static str;

    /// The reads of rollups (see [`rollup::RollupReads`]).
    fn rollup_reads() -> &'static rollup::RollupReads;

    /// Begins a write transaction.
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, StoreError>> + Send;

    /// Takes the case ledger's write lock in a write transaction.
    fn lock_ledger(connection: &mut Self::Connection) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Appends `records` to the audit log inside the caller's write
    /// transaction (see [`crate::audit`]); the caller commits.
    fn append_audit_in(
        connection: &mut Self::Connection,
        records: Vec<AuditRecord>,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send {
        async move {
            if records.is_empty() {
                return Ok(Vec::new());
            }
            Self::insert_audit(connection, records).await
        }
    }

    /// [`Dialect::append_audit_in`] of records not empty: takes the log's
    /// write lock if the transaction does not hold it, reads the chain's
    /// head and inserts the entries chained onto it.
    fn insert_audit(
        connection: &mut Self::Connection,
        records: Vec<AuditRecord>,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Adds summed digest rows (see [`crate::digest`]).
    fn write_digests(
        connection: &mut Self::Connection,
        rows: &DigestRows,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds digest deltas inside the transaction that changed what they
    /// digest, fanned out by `topology`.
    fn add_digests(
        connection: &mut Self::Connection,
        topology: &Topology,
        deltas: &[DigestDelta],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let rows = topology.digests(deltas);
        async move {
            if rows.is_empty() {
                return Ok(());
            }
            Self::write_digests(connection, &rows).await
        }
    }

    /// Takes the digests' write lock for the rest of the transaction (a
    /// rebuild takes it first, so no batch adds to rows it is rebuilding).
    fn lock_digests(connection: &mut Self::Connection)
    -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Inserts a tree's units and closure rows (the tables emptied).
    fn insert_units(
        connection: &mut Self::Connection,
        units: &[UnitRow],
        closure: &[Span],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds summed rollup rows.
    fn write_rollups(
        connection: &mut Self::Connection,
        rows: &RollupRows,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`crate::Store::apply_reports`].
    fn apply_reports(
        store: &SqlStore<Self>,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> impl Future<Output = Result<Vec<ItemResult>, StoreError>> + Send;

    /// [`crate::Store::outbox_ack`].
    fn outbox_ack(
        store: &SqlStore<Self>,
        answers: &Answers<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Frees the pages of plaintext a rekey sealed.
    fn compact(store: &SqlStore<Self>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A store over migrated pools: loads the fan-out's topology and finishes a
/// migration's pending work.
pub(crate) async fn open<DB>(
    pool: Pool<DB>,
    writer: Pool<DB>,
    keyring: Keyring,
) -> Result<SqlStore<DB>, StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> Ledger<'c, DB>: cases::LedgerWriter,
    plan::StoredUnitRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    crate::fanout::ClosureRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
{
    let topology = SharedTopology::new(crate::fanout::load_topology(&pool).await?);
    let store = SqlStore {
        pool,
        writer,
        keyring,
        writes: WriteFailures::default(),
        topology,
        months: Default::default(),
    };
    // Read first, so that an ordinary start takes no write lock.
    let pending: Option<String> = sqlx::query_scalar("SELECT value FROM node_meta WHERE key = $1")
        .bind(cases::DUE_SPANS_PENDING)
        .fetch_optional(&store.pool)
        .await?;
    if pending.is_some() {
        let mut tx = DB::begin_write(&store.writer).await?;
        DB::lock_ledger(&mut tx).await?;
        cases::build_pending_due_spans(&mut Ledger::<DB>(&mut tx, &store.keyring)).await?;
        tx.commit().await?;
    }
    Ok(store)
}
