//! `fengqiao bench audit`: what the audit log costs — appends (batched, as the
//! node's writer does under load, and one at a time, as a lone caller pays)
//! and verifying a long log, with the verifier's peak memory.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;
use fengqiao_core::audit::AuditRecord;
use fengqiao_store::Store;
use fengqiao_store::audit::AuditReader;
use fengqiao_store::postgres::PgStore;

use fengqiao_store::Backend;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Backend of the log.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub db: Backend,
    /// Entries to append, then verify.
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: u64,
    /// Entries per append transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch: u64,
    /// Single-entry appends timed (one transaction each).
    #[arg(long, default_value_t = 200)]
    pub singles: u64,
    /// PostgreSQL server for `--db postgres` (a fresh schema is made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

fn record(i: u64) -> AuditRecord {
    AuditRecord::new(
        Utc::now(),
        "fengqiao://person/410411001001/reporter/r17",
        "fengqiao.v1.ReportingService/SubmitDailyReport",
        format!("report 410411001001{:03}@2026-11-27 r{}", i % 1000, 1 + i % 3),
    )
}

/// The process's peak resident memory in MiB (`VmHWM`), if known.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub async fn audit(args: AuditArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let schema = format!("bench_audit_{}", std::process::id());
    let (store, url): (std::sync::Arc<dyn Store>, String) = match args.db {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("audit.db").display());
            (fengqiao_store::connect(&url).await?, url)
        }
        Backend::Postgres => {
            let store = PgStore::connect_in_schema(&args.pg_url, &schema)
                .await
                .with_context(|| format!("cannot open PostgreSQL at {}", args.pg_url))?;
            let separator = if args.pg_url.contains('?') { '&' } else { '?' };
            (
                std::sync::Arc::new(store),
                format!("{}{separator}options=-c%20search_path%3D{schema}", args.pg_url),
            )
        }
    };
    let batch = args.batch.max(1);
    let started = Instant::now();
    let mut appended = 0;
    while appended < args.entries {
        let n = batch.min(args.entries - appended);
        store.append_audit((appended..appended + n).map(record).collect()).await?;
        appended += n;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "append ({}, {batch} a transaction): {appended} entries in {elapsed:.2} s = {:.0} entries/s",
        args.db_name(),
        appended as f64 / elapsed
    );
    let started = Instant::now();
    for i in 0..args.singles {
        store.append_audit(vec![record(appended + i)]).await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if args.singles > 0 {
        println!(
            "append (one a transaction): {} in {elapsed:.2} s = {:.2} ms each",
            args.singles,
            elapsed * 1000.0 / args.singles as f64
        );
    }
    store.close().await;

    // Peak memory of the verification alone: reset the high-water mark.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let reader = AuditReader::open_read_only(&url).await?;
    let started = Instant::now();
    let verified = reader.verify(None).await?;
    let elapsed = started.elapsed().as_secs_f64();
    reader.close().await;
    let verified = verified.map_err(|broken| anyhow::anyhow!("the fresh log does not verify: {broken}"))?;
    println!(
        "verify: {} entries in {elapsed:.2} s = {:.0} entries/s; peak RSS {}",
        verified.count,
        verified.count as f64 / elapsed,
        peak_rss_mib().map_or_else(|| "unknown".to_owned(), |m| format!("{m:.0} MiB")),
    );
    if let Backend::Postgres = args.db {
        PgStore::drop_schema(&args.pg_url, &schema).await?;
    }
    Ok(())
}

impl AuditArgs {
    fn db_name(&self) -> &'static str {
        match self.db {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
