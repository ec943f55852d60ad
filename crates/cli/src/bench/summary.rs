// Long (~610 lines): one benchmark — its bulk loaders per backend (hand-written
// SQL that fills years of history in seconds), the measuring loop and its report.
//! `fengqiao bench summary`: how fast a district's weekly and yearly summary
//! reads, with one week of history and with years of it.
//!
//! For each backend and each history size, a fresh database gets a synthetic
//! district (≈5,000 reporting groups) and one report per unit per day of
//! history, bulk-generated in SQL (zero reports mostly; some with disputes,
//! some wage arrears, some late); the rollups are then built by the store's
//! own `rebuild_rollups`, the path a node takes after a tree change. Figures,
//! all in the same run:
//! - **rollups**: `WeeklySummary` and a 365-day `PeriodSummary` of the
//!   district over gRPC on loopback (p50 / p99 of `--samples` calls), the
//!   totals and the per-township scorecard;
//! - **GROUP BY**: the same figures (received, zero, disputes, on time per
//!   township) by one plain SQL query over the raw reports on the same
//!   backend;
//! - **DuckDB**: the same query over the same rows loaded into DuckDB
//!   in-process (`python3 -m pip install duckdb`), the engine an analyst
//!   would reach for.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, WageArrearsDraft};
use fengqiao_core::{
    DailyReport, Dispute, DisputeCategory, DisputeOutcome, ManualClock, ReportDraft, Revision, TimePolicy,
    UnitId, WageArrears,
};
use fengqiao_node::{Limits, Node, NodeConfig};
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{PeriodSummaryRequest, WeeklySummaryRequest};
use fengqiao_store::Store;
use fengqiao_store::postgres::PgStore;
use futures::TryStreamExt;
use sqlx::Row;
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::bench::say;
use crate::treegen;
use fengqiao_store::Backend;

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// Backends to measure.
    #[arg(long, value_enum, num_args = 1.., default_values = ["sqlite", "postgres"])]
    pub db: Vec<Backend>,
    /// Townships of the synthetic district (each with 10 communities of 50 groups).
    #[arg(long, default_value_t = 10)]
    pub townships: usize,
    /// Years of history for the long run (the short run has one week).
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Days of history for the long run instead of `--years` (a quick run).
    #[arg(long)]
    pub days: Option<u32>,
    /// Calls measured per figure.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Skip the DuckDB comparison.
    #[arg(long)]
    pub no_duckdb: bool,
    /// PostgreSQL server (a fresh schema is made and dropped per run).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// The week summarised: 2026-W48, Monday 23 to Sunday 29 November.
pub(crate) fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("valid")
}

/// Latencies in milliseconds: (p50, p99).
fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

pub(crate) async fn time_calls<F, Fut>(samples: usize, mut call: F) -> Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    // Warm caches and connections first.
    for _ in 0..samples.div_ceil(10) {
        call().await?;
    }
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        call().await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(percentiles(latencies))
}

/// The disputes JSON of the report variants the generator mixes.
fn variants() -> Result<Vec<(bool, i64, String)>> {
    let dispute = |id: &str, category, outcome, wage: Option<WageArrears>| {
        Dispute::new(DisputeDraft {
            local_id: id.into(),
            category,
            outcome,
            parties: 2,
            summary: "bench".into(),
            case_id: None,
            wage_arrears: wage,
        })
    };
    let wage = WageArrears::new(WageArrearsDraft {
        employer: "Bench Construction Co.".into(),
        workers: 6,
        amount_claimed_cents: 3_000_000,
        amount_recovered_cents: 2_500_000,
    })?;
    let sets = vec![
        vec![],
        vec![dispute("n1", DisputeCategory::Neighbour, DisputeOutcome::ResolvedOnTheSpot, None)?],
        vec![dispute("w1", DisputeCategory::WageArrears, DisputeOutcome::ResolvedOnTheSpot, Some(wage))?],
        vec![
            dispute("l1", DisputeCategory::Land, DisputeOutcome::Mediating, None)?,
            dispute("f1", DisputeCategory::MarriageFamily, DisputeOutcome::ResolvedOnTheSpot, None)?,
        ],
    ];
    sets.into_iter()
        .map(|disputes| {
            let report = DailyReport::new(ReportDraft {
                unit_id: UnitId::parse("1")?,
                date: last_day(),
                revision: Revision::FIRST,
                reporter: "bench".into(),
                zero: disputes.is_empty(),
                disputes,
                correction_reason: String::new(),
            })?;
            Ok((report.zero(), report.disputes().len() as i64, report.disputes_json()))
        })
        .collect()
}

