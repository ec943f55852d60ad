//! `fengqiao bench all`: the figures of issue 16 in one run and one table.
//!
//! It calls the other benchmarks' own functions (`bench ingest`, `bench
//! network`, `bench summary`, `bench web`) at a size that fits ten minutes on a 2-core
//! machine, takes the figures they return, adds the idle memory of a
//! `fengqiao node` process, and prints one row per figure: its target, what
//! was measured, the baseline measured beside it in the same run, their
//! ratio and whether the target was met. `--json` prints the same rows for
//! machines (the benchmarks' own lines then go to stderr). A benchmark
//! prints; it never fails the build: a target missed is a row saying
//! "short", not an error.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::bench::ingest::IngestArgs;
use crate::bench::network::NetworkArgs;
use crate::bench::say;
use crate::bench::summary::SummaryArgs;
use crate::treegen;
use fengqiao_store::Backend;

/// How big a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// The sizes, shortened to fit ten minutes.
    Full,
    /// Seconds, not minutes: checks that every row is produced (the figures
    /// mean little).
    Tiny,
}

#[derive(Debug, clap::Args)]
pub struct AllArgs {
    /// How big a run.
    #[arg(long, value_enum, default_value = "full")]
    pub size: Size,
    /// Backends to measure (the rows of the other are marked skipped).
    #[arg(long, value_enum, num_args = 1.., default_values = ["sqlite", "postgres"])]
    pub db: Vec<Backend>,
    /// Print the rows as JSON on stdout (the benchmarks' lines go to stderr).
    #[arg(long)]
    pub json: bool,
    /// PostgreSQL server (fresh schemas are made and dropped).
    #[arg(long, env = "FENGQIAO_TEST_PG", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

/// Whether a row's target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Short,
    /// A figure without a target, recorded for comparison.
    Info,
    /// Not measured in this run (the note says why).
    Skipped,
}

/// One figure of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Stable identifier, e.g. `ingest.sqlite.ratio`.
    pub id: String,
    /// What the figure is, for a person.
    pub figure: String,
    /// The target, in words (empty: none).
    pub target: String,
    pub measured: Option<f64>,
    /// Unit of `measured` and `baseline`.
    pub unit: String,
    /// The figure it is compared with, measured in the same run.
    pub baseline: Option<f64>,
    /// What the baseline is.
    pub baseline_is: String,
    /// `measured / baseline`.
    pub ratio: Option<f64>,
    pub verdict: Verdict,
    pub note: String,
}

/// What the target of a row asks of one number.
#[derive(Debug, Clone, Copy)]
enum Target {
    AtLeast(f64),
    Below(f64),
    AtMost(f64),
    None,
}

impl Target {
    fn judge(self, value: f64) -> Verdict {
        let met = match self {
            Target::AtLeast(t) => value >= t,
            Target::Below(t) => value < t,
            Target::AtMost(t) => value <= t,
            Target::None => return Verdict::Info,
        };
        if met { Verdict::Pass } else { Verdict::Short }
    }
}

/// A row builder: what is measured, against what.
struct Figure<'a> {
    id: &'a str,
    figure: &'a str,
    target_text: &'a str,
    target: Target,
    unit: &'a str,
    baseline_is: &'a str,
}

impl Figure<'_> {
    /// A measured row; the target applies to the ratio with `judge_ratio`,
    /// else to the measured value.
    fn row(&self, measured: f64, baseline: Option<f64>, judge_ratio: bool) -> Row {
        let ratio = baseline.filter(|b| *b > 0.0).map(|b| measured / b);
        let judged = if judge_ratio { ratio.unwrap_or(0.0) } else { measured };
        Row {
            id: self.id.to_owned(),
            figure: self.figure.to_owned(),
            target: self.target_text.to_owned(),
            measured: Some(measured),
            unit: self.unit.to_owned(),
            baseline,
            baseline_is: self.baseline_is.to_owned(),
            ratio,
            verdict: self.target.judge(judged),
            note: String::new(),
        }
    }

    fn skipped(&self, why: impl Into<String>) -> Row {
        Row {
            id: self.id.to_owned(),
            figure: self.figure.to_owned(),
            target: self.target_text.to_owned(),
            measured: None,
            unit: self.unit.to_owned(),
            baseline: None,
            baseline_is: self.baseline_is.to_owned(),
            ratio: None,
            verdict: Verdict::Skipped,
            note: why.into(),
        }
    }
}

