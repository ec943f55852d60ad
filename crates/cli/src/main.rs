//! `fengqiao`: run a node, submit and read reports, generate unit trees,
//! benchmark. Human tables by default, `--json` for scripts; every error is a
//! one-line message and a non-zero exit, never a panic or a backtrace.

mod bench;
mod commands;
mod connection;
mod dates;
mod demo;
mod errors;
mod i18n;
mod national;
mod render;
#[cfg(unix)]
mod sigbus;
mod telemetry;
mod treegen;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "fengqiao", version, about = "Grass-roots dispute reporting over a four-tier gRPC network")]
struct Cli {
    /// Show tables at full width instead of fitting them to the terminal (COLUMNS, the
    /// terminal's width, or 80 columns when the output is not a terminal).
    #[arg(long, global = true)]
    wide: bool,
    /// The language of tables and text: zh (简体中文) or en. Default: Chinese where the locale
    /// (LC_ALL, LC_MESSAGES, LANG) starts with zh, else English. --json and CSV stay English.
    #[arg(long, global = true, value_enum)]
    lang: Option<i18n::Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a whole district network on this machine and simulate days of reporting.
    Demo(demo::DemoArgs),
    /// Run a node serving a unit and every unit below it.
    Node(commands::node::NodeArgs),
    /// A node's configuration: print the effective one (defaults < TOML file < FENGQIAO__* environment < flags).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The deployment CA: create it, issue node and person certificates.
    Ca {
        #[command(subcommand)]
        command: commands::ca::CaCommand,
    },
    /// Submit a daily report (disputes from flags or a JSON file).
    Report(commands::report::ReportArgs),
    /// Submit a zero report: the unit found nothing that day.
    Zero(commands::report::ZeroArgs),
    /// List the reports of a unit's subtree for a range of dates.
    Reports(commands::report::ReportsArgs),
    /// Ask a node's gRPC health (exit 0 only when SERVING): for readiness probes and scripts.
    Health(commands::status::HealthArgs),
    /// Show a node's identity, parent and outbox (what is not yet forwarded).
    Status(commands::status::StatusArgs),
    /// Issue a notice to a unit below the node; it travels down to the node that serves it.
    Notice(commands::notice::NoticeArgs),
    /// List the notices a node holds for a unit.
    Notices(commands::notice::NoticesArgs),
    /// The weekly (or period) summary of a unit's subtree, with a scorecard of its child units.
    Summary(commands::summary::SummaryArgs),
    /// The units of a subtree without a report for a day, and the late ones.
    Missing(commands::missing::MissingArgs),
    /// A subtree's completeness, timeliness and disputes week by week.
    Trend(commands::trend::TrendArgs),
    /// Stream every report of a subtree and range to a CSV or JSON-lines file.
    Export(commands::export::ExportArgs),
    /// Reconcile child nodes with the node (or the node with its parent) now: compare digests,
    /// send again what the parent lacks, report conflicts (admin).
    Reconcile(commands::reconcile::ReconcileArgs),
    /// Recompute a database's rollups from its reports and compare (admin; --repair rebuilds).
    Verify(commands::verify::VerifyArgs),
    /// The case ledger (立案、交办、包案、挂账销号): register cases and move them on, show, list.
    Case {
        #[command(subcommand)]
        command: commands::case::CaseCommand,
    },
    /// Personal-data keys: generate one, reseal a database under the current key.
    Pii {
        #[command(subcommand)]
        command: commands::pii::PiiCommand,
    },
    /// Departments (职能部门): a unit's departments, and their case figures over a range.
    Dept {
        #[command(subcommand)]
        command: commands::dept::DeptCommand,
    },
    /// The leader on duty for duty reception (领导值班): set or show the roster.
    Roster {
        #[command(subcommand)]
        command: commands::roster::RosterCommand,
    },
    /// Record a duty-reception visit: answered on the spot, or registered as a case.
    Visit(commands::visit::VisitArgs),
    /// Issue a supervision notice (督办) on a case owned below the node.
    Supervise(commands::supervise::SuperviseArgs),
    /// The petitioner's view of a case on the public tracker (阳光信访): --case, --code, and --rate once resolved.
    Track(commands::track::TrackArgs),
    /// The weekly resolution work report (化解工作周报告): file, withdraw, review, approve,
    /// return, unapprove; the filing board (status) and the document (show).
    Weekly {
        #[command(subcommand)]
        command: commands::weekly::WeeklyCommand,
    },
    /// Leaders' contact duties (包片/包案) and key projects: set and list them, a leader's figures.
    Contact {
        #[command(subcommand)]
        command: commands::contact::ContactCommand,
    },
    /// Accountability actions (责任追究: 通报批评, 约谈, 通报表扬): record one, list a year's.
    Accountability {
        #[command(subcommand)]
        command: commands::accountability::AccountabilityCommand,
    },
    /// The year in one report (年度报告) of a unit's subtree.
    Annual(commands::annual::AnnualArgs),
    /// The case ids or reports behind one figure of a summary.
    Drill(commands::drill::DrillArgs),
    /// The tamper-evident audit log of a node's database (read-only): verify, list, head.
    Audit {
        #[command(subcommand)]
        command: commands::audit::AuditCommand,
    },
    /// The node's web dashboard: issue a login link (on the node's host).
    Web {
        #[command(subcommand)]
        command: commands::web::WebCommand,
    },
    /// The unit tree a node holds: a subtree to a depth, or units found by name or code.
    Units(commands::units::UnitsArgs),
    /// Work with unit tree files.
    Tree {
        #[command(subcommand)]
        command: TreeCommand,
    },
    /// Measure performance; prints figures, asserts nothing.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a node's configuration and print it as TOML, each value with its origin, secrets
    /// redacted; exits non-zero naming the first problem. Takes the same flags as `fengqiao node`.
    Print(commands::config::ConfigArgs),
}

