//! `fengqiao.v1.SummaryService` integration tests: a real node on
//! `127.0.0.1:0` with a manual clock, reports submitted through
//! `ReportingService`, and every summary figure checked exactly. Every test
//! runs once on SQLite and once on PostgreSQL (see the macro at the bottom).
//!
//! The node serves township 410411001 of this tree (2026-W48 runs from
//! Monday 2026-11-23 to Sunday 2026-11-29; the cut-off is 18:00 in Shanghai,
//! 10:00 UTC):
//!
//! ```text
//! 410411 湛河区 (district, not reporting)
//! ├── 410411001 马庄街道 (township, reporting)              ← the node's home
//! │   ├── 410411001001 电力社区 (community, reporting)
//! │   │   ├── …001 1号楼  always open
//! │   │   ├── …002 2号楼  opens on Wednesday 2026-11-25
//! │   │   └── …003 3号楼  under 平高社区 until it moves here on Friday 2026-11-27
//! │   └── 410411001002 平高社区 (community, NOT reporting)
//! │       ├── …001 5号楼  closed after Tuesday 2026-11-24
//! │       └── …002 6号楼  always open
//! └── 410411002 南环路街道 (outside the node's subtree)
//!     └── 410411002001 某村 └── 410411002001001 第一村民组
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use fengqiao_core::{Clock, IsoWeek, ManualClock, UnitTree};
use fengqiao_node::{ChildNodes, ForwarderConfig, Limits, Node, NodeConfig, ServeError};
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::timestamp;
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, Store};
use futures::StreamExt;
use pb::AssessmentComponent as Component;
use pb::DisputeCategory as Cat;
use pb::DisputeOutcome as Out;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
    410411,,district,湛河区,false,,,\n\
    410411001,410411,township,马庄街道,true,,,\n\
    410411001001,410411001,community,电力社区,true,,,\n\
    410411001001001,410411001001,group,1号楼,true,,,\n\
    410411001001002,410411001001,group,2号楼,true,2026-11-25,,\n\
    410411001001003,410411001001,group,3号楼,true,,,410411001002@2026-11-27\n\
    410411001002,410411001,community,平高社区,false,,,\n\
    410411001002001,410411001002,group,5号楼,true,,2026-11-24,\n\
    410411001002002,410411001002,group,6号楼,true,,,\n\
    410411002,410411,township,南环路街道,true,,,\n\
    410411002001,410411002,community,某村,true,,,\n\
    410411002001001,410411002001,group,第一村民组,true,,,\n";

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const C1: &str = "410411001001";
/// Always open.
const G1: &str = "410411001001001";
/// Opens on Wednesday 2026-11-25.
const OPENS: &str = "410411001001002";
/// Under C2 until Thursday, under C1 from Friday 2026-11-27.
const MOVED: &str = "410411001001003";
/// Does not file reports.
const C2: &str = "410411001002";
/// Closed after Tuesday 2026-11-24.
const CLOSES: &str = "410411001002001";
/// Always open.
const G6: &str = "410411001002002";
const OTHER_TOWNSHIP: &str = "410411002";
const OUTSIDE: &str = "410411002001001";

/// The served units that file reports (on the days they are open).
const REPORTING: [&str; 7] = [TOWNSHIP, C1, G1, OPENS, MOVED, CLOSES, G6];

fn name_of(unit: &str) -> &'static str {
    match unit {
        DISTRICT => "湛河区",
        TOWNSHIP => "马庄街道",
        C1 => "电力社区",
        G1 => "1号楼",
        OPENS => "2号楼",
        MOVED => "3号楼",
        C2 => "平高社区",
        CLOSES => "5号楼",
        G6 => "6号楼",
        OTHER_TOWNSHIP => "南环路街道",
        other => panic!("no name for {other}"),
    }
}

fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn nov(day: u32) -> NaiveDate {
    d(11, day)
}

/// `hour:minute` UTC on `date` (08:00 UTC is 16:00 in Shanghai, before the
/// cut-off; 10:00 UTC is the cut-off).
fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
}

fn cutoff(date: NaiveDate) -> DateTime<Utc> {
    at(date, 10, 0)
}

/// Whether `unit` is expected to report on `day`.
fn expected_on(unit: &str, day: NaiveDate) -> bool {
    match unit {
        OPENS => day >= nov(25),
        CLOSES => day <= nov(24),
        _ => REPORTING.contains(&unit),
    }
}

/// Whether served `unit` is `ancestor` or lies below it on `day`.
fn within(unit: &str, ancestor: &str, day: NaiveDate) -> bool {
    if unit == ancestor || ancestor == TOWNSHIP {
        return true;
    }
    let community = match unit {
        MOVED if day < nov(27) => C2,
        MOVED => C1,
        u if u.starts_with(C1) => C1,
        u if u.starts_with(C2) => C2,
        _ => return false,
    };
    ancestor == community
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// A node over gRPC with a manual clock, its clients and its store.
struct TestNode {
    db: TestDb,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    url: String,
    reporting: ReportingServiceClient<Channel>,
    summary: SummaryServiceClient<Channel>,
    cases: CaseServiceClient<Channel>,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
}

impl TestNode {
    /// The township node, its clock at Monday 2026-11-23 16:00 in Shanghai.
    async fn start(backend: Backend) -> TestNode {
        let clock = Arc::new(ManualClock::new(at(nov(23), 8, 0)));
        TestNode::start_with(backend, NodeConfig::new(TOWNSHIP), clock).await
    }

    async fn start_with(backend: Backend, config: NodeConfig, clock: Arc<ManualClock>) -> TestNode {
        TestNode::start_on(backend, config, clock, TREE).await
    }

    /// A node on another tree.
    async fn start_on(backend: Backend, config: NodeConfig, clock: Arc<ManualClock>, tree: &str) -> TestNode {
        let db = TestDb::new(backend).await;
        let store = db.open().await.expect("test database opens");
        let tree = UnitTree::from_csv(tree).expect("test tree parses");
        // The tests seed thousands of reports from this one process (one
        // caller to the rate limit, which crates/node/tests/limits.rs tests).
        let config = NodeConfig { limits: Limits { rate_per_second: 0, ..config.limits }, ..config };
        let node = Node::start(config, &tree, Arc::clone(&store), Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .expect("node starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
            let _ = stop.await;
        }));
        let url = format!("http://{addr}");
        let channel =
            Endpoint::from_shared(url.clone()).expect("endpoint").connect().await.expect("connects");
        TestNode {
            db,
            store,
            clock,
            url,
            reporting: ReportingServiceClient::new(channel.clone()),
            summary: SummaryServiceClient::new(channel.clone()),
            cases: CaseServiceClient::new(channel),
            shutdown,
            server,
        }
    }

    async fn stop(self) {
        let TestNode { db, store, reporting, summary, cases, shutdown, server, .. } = self;
        drop((reporting, summary, cases));
        let _ = shutdown.send(());
        tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("server stops within 30 s")
            .expect("server task does not panic")
            .expect("server stops without error");
        store.close().await;
        db.cleanup().await;
    }

    fn set_clock(&self, now: DateTime<Utc>) {
        self.clock.set(now);
    }

    async fn try_submit(&self, report: pb::DailyReport) -> Result<pb::SubmitDailyReportResponse, Status> {
        self.reporting
            .clone()
            .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn submit(&self, report: pb::DailyReport) -> pb::SubmitDailyReportResponse {
        let what = format!("{}@{} rev {}", report.unit_id, report.date, report.revision);
        self.try_submit(report).await.unwrap_or_else(|status| panic!("{what} refused: {status}"))
    }

    /// Submits a first revision at the clock's time and checks its timeliness.
    async fn send(&self, sent: &Sent) {
        let response = self.submit(report(sent.unit, sent.date, 1, sent.disputes.clone())).await;
        assert_eq!(
            pb::Disposition::try_from(response.disposition),
            Ok(pb::Disposition::New),
            "{}@{}",
            sent.unit,
            sent.date
        );
        assert_eq!(response.on_time, sent.on_time(), "{}@{} sent at {}", sent.unit, sent.date, sent.at);
    }

    async fn weekly(&self, unit: &str, week: &str) -> Result<pb::Summary, Status> {
        let request = pb::WeeklySummaryRequest { unit_id: unit.into(), iso_week: week.into() };
        let response = self.summary.clone().weekly_summary(request).await?.into_inner();
        Ok(response.summary.expect("a weekly summary carries a summary"))
    }

    async fn period(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<pb::Summary, Status> {
        self.period_str(unit, &from.to_string(), &to.to_string()).await
    }

    async fn period_str(&self, unit: &str, from: &str, to: &str) -> Result<pb::Summary, Status> {
        let request =
            pb::PeriodSummaryRequest { unit_id: unit.into(), from_date: from.into(), to_date: to.into() };
        let response = self.summary.clone().period_summary(request).await?.into_inner();
        Ok(response.summary.expect("a period summary carries a summary"))
    }

    async fn completeness(&self, unit: &str, date: &str) -> Result<pb::CompletenessResponse, Status> {
        let request = pb::CompletenessRequest { unit_id: unit.into(), date: date.into() };
        self.summary.clone().completeness(request).await.map(tonic::Response::into_inner)
    }

    async fn trend(&self, unit: &str, from: &str, to: &str) -> Result<pb::TrendResponse, Status> {
        let request = pb::TrendRequest { unit_id: unit.into(), from_week: from.into(), to_week: to.into() };
        self.summary.clone().trend(request).await.map(tonic::Response::into_inner)
    }

    /// Every message of an export.
    async fn export(
        &self,
        unit: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<pb::ExportReportsResponse>, Status> {
        let request =
            pb::ExportReportsRequest { unit_id: unit.into(), from_date: from.into(), to_date: to.into() };
        let mut stream = self.summary.clone().export_reports(request).await?.into_inner();
        let mut messages = Vec::new();
        while let Some(message) =
            tokio::time::timeout(Duration::from_secs(30), stream.message()).await.expect("export stalls")?
        {
            messages.push(message);
        }
        Ok(messages)
    }

    async fn drill(
        &self,
        unit: &str,
        from: NaiveDate,
        to: NaiveDate,
        figure: &str,
    ) -> Result<pb::DrillDownResponse, Status> {
        let request = pb::DrillDownRequest {
            unit_id: unit.into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
            figure: figure.into(),
            ..pb::DrillDownRequest::default()
        };
        self.summary.clone().drill_down(request).await.map(tonic::Response::into_inner)
    }

    /// Registers a case (a letter about a land matter) at `unit` at the
    /// clock's time; returns its id.
    async fn register(&self, unit: &str, id_number: &str) -> String {
        let request = pb::RegisterCaseRequest {
            intake: Some(pb::CaseIntake {
                origin_unit_id: unit.into(),
                category: Cat::Land.into(),
                channel: pb::CaseChannel::Letter.into(),
                summary: "boundary of a contracted plot".into(),
                ..pb::CaseIntake::default()
            }),
            petitioner: Some(pb::Petitioner {
                name: "测试甲某".into(),
                phone: "139 0000 0000".into(),
                id_number: id_number.into(),
            }),
            actor: "officer-1".into(),
            ..pb::RegisterCaseRequest::default()
        };
        let response = self.cases.clone().register_case(request).await.expect("registered").into_inner();
        response.r#case.expect("a registration returns the case").case_id
    }

    /// Acts on a case at the clock's time.
    async fn act(&self, case_id: &str, action: Action) -> pb::Case {
        let request = pb::ActOnCaseRequest {
            case_id: case_id.into(),
            actor: "leader-1".into(),
            note: "as planned".into(),
            action: Some(action),
            ..pb::ActOnCaseRequest::default()
        };
        let what = format!("{request:?}");
        let response = self.cases.clone().act_on_case(request).await;
        response.unwrap_or_else(|status| panic!("{what}: {status}")).into_inner().r#case.unwrap()
    }

    async fn watch(&self, unit: &str) -> Result<tonic::Streaming<pb::WatchAlertsResponse>, Status> {
        let request = pb::WatchAlertsRequest { unit_id: unit.into() };
        self.summary.clone().watch_alerts(request).await.map(tonic::Response::into_inner)
    }
}

/// The status of a call that must fail with `code`.
#[track_caller]
fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, what: &str) -> Status {
    match result {
        Ok(value) => panic!("{what}: expected {code:?}, got OK: {value:?}"),
        Err(status) => {
            assert_eq!(status.code(), code, "{what}: got {:?}: {}", status.code(), status.message());
            status
        }
    }
}

/// A call that must fail with INVALID_ARGUMENT naming `field`.
#[track_caller]
fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str, what: &str) {
    let status = expect_code(result, Code::InvalidArgument, what);
    assert!(
        status.message().starts_with(&format!("{field}: ")),
        "{what}: expected the message to name {field:?}, got {:?}",
        status.message()
    );
}

// ---------------------------------------------------------------------------
// Reports and disputes
// ---------------------------------------------------------------------------

fn report(unit: &str, date: NaiveDate, revision: u32, disputes: Vec<pb::Dispute>) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: date.to_string(),
        revision,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: if revision > 1 { format!("correction {revision}") } else { String::new() },
    }
}