/// The sizes of each benchmark.
struct Plan {
    ingest_clients: usize,
    ingest_seconds: u64,
    ingest_connections: usize,
    network_townships: usize,
    network_backlog_days: u32,
    network_clients: usize,
    summary_townships: usize,
    summary_years: u32,
    summary_days: Option<u32>,
    summary_samples: usize,
    web_townships: usize,
    web_days: u32,
    web_samples: usize,
    rss_tree: (usize, usize, usize),
    rss_idle: Duration,
    /// `fengqiao demo --scale S --days D` (scale 1: the Zhanhe tree).
    demo: (f64, u32),
}

impl Plan {
    fn of(size: Size) -> Plan {
        match size {
            Size::Full => Plan {
                ingest_clients: 64,
                ingest_seconds: 5,
                ingest_connections: 4,
                network_townships: 10,
                network_backlog_days: 5,
                network_clients: 128,
                summary_townships: 2,
                summary_years: 2,
                summary_days: None,
                summary_samples: 200,
                // As `bench summary` here: 2 townships keep the run within
                // ten minutes; `bench web` alone defaults to 10.
                web_townships: 2,
                web_days: 365,
                web_samples: 200,
                rss_tree: (10, 10, 50),
                rss_idle: Duration::from_secs(3),
                demo: (1.0, 14),
            },
            Size::Tiny => Plan {
                ingest_clients: 4,
                ingest_seconds: 1,
                ingest_connections: 1,
                network_townships: 1,
                network_backlog_days: 1,
                network_clients: 16,
                summary_townships: 1,
                summary_years: 1,
                summary_days: Some(14),
                summary_samples: 5,
                web_townships: 1,
                web_days: 7,
                web_samples: 5,
                rss_tree: (1, 2, 5),
                rss_idle: Duration::from_millis(500),
                demo: (0.05, 1),
            },
        }
    }
}

/// Runs everything and prints the table (or the JSON).
pub async fn all(args: AllArgs) -> Result<()> {
    // Errors only: the benchmarks' own settings ("warn" for ingest) would
    // print every plaintext node's start-up warning of the network's 111.
    crate::commands::node::init_logging("error");
    crate::bench::lines_to_stderr(args.json);
    let started = Instant::now();
    let rows = measure(&args).await?;
    let seconds = started.elapsed().as_secs_f64();
    crate::bench::lines_to_stderr(false);
    if args.json {
        let out = serde_json::json!({ "size": args.size, "seconds": seconds, "rows": rows });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&rows, seconds);
    }
    Ok(())
}

