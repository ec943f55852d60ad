//! `fengqiao reconcile`: ask a node to reconcile its child nodes with it
//! (or itself with its parent) now, follow the exchanges with a progress
//! bar, and print what each compared, sent again and found in conflict.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, bail};
use fengqiao_core::reconcile::ExchangeReport;
use fengqiao_proto::pb::reconcile_service_client::ReconcileServiceClient;
use fengqiao_proto::pb::{self, ReconcilePhase};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connection::{Connection, refused};

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A child node of the node (its unit id) to reconcile with it; repeatable.
    #[arg(long = "child", value_name = "UNIT", required_unless_present_any = ["all", "parent"])]
    pub children: Vec<String>,
    /// Every child node of the node.
    #[arg(long)]
    pub all: bool,
    /// The node with its own parent.
    #[arg(long)]
    pub parent: bool,
    /// Give up waiting for an exchange after this many seconds (a child
    /// picks the request up with its next push: at most 10 s when idle).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub timeout_secs: u32,
    /// Print the reports as JSON lines instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// How one asked-for exchange ended.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    unit_id: String,
    /// `done`, `failed` or `timed_out`.
    phase: &'static str,
    report: Option<ExchangeReport>,
}

pub async fn run(args: ReconcileArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let mut client = ReconcileServiceClient::new(channel);
    let request = pb::ReconcileRequest {
        child_unit_ids: args.children.clone(),
        all_children: args.all,
        with_parent: args.parent,
        timeout_seconds: args.timeout_secs,
    };
    // The call's own deadline: the exchanges' timeout and some slack.
    let mut request = tonic::Request::new(request);
    request.set_timeout(Duration::from_secs(u64::from(args.timeout_secs) + 30));
    let mut stream = client.reconcile(request).await.map_err(refused)?.into_inner();
    let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let overall = bars.add(ProgressBar::new(0));
    overall.set_style(
        ProgressStyle::with_template("reconciling [{bar:30}] {pos}/{len} exchanges {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let line = ProgressStyle::with_template("  {spinner} {msg}").expect("valid template");
    let mut lines: BTreeMap<String, ProgressBar> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    while let Some(message) = stream.message().await.map_err(refused)? {
        let unit = message.unit_id.clone();
        let bar = lines.entry(unit.clone()).or_insert_with(|| {
            overall.inc_length(1);
            let bar = bars.add(ProgressBar::new_spinner());
            bar.set_style(line.clone());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let phase = ReconcilePhase::try_from(message.phase).unwrap_or(ReconcilePhase::Unspecified);
        match phase {
            ReconcilePhase::Requested => {
                bar.set_message(format!("{unit}: asked; it starts with its next push"))
            }
            ReconcilePhase::Running => bar.set_message(format!(
                "{unit}: {} digests compared, {} days listed",
                message.digests_compared, message.days_listed
            )),
            ReconcilePhase::Done | ReconcilePhase::Failed => {
                let report = fengqiao_proto::required_at::<_, ExchangeReport>(message.report, "report")?;
                bar.finish_with_message(format!("{unit}: {}", report.outcome()));
                overall.inc(1);
                let phase = if phase == ReconcilePhase::Done { "done" } else { "failed" };
                outcomes.insert(unit.clone(), Outcome { unit_id: unit, phase, report: Some(report) });
            }
            ReconcilePhase::TimedOut => {
                bar.finish_with_message(format!("{unit}: no answer within {} s", args.timeout_secs));
                overall.inc(1);
                outcomes.insert(unit.clone(), Outcome { unit_id: unit, phase: "timed_out", report: None });
            }
            ReconcilePhase::Unspecified => {}
        }
    }
    overall.finish();
    bars.clear()?;
    if args.json {
        for outcome in outcomes.values() {
            println!("{}", serde_json::to_string(outcome)?);
        }
    } else {
        print_tables(&outcomes);
    }
    let incomplete: Vec<&str> =
        outcomes.values().filter(|o| o.phase != "done").map(|o| o.unit_id.as_str()).collect();
    if !incomplete.is_empty() {
        bail!("{} exchange(s) did not complete: {}", incomplete.len(), incomplete.join(", "));
    }
    Ok(())
}

fn print_tables(outcomes: &BTreeMap<String, Outcome>) {
    let mut table = crate::render::table::new([
        "node",
        "outcome",
        "digests",
        "days",
        "items",
        "re-sent reports",
        "re-sent case events",
        "in flight",
        "set aside",
        "conflicts",
        "bytes sent",
        "bytes received",
        "ms",
    ]);
    for outcome in outcomes.values() {
        let Some(report) = &outcome.report else {
            table.add_row([outcome.unit_id.clone(), "no answer".to_owned()]);
            continue;
        };
        let what = match &report.error {
            Some(error) => format!("failed: {error}"),
            None if report.incomplete => format!("{} (continues)", report.outcome()),
            None => report.outcome().to_owned(),
        };
        table.add_row([
            outcome.unit_id.clone(),
            what,
            report.digests_compared.to_string(),
            report.days_listed.to_string(),
            report.items_compared.to_string(),
            report.reports_resent.to_string(),
            report.case_events_resent.to_string(),
            report.in_flight.to_string(),
            report.set_aside.to_string(),
            report.conflicts_total.to_string(),
            report.bytes_sent.to_string(),
            report.bytes_received.to_string(),
            report.elapsed_ms.to_string(),
        ]);
    }
    println!("{table}");
    for outcome in outcomes.values() {
        let Some(report) = outcome.report.as_ref().filter(|r| r.conflicts_total > 0) else { continue };
        println!(
            "\n{}: {} conflict(s) — the parent holds these and the child does not (or newer, or other content); \
             nothing was applied downward:",
            outcome.unit_id, report.conflicts_total
        );
        for conflict in &report.conflicts {
            println!("  {conflict}");
        }
        if report.conflicts_total > report.conflicts.len() as u64 {
            println!("  … and {} more", report.conflicts_total - report.conflicts.len() as u64);
        }
    }
}