fn plain(id: &str, category: Cat, outcome: Out, parties: u32) -> pb::Dispute {
    pb::Dispute {
        local_id: id.into(),
        category: category.into(),
        outcome: outcome.into(),
        parties,
        summary: "screened on the round".into(),
        case_id: String::new(),
        wage_arrears: None,
    }
}

/// A wage-arrears dispute: `[workers, claimed, recovered]` in fen.
fn wage(id: &str, employer: &str, outcome: Out, parties: u32, money: [i64; 3]) -> pb::Dispute {
    pb::Dispute {
        local_id: id.into(),
        category: Cat::WageArrears.into(),
        outcome: outcome.into(),
        parties,
        summary: "wages owed".into(),
        case_id: String::new(),
        wage_arrears: Some(pb::WageArrears {
            employer: employer.into(),
            workers: money[0] as u32,
            amount_claimed_cents: money[1],
            amount_recovered_cents: money[2],
        }),
    }
}

/// One first revision: who, for which day, when it was sent, what it said.
#[derive(Debug, Clone)]
struct Sent {
    unit: &'static str,
    date: NaiveDate,
    at: DateTime<Utc>,
    disputes: Vec<pb::Dispute>,
}

impl Sent {
    fn on_time(&self) -> bool {
        self.at < cutoff(self.date)
    }
}

/// Sends every report in the order of its sending time, moving the clock.
async fn send_all(node: &TestNode, schedule: &[Sent]) {
    let mut schedule = schedule.to_vec();
    schedule.sort_by_key(|s| s.at);
    for sent in &schedule {
        node.set_clock(sent.at);
        node.send(sent).await;
    }
}

/// The employer key the store counts distinctly (trimmed, inner white space
/// collapsed, ASCII lower-cased).
fn employer_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// Expected figures
// ---------------------------------------------------------------------------

/// A tally as the test expects it (employers aside: they are not additive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Fig {
    expected: i64,
    received: i64,
    on_time: i64,
    late: i64,
    missing: i64,
    zero: i64,
    disputes: i64,
    parties: i64,
    /// By category, in proto enum order (1..=10).
    categories: [i64; 10],
    /// By outcome, in proto enum order (1..=4).
    outcomes: [i64; 4],
    /// Wage arrears: disputes, resolved on the spot, workers, claimed, recovered.
    wage: [i64; 5],
}

fn cats(counts: &[(Cat, i64)]) -> [i64; 10] {
    let mut out = [0; 10];
    for &(category, n) in counts {
        out[category as usize - 1] += n;
    }
    out
}

fn outs(counts: &[(Out, i64)]) -> [i64; 4] {
    let mut out = [0; 4];
    for &(outcome, n) in counts {
        out[outcome as usize - 1] += n;
    }
    out
}

impl Fig {
    fn add_report(&mut self, disputes: &[pb::Dispute], on_time: bool) {
        self.received += 1;
        self.on_time += i64::from(on_time);
        self.late += i64::from(!on_time);
        self.zero += i64::from(disputes.is_empty());
        for dispute in disputes {
            self.disputes += 1;
            self.parties += i64::from(dispute.parties);
            self.categories[dispute.category as usize - 1] += 1;
            self.outcomes[dispute.outcome as usize - 1] += 1;
            if let Some(w) = &dispute.wage_arrears {
                self.wage[0] += 1;
                self.wage[1] += i64::from(dispute.outcome == Out::ResolvedOnTheSpot as i32);
                self.wage[2] += i64::from(w.workers);
                self.wage[3] += w.amount_claimed_cents;
                self.wage[4] += w.amount_recovered_cents;
            }
        }
    }

    fn to_pb(self, employers: i64) -> pb::Tally {
        pb::Tally {
            expected: self.expected,
            received: self.received,
            on_time: self.on_time,
            late: self.late,
            missing: self.missing,
            zero_reports: self.zero,
            disputes: self.disputes,
            parties: self.parties,
            by_category: (1..=10)
                .map(|c| pb::CategoryCount { category: c, disputes: self.categories[c as usize - 1] })
                .collect(),
            by_outcome: (1..=4)
                .map(|o| pb::OutcomeCount { outcome: o, disputes: self.outcomes[o as usize - 1] })
                .collect(),
            wage_arrears: Some(pb::WageFigures {
                disputes: self.wage[0],
                resolved: self.wage[1],
                workers: self.wage[2],
                amount_claimed_cents: self.wage[3],
                amount_recovered_cents: self.wage[4],
                employers,
            }),
        }
    }

    /// The additive figures of a tally on the wire.
    fn of_pb(tally: &pb::Tally) -> Fig {
        let mut fig = Fig {
            expected: tally.expected,
            received: tally.received,
            on_time: tally.on_time,
            late: tally.late,
            missing: tally.missing,
            zero: tally.zero_reports,
            disputes: tally.disputes,
            parties: tally.parties,
            ..Fig::default()
        };
        for c in &tally.by_category {
            fig.categories[c.category as usize - 1] += c.disputes;
        }
        for o in &tally.by_outcome {
            fig.outcomes[o.outcome as usize - 1] += o.disputes;
        }
        let w = tally.wage_arrears.unwrap_or_default();
        fig.wage = [w.disputes, w.resolved, w.workers, w.amount_claimed_cents, w.amount_recovered_cents];
        fig
    }
}

impl std::ops::AddAssign for Fig {
    fn add_assign(&mut self, other: Fig) {
        self.expected += other.expected;
        self.received += other.received;
        self.on_time += other.on_time;
        self.late += other.late;
        self.missing += other.missing;
        self.zero += other.zero;
        self.disputes += other.disputes;
        self.parties += other.parties;
        for (a, b) in self.categories.iter_mut().zip(other.categories) {
            *a += b;
        }
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes) {
            *a += b;
        }
        for (a, b) in self.wage.iter_mut().zip(other.wage) {
            *a += b;
        }
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// The rates of `fig`, and never more than 100%.
#[track_caller]
fn assert_rates(rates: Option<&pb::Rates>, fig: &Fig, what: &str) {
    let rates = rates.unwrap_or_else(|| panic!("{what}: no rates"));
    let close = |got: f64, want: f64, name: &str| {
        assert!((got - want).abs() < 1e-9, "{what}: {name} is {got}, expected {want}");
        assert!((0.0..=100.0).contains(&got), "{what}: {name} {got} outside 0..=100");
    };
    close(rates.completeness_percent, percent(fig.received, fig.expected), "completeness");
    close(rates.timeliness_percent, percent(fig.on_time, fig.expected), "timeliness");
    close(rates.zero_share_percent, percent(fig.zero, fig.received), "zero share");
    close(
        rates.resolved_on_the_spot_percent,
        percent(fig.outcomes[Out::ResolvedOnTheSpot as usize - 1], fig.disputes),
        "resolved on the spot",
    );
}

/// A summary's totals equal `fig` (with `employers`), with matching rates.
#[track_caller]
fn assert_totals(summary: &pb::Summary, fig: Fig, employers: i64, what: &str) {
    assert_eq!(summary.totals, Some(fig.to_pb(employers)), "{what}: totals");
    assert_rates(summary.rates.as_ref(), &fig, what);
}

/// A scorecard row's figures equal `fig` (employers are 0 on rows).
#[track_caller]
fn assert_row(summary: &pb::Summary, unit: &str, fig: Fig, days: &[(NaiveDate, NaiveDate)]) {
    let row = summary
        .children
        .iter()
        .find(|r| r.unit_id == unit)
        .unwrap_or_else(|| panic!("no row for {unit} in the summary of {}", summary.unit_id));
    let what = format!("row {unit} of {}", summary.unit_id);
    assert_eq!(row.name, name_of(unit), "{what}");
    assert_eq!(row.tally, Some(fig.to_pb(0)), "{what}: tally");
    assert_rates(row.rates.as_ref(), &fig, &what);
    let want_days: Vec<pb::DayRange> =
        days.iter().map(|(a, b)| pb::DayRange { from_date: a.to_string(), to_date: b.to_string() }).collect();
    assert_eq!(row.days, want_days, "{what}: days");
    assert_eq!(row.cases, Some(pb::CaseFigures::default()), "{what}");
    // Its assessment reads the same figures; without cases, no case
    // component applies (none counts as 100%).
    let resolved = fig.outcomes[Out::ResolvedOnTheSpot as usize - 1];
    let shares = [
        (Component::Completeness, fig.received, fig.expected),
        (Component::Timeliness, fig.on_time, fig.expected),
        (Component::DisputeResolution, resolved, fig.disputes),
        (Component::OnTimeAcceptance, 0, 0),
        (Component::OnTimeClosure, 0, 0),
        (Component::RepeatPetitions, 0, 0),
        (Component::Satisfaction, 0, 0),
    ];
    for (component, part, whole) in shares {
        let got = share(row, component);
        assert_eq!(
            (got.part, got.whole, got.applicable),
            (part as u64, whole as u64, whole > 0),
            "{what}: {component:?}"
        );
    }
}

/// One component of a row's assessment.
#[track_caller]
fn share(row: &pb::ScorecardRow, component: Component) -> pb::ComponentScore {
    let assessment =
        row.assessment.as_ref().unwrap_or_else(|| panic!("row {} has no assessment", row.unit_id));
    assessment
        .components
        .iter()
        .find(|c| c.component() == component)
        .copied()
        .unwrap_or_else(|| panic!("row {} has no {component:?}", row.unit_id))
}

/// The rows are `ids`, in this order, ranked 1, 2, 3, …
#[track_caller]
fn assert_ranked(summary: &pb::Summary, ids: &[&str]) {
    assert_eq!(row_ids(summary), ids, "rows of {} by rank", summary.unit_id);
    let ranks: Vec<u32> = summary.children.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, (1..=ids.len() as u32).collect::<Vec<_>>(), "ranks of {}", summary.unit_id);
}