async fn measure(args: &AllArgs) -> Result<Vec<Row>> {
    let plan = Plan::of(args.size);
    let mut rows = Vec::new();
    let selected = |backend| args.db.contains(&backend);

    // Ingest, per backend: the node beside raw tonic.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = backend.to_string();
        let id = format!("ingest.{name}");
        let figure_text =
            format!("bench ingest --db {name}, {} clients: node / raw tonic", plan.ingest_clients);
        let figure = Figure {
            id: &id,
            figure: &figure_text,
            target_text: "ratio ≥ 0.5",
            target: Target::AtLeast(0.5),
            unit: "rep/s",
            baseline_is: "raw tonic req/s",
        };
        if !selected(backend) {
            rows.push(figure.skipped("backend not selected (--db)"));
            continue;
        }
        say!("== bench ingest --db {name}");
        let figures = crate::bench::ingest::ingest(IngestArgs {
            db: backend,
            clients: plan.ingest_clients,
            seconds: plan.ingest_seconds,
            connections: plan.ingest_connections,
            pg_url: args.pg_url.clone(),
        })
        .await
        .with_context(|| format!("bench ingest --db {name}"))?;
        let mut row = figure.row(figures.node, Some(figures.raw), true);
        row.note = format!("forwarding on: {:.0} rep/s", figures.forwarding);
        rows.push(row);
    }

    // The network: a full day across tiers, then the drain after a partition.
    let network_backend = if selected(Backend::Postgres) { Backend::Postgres } else { Backend::Sqlite };
    let name = network_backend.to_string();
    say!("== bench network --db {name}");
    let network = crate::bench::network::network(NetworkArgs {
        db: network_backend,
        townships: plan.network_townships,
        backlog_days: plan.network_backlog_days,
        clients: plan.network_clients,
        pg_url: args.pg_url.clone(),
    })
    .await
    .with_context(|| format!("bench network --db {name}"))?;
    let drain_id = format!("network.{name}.drain");
    let drain_text = format!("bench network --db {name}: drain after a partition");
    rows.push(
        Figure {
            id: &drain_id,
            figure: &drain_text,
            target_text: "≥ 20,000 rep/s (ratio ≥ 0.7)",
            target: Target::AtLeast(20_000.0),
            unit: "rep/s",
            baseline_is: "raw batched apply rows/s",
        }
        .row(network.drain_rate, Some(network.raw_rate), false),
    );
    let lag_id = format!("network.{name}.full_day_lag");
    rows.push(
        Figure {
            id: &lag_id,
            figure: "full day visible at the district after the last submit",
            target_text: "≤ 1 s",
            target: Target::AtMost(1.0),
            unit: "s",
            baseline_is: "",
        }
        .row(network.full_day_lag_s, None, false),
    );

    // Summaries, per backend: one week of history, then the long history.
    let summary_backends: Vec<Backend> =
        [Backend::Sqlite, Backend::Postgres].into_iter().filter(|b| selected(*b)).collect();
    let lines = if summary_backends.is_empty() {
        Vec::new()
    } else {
        say!("== bench summary --townships {} --years {}", plan.summary_townships, plan.summary_years);
        crate::bench::summary::summary(SummaryArgs {
            db: summary_backends,
            townships: plan.summary_townships,
            years: plan.summary_years,
            days: plan.summary_days,
            samples: plan.summary_samples,
            no_duckdb: true,
            pg_url: args.pg_url.clone(),
        })
        .await
        .context("bench summary")?
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = backend.to_string();
        let of: Vec<&crate::bench::summary::Line> = lines.iter().filter(|l| l.backend == backend).collect();
        let (week_id, year_id, ratio_id, rebuild_id) = (
            format!("summary.{name}.week_p99"),
            format!("summary.{name}.year_p99"),
            format!("summary.{name}.year_history_ratio"),
            format!("rebuild.{name}"),
        );
        let long = of.last().map_or_else(
            || match plan.summary_days {
                Some(days) => format!("{days} days"),
                None => format!("{} years", plan.summary_years),
            },
            |l| l.history.clone(),
        );
        let week_text = format!("bench summary ({name}, {long} of history): week p99");
        let year_text = format!("bench summary ({name}, {long} of history): year p99");
        let ratio_text = format!("year p99 ({name}), {long} vs 1 week of history");
        let rebuild_text = format!("rollup rebuild ({name}, {long} of history)");
        let week = Figure {
            id: &week_id,
            figure: &week_text,
            target_text: "< 5 ms",
            target: Target::Below(5.0),
            unit: "ms",
            baseline_is: "p99 with 1 week of history",
        };
        let year = Figure {
            id: &year_id,
            figure: &year_text,
            target_text: "< 5 ms",
            target: Target::Below(5.0),
            unit: "ms",
            baseline_is: "p99 with 1 week of history",
        };
        let ratio = Figure {
            id: &ratio_id,
            figure: &ratio_text,
            target_text: "≤ 1.5×",
            target: Target::AtMost(1.5),
            unit: "×",
            baseline_is: "",
        };
        let rebuild = Figure {
            id: &rebuild_id,
            figure: &rebuild_text,
            target_text: "",
            target: Target::None,
            unit: "rep/s",
            baseline_is: "",
        };
        let [short, long] = of.as_slice() else {
            let why = "backend not selected (--db)";
            rows.extend([week.skipped(why), year.skipped(why), ratio.skipped(why), rebuild.skipped(why)]);
            continue;
        };
        rows.push(week.row(long.week.1, Some(short.week.1), false));
        rows.push(year.row(long.year.1, Some(short.year.1), false));
        rows.push(ratio.row(long.year.1 / short.year.1.max(f64::MIN_POSITIVE), None, false));
        rows.push(rebuild.row(long.rebuild_rate, None, false));
    }

    // The dashboard: the district's overview beside its WeeklySummary.
    let web_text = format!(
        "bench web: district overview p99 (SQLite, {} townships, {} days of data)",
        plan.web_townships, plan.web_days
    );
    let web_figure = Figure {
        id: "web.overview_p99",
        figure: &web_text,
        target_text: "< 50 ms",
        target: Target::Below(50.0),
        unit: "ms",
        baseline_is: "WeeklySummary p99 (gRPC)",
    };
    if selected(Backend::Sqlite) {
        say!("== bench web --townships {} --days {}", plan.web_townships, plan.web_days);
        let lines = crate::bench::web::web(crate::bench::web::WebArgs {
            db: Backend::Sqlite,
            townships: plan.web_townships,
            days: plan.web_days,
            samples: plan.web_samples,
            pg_url: args.pg_url.clone(),
        })
        .await
        .context("bench web")?;
        match lines.first() {
            Some(district) => rows.push(web_figure.row(district.render.1, Some(district.grpc.1), false)),
            None => rows.push(web_figure.skipped("no page measured")),
        }
    } else {
        rows.push(web_figure.skipped("backend not selected (--db)"));
    }

    let (scale, days) = plan.demo;
    let demo_text = if scale == 1.0 {
        format!("fengqiao demo ({days} days, Zhanhe District, after the build)")
    } else {
        format!("fengqiao demo --scale {scale} --days {days}")
    };
    let demo = Figure {
        id: "demo",
        figure: &demo_text,
        target_text: "< 30 s",
        target: Target::Below(30.0),
        unit: "s",
        baseline_is: "",
    };
    say!("== {demo_text}");
    rows.push(match tokio::task::spawn_blocking(move || demo_phases(scale, days)).await? {
        Ok(phases) => {
            let total = phases.last().map_or(0.0, |(_, seconds)| *seconds);
            let mut row = demo.row(total, None, false);
            row.note = phases
                .iter()
                .take(phases.len().saturating_sub(1))
                .map(|(phase, seconds)| format!("{phase} {seconds:.1}"))
                .collect::<Vec<_>>()
                .join("; ");
            row
        }
        Err(error) => demo.skipped(format!("{error:#}")),
    });

    say!("== node RSS idle");
    let rss = Figure {
        id: "node.rss_idle",
        figure: "fengqiao node RSS idle",
        target_text: "< 64 MB",
        target: Target::Below(64.0),
        unit: "MiB",
        baseline_is: "",
    };
    let (tree, idle) = (plan.rss_tree, plan.rss_idle);
    rows.push(match tokio::task::spawn_blocking(move || idle_rss_mib(tree, idle)).await? {
        Ok((mib, units)) => {
            let mut row = rss.row(mib, None, false);
            row.note =
                format!("SQLite, {units} units, idle {:.1} s after start", plan.rss_idle.as_secs_f64());
            row
        }
        Err(error) => rss.skipped(format!("{error:#}")),
    });
    Ok(rows)
}

