//! `fengqiao bench storage`: storage that lives for years (issue 21, part
//! 4). A district's history is written straight into the store the way the
//! group committer writes it (batches of one day's reports), on PostgreSQL
//! with the report tables partitioned by month (migration `0018`) and, in
//! the same run, with them flattened into plain tables, and on SQLite.
//! Prints revisions/s each way and the ratio, the bytes a report takes
//! (report tables, and every table) and what a year takes, and the
//! retention purge's rate. Asserts nothing.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use fengqiao_core::report::{DisputeDraft, ReportDraft, WageArrearsDraft};
use fengqiao_core::revision::Source;
use fengqiao_core::{
    DailyReport, Dispute, DisputeCategory, DisputeOutcome, Revision, TimePolicy, UnitId, UnitTree,
    WageArrears,
};
use fengqiao_store::postgres::PgStore;
use fengqiao_store::sqlite::SqliteStore;
use fengqiao_store::{Store, Submission};

use crate::bench::say;

#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    /// Reporting groups of the simulated district (at most 999).
    #[arg(long, default_value_t = 400)]
    pub groups: usize,
    /// Days of history, one report per group and day, ending yesterday.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Groups of the district the yearly figure is scaled to (湛河区: 4,000).
    #[arg(long, default_value_t = 4000)]
    pub district_groups: u64,
    /// Months of text kept when timing the retention purge.
    #[arg(long, default_value_t = 6)]
    pub raw_text_months: u32,
    /// Rounds of the two PostgreSQL layouts, alternating (the best of each
    /// is compared).
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// PostgreSQL server (fresh schemas are made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// A small deterministic generator (the same history every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const SUMMARIES: [&str; 4] = [
    "两户因宅基地边界发生争执，网格员到场调解，双方同意按原界址重新立桩。",
    "楼上漏水导致楼下墙面受损，物业协调维修费用分担，当场达成一致。",
    "工地拖欠六名工人三个月工资，已联系劳动监察并约谈项目负责人。",
    "邻里因停车位占用发生口角，社区民警与网格员共同劝解，已化解。",
];

/// About one report in four names disputes (one to three), the rest are
/// zero reports; a few are corrected once.
fn history(groups: usize, days: u32, last: NaiveDate) -> Result<Vec<Vec<DailyReport>>> {
    let mut rng = Lcg(21);
    let mut out = Vec::with_capacity(days as usize);
    for back in (0..days).rev() {
        let date = last - Duration::days(i64::from(back));
        let mut day = Vec::with_capacity(groups);
        for group in 1..=groups {
            let unit = UnitId::parse(&format!("410411001001{group:03}"))?;
            let n = if rng.next().is_multiple_of(4) { 1 + rng.next() % 3 } else { 0 };
            let mut disputes = Vec::new();
            for i in 0..n {
                let wage = rng.next().is_multiple_of(5);
                disputes.push(Dispute::new(DisputeDraft {
                    local_id: format!("d{i}"),
                    category: if wage { DisputeCategory::WageArrears } else { DisputeCategory::Neighbour },
                    outcome: DisputeOutcome::ResolvedOnTheSpot,
                    parties: 2 + (rng.next() % 4) as u32,
                    summary: SUMMARIES[(rng.next() % 4) as usize].to_owned(),
                    case_id: None,
                    wage_arrears: wage
                        .then(|| {
                            WageArrears::new(WageArrearsDraft {
                                employer: format!("平顶山第{}建筑公司", rng.next() % 40),
                                workers: 6,
                                amount_claimed_cents: 4_800_000,
                                amount_recovered_cents: 1_200_000,
                            })
                        })
                        .transpose()?,
                })?);
            }
            let report = |revision: u32, disputes: Vec<Dispute>| {
                DailyReport::new(ReportDraft {
                    unit_id: unit.clone(),
                    date,
                    revision: Revision::new(revision).expect("1 or 2"),
                    reporter: format!("officer-{group}"),
                    zero: disputes.is_empty(),
                    disputes,
                    correction_reason: if revision > 1 { "补充调解结果".into() } else { String::new() },
                })
            };
            day.push(report(1, disputes.clone())?);
            if n > 0 && rng.next().is_multiple_of(10) {
                day.push(report(2, disputes)?);
            }
        }
        out.push(day);
    }
    Ok(out)
}