fn row_ids(summary: &pb::Summary) -> Vec<&str> {
    summary.children.iter().map(|r| r.unit_id.as_str()).collect()
}

/// Rows served here: no child node, arrived.
#[track_caller]
fn assert_served_here(summary: &pb::Summary) {
    for row in &summary.children {
        assert_eq!(
            row.freshness,
            Some(pb::ChildFreshness {
                served_by: String::new(),
                last_sync: None,
                synced_through: None,
                arrived: true
            }),
            "row {}",
            row.unit_id
        );
    }
    assert_eq!(summary.arrived_percent, 100.0);
}

/// The figures a model of the submitted reports gives for the (unit, day)
/// pairs in `[from, to]` that `scope` keeps, and the distinct employers.
fn model(
    sent: &[Sent],
    from: NaiveDate,
    to: NaiveDate,
    scope: impl Fn(&str, NaiveDate) -> bool,
) -> (Fig, i64) {
    let mut fig = Fig::default();
    for day in from.iter_days().take_while(|day| *day <= to) {
        fig.expected += REPORTING.iter().filter(|u| expected_on(u, day) && scope(u, day)).count() as i64;
    }
    let mut employers = BTreeSet::new();
    for s in sent.iter().filter(|s| from <= s.date && s.date <= to && scope(s.unit, s.date)) {
        fig.add_report(&s.disputes, s.on_time());
        employers.extend(
            s.disputes.iter().filter_map(|d| d.wage_arrears.as_ref()).map(|w| employer_key(&w.employer)),
        );
    }
    fig.missing = fig.expected - fig.received;
    (fig, employers.len() as i64)
}

// ---------------------------------------------------------------------------
// 1. A week with units opening, closing and moving mid-week
// ---------------------------------------------------------------------------

/// What was sent in 2026-W48: `(unit, day, sent on day, sent at hour UTC, disputes)`.
fn week_48() -> Vec<Sent> {
    let s = |unit, day, sent_day, hour, disputes| Sent {
        unit,
        date: nov(day),
        at: at(nov(sent_day), hour, 0),
        disputes,
    };
    vec![
        // The township itself: Thursday and Saturday missing, Friday late.
        s(TOWNSHIP, 23, 23, 8, vec![]),
        s(TOWNSHIP, 24, 24, 8, vec![]),
        s(TOWNSHIP, 25, 25, 8, vec![plain("n1", Cat::Neighbour, Out::ResolvedOnTheSpot, 2)]),
        s(TOWNSHIP, 27, 27, 11, vec![]),
        s(TOWNSHIP, 29, 29, 8, vec![]),
        // Community 1: every day, Saturday's sent on Sunday (late).
        s(C1, 23, 23, 8, vec![]),
        s(C1, 24, 24, 8, vec![]),
        s(C1, 25, 25, 8, vec![]),
        s(C1, 26, 26, 8, vec![]),
        s(C1, 27, 27, 8, vec![]),
        s(C1, 28, 29, 8, vec![]),
        s(C1, 29, 29, 8, vec![]),
        // Group 1: Friday missing, Thursday late.
        s(
            G1,
            23,
            23,
            8,
            vec![
                wage("w1", "平顶山某建筑公司", Out::Registered, 13, [12, 36_000_000, 12_000_000]),
                plain("l1", Cat::Land, Out::Mediating, 2),
            ],
        ),
        s(G1, 24, 24, 8, vec![]),
        s(G1, 25, 25, 8, vec![]),
        s(G1, 26, 26, 11, vec![wage("w2", "ACME  Co.", Out::ResolvedOnTheSpot, 4, [3, 500_000, 500_000])]),
        s(G1, 28, 28, 8, vec![]),
        s(G1, 29, 29, 8, vec![]),
        // Group 2 opens on Wednesday; Saturday and Sunday missing. Its
        // employer is group 1's Thursday one, spelled differently.
        s(OPENS, 25, 25, 8, vec![]),
        s(OPENS, 26, 26, 8, vec![]),
        s(OPENS, 27, 27, 8, vec![wage("w3", " acme   CO. ", Out::Mediating, 6, [5, 1_000_000, 0])]),
        // Group 3, under community 2 until Thursday: Tuesday missing,
        // Wednesday late; under community 1 from Friday: Sunday missing.
        s(MOVED, 23, 23, 8, vec![]),
        s(MOVED, 25, 25, 11, vec![plain("l2", Cat::Land, Out::Registered, 2)]),
        s(MOVED, 26, 26, 8, vec![]),
        s(MOVED, 27, 27, 8, vec![]),
        s(MOVED, 28, 28, 8, vec![wage("w4", "另一家公司", Out::ReferredUp, 3, [2, 80_000, 0])]),
        // Group 5 closes after Tuesday: Tuesday missing.
        s(CLOSES, 23, 23, 8, vec![plain("b1", Cat::Labour, Out::ResolvedOnTheSpot, 2)]),
        // Group 6: Monday's sent on Wednesday (late), Sunday missing.
        s(G6, 23, 25, 8, vec![]),
        s(G6, 24, 24, 8, vec![]),
        s(G6, 25, 25, 8, vec![]),
        s(G6, 26, 26, 8, vec![]),
        s(G6, 27, 27, 8, vec![]),
        s(G6, 28, 28, 8, vec![]),
    ]
}

