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
//!
//! What is PostgreSQL's own (its `Dialect`): lists travel as typed
//! arrays (`ANY`, `UNNEST`), the batch of reports is one statement of
//! data-modifying CTEs (`batch.rs`), and a write takes its locks explicitly
//! (the case ledger's table lock, the audit log's).

mod batch;
pub(crate) mod writes;

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use fengqiao_core::TimePolicy;
use fengqiao_core::audit::{AuditEntry, AuditRecord};
use fengqiao_core::coverage::Span;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, Pool, Postgres, QueryBuilder, Transaction};

use crate::audit::{COLUMNS, chain_onto, seq_param};
use crate::fanout::{DigestRows, RollupRows};
use crate::personal::Keyring;
use crate::plan::UnitRow;
use crate::rollup::RollupReads;
use crate::shared::{Answers, Dialect, SqlStore};
use crate::{Backend, ItemResult, StoreError, Submission};

/// A node's PostgreSQL database (write transactions take any connection of
/// the pool: PostgreSQL's row locks queue).
pub type PgStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
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
        Self::open_pg(options, keyring).await
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
        Self::open_pg(options.options([("search_path", schema)]), keyring).await
    }

    async fn open_pg(options: PgConnectOptions, keyring: Keyring) -> Result<Self, StoreError> {
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
        crate::shared::open(pool.clone(), pool, keyring).await
    }

    /// Replaces the (empty) partitioned report tables with plain ones of
    /// the same columns and indexes, as before migration `0018`: for
    /// `fengqiao bench storage`, which measures what partitions cost and
    /// save. Partition making becomes a no-op. Refused when any report is
    /// stored.
    pub async fn flatten_report_tables(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM report_revisions").fetch_one(&mut *tx).await?;
        if held > 0 {
            return Err(StoreError::Config(format!(
                "flattening the report tables needs them empty; they hold {held} revisions"
            )));
        }
        for table in ["report_revisions", "reports"] {
            for statement in [
                format!("CREATE TABLE {table}_flat (LIKE {table} INCLUDING ALL)"),
                format!("DROP TABLE {table}"),
                format!("ALTER TABLE {table}_flat RENAME TO {table}"),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Bytes on disk of the report tables (every partition, indexes and
    /// TOAST included) and of every table of the store's schema.
    pub async fn report_bytes(&self) -> Result<(i64, i64), StoreError> {
        let sizes: (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT SUM(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'report_revisions' \
             OR c.relname = 'reports' OR c.relname LIKE 'report\\_revisions\\_%' \
             OR c.relname LIKE 'reports\\_%')::bigint, SUM(pg_total_relation_size(c.oid))::bigint \
             FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((sizes.0.unwrap_or(0), sizes.1.unwrap_or(0)))
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
}

/// Makes sure the report tables have the partitions of the months of
/// `days` (migration `0018`), before a batch dated in them is written: one
/// call of `fengqiao_month_partitions` per month this store has not seen
/// since it opened, in its own transaction, so a batch never waits on a
/// partition's creation while holding row locks. A row of a month without
/// one would still land in the DEFAULT partition (nothing is refused); the
/// next creation of its month moves it.
pub(crate) async fn ensure_months(
    store: &PgStore,
    days: impl Iterator<Item = NaiveDate>,
) -> Result<(), StoreError> {
    use chrono::Datelike;
    let mut missing: Vec<NaiveDate> = {
        let known = store.months.lock().expect("the months' lock is never poisoned");
        days.filter_map(|day| day.with_day(1)).filter(|month| !known.contains(month)).collect()
    };
    missing.sort_unstable();
    missing.dedup();
    for month in missing {
        sqlx::query("SELECT fengqiao_month_partitions($1)").bind(month).execute(&store.pool).await?;
        store.months.lock().expect("the months' lock is never poisoned").insert(month);
    }
    Ok(())
}

// The units and periods come as lists (see `Dialect::text_list`), joined
// to the rollup table by primary key.
static ROLLUP_READS: LazyLock<RollupReads> = LazyLock::new(|| {
    RollupReads::new(
        |key, table| {
            format!(
                "UNNEST($2::date[]) AS p(k) CROSS JOIN UNNEST($1::text[]) AS u(id) \
                 JOIN {table} t ON t.{key} = p.k AND t.unit_id = u.id"
            )
        },
        |key, table| format!("{table} t WHERE t.unit_id = ANY($1) AND t.{key} >= $2 AND t.{key} <= $3"),
    )
});

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;

    type TextList = Vec<String>;
    type DateList = Vec<NaiveDate>;

    fn text_list(values: &[&str]) -> Result<Vec<String>, StoreError> {
        Ok(values.iter().map(|value| (*value).to_owned()).collect())
    }

    fn date_list(values: &[NaiveDate]) -> Result<Vec<NaiveDate>, StoreError> {
        Ok(values.to_vec())
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    fn in_list(column: &str, param: &str) -> String {
        format!("{column} = ANY({param})")
    }

    const SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    const CLEAR_ROLLUPS: &'static str = "TRUNCATE rollup_day, rollup_week, employer_days";

    const PLAIN_PETITIONERS_EXIST: &'static str = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_name = 'case_petitioners_plain'";

    fn rollup_reads() -> &'static RollupReads {
        &ROLLUP_READS
    }

    async fn begin_write(pool: &Pool<Postgres>) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(pool.begin().await?)
    }

    async fn lock_ledger(connection: &mut PgConnection) -> Result<(), StoreError> {
        // One ledger writer at a time (readers go on): a case is refolded
        // from the events its transaction sees, so two writers of one case
        // must not interleave. SHARE ROW EXCLUSIVE conflicts with itself and
        // with row writes, not with reads.
        sqlx::query("LOCK TABLE case_events IN SHARE ROW EXCLUSIVE MODE").execute(&mut *connection).await?;
        Ok(())
    }

    async fn insert_audit(
        connection: &mut PgConnection,
        records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // EXCLUSIVE blocks other appenders until the commit, not readers.
        // Appending is a write's last step, so the lock is held only until
        // the commit and never while waiting for another.
        sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(&mut *connection).await?;
        let entries = chain_onto(crate::audit::head(&mut *connection).await?, records);
        let mut seqs = Vec::with_capacity(entries.len());
        for entry in &entries {
            seqs.push(seq_param(entry.seq)?);
        }
        let mut query =
            QueryBuilder::<Postgres>::new(format!("INSERT INTO audit_log ({COLUMNS}) SELECT * FROM UNNEST("));
        query
            .push_bind(seqs)
            .push("::bigint[], ")
            .push_bind(entries.iter().map(|e| e.at).collect::<Vec<_>>())
            .push("::timestamptz[], ")
            .push_bind(entries.iter().map(|e| e.actor.clone()).collect::<Vec<_>>())
            .push("::text[], ")
            .push_bind(entries.iter().map(|e| e.rpc.clone()).collect::<Vec<_>>())
            .push("::text[], ")
            .push_bind(entries.iter().map(|e| e.target.clone()).collect::<Vec<_>>())
            .push("::text[], ")
            .push_bind(entries.iter().map(|e| e.prev_hash.to_vec()).collect::<Vec<_>>())
            .push("::bytea[], ")
            .push_bind(entries.iter().map(|e| e.hash.to_vec()).collect::<Vec<_>>())
            .push("::bytea[])");
        query.build().execute(&mut *connection).await?;
        Ok(entries)
    }

    async fn write_digests(connection: &mut PgConnection, rows: &DigestRows) -> Result<(), StoreError> {
        writes::bind_digests(sqlx::query(sqlx::AssertSqlSafe(writes::DIGEST_WRITE.as_str())), rows)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn lock_digests(connection: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(writes::DIGEST_LOCK)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    // One `UNNEST` statement per table.
    async fn insert_units(
        connection: &mut PgConnection,
        units: &[UnitRow],
        closure: &[Span],
    ) -> Result<(), StoreError> {
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
        .execute(&mut *connection)
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
        .execute(&mut *connection)
        .await?;
        Ok(())
    }

    async fn write_rollups(connection: &mut PgConnection, rows: &RollupRows) -> Result<(), StoreError> {
        static WRITE: LazyLock<String> =
            LazyLock::new(|| format!("WITH {} SELECT 1", writes::rollup_upserts(1)));
        writes::bind_rollups(sqlx::query(sqlx::AssertSqlSafe(WRITE.as_str())), rows)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn apply_reports(
        store: &PgStore,
        batch: Vec<Submission>,
        forward: bool,
        policy: &TimePolicy,
    ) -> Result<Vec<ItemResult>, StoreError> {
        batch::apply(store, batch, forward, policy).await
    }

    async fn outbox_ack(store: &PgStore, answers: &Answers<'_>) -> Result<(), StoreError> {
        let &Answers { ref ids, conflicts, refused, at } = answers;
        let mut tx = store.pool.begin().await?;
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
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)").bind(ids.to_vec()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn compact(store: &PgStore) -> Result<(), StoreError> {
        // The plaintext petitioners' table is dropped (its files go); the
        // downlink bodies' old versions are dead tuples until the table is
        // rewritten.
        sqlx::query("VACUUM FULL downlink_events").execute(&store.pool).await?;
        Ok(())
    }
}