#[derive(Debug, Subcommand)]
enum TreeCommand {
    /// Generate a tree file: groups under a real tree, or a synthetic tree.
    Generate(commands::tree::GenerateArgs),
    /// Build a subtree of the national division tree (a province, a city, a county, the
    /// country) from the divisions file, down to a tier, with generated groups below villages.
    National(commands::tree::NationalArgs),
    /// Count the units of each tier in a subtree of the national division tree, and the groups
    /// generated below it at a density.
    Counts(commands::tree::CountsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A command whose reader went away (`| head`) ends quietly, as other
    // Unix tools do, instead of panicking in a print. Not the long-running
    // ones: a node or a demo outlives its terminal and must not die of it.
    #[cfg(unix)]
    if !matches!(cli.command, Command::Node(_) | Command::Demo(_) | Command::Bench { .. }) {
        sigbus::quiet_on_closed_pipe();
    }
    render::table::set_wide(cli.wide);
    i18n::init(cli.lang);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Node(args) => commands::node::run(args).await,
            Command::Config { command: ConfigCommand::Print(args) } => commands::config::print(&args),
            Command::Ca { command } => commands::ca::run(command),
            Command::Report(args) => commands::report::report(args).await,
            Command::Zero(args) => commands::report::zero(args).await,
            Command::Reports(args) => commands::report::reports(args).await,
            Command::Health(args) => commands::status::health(args).await,
            Command::Status(args) => commands::status::status(args).await,
            Command::Notice(args) => commands::notice::notice(args).await,
            Command::Notices(args) => commands::notice::notices(args).await,
            Command::Summary(args) => commands::summary::summary(args).await,
            Command::Missing(args) => commands::missing::missing(args).await,
            Command::Trend(args) => commands::trend::trend(args).await,
            Command::Export(args) => commands::export::export(args).await,
            Command::Verify(args) => commands::verify::verify(args).await,
            Command::Reconcile(args) => commands::reconcile::run(args).await,
            Command::Case { command } => commands::case::run(command).await,
            Command::Dept { command } => commands::dept::run(command).await,
            Command::Roster { command } => commands::roster::roster(command).await,
            Command::Pii { command } => commands::pii::run(command).await,
            Command::Visit(args) => commands::visit::visit(args).await,
            Command::Supervise(args) => commands::supervise::supervise(args).await,
            Command::Track(args) => commands::track::track(args).await,
            Command::Weekly { command } => commands::weekly::run(command).await,
            Command::Contact { command } => commands::contact::run(command).await,
            Command::Accountability { command } => commands::accountability::run(command).await,
            Command::Annual(args) => commands::annual::annual(args).await,
            Command::Drill(args) => commands::drill::drill(args).await,
            Command::Audit { command } => commands::audit::run(command).await,
            Command::Units(args) => commands::units::units(args).await,
            Command::Web { command } => commands::web::run(command).await,
            Command::Tree { command: TreeCommand::Generate(args) } => commands::tree::generate(args),
            Command::Tree { command: TreeCommand::National(args) } => commands::tree::national(args),
            Command::Tree { command: TreeCommand::Counts(args) } => commands::tree::counts(args),
            Command::Bench { command } => bench::run(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {}", i18n::text("error-prefix"), errors::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
