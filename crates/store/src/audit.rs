//! The audit log's storage (`audit_log`, migration 0008) on both backends.
//!
//! Entries are appended inside the transaction of the change they record
//! (`append_in`, called by every write of the store before its commit), so a
//! change and its entry commit together or not at all. Appending reads the
//! chain's head and inserts the new entries — one statement, whatever their
//! number — while the transaction holds the log's write lock: SQLite's
//! `BEGIN IMMEDIATE` (every write transaction of the store begins so),
//! PostgreSQL's `LOCK TABLE … IN EXCLUSIVE MODE`, taken as the last step
//! before the commit. Concurrent appenders queue up and the chain never
//! forks. Reading goes by pages in `seq` order, so a log of any length
//! verifies in constant memory.
//!
//! [`AuditReader`] opens a node's database read-only (no migrations, no
//! writes: SQLite `mode=ro`, PostgreSQL `default_transaction_read_only`) for
//! `fengqiao audit` on the node's host.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fengqiao_core::audit::{
    AuditEntry, AuditHash, AuditRecord, ChainBreak, ChainHead, ChainVerifier, VerifiedChain,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

use crate::StoreError;

/// Entries read per page when walking the log.
pub const PAGE: u32 = 1000;

/// An `audit_log` row as stored; turned into an [`AuditEntry`] only if its
/// sequence number and hashes have the right shape.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at: DateTime<Utc>,
    actor: String,
    rpc: String,
    target: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

pub(crate) const COLUMNS: &str = "seq, at, actor, rpc, target, prev_hash, hash";

fn entry_from_row(row: AuditRow) -> Result<AuditEntry, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("audit entry {}: {what}", row.seq));
    let digest = |bytes: &[u8], name: &str| {
        AuditHash::try_from(bytes).map_err(|_| corrupt(format!("{name} is {} bytes, not 32", bytes.len())))
    };
    let seq = u64::try_from(row.seq).map_err(|_| corrupt("negative sequence number".into()))?;
    Ok(AuditEntry {
        seq,
        prev_hash: digest(&row.prev_hash, "prev_hash")?,
        hash: digest(&row.hash, "hash")?,
        at: row.at,
        actor: row.actor,
        rpc: row.rpc,
        target: row.target,
    })
}

pub(crate) fn seq_param(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Config(format!("sequence number {seq} is out of range")))
}

/// Chains `records` onto `head`, in order.
pub(crate) fn chain_onto(head: Option<AuditEntry>, records: Vec<AuditRecord>) -> Vec<AuditEntry> {
    let mut head = head.map(|entry| entry.head());
    records
        .into_iter()
        .map(|record| {
            let entry = AuditEntry::append(head.as_ref(), record);
            head = Some(entry.head());
            entry
        })
        .collect()
}

/// Walks the whole log page by page with `read_page(after, limit)` and
/// verifies it (against `anchor`, when given). A store failure is the outer
/// error; a broken chain the inner one.
pub async fn verify_pages<F, Fut>(
    anchor: Option<ChainHead>,
    mut read_page: F,
) -> Result<Result<VerifiedChain, ChainBreak>, StoreError>
where
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Vec<AuditEntry>, StoreError>>,
{
    let mut verifier = ChainVerifier::new(anchor);
    let mut after = 0;
    loop {
        let page = read_page(after, PAGE).await?;
        for entry in &page {
            if let Err(broken) = verifier.push(entry) {
                return Ok(Err(broken));
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => return Ok(verifier.finish()),
        }
    }
}

/// At most `limit` entries after `after`, in `seq` order.
pub(crate) async fn page<DB>(
    pool: &sqlx::Pool<DB>,
    after: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    AuditRow: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(seq_param(after)?)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(entry_from_row).collect()
}

/// The last entry, if any (read through a pool, or inside the caller's
/// write transaction).
pub(crate) async fn head<'e, DB, E>(executor: E) -> Result<Option<AuditEntry>, StoreError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    AuditRow: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let row: Option<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
    )))
    .fetch_optional(executor)
    .await?;
    row.map(entry_from_row).transpose()
}

/// A node's audit log opened read-only.
#[derive(Debug, Clone)]
pub enum AuditReader {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl AuditReader {
    /// Opens the database `url` names (`sqlite://PATH` or `postgres://…`)
    /// without migrating it or writing to it. A SQLite file must exist.
    pub async fn open_read_only(url: &str) -> Result<AuditReader, StoreError> {
        match crate::Backend::of_url(url) {
            Some(crate::Backend::Sqlite) => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?
                    .read_only(true)
                    .create_if_missing(false)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
                Ok(AuditReader::Sqlite(pool))
            }
            Some(crate::Backend::Postgres) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("{url:?}: {e}")))?
                    .options([("default_transaction_read_only", "on")]);
                let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await?;
                Ok(AuditReader::Postgres(pool))
            }
            None => Err(StoreError::Config(format!("{url:?}: {}", crate::URL_FORMS))),
        }
    }

    /// At most `limit` entries after `after`, in `seq` order.
    pub async fn page(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        match self {
            AuditReader::Sqlite(pool) => page(pool, after, limit).await,
            AuditReader::Postgres(pool) => page(pool, after, limit).await,
        }
    }

    /// The last entry, if any.
    pub async fn head(&self) -> Result<Option<AuditEntry>, StoreError> {
        match self {
            AuditReader::Sqlite(pool) => head(pool).await,
            AuditReader::Postgres(pool) => head(pool).await,
        }
    }

    /// Verifies the whole log, page by page (see [`verify_pages`]).
    pub async fn verify(
        &self,
        anchor: Option<ChainHead>,
    ) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        verify_pages(anchor, |after, limit| self.page(after, limit)).await
    }

    pub async fn close(&self) {
        match self {
            AuditReader::Sqlite(pool) => pool.close().await,
            AuditReader::Postgres(pool) => pool.close().await,
        }
    }
}

/// The records of the items of a batch that changed something, in batch
/// order: an item that changed nothing (a duplicate, a refusal) leaves no
/// entry.
pub(crate) fn of_changes(
    records: Vec<AuditRecord>,
    changed: impl IntoIterator<Item = bool>,
) -> Vec<AuditRecord> {
    records.into_iter().zip(changed).filter_map(|(record, changed)| changed.then_some(record)).collect()
}