/// Runs `fengqiao demo` (this executable, in English, in a temporary
/// directory; at scale 1 from the project directory, where its tree file
/// is) and reads the phase table it prints at its end: each phase and its
/// seconds, the total last.
fn demo_phases(scale: f64, days: u32) -> Result<Vec<(String, f64)>> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe().context("finding the fengqiao executable")?;
    let output = Command::new(exe)
        .args(["demo", "--lang", "en", "--wide", "--scale", &scale.to_string(), "--days", &days.to_string()])
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .context("starting fengqiao demo")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "fengqiao demo failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or_default()
    );
    parse_phases(&stdout).context("no phase table at the end of the demo's output")
}

/// The rows of the demo's phase table (after its "demo phases" line):
/// a phase's name and its seconds, the last number of the row.
fn parse_phases(output: &str) -> Option<Vec<(String, f64)>> {
    let table = &output[output.rfind("demo phases")?..];
    let phases: Vec<(String, f64)> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.split(['│', '┆', '|']).map(str::trim).filter(|cell| !cell.is_empty()).collect();
            match cells.as_slice() {
                [phase, seconds] => Some(((*phase).to_owned(), seconds.parse().ok()?)),
                _ => None,
            }
        })
        .collect();
    phases.last().is_some_and(|(phase, _)| phase == "total").then_some(phases)
}

