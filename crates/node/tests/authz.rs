//! The authorization matrix: every RPC × caller kind × relation, through the
//! real service handlers in-process, against an expected table written out
//! here (not recomputed by the rules under test).
//!
//! The node serves district `D`; `C22` (with group `G221`) has a node of its
//! own:
//!
//! ```text
//! D ─┬─ T1 ─┬─ C11
//!    │      └─ C12
//!    └─ T2 ─┬─ C21
//!           └─ C22 ── G221   (child node C22)
//! ```
//!
//! People call as `T1`; the node identity is the child node `C22`. The
//! columns are the relation of the target unit (or the case's owner) to the
//! caller's unit: own, descendant, sibling, ancestor; and "other district":
//! a caller of the same kind from district `X`, which this node does not
//! serve, targeting the unit the own column targets.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use fengqiao_core::authz::{CaseAction, Rpc};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::{IsoWeek, SystemClock, UnitId, UnitTree};
use fengqiao_node::caller::Caller;
use fengqiao_node::cases::Cases;
use fengqiao_node::contacts::Contacts;
use fengqiao_node::departments::service::DepartmentsService;
use fengqiao_node::downlink::Downlink;
use fengqiao_node::node_status::NodeStatus;
use fengqiao_node::reconcile::Reconciliation;
use fengqiao_node::reporting::Reporting;
use fengqiao_node::summary::Summaries;
use fengqiao_node::units::Units;
use fengqiao_node::uplink::Uplink;
use fengqiao_node::weekly::WeeklyReports;
use fengqiao_node::{ChildNodes, Node, NodeConfig};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_server::CaseService;
use fengqiao_proto::pb::contact_service_server::ContactService;
use fengqiao_proto::pb::department_service_server::DepartmentService;
use fengqiao_proto::pb::downlink_service_server::DownlinkService;
use fengqiao_proto::pb::node_service_server::NodeService;
use fengqiao_proto::pb::reconcile_service_server::ReconcileService;
use fengqiao_proto::pb::reporting_service_server::ReportingService;
use fengqiao_proto::pb::summary_service_server::SummaryService;
use fengqiao_proto::pb::unit_service_server::UnitService;
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_server::UplinkService;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;
use fengqiao_proto::pb::{self, CaseChannel, DisputeCategory};
use fengqiao_store::testing::TestDb;
use fengqiao_store::{Backend, CaseQuery};
use tonic::{Code, Status};

const TREE: &str = "code,parent_code,tier,name\n\
    D,,district,D\n\
    T1,D,township,T1\n\
    T2,D,township,T2\n\
    C11,T1,community,C11\n\
    C12,T1,community,C12\n\
    C21,T2,community,C21\n\
    C22,T2,community,C22\n\
    G221,C22,group,G221\n";

const UNITS: [&str; 8] = ["D", "T1", "T2", "C11", "C12", "C21", "C22", "G221"];

/// Caller kinds, in the table's column order.
const KINDS: [&str; 6] = ["reporter", "officer", "leader", "admin", "auditor", "node"];