/// Writes the history a day per batch; returns revisions/s and revisions.
async fn load(store: &dyn Store, history: &[Vec<DailyReport>]) -> Result<(f64, u64)> {
    let policy = TimePolicy::default();
    let started = Instant::now();
    let mut revisions = 0u64;
    for day in history {
        let batch: Vec<Submission> = day
            .iter()
            .map(|report| {
                let accepted_at = Utc.from_utc_datetime(&report.date().and_hms_opt(8, 0, 0).expect("08:00"));
                Submission {
                    report: report.clone(),
                    source: Source::Reporter,
                    accepted_at,
                    first_accepted_at: None,
                    trace_parent: None,
                    audit: fengqiao_store::testing::audit_record(format!("report {}", report.key())),
                }
            })
            .collect();
        revisions += batch.len() as u64;
        for result in store.apply_reports(batch, false, &policy).await? {
            result.context("a generated report was refused")?;
        }
    }
    Ok((revisions as f64 / started.elapsed().as_secs_f64(), revisions))
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

pub async fn storage(args: StorageArgs) -> Result<()> {
    anyhow::ensure!((1..=999).contains(&args.groups), "--groups: between 1 and 999");
    anyhow::ensure!(args.days >= 1, "--days: at least 1");
    let tree = UnitTree::from_csv(&fengqiao_store::testing::trees::one_community(args.groups))?;
    let last = Utc::now().date_naive() - Duration::days(1);
    let history = history(args.groups, args.days, last)?;
    let reports = (args.groups as u64) * u64::from(args.days);
    say!(
        "bench storage: {} groups × {} days = {reports} reports ({} revisions), one batch per day",
        args.groups,
        args.days,
        history.iter().map(Vec::len).sum::<usize>()
    );
    let per_year = |bytes: f64| bytes / reports as f64 * args.district_groups as f64 * 365.0;

    let (mut best_partitioned, mut best_plain) = (0f64, 0f64);
    let layouts = (0..args.rounds.max(1)).flat_map(|round| [(round, false), (round, true)]);
    for (round, partitioned) in layouts {
        let schema = format!("bench_storage_{}_{}", std::process::id(), u8::from(partitioned));
        let store = PgStore::connect_in_schema(&args.pg_url, &schema).await?;
        store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await?;
        if !partitioned {
            store.flatten_report_tables().await?;
        }
        let (rate, revisions) = load(&store, &history).await?;
        let (report_bytes, all_bytes) = store.report_bytes().await?;
        let label = if partitioned { "partitioned by month" } else { "plain tables" };
        say!("postgres, {label} (round {}): {rate:.0} revisions/s ({revisions} revisions)", round + 1);
        say!(
            "  report tables {} = {:.0} B/report; every table {} = {:.0} B/report; a year of {} groups: {} (report tables), {} (all)",
            mib(report_bytes as f64),
            report_bytes as f64 / reports as f64,
            mib(all_bytes as f64),
            all_bytes as f64 / reports as f64,
            args.district_groups,
            mib(per_year(report_bytes as f64)),
            mib(per_year(all_bytes as f64)),
        );
        if partitioned && round == 0 {
            let today = last + Duration::days(1);
            let started = Instant::now();
            let audit = fengqiao_store::testing::audit_record("retention");
            let purged =
                fengqiao_store::retention::run(&store, Some(args.raw_text_months), today, Utc::now(), audit)
                    .await?;
            let seconds = started.elapsed().as_secs_f64();
            say!(
                "  retention ({} months): {} revisions purged ({} with text) in {seconds:.1} s = {:.0} revisions/s",
                args.raw_text_months,
                purged.revisions,
                purged.texts_removed,
                purged.revisions as f64 / seconds.max(1e-9)
            );
        }
        if partitioned {
            best_partitioned = best_partitioned.max(rate);
        } else {
            best_plain = best_plain.max(rate);
        }
        store.close().await;
        PgStore::drop_schema(&args.pg_url, &schema).await?;
    }
    say!(
        "postgres, best of {} rounds: partitioned {best_partitioned:.0} / plain {best_plain:.0} revisions/s = {:.2}",
        args.rounds.max(1),
        best_partitioned / best_plain
    );

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display())).await?;
    store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await?;
    let (rate, _) = load(&store, &history).await?;
    let today = last + Duration::days(1);
    let audit = fengqiao_store::testing::audit_record("retention");
    let purged =
        fengqiao_store::retention::run(&store, Some(args.raw_text_months), today, Utc::now(), audit).await?;
    store.close().await;
    let url = format!("sqlite://{}", path.display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count").fetch_one(&mut connection).await?;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut connection).await?;
    sqlx::Connection::close(connection).await?;
    let bytes = std::fs::metadata(&path)?.len() as f64
        + std::fs::metadata(path.with_extension("db-wal")).map_or(0.0, |m| m.len() as f64);
    say!(
        "sqlite: {rate:.0} revisions/s; file {} = {:.0} B/report (every table); a year of {} groups: {}",
        mib(bytes),
        bytes / reports as f64,
        args.district_groups,
        mib(per_year(bytes)),
    );
    say!(
        "  retention ({} months): {} revisions purged ({} with text); then {free} of {pages} pages free \
         (reused by later writes, or given back by VACUUM)",
        args.raw_text_months,
        purged.revisions,
        purged.texts_removed,
    );
    Ok(())
}