/// One measured database.
pub(crate) struct Run {
    pub(crate) store: Arc<dyn Store>,
    /// A second pool on the same database, for the bulk load and GROUP BY.
    pub(crate) raw: Raw,
    pub(crate) schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

pub(crate) async fn open(backend: Backend, pg_url: &str, label: &str) -> Result<Run> {
    Ok(match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("bench.db");
            let store = fengqiao_store::connect(&format!("sqlite://{}", path.display())).await?;
            let raw = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(&path)
                        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
                )
                .await?;
            Run { store, raw: Raw::Sqlite(raw), schema: None, _dir: Some(dir) }
        }
        Backend::Postgres => {
            let schema = format!("bench_summary_{}_{label}", std::process::id());
            let store: Arc<dyn Store> = Arc::new(PgStore::connect_in_schema(pg_url, &schema).await?);
            let options: sqlx::postgres::PgConnectOptions = pg_url
                .parse::<sqlx::postgres::PgConnectOptions>()?
                .options([("search_path", schema.as_str())]);
            let raw = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(options).await?;
            Run { store, raw: Raw::Postgres(raw), schema: Some(schema), _dir: None }
        }
    })
}

/// Each generated revision 1 is its report's head (SQL both backends run).
const HEADS_FROM_REVISIONS: &str = "INSERT INTO reports \
    (unit_id, report_date, revision, content_hash, accepted_at, first_accepted_at) \
    SELECT unit_id, report_date, revision, content_hash, accepted_at, accepted_at \
    FROM report_revisions ORDER BY report_date, unit_id";

/// Inserts one report per reporting unit per day of `[from, to]`: 85% zero
/// reports, the rest with disputes; 5% late.
pub(crate) async fn bulk_load(raw: &Raw, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let v = variants()?;
    match raw {
        Raw::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "CREATE TEMP TABLE variants (k INTEGER PRIMARY KEY, zero BOOLEAN, n INTEGER, disputes TEXT)",
            )
            .execute(&mut *tx)
            .await?;
            for (k, (zero, n, json)) in v.iter().enumerate() {
                sqlx::query("INSERT INTO variants VALUES (?, ?, ?, ?)")
                    .bind(k as i64)
                    .bind(zero)
                    .bind(n)
                    .bind(json)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "WITH RECURSIVE days(d) AS (SELECT ?1 UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < ?2), \
                 picks AS (SELECT u.id, days.d, abs(random()) % 100 AS r, abs(random()) % 100 AS t \
                 FROM days CROSS JOIN units u WHERE u.reporting) \
                 INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, dispute_count, \
                 disputes, correction_reason, content_hash, accepted_at) \
                 SELECT p.id, p.d, 1, 'bench', v.zero, v.n, v.disputes, NULL, zeroblob(32), \
                 p.d || CASE WHEN p.t < 5 THEN 'T11:30:00+00:00' ELSE 'T01:30:00+00:00' END \
                 FROM picks p JOIN variants v ON v.k = CASE WHEN p.r < 85 THEN 0 WHEN p.r < 95 THEN 1 \
                 WHEN p.r < 98 THEN 2 ELSE 3 END ORDER BY p.d, p.id",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
            sqlx::query(HEADS_FROM_REVISIONS).execute(&mut *tx).await?;
            tx.commit().await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Raw::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO report_revisions (unit_id, report_date, revision, reporter, zero, dispute_count, \
                 disputes, correction_reason, content_hash, accepted_at) \
                 SELECT p.id, p.d, 1, 'bench', v.zero, v.n, v.disputes, NULL, '\\x00'::bytea, \
                 p.d + CASE WHEN p.t < 5 THEN time '11:30' ELSE time '01:30' END AT TIME ZONE 'UTC' \
                 FROM (SELECT u.id, d::date AS d, floor(random() * 100) AS r, floor(random() * 100) AS t \
                 FROM generate_series($1::date, $2::date, interval '1 day') d CROSS JOIN units u \
                 WHERE u.reporting) p \
                 JOIN UNNEST($3::bool[], $4::bigint[], $5::text[]) WITH ORDINALITY AS v(zero, n, disputes, k) \
                 ON v.k - 1 = CASE WHEN p.r < 85 THEN 0 WHEN p.r < 95 THEN 1 WHEN p.r < 98 THEN 2 ELSE 3 END \
                 ORDER BY p.d, p.id",
            )
            .bind(from)
            .bind(to)
            .bind(v.iter().map(|x| x.0).collect::<Vec<_>>())
            .bind(v.iter().map(|x| x.1).collect::<Vec<_>>())
            .bind(v.iter().map(|x| x.2.clone()).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
            sqlx::query(HEADS_FROM_REVISIONS).execute(&mut *tx).await?;
            tx.commit().await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
    }
    Ok(())
}