/// Starts `fengqiao node` (this executable) on a fresh SQLite database over
/// a synthetic tree, waits until it serves and then `idle`, and reads its
/// resident memory (`VmRSS`, Linux). Returns (MiB, units in the tree).
fn idle_rss_mib(tree: (usize, usize, usize), idle: Duration) -> Result<(f64, usize)> {
    let tree = treegen::synthetic(0, tree.0, tree.1, tree.2)?;
    let dir = tempfile::tempdir()?;
    let tree_path = dir.path().join("tree.csv");
    std::fs::write(&tree_path, tree.to_csv())?;
    let db = format!("sqlite://{}", dir.path().join("node.db").display());
    let exe = std::env::current_exe().context("finding the fengqiao executable")?;
    let today = fengqiao_core::TimePolicy::default().local_date(chrono::Utc::now());
    let mut child = Command::new(exe)
        .args([
            "node",
            "--unit",
            tree.root_id().as_str(),
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
            "--insecure",
        ])
        .arg("--tree")
        .arg(&tree_path)
        .args(["--start-date", &today.to_string()])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting fengqiao node")?;
    let rss = resident_when_idle(&mut child, idle);
    let _ = child.kill();
    let _ = child.wait();
    Ok((rss?, tree.len()))
}

/// Waits for the node's first line (it serves), then `idle`, and reads its
/// `VmRSS` in MiB.
fn resident_when_idle(child: &mut Child, idle: Duration) -> Result<f64> {
    let stdout = child.stdout.take().context("node stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    anyhow::ensure!(first.contains(" on "), "the node did not announce its address (said {first:?})");
    std::thread::sleep(idle);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .context("reading the node's /proc status (Linux only)")?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .context("no VmRSS in the node's /proc status")?;
    Ok(kib / 1024.0)
}

fn number(value: f64) -> String {
    if value >= 1000.0 {
        let whole = value.round() as i64;
        let digits = whole.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn print_table(rows: &[Row], seconds: f64) {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN).set_header([
        "figure",
        "target",
        "measured",
        "baseline",
        "ratio",
        "pass/short",
    ]);
    for row in rows {
        let with_unit = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{} {}", number(v), row.unit));
        let baseline = match row.baseline {
            Some(_) => format!("{} ({})", with_unit(row.baseline), row.baseline_is),
            None => "-".to_owned(),
        };
        let verdict = match row.verdict {
            Verdict::Pass => "pass".to_owned(),
            Verdict::Short => "SHORT".to_owned(),
            Verdict::Info => "(no target)".to_owned(),
            Verdict::Skipped => format!("skipped: {}", row.note),
        };
        table.add_row([
            row.figure.clone(),
            row.target.clone(),
            with_unit(row.measured),
            baseline,
            row.ratio.map_or("-".to_owned(), |r| format!("{r:.2}")),
            verdict,
        ]);
    }
    println!("{table}");
    println!("bench all: {} figures in {seconds:.0} s", rows.len());
}

#[cfg(test)]
mod tests {
    use super::parse_phases;

    #[test]
    fn the_demo_phase_table_is_read_to_its_total() {
        let output = "accepted 10 reports\n\ndemo phases\n┌────┐\n│ phase ┆ seconds │\n╞══╡\n\
                      │ start-up (certificates, databases, nodes) ┆ 4.7 │\n│ reporting ┆ 15.7 │\n\
                      │ total ┆ 30.9 │\n└────┘\n";
        let phases = parse_phases(output).expect("a table");
        assert_eq!(
            phases,
            [
                ("start-up (certificates, databases, nodes)".to_owned(), 4.7),
                ("reporting".to_owned(), 15.7),
                ("total".to_owned(), 30.9)
            ]
        );
        assert_eq!(
            parse_phases("demo phases\n│ reporting ┆ 15.7 │\n"),
            None,
            "no total: not the whole table"
        );
        assert_eq!(parse_phases("no table"), None);
    }
}