/// Whether each kind may call each RPC on a target that is, from left to
/// right: its own unit, a descendant, a sibling, an ancestor; and as a caller
/// from another district. `A` allowed, `.` PERMISSION_DENIED.
#[rustfmt::skip]
const EXPECTED: &[(&str, [&str; 6])] = &[
    //  RPC                          reporter officer  leader   admin    auditor  node
    ("SubmitDailyReport",          ["A....", "AA...", "AA...", ".....", ".....", "....."]),
    ("GetDailyReport",             ["AA...", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("ListDailyReports",           ["AA...", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("GetUnit",                    ["AA...", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("ListUnits",                  ["AA...", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("PushBatch",                  [".....", ".....", ".....", ".....", ".....", "AA..."]),
    ("Subscribe",                  [".....", ".....", ".....", ".....", ".....", "A...."]),
    ("GetNodeStatus",              [".....", ".....", ".....", "AAAA.", "AAAA.", "AAAA."]),
    ("PostNotice",                 [".....", ".....", ".A...", ".A...", ".....", "....."]),
    ("ListNotices",                [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("WeeklySummary",              [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("PeriodSummary",              [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("Completeness",               [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("Trend",                      [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("ExportReports",              [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("WatchAlerts",                [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("DrillDown",                  [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("RegisterCase",               [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.accept",           [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.decline",          [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.assign",           [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.progress",         [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.extend",           [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.escalate",         [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.assign_down",      [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.resolve",          [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.close",            [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.reopen",           [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.request_review",   [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.decide_review",    [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.reply_supervision",[".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.transfer_to_department", [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.assign_to_department",   [".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.report_back",      [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.set_working_group",[".....", ".....", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.reply_to_petitioner", [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ActOnCase.issue_receipt",    [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("GetCase",                    [".....", "AA...", "AA...", ".....", "AA...", "....."]),
    ("GetCase+petitioner",         [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ListCases",                  [".....", "AA...", "AA...", ".....", "AA...", "....."]),
    ("Supervise",                  [".....", ".....", ".A...", ".....", ".....", "....."]),
    ("SetRoster",                  [".....", ".....", "AA...", "AA...", ".....", "....."]),
    ("GetRoster",                  [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("RecordVisit",                [".....", "AA...", "AA...", ".....", ".....", "....."]),
    ("ReconcileExchange",          [".....", ".....", ".....", ".....", ".....", "A...."]),
    ("Reconcile",                  [".....", ".....", ".....", "AA...", ".....", "....."]),
    // A leader files and withdraws their own unit's weekly report (at its
    // own node: here the handler then refuses T1 as FAILED_PRECONDITION).
    ("FileWeekly",                 [".....", ".....", "A....", ".....", ".....", "....."]),
    ("WithdrawWeekly",             [".....", ".....", "A....", ".....", ".....", "....."]),
    // Reviews are taken at a node by a leader of its home unit (D): a
    // leader of T1 is refused at D's node whatever the target.
    ("ReviewWeekly",               [".....", ".....", ".....", ".....", ".....", "....."]),
    ("UnapproveWeekly",            [".....", ".....", ".....", ".....", ".....", "....."]),
    ("ReadWeekly",                 [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("RecordAccountability",       [".....", ".....", ".A...", ".....", ".....", "....."]),
    ("ListDepartments",            [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    ("DepartmentFigures",          [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
    // Issue 20, contact duties: a project is set by the leaders and admins
    // of its unit or above; duties only by the district's own (the target
    // is the node's root, D, an ancestor of these callers at T1).
    ("SetProject",                 [".....", ".....", "AA...", "AA...", ".....", "....."]),
    ("SetContactDuty",             [".....", ".....", ".....", ".....", ".....", "....."]),
    ("ReadContacts",               [".....", "AA...", "AA...", "AA...", "AA...", "....."]),
];

const RELATIONS: [&str; 5] = ["own", "descendant", "sibling", "ancestor", "other district"];

/// The caller of a kind, at its unit or (`foreign`) in district X.
fn identity(kind: &str, foreign: bool) -> Identity {
    let unit = |id: &str| UnitId::parse(if foreign { "X" } else { id }).unwrap();
    match kind {
        "node" => Identity::Node { unit: unit("C22") },
        role => Identity::person("staff-1", unit("T1"), Role::parse(role).unwrap()).unwrap(),
    }
}

/// The target unit of each relation column for a kind.
fn target(kind: &str, relation: usize) -> &'static str {
    let targets =
        if kind == "node" { ["C22", "G221", "C21", "T2", "C22"] } else { ["T1", "C11", "T2", "D", "T1"] };
    targets[relation]
}

struct Fixture {
    node: Node,
    _db: TestDb,
    day: NaiveDate,
    registered: std::sync::atomic::AtomicU32,
}

async fn fixture(backend: Backend) -> Fixture {
    let db = TestDb::new(backend).await;
    let mut config = NodeConfig::new("D");
    config.child_nodes = ChildNodes::Units(vec!["C22".into()]);
    // Every unit has an hrss department, so the department actions name
    // one of the case's owner.
    let mut departments = String::from("unit_id,code,name,five_in_one,from,until\n");
    for unit in UNITS {
        departments.push_str(&format!("{unit},hrss,{unit} hrss,false,2000-01-01,\n"));
    }
    config.departments = Some(fengqiao_core::department::Departments::from_csv(&departments).unwrap());
    let tree = UnitTree::from_csv(TREE).unwrap();
    let node = Node::start(config, &tree, db.open().await.unwrap(), Arc::new(SystemClock)).await.unwrap();
    let today = node.config().time.local_date(node.clock().now());
    Fixture { node, _db: db, day: today - Duration::days(1), registered: 0.into() }
}

fn request<T>(caller: Option<&Caller>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller.clone());
    }
    request
}

fn petitioner() -> pb::Petitioner {
    pb::Petitioner {
        name: "甲某".into(),
        phone: "139 0000 0000".into(),
        id_number: "11010519491231002X".into(),
    }
}

impl Fixture {
    /// A fresh case owned by `unit`, registered by the local operator; a case
    /// id that does not exist when the unit cannot hold one here.
    async fn case_at(&self, unit: &str) -> String {
        let n = self.registered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{unit}-case-{n}");
        let request = pb::RegisterCaseRequest {
            case_id: id.clone(),
            intake: Some(pb::CaseIntake {
                origin_unit_id: unit.into(),
                category: DisputeCategory::Land.into(),
                channel: CaseChannel::Letter.into(),
                summary: "boundary of a contracted plot".into(),
                ..Default::default()
            }),
            petitioner: Some(petitioner()),
            actor: "officer-1".into(),
            note: String::new(),
            on_behalf_of: None,
        };
        let cases = Cases::new(self.node.clone());
        match cases.register_case(self::request(Some(&Caller::Insecure), request)).await {
            Ok(_) => id,
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{unit}: {status:?}");
                "no-such-case".into()
            }
        }
    }

    /// The case a case RPC on `unit` acts on: a fresh one, so no earlier
    /// call has moved it elsewhere.
    async fn case_for(&self, rpc: Rpc, unit: &str) -> String {
        match rpc {
            Rpc::ActOnCase(_) | Rpc::GetCase { .. } | Rpc::Supervise => self.case_at(unit).await,
            _ => String::new(),
        }
    }

    /// Calls `rpc` on `unit` (or on `case_id`, owned by `unit`) through its
    /// real handler as `caller`.
    async fn call(
        &self,
        caller: Option<&Caller>,
        rpc: Rpc,
        unit: &str,
        case_id: String,
    ) -> Result<(), Status> {
        let node = self.node.clone();
        let day = self.day.to_string();
        let week = IsoWeek::of(self.day).to_string();
        let from = (self.day - Duration::days(6)).to_string();
        let sender = match caller {
            Some(Caller::Verified(identity @ Identity::Node { .. })) => identity.unit().to_string(),
            _ => "C22".to_owned(),
        };
        match rpc {
            Rpc::SubmitDailyReport => {
                let report = pb::DailyReport {
                    unit_id: unit.into(),
                    date: day,
                    revision: 1,
                    reporter: "staff-1".into(),
                    zero: true,
                    ..Default::default()
                };
                let message = pb::SubmitDailyReportRequest { report: Some(report) };
                Reporting::new(node).submit_daily_report(request(caller, message)).await.map(drop)
            }
            Rpc::GetDailyReport => {
                let message = pb::GetDailyReportRequest {
                    unit_id: unit.into(),
                    date: day,
                    revision: 0,
                    ..Default::default()
                };
                Reporting::new(node).get_daily_report(request(caller, message)).await.map(drop)
            }
            Rpc::ListDailyReports => {
                let message = pb::ListDailyReportsRequest {
                    unit_id: unit.into(),
                    from_date: from,
                    to_date: day,
                    ..Default::default()
                };
                Reporting::new(node).list_daily_reports(request(caller, message)).await.map(drop)
            }
            Rpc::GetUnit => Units::new(node)
                .get_unit(request(caller, pb::GetUnitRequest { unit_id: unit.into() }))
                .await
                .map(drop),
            Rpc::ListUnits => {
                let message = pb::ListUnitsRequest { root_unit_id: unit.into(), ..Default::default() };
                Units::new(node).list_units(request(caller, message)).await.map(drop)
            }
            Rpc::PushBatch => {
                let at = fengqiao_proto::timestamp(node.clock().now() - Duration::days(1));
                let report = pb::StoredDailyReport {
                    report: Some(pb::DailyReport {
                        unit_id: unit.into(),
                        date: day,
                        revision: 1,
                        reporter: "staff-1".into(),
                        zero: true,
                        ..Default::default()
                    }),
                    accepted_at: Some(at),
                    first_accepted_at: Some(at),
                    on_time: true,
                };
                let message = pb::PushBatchRequest {
                    sender_unit_id: sender,
                    items: vec![pb::UplinkItem {
                        sequence: 1,
                        payload: Some(Payload::Report(report)),
                        trace_parent: String::new(),
                    }],
                    synced_through: None,
                };
                Uplink::new(node).push_batch(request(caller, message)).await.map(drop)
            }
            Rpc::Subscribe => {
                let message = pb::SubscribeRequest {
                    unit_id: unit.into(),
                    after_sequence: 0,
                    instance_id: String::new(),
                };
                Downlink::new(node).subscribe(request(caller, message)).await.map(drop)
            }
            Rpc::GetNodeStatus => NodeStatus::new(node)
                .get_node_status(request(caller, pb::GetNodeStatusRequest {}))
                .await
                .map(drop),
            Rpc::PostNotice => {
                let message =
                    pb::PostNoticeRequest { target_unit_id: unit.into(), text: "meet at nine".into() };
                NodeStatus::new(node).post_notice(request(caller, message)).await.map(drop)
            }
            Rpc::ListNotices => NodeStatus::new(node)
                .list_notices(request(
                    caller,
                    pb::ListNoticesRequest { unit_id: unit.into(), ..Default::default() },
                ))
                .await
                .map(drop),
            Rpc::WeeklySummary => {
                let message = pb::WeeklySummaryRequest { unit_id: unit.into(), iso_week: week };
                Summaries::new(node).weekly_summary(request(caller, message)).await.map(drop)
            }
            Rpc::PeriodSummary => {
                let message =
                    pb::PeriodSummaryRequest { unit_id: unit.into(), from_date: from, to_date: day };
                Summaries::new(node).period_summary(request(caller, message)).await.map(drop)
            }
            Rpc::Completeness => {
                let message = pb::CompletenessRequest { unit_id: unit.into(), date: day };
                Summaries::new(node).completeness(request(caller, message)).await.map(drop)
            }
            Rpc::Trend => {
                let message =
                    pb::TrendRequest { unit_id: unit.into(), from_week: week.clone(), to_week: week };
                Summaries::new(node).trend(request(caller, message)).await.map(drop)
            }
            Rpc::ExportReports => {
                let message =
                    pb::ExportReportsRequest { unit_id: unit.into(), from_date: from, to_date: day };
                Summaries::new(node).export_reports(request(caller, message)).await.map(drop)
            }
            Rpc::WatchAlerts => {
                let message = pb::WatchAlertsRequest { unit_id: unit.into() };
                Summaries::new(node).watch_alerts(request(caller, message)).await.map(drop)
            }
            Rpc::DrillDown => {
                let message = pb::DrillDownRequest {
                    unit_id: unit.into(),
                    from_date: from,
                    to_date: day,
                    figure: "cases.registered".into(),
                    ..Default::default()
                };
                Summaries::new(node).drill_down(request(caller, message)).await.map(drop)
            }
            Rpc::RegisterCase => {
                let message = pb::RegisterCaseRequest {
                    intake: Some(pb::CaseIntake {
                        origin_unit_id: unit.into(),
                        category: DisputeCategory::Land.into(),
                        channel: CaseChannel::Letter.into(),
                        summary: "boundary of a contracted plot".into(),
                        ..Default::default()
                    }),
                    // No actor stated: the caller acts as their certificate says.
                    ..Default::default()
                };
                Cases::new(node).register_case(request(caller, message)).await.map(drop)
            }
            Rpc::ActOnCase(action) => {
                let message = pb::ActOnCaseRequest {
                    case_id,
                    action: Some(action_of(action, unit, self.day)),
                    note: "as planned".into(),
                    ..Default::default()
                };
                Cases::new(node).act_on_case(request(caller, message)).await.map(drop)
            }
            Rpc::GetCase { with_petitioner } => {
                let message = pb::GetCaseRequest { case_id, with_petitioner, ..Default::default() };
                let response =
                    Cases::new(node.clone()).get_case(request(caller, message)).await?.into_inner();
                // Allowed with the petitioner: the data is there for a case held here.
                if with_petitioner && node.holds(unit) {
                    assert_eq!(response.petitioner, Some(petitioner()));
                } else {
                    assert_eq!(response.petitioner, None);
                }
                Ok(())
            }
            Rpc::ListCases => {
                let message = pb::ListCasesRequest { unit_id: unit.into(), ..Default::default() };
                Cases::new(node).list_cases(request(caller, message)).await.map(drop)
            }
            Rpc::Supervise => {
                let message = pb::SuperviseRequest {
                    case_id,
                    kind: pb::SupervisionKind::Document.into(),
                    reply_by: (self.day + Duration::days(10)).to_string(),
                    text: "report progress".into(),
                    actor: String::new(),
                    on_behalf_of: None,
                };
                Cases::new(node).supervise(request(caller, message)).await.map(drop)
            }
            Rpc::SetRoster => {
                let entry = pb::RosterEntry { unit_id: unit.into(), date: day, leader: "Li Ming".into() };
                Cases::new(node)
                    .set_roster(request(caller, pb::SetRosterRequest { entries: vec![entry] }))
                    .await
                    .map(drop)
            }
            Rpc::GetRoster => {
                let message = pb::GetRosterRequest { unit_id: unit.into(), from_date: from, to_date: day };
                Cases::new(node).get_roster(request(caller, message)).await.map(drop)
            }
            Rpc::RecordVisit => {
                let message = pb::RecordVisitRequest {
                    unit_id: unit.into(),
                    category: DisputeCategory::Land.into(),
                    summary: "asks about a plot".into(),
                    ..Default::default()
                };
                Cases::new(node).record_visit(request(caller, message)).await.map(drop)
            }
            Rpc::ReconcileExchange => {
                let message = pb::GetDigestsRequest {
                    sender_unit_id: unit.into(),
                    level: pb::DigestLevel::Total.into(),
                    ..Default::default()
                };
                Reconciliation::new(node).get_digests(request(caller, message)).await.map(drop)
            }
            Rpc::Reconcile => {
                let message = pb::ReconcileRequest {
                    child_unit_ids: vec![unit.into()],
                    timeout_seconds: 1,
                    ..Default::default()
                };
                Reconciliation::new(node).reconcile(request(caller, message)).await.map(drop)
            }
            Rpc::FileWeekly => {
                let message = pb::FileWeeklyReportRequest {
                    unit_id: unit.into(),
                    iso_week: week,
                    narrative: None,
                    expected_filing: 0,
                };
                WeeklyReports::new(node).file_weekly_report(request(caller, message)).await.map(drop)
            }
            Rpc::WithdrawWeekly => {
                let message = pb::WithdrawWeeklyReportRequest {
                    unit_id: unit.into(),
                    iso_week: week,
                    filing: 1,
                    reason: String::new(),
                };
                WeeklyReports::new(node).withdraw_weekly_report(request(caller, message)).await.map(drop)
            }
            Rpc::ReviewWeekly => {
                let message = pb::ReviewWeeklyReportRequest {
                    unit_id: unit.into(),
                    iso_week: week,
                    filing: 1,
                    decision: pb::WeeklyDecision::Approve.into(),
                    comments: String::new(),
                };
                WeeklyReports::new(node).review_weekly_report(request(caller, message)).await.map(drop)
            }
            Rpc::UnapproveWeekly => {
                let message = pb::UnapproveWeeklyReportRequest {
                    unit_id: unit.into(),
                    iso_week: week,
                    filing: 1,
                    reason: "figures corrected".into(),
                };
                WeeklyReports::new(node).unapprove_weekly_report(request(caller, message)).await.map(drop)
            }
            Rpc::ReadWeekly => {
                let message = pb::WeeklyStatusRequest { unit_id: unit.into(), iso_week: week };
                WeeklyReports::new(node).weekly_status(request(caller, message)).await.map(drop)
            }
            Rpc::ListDepartments => {
                let message = pb::ListDepartmentsRequest { unit_id: unit.into(), on: String::new() };
                DepartmentsService::new(node).list_departments(request(caller, message)).await.map(drop)
            }
            Rpc::DepartmentFigures => {
                let message =
                    pb::DepartmentFiguresRequest { unit_id: unit.into(), from, to: self.day.to_string() };
                DepartmentsService::new(node).department_figures(request(caller, message)).await.map(drop)
            }
            Rpc::RecordAccountability => {
                let message = pb::RecordAccountabilityRequest {
                    unit_id: unit.into(),
                    kind: pb::AccountabilityKind::Criticism.into(),
                    reason: "reports missing".into(),
                    from_date: from,
                    to_date: self.day.to_string(),
                };
                WeeklyReports::new(node).record_accountability(request(caller, message)).await.map(drop)
            }
            Rpc::SetProject => {
                let project = pb::Project {
                    project_id: format!("site-{}", unit.to_lowercase()),
                    name: "安置房工地".into(),
                    unit_id: unit.into(),
                    kind: "construction".into(),
                    from: from.clone(),
                    until: String::new(),
                };
                let message = pb::SetProjectRequest { project: Some(project) };
                Contacts::new(node).set_project(request(caller, message)).await.map(drop)
            }
            Rpc::SetContactDuty => {
                let duty = pb::ContactDuty {
                    duty_id: format!("duty-{}", unit.to_lowercase()),
                    leader: "leader-9".into(),
                    unit_id: "T1".into(),
                    from: from.clone(),
                    ..Default::default()
                };
                let message = pb::SetContactDutyRequest { duty: Some(duty) };
                Contacts::new(node).set_contact_duty(request(caller, message)).await.map(drop)
            }
            Rpc::ReadContacts => {
                let message = pb::ListContactDutiesRequest { unit_id: unit.into(), ..Default::default() };
                Contacts::new(node).list_contact_duties(request(caller, message)).await.map(drop)
            }
        }
    }

    /// Everything a mutation could change, to show a denied one changed nothing.
    async fn state(&self) -> String {
        let store = self.node.store();
        let mut state = format!("reports {}", store.count_reports().await.unwrap());
        let query = CaseQuery {
            root: UnitId::parse("D").unwrap(),
            statuses: Vec::new(),
            overdue_on: None,
            repeat_only: false,
            department: None,
            registered_from: None,
            registered_to: None,
            before: None,
            limit: 10_000,
            people: Default::default(),
        };
        for case in store.list_cases(&query).await.unwrap() {
            let supervisions = case.supervisions.len();
            state += &format!(
                "\ncase {} seq {} owner {} supervisions {supervisions}",
                case.id, case.seq, case.owner_unit
            );
        }
        for unit in UNITS {
            let id = UnitId::parse(unit).unwrap();
            let notices = store.list_notices(&id, None, u32::MAX).await.unwrap().len();
            let roster = store
                .roster(&id, self.day - Duration::days(30), self.day + Duration::days(30))
                .await
                .unwrap();
            state += &format!("\n{unit}: notices {notices} roster {}", roster.len());
        }
        state += &format!(
            "\ndownlink {} outbox {} syncs {} supervision_seq {:?}",
            store.downlink_head().await.unwrap(),
            store.outbox_stats().await.unwrap().depth,
            store.child_syncs().await.unwrap().len(),
            store.get_meta("supervision_seq").await.unwrap(),
        );
        state += &format!(
            "\nprojects {} duties {}",
            store.projects().await.unwrap().len(),
            store.contact_duties(None, None).await.unwrap().len()
        );
        state
    }
}

/// The action, naming the department `{unit}:hrss` of the case's owner `unit`.
fn action_of(action: CaseAction, unit: &str, day: NaiveDate) -> Action {
    let department = format!("{unit}:hrss");
    match action {
        CaseAction::Accept => Action::Accept(act::Accept {}),
        CaseAction::Decline => Action::Decline(act::Decline { reason: "not a dispute".into() }),
        CaseAction::Assign => Action::Assign(act::Assign {
            leader: "Li Ming".into(),
            responsible: "Wang Fang".into(),
            plan: "visit the plot".into(),
            deadline: String::new(),
        }),
        CaseAction::Progress => Action::Progress(act::Progress {}),
        CaseAction::Extend => Action::Extend(act::Extend { days: 5, reason: "survey pending".into() }),
        CaseAction::Escalate => Action::Escalate(act::Escalate { reason: "beyond the township".into() }),
        CaseAction::AssignDown => {
            Action::AssignDown(act::AssignDown { to_unit_id: "C11".into(), deadline: String::new() })
        }
        CaseAction::Resolve => {
            Action::Resolve(act::Resolve { resolution: "boundary marked".into(), amount_recovered_cents: 0 })
        }
        CaseAction::Close => Action::Close(act::Close { satisfaction: pb::Satisfaction::Satisfied.into() }),
        CaseAction::Reopen => Action::Reopen(act::Reopen { reason: "new facts".into() }),
        CaseAction::RequestReview => Action::RequestReview(act::RequestReview { reason: "disagrees".into() }),
        CaseAction::DecideReview => {
            Action::DecideReview(act::DecideReview { decision: pb::ReviewDecision::Upheld.into() })
        }
        CaseAction::ReplySupervision => {
            Action::ReplySupervision(act::ReplySupervision { supervision_id: "D-S1".into() })
        }
        CaseAction::TransferToDepartment => Action::TransferToDepartment(act::TransferToDepartment {
            department_id: department,
            reason: "wage arrears".into(),
            deadline: String::new(),
        }),
        CaseAction::AssignToDepartment => Action::AssignToDepartment(act::AssignToDepartment {
            department_id: department,
            report_by: (day + Duration::days(5)).to_string(),
        }),
        CaseAction::ReportBack => {
            Action::ReportBack(act::ReportBack { report: "paid".into(), department_id: department })
        }
        CaseAction::SetWorkingGroup => Action::SetWorkingGroup(act::SetWorkingGroup {
            lead: Some(pb::WorkingGroupMember {
                person_id: "lead-1".into(),
                unit_id: "D".into(),
                department_id: String::new(),
            }),
            members: Vec::new(),
        }),
        CaseAction::ReplyToPetitioner => {
            Action::ReplyToPetitioner(act::ReplyToPetitioner { text: "we are on it".into() })
        }
        CaseAction::IssueReceipt => Action::IssueReceipt(act::IssueReceipt {}),
    }
}

/// Whether an RPC may change anything.
fn mutates(rpc: Rpc) -> bool {
    matches!(
        rpc,
        Rpc::SubmitDailyReport
            | Rpc::PushBatch
            | Rpc::PostNotice
            | Rpc::RegisterCase
            | Rpc::ActOnCase(_)
            | Rpc::Supervise
            | Rpc::SetRoster
            | Rpc::RecordVisit
            | Rpc::FileWeekly
            | Rpc::WithdrawWeekly
            | Rpc::ReviewWeekly
            | Rpc::UnapproveWeekly
            | Rpc::RecordAccountability
            | Rpc::SetProject
            | Rpc::SetContactDuty
    )
}

fn expected() -> BTreeMap<&'static str, [&'static str; 6]> {
    let table: BTreeMap<_, _> = EXPECTED.iter().copied().collect();
    assert_eq!(table.len(), EXPECTED.len(), "an RPC has two rows");
    let names: Vec<String> = Rpc::ALL.iter().map(|rpc| rpc.name()).collect();
    for name in &names {
        assert!(table.contains_key(name.as_str()), "no row for {name}: add it to EXPECTED");
    }
    for name in table.keys() {
        assert!(names.iter().any(|n| n == name), "row {name} is not an RPC");
    }
    table
}

async fn matrix(backend: Backend) {
    let table = expected();
    let fixture = fixture(backend).await;
    let mut cells = 0;
    let mut failures = Vec::new();
    for rpc in Rpc::ALL {
        let row = table[rpc.name().as_str()];
        for (k, kind) in KINDS.iter().enumerate() {
            for (r, relation) in RELATIONS.iter().enumerate() {
                let allowed = row[k].as_bytes()[r] == b'A';
                let caller = Caller::Verified(identity(kind, *relation == "other district"));
                let unit = target(kind, r);
                let case_id = fixture.case_for(rpc, unit).await;
                let before = if allowed || !mutates(rpc) { None } else { Some(fixture.state().await) };
                let result = fixture.call(Some(&caller), rpc, unit, case_id).await;
                cells += 1;
                let code = result.as_ref().err().map(Status::code);
                let ok = match code {
                    Some(Code::PermissionDenied) => !allowed,
                    Some(Code::Unauthenticated) => false,
                    _ => allowed,
                };
                if !ok {
                    failures.push(format!(
                        "{rpc} as {kind} on {relation} ({unit}): expected {}, got {result:?}",
                        if allowed { "allowed" } else { "PERMISSION_DENIED" }
                    ));
                }
                if let Some(before) = before {
                    assert_eq!(
                        fixture.state().await,
                        before,
                        "{rpc} as {kind} on {relation} changed something"
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cells} cells wrong:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(cells, Rpc::ALL.len() * KINDS.len() * RELATIONS.len(), "every RPC × kind × relation ran");
    eprintln!(
        "authorization matrix: {cells} cells ({} RPCs × {} kinds × {} relations)",
        Rpc::ALL.len(),
        KINDS.len(),
        RELATIONS.len()
    );
}

/// The local operator of a plaintext node is allowed everything; a request
/// without a caller is refused before anything is read.
async fn insecure_and_anonymous(backend: Backend) {
    let fixture = fixture(backend).await;
    for rpc in Rpc::ALL {
        // The uplink and the downlink stay bound to the topology whoever
        // calls: a push or a subscription for anything but a child node's
        // subtree is refused by the handler itself.
        let units: &[&str] = match rpc {
            Rpc::PushBatch => &["C22", "G221"],
            Rpc::Subscribe | Rpc::ReconcileExchange => &["C22"],
            _ => &["D", "T1", "C11", "T2", "C22"],
        };
        for &unit in units {
            let case_id = fixture.case_for(rpc, unit).await;
            let result = fixture.call(Some(&Caller::Insecure), rpc, unit, case_id).await;
            if let Err(status) = &result {
                assert!(
                    !matches!(status.code(), Code::PermissionDenied | Code::Unauthenticated),
                    "{rpc} on {unit} as the local operator: {status:?}"
                );
            }
        }
        let case_id = fixture.case_for(rpc, "T1").await;
        let before = fixture.state().await;
        let status = fixture.call(None, rpc, "T1", case_id).await.expect_err("no caller");
        assert_eq!(status.code(), Code::Unauthenticated, "{rpc}: {status:?}");
        assert_eq!(fixture.state().await, before, "{rpc} without a caller changed something");
    }
}

/// A target outside the tree, a pushed case event outside the sender's
/// subtree, and a node pushing as another are refused too.
async fn stray_targets(backend: Backend) {
    let fixture = fixture(backend).await;
    let officer = Caller::Verified(identity("officer", false));
    for rpc in [Rpc::SubmitDailyReport, Rpc::GetUnit, Rpc::WeeklySummary, Rpc::ListCases, Rpc::RecordVisit] {
        let status =
            fixture.call(Some(&officer), rpc, "X", String::new()).await.expect_err("outside the tree");
        assert_eq!(status.code(), Code::PermissionDenied, "{rpc}: {status:?}");
        assert!(status.message().contains("not in the tree"), "{}", status.message());
    }
    let child = Caller::Verified(identity("node", false));
    let event =
        pb::CaseEvent { case_id: "C21-1".into(), sequence: 1, unit_id: "C21".into(), ..Default::default() };
    let message = pb::PushBatchRequest {
        sender_unit_id: "C22".into(),
        items: vec![pb::UplinkItem {
            sequence: 1,
            payload: Some(Payload::CaseEvent(pb::CaseEventItem { event: Some(event), petitioner: None })),
            trace_parent: String::new(),
        }],
        synced_through: None,
    };
    let before = fixture.state().await;
    let status =
        Uplink::new(fixture.node.clone()).push_batch(request(Some(&child), message)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let as_other =
        pb::PushBatchRequest { sender_unit_id: "G221".into(), items: Vec::new(), synced_through: None };
    let status =
        Uplink::new(fixture.node.clone()).push_batch(request(Some(&child), as_other)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("only as itself"), "{}", status.message());
    assert_eq!(fixture.state().await, before);
    // A denial names the rule, never the request's content.
    let leader = Caller::Verified(identity("leader", false));
    let case_id = fixture.case_at("T2").await;
    let message = pb::GetCaseRequest { case_id, with_petitioner: true, ..Default::default() };
    let status =
        Cases::new(fixture.node.clone()).get_case(request(Some(&leader), message)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        !status.message().contains("甲某") && !status.message().contains("1101051949"),
        "{}",
        status.message()
    );
    // A case that does not exist is NOT_FOUND for a caller who may read cases.
    let message =
        pb::GetCaseRequest { case_id: "T1-nothing".into(), with_petitioner: false, ..Default::default() };
    let status =
        Cases::new(fixture.node.clone()).get_case(request(Some(&leader), message)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

fengqiao_store::both_backends!(matrix, insecure_and_anonymous, stray_targets);