async fn weekly_summary_with_units_opening_and_closing_mid_week(backend: Backend) {
    let node = TestNode::start(backend).await;
    let sent = week_48();
    send_all(&node, &sent).await;

    // Refused and repeated submissions change nothing: group 2 was not open
    // on Tuesday, community 2 files no reports, a retry is a duplicate.
    for (unit, day) in [(OPENS, 24), (C2, 25)] {
        expect_code(
            node.try_submit(report(unit, nov(day), 1, vec![])).await,
            Code::InvalidArgument,
            "an inadmissible report",
        );
    }
    let retry = node.submit(report(G1, nov(23), 1, sent[12].disputes.clone())).await;
    assert_eq!(pb::Disposition::try_from(retry.disposition), Ok(pb::Disposition::Duplicate));

    // Sunday 16:00 local: Sunday is not due yet, the summary counts through Saturday.
    node.set_clock(at(nov(29), 9, 59));
    let early = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    assert_eq!(early.through_date, "2026-11-28");
    let totals = early.totals.clone().unwrap();
    // Sunday expected the township, community 1 and groups 1, 2, 3 and 6;
    // three of Sunday's reports are in but not counted.
    assert_eq!((totals.expected, totals.received, totals.missing), (42 - 6, 33 - 3, 6));

    // The cut-off itself makes Sunday due.
    let now = cutoff(nov(29));
    node.set_clock(now);
    let week = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    assert_eq!(week.unit_id, TOWNSHIP);
    assert_eq!(week.unit_name, "马庄街道");
    assert_eq!(week.tier, pb::Tier::Township as i32);
    assert_eq!(week.iso_week, "2026-W48");
    assert_eq!((week.from_date.as_str(), week.to_date.as_str()), ("2026-11-23", "2026-11-29"));
    assert_eq!(week.through_date, "2026-11-29");
    assert_eq!(week.computed_at, Some(timestamp(now)));
    assert_eq!(week.cases, Some(pb::CaseFigures::default()));

    // Expected: township 7, community 1 7, group 1 7, group 2 5 (from
    // Wednesday), group 3 7 (4 under community 2, 3 under community 1),
    // group 5 2 (to Tuesday), group 6 7; community 2 none.
    let township = Fig {
        expected: 42,
        received: 33,
        on_time: 28,
        late: 5,
        missing: 9,
        zero: 26,
        disputes: 8,
        parties: 34,
        categories: cats(&[(Cat::WageArrears, 4), (Cat::Land, 2), (Cat::Neighbour, 1), (Cat::Labour, 1)]),
        outcomes: outs(&[
            (Out::ResolvedOnTheSpot, 3),
            (Out::Mediating, 2),
            (Out::Registered, 2),
            (Out::ReferredUp, 1),
        ]),
        wage: [4, 1, 22, 37_580_000, 12_500_000],
    };
    // Employers: 平顶山某建筑公司, "ACME  Co." = " acme   CO. ", 另一家公司.
    assert_totals(&week, township, 3, "township W48");
    let rates = week.rates.unwrap();
    assert_eq!(rates.resolved_on_the_spot_percent, 37.5);

    let c1 = Fig {
        expected: 22,
        received: 18,
        on_time: 16,
        late: 2,
        missing: 4,
        zero: 14,
        disputes: 5,
        parties: 28,
        categories: cats(&[(Cat::WageArrears, 4), (Cat::Land, 1)]),
        outcomes: outs(&[
            (Out::Registered, 1),
            (Out::Mediating, 2),
            (Out::ResolvedOnTheSpot, 1),
            (Out::ReferredUp, 1),
        ]),
        wage: [4, 1, 22, 37_580_000, 12_500_000],
    };
    let c2 = Fig {
        expected: 13,
        received: 10,
        on_time: 8,
        late: 2,
        missing: 3,
        zero: 8,
        disputes: 2,
        parties: 4,
        categories: cats(&[(Cat::Land, 1), (Cat::Labour, 1)]),
        outcomes: outs(&[(Out::Registered, 1), (Out::ResolvedOnTheSpot, 1)]),
        wage: [0; 5],
    };
    // One row per child, by rank: completeness 18/22 before 10/13.
    assert_ranked(&week, &[C1, C2]);
    assert_row(&week, C1, c1, &[]);
    assert_row(&week, C2, c2, &[]);
    assert!(week.children.iter().all(|r| r.tier == pb::Tier::Community as i32));
    assert_served_here(&week);
    // The township's own reports are in the totals and in no row.
    let mut sum = c1;
    sum += c2;
    assert_eq!(township.received - sum.received, 5);
    assert_eq!(township.expected - sum.expected, 7);

    // Community 1: group 3 is its child from Friday only.
    let week_c1 = node.weekly(C1, "2026-W48").await.expect("weekly summary");
    assert_totals(&week_c1, c1, 3, "community 1 W48");
    // By completeness: 6/7, 2/3, 3/5.
    assert_ranked(&week_c1, &[G1, MOVED, OPENS]);
    let g1 = Fig {
        expected: 7,
        received: 6,
        on_time: 5,
        late: 1,
        missing: 1,
        zero: 4,
        disputes: 3,
        parties: 19,
        categories: cats(&[(Cat::WageArrears, 2), (Cat::Land, 1)]),
        outcomes: outs(&[(Out::Registered, 1), (Out::Mediating, 1), (Out::ResolvedOnTheSpot, 1)]),
        wage: [2, 1, 15, 36_500_000, 12_500_000],
    };
    let opens = Fig {
        expected: 5,
        received: 3,
        on_time: 3,
        missing: 2,
        zero: 2,
        disputes: 1,
        parties: 6,
        categories: cats(&[(Cat::WageArrears, 1)]),
        outcomes: outs(&[(Out::Mediating, 1)]),
        wage: [1, 0, 5, 1_000_000, 0],
        ..Fig::default()
    };
    let moved_in = Fig {
        expected: 3,
        received: 2,
        on_time: 2,
        missing: 1,
        zero: 1,
        disputes: 1,
        parties: 3,
        categories: cats(&[(Cat::WageArrears, 1)]),
        outcomes: outs(&[(Out::ReferredUp, 1)]),
        wage: [1, 0, 2, 80_000, 0],
        ..Fig::default()
    };
    assert_row(&week_c1, G1, g1, &[]);
    assert_row(&week_c1, OPENS, opens, &[]);
    assert_row(&week_c1, MOVED, moved_in, &[(nov(27), nov(29))]);
    assert!(week_c1.children.iter().all(|r| r.tier == pb::Tier::Group as i32));
    assert_served_here(&week_c1);

    // Community 2 files nothing itself; group 3 is its child until Thursday.
    let week_c2 = node.weekly(C2, "2026-W48").await.expect("weekly summary");
    assert_totals(&week_c2, c2, 0, "community 2 W48");
    // By completeness: 6/7, 3/4, 1/2.
    assert_ranked(&week_c2, &[G6, MOVED, CLOSES]);
    let moved_out = Fig {
        expected: 4,
        received: 3,
        on_time: 2,
        late: 1,
        missing: 1,
        zero: 2,
        disputes: 1,
        parties: 2,
        categories: cats(&[(Cat::Land, 1)]),
        outcomes: outs(&[(Out::Registered, 1)]),
        ..Fig::default()
    };
    let closes = Fig {
        expected: 2,
        received: 1,
        on_time: 1,
        missing: 1,
        disputes: 1,
        parties: 2,
        categories: cats(&[(Cat::Labour, 1)]),
        outcomes: outs(&[(Out::ResolvedOnTheSpot, 1)]),
        ..Fig::default()
    };
    let g6 = Fig { expected: 7, received: 6, on_time: 5, late: 1, missing: 1, zero: 6, ..Fig::default() };
    assert_row(&week_c2, MOVED, moved_out, &[(nov(23), nov(26))]);
    assert_row(&week_c2, CLOSES, closes, &[]);
    assert_row(&week_c2, G6, g6, &[]);
    assert_served_here(&week_c2);

    // A group's summary has no rows; group 3's week is whole wherever it was.
    let week_g3 = node.weekly(MOVED, "2026-W48").await.expect("weekly summary");
    let mut whole = moved_in;
    whole += moved_out;
    assert_totals(&week_g3, whole, 1, "group 3 W48");
    assert!(week_g3.children.is_empty());
    assert_eq!(week_g3.arrived_percent, 100.0);

    // The independent model agrees with every figure above.
    let (fig, employers) = model(&sent, nov(23), nov(29), |u, day| within(u, TOWNSHIP, day));
    assert_eq!(fig, township);
    assert_eq!(employers, 3);
    assert_eq!(model(&sent, nov(23), nov(29), |u, day| within(u, C1, day)).0, c1);
    assert_eq!(model(&sent, nov(23), nov(29), |u, day| within(u, C2, day)).0, c2);

    // The next week is not due at all: zero figures, no rows, no through date.
    let next = node.weekly(TOWNSHIP, "2026-W49").await.expect("weekly summary");
    assert_eq!(next.through_date, "");
    assert_totals(&next, Fig::default(), 0, "W49");
    assert!(next.children.is_empty());

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 2. Completeness: missing and late units by name
// ---------------------------------------------------------------------------

/// A unit by name with its parent of the day (`""`: the node's home unit,
/// whose parent lies outside the node's tree).
fn unit_ref(unit: &str, parent: &str) -> pb::UnitRef {
    pb::UnitRef {
        unit_id: unit.into(),
        name: name_of(unit).into(),
        parent_id: parent.into(),
        parent_name: if parent.is_empty() { String::new() } else { name_of(parent).into() },
    }
}

async fn completeness_names_missing_and_late_units(backend: Backend) {
    let node = TestNode::start(backend).await;
    let wednesday = nov(25);
    node.set_clock(at(wednesday, 8, 0));
    for unit in [TOWNSHIP, G1, G6] {
        node.submit(report(unit, wednesday, 1, vec![])).await;
    }

    // Before the cut-off: not due; units without a report are outstanding.
    // Wednesday expects the township, community 1, groups 1, 2 (opened
    // today), 3 (still under community 2) and 6; not group 5 (closed) nor
    // community 2 (files no reports).
    let before = node.completeness(TOWNSHIP, "2026-11-25").await.expect("completeness");
    assert_eq!(
        before,
        pb::CompletenessResponse {
            unit_id: TOWNSHIP.into(),
            date: "2026-11-25".into(),
            cutoff: Some(timestamp(cutoff(wednesday))),
            due: false,
            expected: 6,
            received: 3,
            on_time: 3,
            missing: vec![unit_ref(C1, TOWNSHIP), unit_ref(OPENS, C1), unit_ref(MOVED, C2)],
            late: vec![],
        }
    );

    // After the cut-off: two arrive late, one never does.
    node.set_clock(at(wednesday, 11, 0));
    node.submit(report(C1, wednesday, 1, vec![])).await;
    node.set_clock(at(wednesday, 11, 30));
    node.submit(report(OPENS, wednesday, 1, vec![plain("x", Cat::Other, Out::Mediating, 1)])).await;
    // A correction the next day does not move the first acceptance.
    node.set_clock(at(nov(26), 8, 0));
    node.submit(report(C1, wednesday, 2, vec![plain("y", Cat::Land, Out::Mediating, 2)])).await;
    let late = |unit, parent, hour, minute| pb::LateReport {
        unit: Some(unit_ref(unit, parent)),
        first_accepted_at: Some(timestamp(at(wednesday, hour, minute))),
    };
    let after = node.completeness(TOWNSHIP, "2026-11-25").await.expect("completeness");
    assert_eq!(
        after,
        pb::CompletenessResponse {
            unit_id: TOWNSHIP.into(),
            date: "2026-11-25".into(),
            cutoff: Some(timestamp(cutoff(wednesday))),
            due: true,
            expected: 6,
            received: 5,
            on_time: 3,
            missing: vec![unit_ref(MOVED, C2)],
            late: vec![late(C1, TOWNSHIP, 11, 0), late(OPENS, C1, 11, 30)],
        }
    );

    // The same day from each community.
    let c1 = node.completeness(C1, "2026-11-25").await.expect("completeness");
    assert_eq!((c1.expected, c1.received, c1.on_time, c1.due), (3, 3, 1, true));
    assert!(c1.missing.is_empty());
    assert_eq!(c1.late, [late(C1, TOWNSHIP, 11, 0), late(OPENS, C1, 11, 30)]);
    let c2 = node.completeness(C2, "2026-11-25").await.expect("completeness");
    assert_eq!((c2.expected, c2.received, c2.on_time), (2, 1, 1));
    assert_eq!(c2.missing, [unit_ref(MOVED, C2)]);
    assert!(c2.late.is_empty());

    // Friday, nothing sent: group 3 is missing under community 1 now, named
    // with its parent of that day.
    node.set_clock(at(nov(27), 12, 0));
    let friday = node.completeness(C1, "2026-11-27").await.expect("completeness");
    assert!(friday.due);
    assert_eq!((friday.expected, friday.received, friday.on_time), (4, 0, 0));
    assert_eq!(
        friday.missing,
        [unit_ref(C1, TOWNSHIP), unit_ref(G1, C1), unit_ref(OPENS, C1), unit_ref(MOVED, C1)]
    );
    let friday_c2 = node.completeness(C2, "2026-11-27").await.expect("completeness");
    assert_eq!(friday_c2.missing, [unit_ref(G6, C2)]);
    // Tuesday: group 5 still open, group 2 not yet.
    let tuesday = node.completeness(TOWNSHIP, "2026-11-24").await.expect("completeness");
    assert_eq!(
        tuesday.missing,
        [
            unit_ref(TOWNSHIP, ""),
            unit_ref(C1, TOWNSHIP),
            unit_ref(G1, C1),
            unit_ref(MOVED, C2),
            unit_ref(CLOSES, C2),
            unit_ref(G6, C2),
        ]
    );
    // Saturday is still ahead: outstanding, not due.
    let saturday = node.completeness(TOWNSHIP, "2026-11-28").await.expect("completeness");
    assert!(!saturday.due);
    assert_eq!(saturday.expected, 6);
    assert_eq!(saturday.missing.len(), 6);
    // A group before it opened expects nothing.
    let unopened = node.completeness(OPENS, "2026-11-24").await.expect("completeness");
    assert_eq!((unopened.expected, unopened.missing.len()), (0, 0));

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 3. Corrections
// ---------------------------------------------------------------------------

async fn a_correction_changes_the_summary_exactly(backend: Backend) {
    let node = TestNode::start(backend).await;
    let monday = nov(23);
    let first_wage = wage("w", "平顶山某建筑公司", Out::Registered, 13, [12, 36_000_000, 12_000_000]);
    let land = plain("l", Cat::Land, Out::Mediating, 2);
    node.set_clock(at(monday, 8, 0));
    node.submit(report(G1, monday, 1, vec![first_wage, land.clone()])).await;

    // Reads both rollups: the week table (a whole week) and the day table
    // (one loose day), for the township, its row for community 1, and community 1.
    async fn check(node: &TestNode, fig: Fig, employers: i64, what: &str) {
        let week = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
        let mut township = fig;
        township.expected = 6; // Monday: the township, community 1, groups 1, 3, 5 and 6
        township.missing = 5;
        assert_totals(&week, township, employers, &format!("{what}: week"));
        let day = node.period(TOWNSHIP, nov(23), nov(23)).await.expect("period summary");
        assert_totals(&day, township, employers, &format!("{what}: day"));
        let mut c1 = fig;
        c1.expected = 2; // community 1 and group 1
        c1.missing = 1;
        assert_row(&week, C1, c1, &[]);
        assert_row(&day, C1, c1, &[]);
        let community = node.period(C1, nov(23), nov(23)).await.expect("period summary");
        assert_totals(&community, c1, employers, &format!("{what}: community"));
        let mut g1 = fig;
        g1.expected = 1;
        g1.missing = 0;
        assert_row(&community, G1, g1, &[]);
    }

    node.set_clock(at(monday, 12, 0));
    let rev1 = Fig {
        received: 1,
        on_time: 1,
        disputes: 2,
        parties: 15,
        categories: cats(&[(Cat::WageArrears, 1), (Cat::Land, 1)]),
        outcomes: outs(&[(Out::Registered, 1), (Out::Mediating, 1)]),
        wage: [1, 0, 12, 36_000_000, 12_000_000],
        ..Fig::default()
    };
    check(&node, rev1, 1, "revision 1").await;

    // Revision 2, after the cut-off and naming another employer: timeliness
    // stays with the first revision; the first employer is gone.
    node.set_clock(at(monday, 13, 0));
    let other = wage("w", "乙公司", Out::ResolvedOnTheSpot, 3, [2, 50_000, 50_000]);
    let response = node.submit(report(G1, monday, 2, vec![other])).await;
    assert_eq!(pb::Disposition::try_from(response.disposition), Ok(pb::Disposition::Correction));
    assert!(response.on_time);
    let rev2 = Fig {
        received: 1,
        on_time: 1,
        disputes: 1,
        parties: 3,
        categories: cats(&[(Cat::WageArrears, 1)]),
        outcomes: outs(&[(Out::ResolvedOnTheSpot, 1)]),
        wage: [1, 1, 2, 50_000, 50_000],
        ..Fig::default()
    };
    check(&node, rev2, 1, "revision 2").await;

    // Revision 3 drops the wage dispute: no wage figures, no employers.
    let response = node.submit(report(G1, monday, 3, vec![land])).await;
    assert_eq!(response.replaced_revision, 2);
    let rev3 = Fig {
        received: 1,
        on_time: 1,
        disputes: 1,
        parties: 2,
        categories: cats(&[(Cat::Land, 1)]),
        outcomes: outs(&[(Out::Mediating, 1)]),
        ..Fig::default()
    };
    check(&node, rev3, 0, "revision 3").await;

    // Revision 4: nothing after all, a zero report.
    node.submit(report(G1, monday, 4, vec![])).await;
    let rev4 = Fig { received: 1, on_time: 1, zero: 1, ..Fig::default() };
    check(&node, rev4, 0, "revision 4").await;

    // The export carries the current revision only.
    let export = node.export(TOWNSHIP, "2026-11-23", "2026-11-23").await.expect("export");
    let reports: Vec<&pb::StoredDailyReport> = export.iter().flat_map(|m| &m.reports).collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].report, Some(report(G1, monday, 4, vec![])));
    assert!(reports[0].on_time);

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 4. Periods and trends
// ---------------------------------------------------------------------------

/// Five weeks (2026-W47 to W51) of varied reports: some missing, some late,
/// some zero, disputes of every sort.
fn five_weeks() -> Vec<Sent> {
    let employers = ["甲公司", "ACME Co.", "  acme   co. ", "乙公司"];
    let mut out = Vec::new();
    for day in nov(16).iter_days().take_while(|day| *day <= d(12, 20)) {
        for (i, &unit) in REPORTING.iter().enumerate() {
            if !expected_on(unit, day) {
                continue;
            }
            let n = u64::from(day.ordinal());
            let h = (i as u64 * 7919 + n * 104_729 + n * n * 31) % 100;
            let disputes = match h % 4 {
                0 => vec![wage(
                    "w",
                    employers[(h / 4 % 4) as usize],
                    if h.is_multiple_of(3) { Out::ResolvedOnTheSpot } else { Out::Mediating },
                    (h % 5 + 1) as u32,
                    [(h % 9 + 1) as i64, 10_000 * h as i64, 5_000 * h as i64],
                )],
                1 => vec![
                    plain("a", Cat::Land, Out::Mediating, 2),
                    plain("b", Cat::Neighbour, Out::ResolvedOnTheSpot, 3),
                ],
                2 => vec![plain("a", Cat::MarriageFamily, Out::ReferredUp, 2)],
                _ => vec![
                    wage("w", "乙公司", Out::Registered, 4, [3, 70_000, 0]),
                    plain("e", Cat::Environment, Out::Registered, 9),
                ],
            };
            let (hour, disputes) = match h {
                0..15 => continue,
                15..25 => (11, vec![]),
                25..35 => (11, disputes),
                35..60 => (8, disputes),
                _ => (8, vec![]),
            };
            out.push(Sent { unit, date: day, at: at(day, hour, 0), disputes });
        }
    }
    out
}

/// A summary's rows as figures, by unit.
fn rows(summary: &pb::Summary) -> BTreeMap<String, Fig> {
    summary.children.iter().map(|r| (r.unit_id.clone(), Fig::of_pb(r.tally.as_ref().unwrap()))).collect()
}

async fn period_and_trend(backend: Backend) {
    let node = TestNode::start(backend).await;
    let sent = five_weeks();
    // Sent day by day, the on-time ones together, then the late ones.
    let mut by_time: BTreeMap<DateTime<Utc>, Vec<&Sent>> = BTreeMap::new();
    for s in &sent {
        by_time.entry(s.at).or_default().push(s);
    }
    for (time, batch) in by_time {
        node.set_clock(time);
        futures::future::join_all(batch.into_iter().map(|s| node.send(s))).await;
    }
    let late = sent.iter().filter(|s| !s.on_time()).count();
    let missing = model(&sent, nov(16), d(12, 20), |_, _| true).0.missing;
    assert!(late > 20 && missing > 20 && sent.len() > 150, "a varied month: {late} late, {missing} missing");

    // Monday 2026-12-21 after the cut-off: everything sent is due, and Monday too.
    node.set_clock(at(d(12, 21), 12, 0));

    // Thursday 11-19 to Tuesday 12-15: four loose days, weeks 48 to 50, two loose days.
    let (from, to) = (nov(19), d(12, 15));
    let period = node.period(TOWNSHIP, from, to).await.expect("period summary");
    assert_eq!(period.through_date, "2026-12-15");
    assert_eq!(period.iso_week, "");
    let (fig, employers) = model(&sent, from, to, |u, day| within(u, TOWNSHIP, day));
    assert_totals(&period, fig, employers, "period");
    assert_eq!(row_ids(&period), [C1, C2]);
    for community in [C1, C2] {
        assert_row(&period, community, model(&sent, from, to, |u, day| within(u, community, day)).0, &[]);
    }
    assert_served_here(&period);

    // The same days as loose days + three weekly summaries + loose days.
    let parts = [
        node.period(TOWNSHIP, nov(19), nov(22)).await.expect("period summary"),
        node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary"),
        node.weekly(TOWNSHIP, "2026-W49").await.expect("weekly summary"),
        node.weekly(TOWNSHIP, "2026-W50").await.expect("weekly summary"),
        node.period(TOWNSHIP, d(12, 14), d(12, 15)).await.expect("period summary"),
    ];
    let mut total = Fig::default();
    let mut by_row: BTreeMap<String, Fig> = BTreeMap::new();
    for part in &parts {
        total += Fig::of_pb(part.totals.as_ref().unwrap());
        for (unit, fig) in rows(part) {
            *by_row.entry(unit).or_default() += fig;
        }
    }
    assert_eq!(total, Fig::of_pb(period.totals.as_ref().unwrap()), "period = sum of its parts");
    assert_eq!(by_row, rows(&period), "rows = sums of the parts' rows");
    // And day by day.
    let mut daily = Fig::default();
    for day in from.iter_days().take_while(|day| *day <= to) {
        daily += Fig::of_pb(node.period(TOWNSHIP, day, day).await.unwrap().totals.as_ref().unwrap());
    }
    assert_eq!(daily, fig, "period = sum of its days");

    // Each community over the range: group 3 is a child of each for part of it.
    let c1 = node.period(C1, from, to).await.expect("period summary");
    let (fig, employers) = model(&sent, from, to, |u, day| within(u, C1, day));
    assert_totals(&c1, fig, employers, "community 1 period");
    assert_row(&c1, MOVED, model(&sent, nov(27), to, |u, _| u == MOVED).0, &[(nov(27), to)]);
    let c2 = node.period(C2, from, to).await.expect("period summary");
    assert_row(&c2, MOVED, model(&sent, from, nov(26), |u, _| u == MOVED).0, &[(from, nov(26))]);
    assert_row(&c2, CLOSES, model(&sent, from, nov(24), |u, _| u == CLOSES).0, &[]);

    // A range running past today counts through the last due day.
    let open = node.period(TOWNSHIP, d(12, 14), d(12, 31)).await.expect("period summary");
    assert_eq!(open.through_date, "2026-12-21");
    assert_eq!(open.to_date, "2026-12-31");
    let (fig, employers) = model(&sent, d(12, 14), d(12, 21), |u, day| within(u, TOWNSHIP, day));
    assert_totals(&open, fig, employers, "open period");

    // The trend: one point per week, each the week's figures; W52 counts its
    // due Monday, W53 nothing yet.
    let trend = node.trend(TOWNSHIP, "2026-W47", "2026-W53").await.expect("trend");
    assert_eq!(trend.unit_id, TOWNSHIP);
    let weeks: Vec<&str> = trend.weeks.iter().map(|w| w.iso_week.as_str()).collect();
    assert_eq!(weeks, ["2026-W47", "2026-W48", "2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]);
    for point in &trend.weeks {
        let week = IsoWeek::parse(&point.iso_week, "week").unwrap();
        let through = week.sunday().min(d(12, 21));
        let fig = if week.monday() <= through {
            model(&sent, week.monday(), through, |u, day| within(u, TOWNSHIP, day)).0
        } else {
            Fig::default()
        };
        assert_eq!(Fig::of_pb(point.tally.as_ref().unwrap()), fig, "trend {}", point.iso_week);
        assert_rates(point.rates.as_ref(), &fig, &point.iso_week);
        if week.monday() <= d(12, 20) {
            let weekly = node.weekly(TOWNSHIP, &point.iso_week).await.unwrap();
            assert_eq!(Fig::of_pb(weekly.totals.as_ref().unwrap()), fig, "weekly {}", point.iso_week);
        }
    }
    let w52 = Fig::of_pb(trend.weeks[5].tally.as_ref().unwrap());
    assert_eq!((w52.expected, w52.received, w52.missing), (6, 0, 6));

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 5. Export
// ---------------------------------------------------------------------------

async fn export_streams_every_report(backend: Backend) {
    let node = TestNode::start(backend).await;
    // Every expected report from 2026-06-01 to 2026-11-28, sent on the 28th
    // before the cut-off: only the 28th's are on time.
    node.set_clock(at(nov(28), 8, 0));
    let mut all: BTreeMap<(String, String), pb::DailyReport> = BTreeMap::new();
    for day in d(6, 1).iter_days().take_while(|day| *day <= nov(28)) {
        for unit in REPORTING.iter().filter(|u| expected_on(u, day)) {
            let disputes = if day.format("%d").to_string().ends_with('7') {
                vec![plain("a", Cat::PublicService, Out::Mediating, 1)]
            } else {
                vec![]
            };
            all.insert((day.to_string(), unit.to_string()), report(unit, day, 1, disputes));
        }
    }
    assert_eq!(all.len(), 5 * 181 + 4 + 177);
    let results: Vec<pb::SubmitDailyReportResponse> = futures::stream::iter(all.values().cloned())
        .map(|r| node.submit(r))
        .buffer_unordered(64)
        .collect()
        .await;
    assert!(results.iter().all(|r| r.disposition == pb::Disposition::New as i32));

    let messages = node.export(TOWNSHIP, "2026-06-01", "2026-11-28").await.expect("export");
    assert_eq!(messages[0].total, all.len() as u64, "the first message says how many");
    assert!(messages[1..].iter().all(|m| m.total == 0), "only the first message carries the total");
    let sizes: Vec<usize> = messages.iter().map(|m| m.reports.len()).collect();
    assert_eq!(sizes, [500, 500, all.len() - 1000], "pages of 500");
    let exported: Vec<&pb::StoredDailyReport> = messages.iter().flat_map(|m| &m.reports).collect();
    let keys: Vec<(String, String)> = exported
        .iter()
        .map(|s| {
            let r = s.report.as_ref().unwrap();
            (r.date.clone(), r.unit_id.clone())
        })
        .collect();
    let want: Vec<(String, String)> = all.keys().cloned().collect();
    assert_eq!(keys, want, "every report once, in (date, unit) order");
    for stored in &exported {
        let r = stored.report.as_ref().unwrap();
        assert_eq!(Some(&all[&(r.date.clone(), r.unit_id.clone())]), stored.report.as_ref());
        assert_eq!(stored.on_time, r.date == "2026-11-28", "{}@{}", r.unit_id, r.date);
        assert_eq!(stored.first_accepted_at, Some(timestamp(at(nov(28), 8, 0))));
    }

    // A community's export follows the dated tree: group 3's reports are
    // community 2's until Thursday 11-26 and community 1's from Friday.
    for (community, count) in [(C2, 177 + 181 + 179), (C1, 181 + 181 + 4 + 2)] {
        let messages = node.export(community, "2026-06-01", "2026-11-28").await.expect("export");
        let reports: Vec<&pb::DailyReport> =
            messages.iter().flat_map(|m| &m.reports).map(|s| s.report.as_ref().unwrap()).collect();
        assert_eq!(messages[0].total, count as u64, "{community}");
        assert_eq!(reports.len(), count, "{community}");
        let days = reports.iter().filter(|r| r.unit_id == MOVED).map(|r| r.date.as_str());
        if community == C1 {
            assert_eq!(days.collect::<Vec<_>>(), ["2026-11-27", "2026-11-28"]);
        } else {
            assert_eq!(days.clone().count(), 179);
            assert!(days.clone().all(|d| d <= "2026-11-26"));
        }
    }

    // Nothing in the range: the stream ends without reports.
    let empty = node.export(TOWNSHIP, "2026-01-01", "2026-01-31").await.expect("export");
    assert!(empty.iter().all(|m| m.total == 0 && m.reports.is_empty()), "{empty:?}");

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 6. Alerts
// ---------------------------------------------------------------------------

/// The next alert, within a few polls of the clock.
async fn next_alert(alerts: &mut tonic::Streaming<pb::WatchAlertsResponse>) -> pb::WatchAlertsResponse {
    tokio::time::timeout(Duration::from_secs(5), alerts.message())
        .await
        .expect("an alert within 5 s")
        .expect("the stream does not fail")
        .expect("the stream stays open")
}

/// No alert for a while (the node polls the clock every 200 ms).
async fn no_alert(alerts: &mut tonic::Streaming<pb::WatchAlertsResponse>) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(700), alerts.message()).await {
        panic!("unexpected alert: {message:?}");
    }
}

async fn watch_alerts_fire_at_the_cut_off(backend: Backend) {
    let node = TestNode::start(backend).await;
    let wednesday = nov(25);
    node.set_clock(at(wednesday, 8, 0));
    for unit in [TOWNSHIP, G1, G6] {
        node.submit(report(unit, wednesday, 1, vec![])).await;
    }
    let mut alerts = node.watch(TOWNSHIP).await.expect("watch");
    // Nothing before the cut-off.
    no_alert(&mut alerts).await;
    // A report a second before the cut-off is on time and not missing.
    node.set_clock(at(wednesday, 9, 59) + chrono::Duration::seconds(59));
    assert!(node.submit(report(C1, wednesday, 1, vec![])).await.on_time);
    no_alert(&mut alerts).await;

    // The cut-off passes: one alert listing the missing units.
    node.set_clock(cutoff(wednesday));
    let alert = next_alert(&mut alerts).await;
    assert_eq!(
        alert,
        pb::WatchAlertsResponse {
            date: "2026-11-25".into(),
            cutoff: Some(timestamp(cutoff(wednesday))),
            expected: 6,
            missing: vec![unit_ref(OPENS, C1), unit_ref(MOVED, C2)],
        }
    );
    // One alert per cut-off: a late report and time passing bring nothing new.
    node.set_clock(at(wednesday, 15, 0));
    node.submit(report(OPENS, wednesday, 1, vec![])).await;
    no_alert(&mut alerts).await;

    // A community's watcher from now on: its first alert is Thursday's.
    let mut c2_alerts = node.watch(C2).await.expect("watch");
    // Two cut-offs pass at once: two alerts, in order. Nothing was sent for
    // Thursday or Friday; group 3 moved to community 1 on Friday.
    node.set_clock(at(nov(27), 12, 0));
    let thursday = next_alert(&mut alerts).await;
    assert_eq!(thursday.date, "2026-11-26");
    assert_eq!(thursday.cutoff, Some(timestamp(cutoff(nov(26)))));
    assert_eq!(thursday.expected, 6);
    assert_eq!(
        thursday.missing,
        [
            unit_ref(TOWNSHIP, ""),
            unit_ref(C1, TOWNSHIP),
            unit_ref(G1, C1),
            unit_ref(OPENS, C1),
            unit_ref(MOVED, C2),
            unit_ref(G6, C2),
        ]
    );
    let friday = next_alert(&mut alerts).await;
    assert_eq!(friday.date, "2026-11-27");
    assert_eq!(friday.missing.iter().find(|u| u.unit_id == MOVED), Some(&unit_ref(MOVED, C1)));
    assert_eq!(friday.missing.len(), 6);
    no_alert(&mut alerts).await;

    let c2_thursday = next_alert(&mut c2_alerts).await;
    assert_eq!((c2_thursday.date.as_str(), c2_thursday.expected), ("2026-11-26", 2));
    assert_eq!(c2_thursday.missing, [unit_ref(MOVED, C2), unit_ref(G6, C2)]);
    let c2_friday = next_alert(&mut c2_alerts).await;
    assert_eq!((c2_friday.date.as_str(), c2_friday.expected), ("2026-11-27", 1));
    assert_eq!(c2_friday.missing, [unit_ref(G6, C2)]);
    no_alert(&mut c2_alerts).await;

    drop((alerts, c2_alerts));
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 7. Bad requests
// ---------------------------------------------------------------------------

async fn bad_summary_requests(backend: Backend) {
    let node = TestNode::start(backend).await;
    let start = d(1, 1);
    let long = (start + chrono::Duration::days(3660)).to_string(); // 3661 days
    let long = long.as_str();
    let longest = (start + chrono::Duration::days(3659)).to_string(); // 3660 days
    let week = |n: i64| IsoWeek::of(start + chrono::Duration::days(7 * n)).to_string();
    let (first_week, week_531) = (week(0), week(530));

    // Weekly.
    for (unit, iso_week, field) in [
        ("bad id!", "2026-W48", "unit_id"),
        ("", "2026-W48", "unit_id"),
        (TOWNSHIP, "2026-48", "iso_week"),
        (TOWNSHIP, "", "iso_week"),
        (TOWNSHIP, "2026-W00", "iso_week"),
        (TOWNSHIP, "2026-W54", "iso_week"),
        (TOWNSHIP, "2025-W53", "iso_week"),
        (TOWNSHIP, "week 48", "iso_week"),
    ] {
        expect_invalid(node.weekly(unit, iso_week).await, field, &format!("weekly {unit:?} {iso_week:?}"));
    }
    for unit in ["999999", OUTSIDE, OTHER_TOWNSHIP, DISTRICT] {
        expect_code(node.weekly(unit, "2026-W48").await, Code::NotFound, &format!("weekly {unit}"));
    }
    node.weekly(TOWNSHIP, "2026-W53").await.expect("2026 has 53 weeks");

    // Period.
    for (unit, from, to, field) in [
        ("a/b", "2026-11-01", "2026-11-30", "unit_id"),
        (TOWNSHIP, "2026-11-31", "2026-12-01", "from_date"),
        (TOWNSHIP, "", "2026-12-01", "from_date"),
        (TOWNSHIP, "2026-11-01", "2026/11/30", "to_date"),
        (TOWNSHIP, "2026-11-01", "2026-2-3", "to_date"),
        (TOWNSHIP, "2026-11-30", "2026-11-29", "to_date"),
        (TOWNSHIP, "2026-01-01", long, "to_date"),
    ] {
        expect_invalid(
            node.period_str(unit, from, to).await,
            field,
            &format!("period {unit:?} {from:?}..{to:?}"),
        );
    }
    expect_code(node.period_str("999999", "2026-11-01", "2026-11-30").await, Code::NotFound, "period");
    expect_code(node.period_str(OUTSIDE, "2026-11-01", "2026-11-30").await, Code::NotFound, "period");
    let decade = node.period_str(TOWNSHIP, "2026-01-01", &longest).await.expect("3660 days are allowed");
    assert_eq!(decade.through_date, "2026-11-22", "counted through the last due day");

    // Completeness.
    for (unit, date, field) in [
        ("x y", "2026-11-25", "unit_id"),
        (TOWNSHIP, "2026-11-31", "date"),
        (TOWNSHIP, "2026-02-29", "date"),
        (TOWNSHIP, "", "date"),
        (TOWNSHIP, "25/11/2026", "date"),
    ] {
        expect_invalid(
            node.completeness(unit, date).await,
            field,
            &format!("completeness {unit:?} {date:?}"),
        );
    }
    expect_code(node.completeness("999999", "2026-11-25").await, Code::NotFound, "completeness");
    expect_code(node.completeness(OUTSIDE, "2026-11-25").await, Code::NotFound, "completeness");

    // Trend.
    for (unit, from, to, field) in [
        ("", "2026-W40", "2026-W48", "unit_id"),
        (TOWNSHIP, "2026-40", "2026-W48", "from_week"),
        (TOWNSHIP, "2026-W40", "2026-W99", "to_week"),
        (TOWNSHIP, "2026-W48", "2026-W40", "to_week"),
        (TOWNSHIP, first_week.as_str(), week_531.as_str(), "to_week"),
    ] {
        expect_invalid(node.trend(unit, from, to).await, field, &format!("trend {unit:?} {from:?}..{to:?}"));
    }
    expect_code(node.trend("999999", "2026-W40", "2026-W48").await, Code::NotFound, "trend");
    let longest_trend = node.trend(TOWNSHIP, &first_week, &week(529)).await.expect("530 weeks are allowed");
    assert_eq!(longest_trend.weeks.len(), 530);

    // Export.
    for (unit, from, to, field) in [
        ("bad id!", "2026-11-01", "2026-11-30", "unit_id"),
        (TOWNSHIP, "2026-13-01", "2026-11-30", "from_date"),
        (TOWNSHIP, "2026-11-01", "tomorrow", "to_date"),
        (TOWNSHIP, "2026-11-30", "2026-11-01", "to_date"),
        (TOWNSHIP, "2026-01-01", long, "to_date"),
    ] {
        expect_invalid(
            node.export(unit, from, to).await,
            field,
            &format!("export {unit:?} {from:?}..{to:?}"),
        );
    }
    expect_code(node.export("999999", "2026-11-01", "2026-11-30").await, Code::NotFound, "export");
    expect_code(node.export(OUTSIDE, "2026-11-01", "2026-11-30").await, Code::NotFound, "export");

    // Alerts.
    expect_invalid(node.watch("bad id!").await, "unit_id", "watch");
    expect_invalid(node.watch("").await, "unit_id", "watch");
    expect_code(node.watch("999999").await, Code::NotFound, "watch");
    expect_code(node.watch(OUTSIDE).await, Code::NotFound, "watch");

    node.stop().await;
}

// ---------------------------------------------------------------------------
// 8. Two tiers: a district summarises what its township node forwarded
// ---------------------------------------------------------------------------

async fn district_summary_shows_forwarded_reports(backend: Backend) {
    let clock = Arc::new(ManualClock::new(at(nov(23), 8, 0)));
    let district_config = NodeConfig { child_nodes: ChildNodes::AllChildren, ..NodeConfig::new(DISTRICT) };
    let district = TestNode::start_with(backend, district_config, Arc::clone(&clock)).await;
    let township_config = NodeConfig {
        parent: Some(district.url.clone()),
        forwarder: ForwarderConfig {
            heartbeat: Duration::from_millis(200),
            max_backoff: Duration::from_millis(200),
            ..ForwarderConfig::default()
        },
        ..NodeConfig::new(TOWNSHIP)
    };
    let township = TestNode::start_with(backend, township_config, Arc::clone(&clock)).await;

    // Monday, on time at the township: five reports, one with a wage dispute.
    let monday = nov(23);
    for unit in [TOWNSHIP, C1, MOVED, CLOSES] {
        township.submit(report(unit, monday, 1, vec![])).await;
    }
    let dispute = wage("w", "平顶山某建筑公司", Out::Mediating, 5, [4, 100_000, 0]);
    township.submit(report(G1, monday, 1, vec![dispute])).await;
    // The district does not take reports for units its child node serves.
    expect_code(
        district.try_submit(report(G6, monday, 1, vec![])).await,
        Code::FailedPrecondition,
        "a unit served by the township node",
    );
    // Monday's cut-off passes.
    clock.set(at(monday, 12, 0));

    // The township's own view: group 6 missing of six expected.
    let mine = township.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    let township_fig = Fig {
        expected: 6,
        received: 5,
        on_time: 5,
        missing: 1,
        zero: 4,
        disputes: 1,
        parties: 5,
        categories: cats(&[(Cat::WageArrears, 1)]),
        outcomes: outs(&[(Out::Mediating, 1)]),
        wage: [1, 0, 4, 100_000, 0],
        ..Fig::default()
    };
    assert_totals(&mine, township_fig, 1, "at the township");

    // At the district, once forwarded and synced past Monday's cut-off (a
    // heartbeat with an empty outbox says so).
    let mut summary = None;
    for _ in 0..100 {
        let seen = district.weekly(DISTRICT, "2026-W48").await.expect("weekly summary");
        let arrived = seen
            .children
            .iter()
            .any(|r| r.unit_id == TOWNSHIP && r.freshness.as_ref().is_some_and(|f| f.arrived));
        if seen.totals.as_ref().is_some_and(|t| t.received == 5) && arrived {
            summary = Some(seen);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary = summary.expect("the district sees the township's reports within 10 s");
    assert_eq!(summary.through_date, "2026-11-23");
    // The district files nothing itself; the other township, its community
    // and its group were expected on Monday too.
    let mut district_fig = township_fig;
    district_fig.expected += 3;
    district_fig.missing += 3;
    assert_totals(&summary, district_fig, 1, "at the district");
    assert_eq!(row_ids(&summary), [TOWNSHIP, OTHER_TOWNSHIP]);
    assert_row(&summary, TOWNSHIP, township_fig, &[]);
    let other = Fig { expected: 3, missing: 3, ..Fig::default() };
    assert_row(&summary, OTHER_TOWNSHIP, other, &[]);
    let fresh = summary.children[0].freshness.clone().unwrap();
    assert_eq!(fresh.served_by, TOWNSHIP);
    assert!(fresh.last_sync.is_some());
    let synced = fresh.synced_through.expect("the township said how far it synced");
    assert!(synced.seconds >= cutoff(monday).timestamp(), "synced through {synced:?}");
    assert!(fresh.arrived);
    // The other township's node never pushed: nothing has arrived from it.
    assert_eq!(
        summary.children[1].freshness,
        Some(pb::ChildFreshness {
            served_by: OTHER_TOWNSHIP.into(),
            last_sync: None,
            synced_through: None,
            arrived: false,
        })
    );
    assert_eq!(summary.arrived_percent, 50.0);
    // The district's completeness names the township's missing group.
    let day = district.completeness(DISTRICT, "2026-11-23").await.expect("completeness");
    assert_eq!((day.expected, day.received, day.on_time), (9, 5, 5));
    let missing: Vec<&str> = day.missing.iter().map(|u| u.unit_id.as_str()).collect();
    assert_eq!(missing, [G6, OTHER_TOWNSHIP, "410411002001", OUTSIDE]);

    township.stop().await;
    district.stop().await;
}

// ---------------------------------------------------------------------------
// 9. The accountability ranking (责任追究)
// ---------------------------------------------------------------------------

/// A district of ten reporting townships with nothing below them.
fn ten_townships() -> String {
    let mut csv = String::from("code,parent_code,tier,name,reporting\n410411,,district,湛河区,false\n");
    for n in 1..=10 {
        csv += &format!("{},410411,township,第{n}街道,true\n", township(n));
    }
    csv
}

fn township(n: u32) -> String {
    format!("410411{n:03}")
}

/// A resident identity number with a valid check digit.
const ID_NUMBER: &str = "11010519491231002X";

/// The district node of [`ten_townships`], its clock at 01:00 UTC on `day`.
async fn district_of_ten(backend: Backend, day: NaiveDate) -> TestNode {
    let clock = Arc::new(ManualClock::new(at(day, 1, 0)));
    TestNode::start_on(backend, NodeConfig::new(DISTRICT), clock, &ten_townships()).await
}

/// Zero reports of `unit` for W48, sent on their day at `hour` UTC (08:00
/// is on time, 11:00 late).
async fn report_week(node: &TestNode, unit: &str, hours: [u32; 7]) {
    for (day, hour) in (23..=29).zip(hours) {
        node.set_clock(at(nov(day), hour, 0));
        node.submit(report(unit, nov(day), 1, vec![])).await;
    }
}

fn assign_until(deadline: &str) -> Action {
    Action::Assign(act::Assign {
        leader: "王副镇长".into(),
        responsible: "司法所 李".into(),
        plan: "measure the plot with both families".into(),
        deadline: deadline.into(),
    })
}

fn resolve() -> Action {
    Action::Resolve(act::Resolve { resolution: "boundary stones reset".into(), amount_recovered_cents: 0 })
}

fn close_satisfied() -> Action {
    Action::Close(act::Close { satisfaction: pb::Satisfaction::Satisfied.into() })
}

/// The (part, whole, applicable) of a component of a row.
#[track_caller]
fn shares(row: &pb::ScorecardRow, component: Component) -> (u64, u64, bool) {
    let got = share(row, component);
    (got.part, got.whole, got.applicable)
}

/// The score recomputed from the components a row carries, as the
/// assessment's documentation says.
fn recomputed_score(row: &pb::ScorecardRow) -> Option<f64> {
    let assessment = row.assessment.as_ref()?;
    let applicable: Vec<&pb::ComponentScore> =
        assessment.components.iter().filter(|c| c.applicable && c.weight > 0).collect();
    let total: u32 = applicable.iter().map(|c| c.weight).sum();
    (total > 0).then(|| {
        let sum: f64 =
            applicable.iter().map(|c| f64::from(c.weight) * (100.0 * c.part as f64 / c.whole as f64)).sum();
        sum / f64::from(total)
    })
}

async fn a_silent_week_ranks_the_township_that_reported_first(backend: Backend) {
    let node = district_of_ten(backend, nov(23)).await;
    let reporter = township(1);
    // Township 1 reports every day on time. On Monday it registers two
    // cases of one petitioner on one matter (the second a repeat
    // petition), accepts the first, gives it Monday as the deadline,
    // resolves it on Tuesday (late) and closes it, the petitioner
    // satisfied. The nine other townships send nothing all week.
    node.set_clock(at(nov(23), 2, 0));
    let first = node.register(&reporter, ID_NUMBER).await;
    let second = node.register(&reporter, ID_NUMBER).await;
    node.act(&first, Action::Accept(act::Accept {})).await;
    node.act(&first, assign_until("2026-11-23")).await;
    node.set_clock(at(nov(24), 2, 0));
    node.act(&first, resolve()).await;
    let closed = node.act(&first, close_satisfied()).await;
    assert_eq!(closed.status, pb::CaseStatus::Closed as i32);
    report_week(&node, &reporter, [8; 7]).await;

    node.set_clock(at(nov(30), 2, 0));
    let week = node.weekly(DISTRICT, "2026-W48").await.expect("weekly summary");
    let cases = week.cases.unwrap();
    assert_eq!((cases.registered, cases.repeat_petitions, cases.closed, cases.closed_on_time), (2, 1, 1, 0));
    // The one that reported first; the nine silent ones after it, their
    // tie broken by unit id.
    let order: Vec<String> = (1..=10).map(township).collect();
    assert_ranked(&week, &order.iter().map(String::as_str).collect::<Vec<_>>());

    let row = &week.children[0];
    let defaults = fengqiao_core::assessment::Weights::default();
    assert_eq!(shares(row, Component::Completeness), (7, 7, true));
    assert_eq!(shares(row, Component::Timeliness), (7, 7, true));
    assert_eq!(shares(row, Component::DisputeResolution), (0, 0, false), "no dispute found");
    assert_eq!(shares(row, Component::OnTimeAcceptance), (1, 1, true));
    assert_eq!(shares(row, Component::OnTimeClosure), (0, 1, true));
    assert_eq!(shares(row, Component::RepeatPetitions), (1, 2, true), "one of two was not a repeat");
    assert_eq!(shares(row, Component::Satisfaction), (1, 1, true));
    assert_eq!(share(row, Component::OnTimeClosure).weight, defaults.on_time_closure);
    let assessment = row.assessment.as_ref().unwrap();
    assert!(assessment.scored && assessment.complete);
    assert!((assessment.score - 6500.0 / 85.0).abs() < 1e-9, "score {}", assessment.score);
    for row in &week.children[1..] {
        assert_eq!(shares(row, Component::Completeness), (0, 7, true), "{}", row.unit_id);
        assert_eq!(shares(row, Component::OnTimeClosure), (0, 0, false), "no free 100% for {}", row.unit_id);
        let assessment = row.assessment.as_ref().unwrap();
        assert_eq!((assessment.score, assessment.scored, assessment.complete), (0.0, true, false));
    }
    for row in &week.children {
        assert_eq!(recomputed_score(row), Some(row.assessment.as_ref().unwrap().score), "{}", row.unit_id);
    }

    // Each row's place, with what it is made of, drilled from the unit.
    let place = node.drill(&reporter, nov(23), nov(29), "rank").await.expect("drill rank").place.unwrap();
    assert_eq!((place.parent_unit_id.as_str(), place.rows), (DISTRICT, 10));
    assert_eq!(place.row.as_ref(), Some(row_of(&week, &reporter)));
    let place = node.drill(&township(7), nov(23), nov(29), "rank").await.expect("drill rank").place.unwrap();
    assert_eq!(place.row.unwrap().rank, 7);
    // The district has nothing above it; a week not yet due has no rows.
    expect_code(node.drill(DISTRICT, nov(23), nov(29), "rank").await, Code::FailedPrecondition, "the root");
    expect_code(
        node.drill(&reporter, nov(30), d(12, 6), "rank").await,
        Code::FailedPrecondition,
        "a week not due",
    );
    assert_eq!(second.len(), first.len());
    node.stop().await;
}

fn row_of<'a>(summary: &'a pb::Summary, unit: &str) -> &'a pb::ScorecardRow {
    summary.children.iter().find(|r| r.unit_id == unit).unwrap_or_else(|| panic!("no row for {unit}"))
}

async fn a_township_without_cases_gets_no_free_hundred_percent(backend: Backend) {
    let node = district_of_ten(backend, nov(23)).await;
    // Townships 1 and 2 report every day, Saturday's and Sunday's late.
    // Township 2 also settles a case on Monday, on time, the petitioner
    // satisfied; township 1 has no case at all.
    let (none, worked) = (township(1), township(2));
    node.set_clock(at(nov(23), 2, 0));
    let case = node.register(&worked, ID_NUMBER).await;
    node.act(&case, Action::Accept(act::Accept {})).await;
    node.act(&case, assign_until("")).await;
    node.act(&case, resolve()).await;
    node.act(&case, close_satisfied()).await;
    let hours = [8, 8, 8, 8, 8, 11, 11];
    report_week(&node, &none, hours).await;
    report_week(&node, &worked, hours).await;

    node.set_clock(at(nov(30), 2, 0));
    let week = node.weekly(DISTRICT, "2026-W48").await.expect("weekly summary");
    let mut order = vec![worked.clone(), none.clone()];
    order.extend((3..=10).map(township));
    assert_ranked(&week, &order.iter().map(String::as_str).collect::<Vec<_>>());

    let without = row_of(&week, &none);
    for component in [
        Component::DisputeResolution,
        Component::OnTimeAcceptance,
        Component::OnTimeClosure,
        Component::RepeatPetitions,
        Component::Satisfaction,
    ] {
        assert_eq!(shares(without, component), (0, 0, false), "{component:?} does not apply without cases");
        assert_eq!(share(without, component).percent, 0.0);
    }
    let timeliness = 500.0 / 7.0;
    let score = without.assessment.as_ref().unwrap().score;
    assert!((score - (25.0 * 100.0 + 15.0 * timeliness) / 40.0).abs() < 1e-9, "score {score}");
    let with = row_of(&week, &worked);
    assert_eq!(shares(with, Component::OnTimeClosure), (1, 1, true));
    assert_eq!(shares(with, Component::OnTimeAcceptance), (1, 1, true));
    let score = with.assessment.as_ref().unwrap().score;
    assert!((score - (25.0 * 100.0 + 15.0 * timeliness + 45.0 * 100.0) / 85.0).abs() < 1e-9, "score {score}");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 10. A past week keeps its case figures
// ---------------------------------------------------------------------------

async fn last_weeks_case_figures_do_not_move_when_a_case_is_worked_today(backend: Backend) {
    let clock = Arc::new(ManualClock::new(at(nov(23), 2, 0)));
    let mut config = NodeConfig::new(TOWNSHIP);
    config.cases.deadlines.accept_days = 2;
    let node = TestNode::start_with(backend, config, clock).await;
    // Monday of W48: a case at group 1 (community 1) and one at group 6
    // (community 2), each to be accepted by Wednesday; neither is.
    let at_g1 = node.register(G1, ID_NUMBER).await;
    let at_g6 = node.register(G6, "110105194912310038").await;

    // Monday of W49: W48 is over; its overdue cases are judged as of its end.
    let week_end = at(nov(29), 16, 0);
    node.set_clock(at(nov(30), 2, 0));
    let before = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    assert_eq!(before.cases.unwrap().overdue, 2);
    assert_eq!((before.cases_as_of, before.cases_provisional), (Some(timestamp(week_end)), false));
    assert_eq!(row_of(&before, C1).cases.unwrap().overdue, 1);
    assert_eq!(row_of(&before, C2).cases.unwrap().overdue, 1);
    let drilled = node.drill(TOWNSHIP, nov(23), nov(29), "cases.overdue").await.expect("drill");
    let mut want = vec![at_g1.clone(), at_g6.clone()];
    want.sort();
    assert_eq!(drilled.case_ids, want);

    // Wednesday of W49: the first is accepted at last, the second declined.
    node.set_clock(at(d(12, 2), 2, 0));
    node.act(&at_g1, Action::Accept(act::Accept {})).await;
    node.act(&at_g6, Action::Decline(act::Decline { reason: "a court case is pending".into() })).await;

    // W48 is as it was: totals, every row, ranks, and the drill-down.
    let after = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    assert_eq!(after.cases, before.cases);
    assert_eq!(after.children, before.children);
    assert_eq!((after.cases_as_of, after.cases_provisional), (Some(timestamp(week_end)), false));
    let drilled = node.drill(TOWNSHIP, nov(23), nov(29), "cases.overdue").await.expect("drill");
    assert_eq!(drilled.case_ids, want);

    // W49 is under way: judged as of now, and nothing is overdue now.
    let now = at(d(12, 2), 2, 0);
    let current = node.weekly(TOWNSHIP, "2026-W49").await.expect("weekly summary");
    assert_eq!((current.cases_as_of, current.cases_provisional), (Some(timestamp(now)), true));
    let cases = current.cases.unwrap();
    assert_eq!((cases.overdue, cases.accepted, cases.accepted_on_time), (0, 1, 0));
    // Its drill-down counts up to today too (not to Sunday, still ahead).
    let drilled = node.drill(TOWNSHIP, nov(30), d(12, 6), "cases.overdue").await.expect("drill");
    assert!(drilled.case_ids.is_empty(), "{:?}", drilled.case_ids);
    let drilled = node.drill(TOWNSHIP, d(12, 3), d(12, 6), "cases.registered").await.expect("drill");
    assert!(drilled.case_ids.is_empty(), "a range after today holds nothing yet");
    node.stop().await;
}

// ---------------------------------------------------------------------------
// 11. A deployment has a start
// ---------------------------------------------------------------------------

/// A deployment that went live on Wednesday 2026-11-25: reports dated
/// before (year 1 among them) are refused, and nothing is "missing" before
/// it — not Monday and Tuesday of its first week, not the weeks before, not
/// the ten years a period summary may span.
async fn a_deployment_started_mid_week_expects_nothing_before_its_start(backend: Backend) {
    let start = nov(25);
    let clock = Arc::new(ManualClock::new(at(nov(29), 12, 0)));
    let config = NodeConfig { reporting_start: Some(start), ..NodeConfig::new(TOWNSHIP) };
    let node = TestNode::start_with(backend, config, clock).await;
    for date in ["0001-01-01", "2026-11-24"] {
        let mut before = report(G1, start, 1, vec![]);
        before.date = date.into();
        expect_invalid(node.try_submit(before).await, "report.date", date);
    }
    assert_eq!(node.store.count_reports().await.unwrap(), 0, "a refused report changes nothing");
    node.submit(report(G1, start, 1, vec![])).await;

    // Expected from Wednesday on: six units a day (5号楼 closed on Tuesday).
    let expected_from = |from: NaiveDate, to: NaiveDate, root: &str| -> i64 {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| *d >= start)
            .map(|d| REPORTING.iter().filter(|u| expected_on(u, d) && within(u, root, d)).count() as i64)
            .sum()
    };
    assert_eq!(expected_from(nov(23), nov(29), TOWNSHIP), 30);
    let week = node.weekly(TOWNSHIP, "2026-W48").await.expect("weekly summary");
    let totals = week.totals.clone().unwrap();
    assert_eq!((totals.expected, totals.received, totals.missing), (30, 1, 29));
    let c1 = week.children.iter().find(|r| r.unit_id == C1).unwrap().tally.clone().unwrap();
    assert_eq!(c1.expected, expected_from(nov(23), nov(29), C1));
    for date in ["2026-11-23", "2026-11-24"] {
        let day = node.completeness(TOWNSHIP, date).await.expect("completeness");
        assert_eq!((day.expected, day.missing.len()), (0, 0), "{date}: before the start");
    }
    let wednesday = node.completeness(TOWNSHIP, "2026-11-25").await.expect("completeness");
    assert_eq!((wednesday.expected, wednesday.received, wednesday.missing.len()), (6, 1, 5));
    let trend = node.trend(TOWNSHIP, "2026-W46", "2026-W48").await.expect("trend");
    let expected: Vec<i64> = trend.weeks.iter().map(|w| w.tally.as_ref().unwrap().expected).collect();
    assert_eq!(expected, [0, 0, 30]);
    // Ten years back: still only the five days since the start.
    let decade =
        node.period(TOWNSHIP, nov(29) - chrono::Duration::days(3600), nov(29)).await.expect("period");
    assert_eq!(decade.totals.unwrap().missing, 29);
    node.stop().await;
}

/// Where a node's start comes from when `reporting.start_date` is unset:
/// the one its database recorded, else the earliest report it holds (an
/// upgrade keeps its history), else none (`fengqiao node` then refuses).
async fn the_start_of_reporting_is_kept_in_the_database(backend: Backend) {
    use fengqiao_node::{StartOrigin, resolve_reporting_start};
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    assert_eq!(resolve_reporting_start(&*store, None).await.unwrap(), None, "a new database has none");
    let tree = UnitTree::from_csv(TREE).unwrap();
    let clock = Arc::new(ManualClock::new(at(nov(29), 12, 0))) as Arc<dyn Clock>;
    let config = NodeConfig { reporting_start: Some(nov(25)), ..NodeConfig::new(TOWNSHIP) };
    let node = Node::start(config, &tree, Arc::clone(&store), Arc::clone(&clock)).await.unwrap();
    assert_eq!(node.config().reporting_start, Some(nov(25)));
    assert_eq!(resolve_reporting_start(&*store, None).await.unwrap(), Some((nov(25), StartOrigin::Stored)));
    // Started again without one: the recorded start holds.
    let again =
        Node::start(NodeConfig::new(TOWNSHIP), &tree, Arc::clone(&store), Arc::clone(&clock)).await.unwrap();
    assert_eq!(again.config().reporting_start, Some(nov(25)));
    assert_eq!(
        resolve_reporting_start(&*store, Some(nov(26))).await.unwrap(),
        Some((nov(26), StartOrigin::Configured))
    );
    store.close().await;
    db.cleanup().await;

    // A database from before starts existed, holding reports from 11-20 on.
    let db = TestDb::new(backend).await;
    let store = db.open().await.unwrap();
    store.replace_units(&tree, fengqiao_store::testing::audit_record("tree")).await.unwrap();
    let old = |date| fengqiao_store::Submission {
        report: fengqiao_proto::required_at(Some(report(G1, date, 1, vec![])), "report").unwrap(),
        source: fengqiao_core::revision::Source::Reporter,
        accepted_at: at(date, 8, 0),
        first_accepted_at: None,
        trace_parent: None,
        audit: fengqiao_store::testing::audit_record("report"),
    };
    store.apply_reports(vec![old(nov(22)), old(nov(20))], false, &Default::default()).await.unwrap();
    assert_eq!(
        resolve_reporting_start(&*store, None).await.unwrap(),
        Some((nov(20), StartOrigin::EarliestReport))
    );
    let node = Node::start(NodeConfig::new(TOWNSHIP), &tree, Arc::clone(&store), clock).await.unwrap();
    assert_eq!(node.config().reporting_start, Some(nov(20)));
    assert_eq!(resolve_reporting_start(&*store, None).await.unwrap(), Some((nov(20), StartOrigin::Stored)));
    store.close().await;
    db.cleanup().await;
}

// ---------------------------------------------------------------------------

fengqiao_store::both_backends!(
    a_deployment_started_mid_week_expects_nothing_before_its_start,
    the_start_of_reporting_is_kept_in_the_database,
    weekly_summary_with_units_opening_and_closing_mid_week,
    completeness_names_missing_and_late_units,
    a_correction_changes_the_summary_exactly,
    period_and_trend,
    export_streams_every_report,
    watch_alerts_fire_at_the_cut_off,
    bad_summary_requests,
    district_summary_shows_forwarded_reports,
    a_silent_week_ranks_the_township_that_reported_first,
    a_township_without_cases_gets_no_free_hundred_percent,
    last_weeks_case_figures_do_not_move_when_a_case_is_worked_today,
);