/// The per-township figures by a plain GROUP BY over the raw reports.
async fn group_by(raw: &Raw, district: &str, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let rows: Vec<i64> = match raw {
        Raw::Sqlite(pool) => sqlx::query(
            "SELECT c.ancestor_id, COUNT(*) AS received, SUM(rv.zero), SUM(rv.dispute_count), \
             SUM(r.first_accepted_at < r.report_date || 'T10:00:00') \
             FROM reports r JOIN report_revisions rv ON rv.report_date = r.report_date \
             AND rv.unit_id = r.unit_id AND rv.revision = r.revision \
             JOIN unit_closure c ON c.unit_id = r.unit_id \
             AND (c.valid_from IS NULL OR c.valid_from <= r.report_date) \
             AND (c.valid_to IS NULL OR r.report_date < c.valid_to) \
             JOIN units a ON a.id = c.ancestor_id AND a.parent_id = ?1 \
             WHERE r.report_date >= ?2 AND r.report_date <= ?3 GROUP BY c.ancestor_id",
        )
        .bind(district)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>("received"))
        .collect::<Result<_, _>>()?,
        Raw::Postgres(pool) => sqlx::query(
            "SELECT c.ancestor_id, COUNT(*) AS received, SUM(rv.zero::int), SUM(rv.dispute_count), \
             SUM((r.first_accepted_at < r.report_date + time '10:00')::int) \
             FROM reports r JOIN report_revisions rv ON rv.report_date = r.report_date \
             AND rv.unit_id = r.unit_id AND rv.revision = r.revision \
             JOIN unit_closure c ON c.unit_id = r.unit_id \
             AND (c.valid_from IS NULL OR c.valid_from <= r.report_date) \
             AND (c.valid_to IS NULL OR r.report_date < c.valid_to) \
             JOIN units a ON a.id = c.ancestor_id AND a.parent_id = $1 \
             WHERE r.report_date >= $2 AND r.report_date <= $3 GROUP BY c.ancestor_id",
        )
        .bind(district)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>("received"))
        .collect::<Result<_, _>>()?,
    };
    Ok(rows.iter().sum())
}

/// Writes (township, date, zero, disputes, on_time) of every report to a
/// CSV file for DuckDB, streaming.
async fn export_for_duckdb(raw: &Raw, district: &str, path: &std::path::Path) -> Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "township,report_date,zero,disputes,on_time")?;
    let mut count = 0u64;
    macro_rules! drain {
        ($stream:expr) => {{
            let mut rows = $stream;
            while let Some(row) = rows.try_next().await? {
                let township: String = row.try_get(0)?;
                let date: NaiveDate = row.try_get(1)?;
                let zero: bool = row.try_get(2)?;
                let disputes: i64 = row.try_get(3)?;
                let on_time: bool = row.try_get(4)?;
                writeln!(out, "{township},{date},{zero},{disputes},{on_time}")?;
                count += 1;
            }
        }};
    }
    match raw {
        Raw::Sqlite(pool) => drain!(
            sqlx::query(
                "SELECT c.ancestor_id, r.report_date, rv.zero, rv.dispute_count, \
                 r.first_accepted_at < r.report_date || 'T10:00:00' FROM reports r \
                 JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
                 AND rv.revision = r.revision JOIN unit_closure c ON c.unit_id = r.unit_id \
                 JOIN units a ON a.id = c.ancestor_id AND a.parent_id = ?1",
            )
            .bind(district)
            .fetch(pool)
        ),
        Raw::Postgres(pool) => drain!(
            sqlx::query(
                "SELECT c.ancestor_id, r.report_date, rv.zero, rv.dispute_count, \
                 r.first_accepted_at < r.report_date + time '10:00' FROM reports r \
                 JOIN report_revisions rv ON rv.report_date = r.report_date AND rv.unit_id = r.unit_id \
                 AND rv.revision = r.revision JOIN unit_closure c ON c.unit_id = r.unit_id \
                 JOIN units a ON a.id = c.ancestor_id AND a.parent_id = $1",
            )
            .bind(district)
            .fetch(pool)
        ),
    }
    out.flush()?;
    Ok(count)
}

