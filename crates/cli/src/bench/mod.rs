//! `fengqiao bench …`: benchmarks that print figures and assert nothing.
//! One module per benchmark: [`ingest`](mod@ingest), [`network`], [`national`], [`summary`], [`audit`],
//! [`reconcile`], [`web`](mod@web), and [`all`], which runs the others at one size and prints
//! the issue-16 table. Here: the subcommands, the backend flag they share,
//! and [`say!`](say), the line printer that `bench all --json` sends to
//! stderr.

pub mod all;
pub mod audit;
pub mod ingest;
pub mod national;
pub mod network;
pub mod reconcile;
pub mod storage;
pub mod summary;
pub mod web;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use chrono::NaiveDate;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::{self, SubmitDailyReportRequest};
use futures::StreamExt;
use tonic::transport::Channel;

use self::ingest::{IngestArgs, ingest};

/// While set, the benchmarks' lines go to stderr: `bench all --json` keeps
/// stdout for its JSON.
static LINES_TO_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sends the benchmarks' human lines to stderr (`true`) or stdout.
pub fn lines_to_stderr(on: bool) {
    LINES_TO_STDERR.store(on, Ordering::Relaxed);
}

/// Writes one line of a benchmark's output (see [`lines_to_stderr`]).
pub fn say_line(line: std::fmt::Arguments<'_>) {
    if LINES_TO_STDERR.load(Ordering::Relaxed) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// `println!` for benchmark lines.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::bench::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Committed reports/s through SubmitDailyReport vs. a raw tonic service.
    Ingest(IngestArgs),
    /// A district's full day across tiers, and the drain after a partition.
    Network(network::NetworkArgs),
    /// Weekly and yearly summary latency with a week vs. years of history,
    /// beside GROUP BY and DuckDB.
    Summary(summary::SummaryArgs),
    /// Audit log appends (batched and single) and verifying a long log.
    Audit(audit::AuditArgs),
    /// A district restored from a backup one day old: reconciliation's time
    /// and bytes to repair it, and a steady-state exchange.
    Reconcile(reconcile::ReconcileArgs),
    /// The web dashboard's page renders at a district with a year of data,
    /// beside the gRPC call each page is built on.
    Web(web::WebArgs),
    /// Storage for years: PostgreSQL inserts with monthly partitions vs
    /// plain tables, bytes per report and per year, the retention purge.
    Storage(storage::StorageArgs),
    /// A national day over the summary uplink: 2,978 county clients into
    /// province nodes and a national node, with a year of history.
    National(national::NationalArgs),
    /// The issue-16 table: every benchmark above at a size that fits ten
    /// minutes, each figure beside its target and baseline.
    All(all::AllArgs),
}

pub async fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Ingest(args) => ingest(args).await.map(drop),
        BenchCommand::Network(args) => network::network(args).await.map(drop),
        BenchCommand::Summary(args) => summary::summary(args).await.map(drop),
        BenchCommand::Audit(args) => audit::audit(args).await,
        BenchCommand::Reconcile(args) => reconcile::reconcile(args).await,
        BenchCommand::Web(args) => web::web(args).await.map(drop),
        BenchCommand::Storage(args) => storage::storage(args).await,
        BenchCommand::National(args) => national::national(args).await,
        BenchCommand::All(args) => all::all(args).await,
    }
}

/// One zero report for `date` per `(unit, node)` of `filings`, submitted to
/// that node's channel, `clients` calls at a time; with `retry_unavailable`
/// a call the node sheds (UNAVAILABLE) is sent again 10 ms later. The
/// outcome of every call, in the order they finished.
pub(crate) async fn file_zero_reports(
    filings: Vec<(String, String)>,
    channels: &HashMap<String, Channel>,
    date: NaiveDate,
    clients: usize,
    retry_unavailable: bool,
) -> Vec<Result<(), tonic::Status>> {
    futures::stream::iter(filings)
        .map(|(unit, node)| {
            let mut client = ReportingServiceClient::new(channels[&node].clone());
            async move {
                let report = pb::DailyReport {
                    unit_id: unit,
                    date: date.to_string(),
                    revision: 1,
                    reporter: "bench".into(),
                    zero: true,
                    disputes: vec![],
                    correction_reason: String::new(),
                };
                loop {
                    match client
                        .submit_daily_report(SubmitDailyReportRequest { report: Some(report.clone()) })
                        .await
                    {
                        Err(status) if retry_unavailable && status.code() == tonic::Code::Unavailable => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        other => return other.map(drop),
                    }
                }
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await
}