const DUCKDB_SCRIPT: &str = r#"
import json, sys, time
import duckdb
path, week_from, week_to, year_from, year_to, samples = sys.argv[1:7]
samples = int(samples)
con = duckdb.connect()
started = time.perf_counter()
con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, header = true, columns = {'township': 'VARCHAR', 'report_date': 'DATE', 'zero': 'BOOLEAN', 'disputes': 'BIGINT', 'on_time': 'BOOLEAN'})", [path])
load = time.perf_counter() - started
query = "SELECT township, count(*), sum(zero::int), sum(disputes), sum(on_time::int) FROM r WHERE report_date BETWEEN ?::DATE AND ?::DATE GROUP BY township"
def measure(a, b):
    for _ in range(max(1, samples // 10)):
        con.execute(query, [a, b]).fetchall()
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        con.execute(query, [a, b]).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return [times[round((len(times) - 1) * 0.5)], times[round((len(times) - 1) * 0.99)]]
print(json.dumps({"load_s": load, "week": measure(week_from, week_to), "year": measure(year_from, year_to)}))
"#;

/// DuckDB's (p50, p99) for the week and the year, in ms, or why not.
fn duckdb(
    path: &std::path::Path,
    week: (NaiveDate, NaiveDate),
    year: (NaiveDate, NaiveDate),
    samples: usize,
) -> Result<((f64, f64), (f64, f64))> {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(DUCKDB_SCRIPT)
        .arg(path)
        .args([week.0, week.1, year.0, year.1].map(|d| d.to_string()))
        .arg(samples.min(100).to_string())
        .output()
        .context("running python3 (install DuckDB with `python3 -m pip install duckdb`)")?;
    if !output.status.success() {
        bail!("DuckDB script failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let pair = |key: &str| -> Result<(f64, f64)> {
        let values = figures[key].as_array().context("duckdb output")?;
        Ok((values[0].as_f64().unwrap_or(0.0), values[1].as_f64().unwrap_or(0.0)))
    };
    Ok((pair("week")?, pair("year")?))
}

/// One measured (backend, history): latencies in ms as (p50, p99).
#[derive(Debug, Clone)]
pub struct Line {
    pub backend: Backend,
    pub history: String,
    pub reports: u64,
    pub rebuild_rate: f64,
    pub week: (f64, f64),
    pub year: (f64, f64),
    pub sql_week: (f64, f64),
    pub sql_year: (f64, f64),
    pub duck: Option<((f64, f64), (f64, f64))>,
}

/// Runs the benchmark, prints its table and returns its lines (per backend:
/// one week of history, then the long history).
pub async fn summary(args: SummaryArgs) -> Result<Vec<Line>> {
    let tree = treegen::synthetic(0, args.townships, 10, 50)?;
    let district = tree.root_id().to_string();
    let reporting = tree.units().iter().filter(|u| u.reporting).count();
    let end = last_day();
    let week = (end - Days::days(6), end);
    let year = (end - Days::days(364), end);
    say!(
        "bench summary: district of {} units ({reporting} reporting); week 2026-W48, year {}..{}; {} samples",
        tree.len(),
        year.0,
        year.1,
        args.samples
    );
    let mut lines = Vec::new();
    let (long, long_days) = match args.days {
        Some(days) => (format!("{days} days"), i64::from(days.max(7))),
        None => (format!("{} years", args.years), 365 * i64::from(args.years)),
    };
    for (n, &backend) in args.db.iter().enumerate() {
        for (label, days) in [("1 week", 7i64), (long.as_str(), long_days)] {
            let run = open(backend, &args.pg_url, &format!("{n}_{days}")).await?;
            // The node first, on the empty database: it records the rollups'
            // basis, so it will not rebuild them again after the load.
            let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()));
            let node = Node::start(
                NodeConfig { limits: Limits::unthrottled(), ..NodeConfig::new(district.clone()) },
                &tree,
                Arc::clone(&run.store),
                clock,
            )
            .await?;
            let started = Instant::now();
            bulk_load(&run.raw, end - Days::days(days - 1), end).await?;
            let load = started.elapsed();
            let started = Instant::now();
            let reports = run.store.rebuild_rollups(&TimePolicy::default()).await?;
            let rebuild = started.elapsed();
            say!(
                "  {backend:?} {label}: {reports} reports generated in {:.1} s, rollups rebuilt in {:.1} s ({:.0} reports/s)",
                load.as_secs_f64(),
                rebuild.as_secs_f64(),
                reports as f64 / rebuild.as_secs_f64()
            );
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let address = listener.local_addr()?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(fengqiao_node::serve(node, listener, async {
                let _ = stopped.await;
            }));
            let channel = Channel::from_shared(format!("http://{address}"))?.connect().await?;
            let client = SummaryServiceClient::new(channel);
            let expected_received = reports as i64;
            let week_call = || {
                let mut client = client.clone();
                let district = district.clone();
                async move {
                    let response = client
                        .weekly_summary(WeeklySummaryRequest {
                            unit_id: district,
                            iso_week: "2026-W48".into(),
                        })
                        .await?
                        .into_inner();
                    let summary = response.summary.context("no summary")?;
                    anyhow::ensure!(summary.children.len() == args.townships, "one row per township");
                    Ok(())
                }
            };
            let year_call = || {
                let mut client = client.clone();
                let district = district.clone();
                async move {
                    let summary = client
                        .period_summary(PeriodSummaryRequest {
                            unit_id: district,
                            from_date: year.0.to_string(),
                            to_date: year.1.to_string(),
                        })
                        .await?
                        .into_inner()
                        .summary
                        .context("no summary")?;
                    let received = summary.totals.map(|t| t.received).unwrap_or_default();
                    anyhow::ensure!(
                        received == expected_received.min(365 * reporting as i64),
                        "year received {received}"
                    );
                    Ok(())
                }
            };
            let week_figures = time_calls(args.samples, week_call).await?;
            let year_figures = time_calls(args.samples, year_call).await?;
            let sql_samples = if days > 7 { 5 } else { args.samples.min(50) };
            let raw = &run.raw;
            let district_ref = district.as_str();
            let sql_week = time_calls(sql_samples, || async move {
                let received = group_by(raw, district_ref, week.0, week.1).await?;
                // Every unit but the district lies below a township.
                let below = 7 * (reporting as i64 - 1);
                anyhow::ensure!(received == below, "GROUP BY week received {received}, not {below}");
                Ok(())
            })
            .await?;
            let sql_year = time_calls(sql_samples, || async move {
                group_by(raw, district_ref, year.0, year.1).await?;
                Ok(())
            })
            .await?;
            let duck = if args.no_duckdb || n > 0 {
                None
            } else {
                let path =
                    std::env::temp_dir().join(format!("fengqiao-bench-duckdb-{}.csv", std::process::id()));
                export_for_duckdb(&run.raw, &district, &path).await?;
                let figures = duckdb(&path, week, year, args.samples);
                let _ = std::fs::remove_file(&path);
                match figures {
                    Ok(figures) => Some(figures),
                    Err(error) => {
                        say!("  DuckDB skipped: {error:#}");
                        None
                    }
                }
            };
            let _ = stop.send(());
            let _ = server.await;
            run.store.close().await;
            if let Some(schema) = &run.schema {
                PgStore::drop_schema(&args.pg_url, schema).await?;
            }
            lines.push(Line {
                backend,
                history: label.to_owned(),
                reports,
                rebuild_rate: reports as f64 / rebuild.as_secs_f64(),
                week: week_figures,
                year: year_figures,
                sql_week,
                sql_year,
                duck,
            });
        }
    }
    print_lines(&lines);
    Ok(lines)
}

fn print_lines(lines: &[Line]) {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN).set_header([
        "backend",
        "history",
        "reports",
        "rebuild rep/s",
        "week p50/p99 ms",
        "year p50/p99 ms",
        "GROUP BY week p50 ms",
        "GROUP BY year p50 ms",
        "DuckDB week/year p50 ms",
    ]);
    for line in lines {
        table.add_row([
            format!("{:?}", line.backend),
            line.history.clone(),
            line.reports.to_string(),
            format!("{:.0}", line.rebuild_rate),
            format!("{:.2} / {:.2}", line.week.0, line.week.1),
            format!("{:.2} / {:.2}", line.year.0, line.year.1),
            format!("{:.1}", line.sql_week.0),
            format!("{:.1}", line.sql_year.0),
            line.duck.map_or("-".into(), |(w, y)| format!("{:.1} / {:.1}", w.0, y.0)),
        ]);
    }
    say!("{table}");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let of: Vec<&Line> = lines.iter().filter(|l| l.backend == backend).collect();
        let [short, long] = of.as_slice() else { continue };
        say!(
            "{backend:?}: p99 long/short history: week {:.2}, year {:.2}; GROUP BY / rollups (p50, long history): week {:.0}×, year {:.0}×",
            long.week.1 / short.week.1,
            long.year.1 / short.year.1,
            long.sql_week.0 / long.week.0,
            long.sql_year.0 / long.year.0,
        );
        if let Some(((dw, _), (dy, _))) = long.duck {
            say!(
                "{backend:?}: DuckDB / rollups (p50, long history): week {:.1}×, year {:.1}×",
                dw / long.week.0,
                dy / long.year.0
            );
        }
    }
}
