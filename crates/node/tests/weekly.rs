//! The weekly resolution work report (化解工作周报告) across three real
//! tiers, over mTLS, on both backends: a district node (410411) with a
//! township child node (410411001), which has a community child node
//! (410411001001) under it; groups report daily; leaders file, return,
//! approve and unapprove; an approved week locks its daily reports, and a
//! correction that reaches the township over the uplink for a locked week
//! is held until the week is unapproved; accountability actions freeze
//! their evidence. A `ManualClock` shared by the three nodes moves through
//! the weeks.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use common::{Running, expect_code, fast, poll};
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::weekly::{DuePolicy, week_over_at};
use fengqiao_core::{IsoWeek, ManualClock, TimePolicy, UnitId};
use fengqiao_node::pki::{self, CertifiedKey};
use fengqiao_node::tls::connect_endpoint;
use fengqiao_node::{ChildNodes, NodeConfig, TlsMaterial, Transport};
use fengqiao_proto::pb;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::weekly_service_client::WeeklyServiceClient;
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
/// Township B: served by the district node itself.
const TOWNSHIP_B: &str = "410411002";
const COMMUNITY: &str = "410411001001";
const G1: &str = "410411001001001";
const G2: &str = "410411001001002";
/// A group of a community the township node serves itself.
const G3: &str = "410411001002001";
/// A group of township B (the district node serves it).
const G4: &str = "410411002001001";

const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to\n\
    410411,,district,湛河区,false,,\n\
    410411001,410411,township,马庄街道,false,,\n\
    410411001001,410411001,community,电力社区,false,,\n\
    410411001001001,410411001001,group,1号楼,true,,\n\
    410411001001002,410411001001,group,2号楼,true,,\n\
    410411001002,410411001,community,平高社区,false,,\n\
    410411001002001,410411001002,group,第一组,true,,\n\
    410411002,410411,township,南环路街道,false,,\n\
    410411002001,410411002,community,姚孟村,false,,\n\
    410411002001001,410411002001,group,第一村民组,true,,\n";

/// 2024-W10: Monday 4 March to Sunday 10 March 2024; reporting starts on
/// its Monday.
const W1: &str = "2024-W10";
const W2: &str = "2024-W11";

fn start_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 4).unwrap()
}

fn week(value: &str) -> IsoWeek {
    IsoWeek::parse(value, "iso_week").unwrap()
}

/// The days of `week`.
fn days(value: &str) -> Vec<NaiveDate> {
    let monday = week(value).monday();
    (0..7).map(|n| monday + chrono::Duration::days(n)).collect()
}

/// `date` at `hour`:00 in Shanghai.
fn local(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    TimePolicy::default().at_local(date.and_hms_opt(hour, 0, 0).unwrap())
}

fn over(value: &str) -> DateTime<Utc> {
    week_over_at(&TimePolicy::default(), week(value))
}

fn due(value: &str) -> DateTime<Utc> {
    DuePolicy::default().due_at(&TimePolicy::default(), week(value))
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn transport(ca: &CertifiedKey, identity: &Identity) -> Transport {
    let leaf = pki::issue(ca, identity, &[], 2).unwrap();
    Transport::Tls(Arc::new(TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap()))
}

/// The refusal's reason code (the `ErrorInfo` a refusal carries).
fn reason(status: &tonic::Status) -> String {
    status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default()
}

/// A call refused with `code` and the reason `why`.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>, code: Code, why: &str) {
    let status = expect_code(result, code);
    assert_eq!(reason(&status), why, "{}", status.message());
}

fn narrative(text: &str) -> pb::WeeklyNarrative {
    pb::WeeklyNarrative {
        main_disputes: format!("{text}: 两起拖欠工资纠纷，已调解一起"),
        cases: "已化解 1 件，未化解 1 件".into(),
        help_needed: "劳动监察协调".into(),
        next_week_focus: "工地排查".into(),
    }
}

fn wage(local_id: &str, recovered: i64) -> pb::Dispute {
    pb::Dispute {
        local_id: local_id.into(),
        category: pb::DisputeCategory::WageArrears.into(),
        outcome: pb::DisputeOutcome::ResolvedOnTheSpot.into(),
        parties: 4,
        summary: "拖欠农民工工资".into(),
        case_id: String::new(),
        wage_arrears: Some(pb::WageArrears {
            employer: "湛河区 第1建筑劳务公司".into(),
            workers: 3,
            amount_claimed_cents: 900_000,
            amount_recovered_cents: recovered,
        }),
    }
}

fn daily(
    unit: &str,
    date: NaiveDate,
    revision: u32,
    disputes: Vec<pb::Dispute>,
) -> pb::SubmitDailyReportRequest {
    pb::SubmitDailyReportRequest {
        report: Some(pb::DailyReport {
            unit_id: unit.into(),
            date: date.to_string(),
            revision,
            reporter: String::new(),
            zero: disputes.is_empty(),
            disputes,
            correction_reason: if revision > 1 { "数字有误".into() } else { String::new() },
        }),
    }
}

/// The three nodes, a CA and the shared clock.
struct Net {
    ca: CertifiedKey,
    clock: Arc<ManualClock>,
    district: Running,
    township: Running,
    community: Running,
}

impl Net {
    async fn start(backend: Backend) -> Net {
        let ca = pki::new_ca(2).unwrap();
        let clock = Arc::new(ManualClock::new(local(start_day(), 9)));
        let node_transport = |id: &str| transport(&ca, &Identity::Node { unit: unit(id) });
        let base = |id: &str| NodeConfig {
            transport: node_transport(id),
            reporting_start: Some(start_day()),
            forwarder: fast(),
            ..NodeConfig::new(id)
        };
        let district_config =
            NodeConfig { child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]), ..base(DISTRICT) };
        let district =
            Running::start_with_clock(TREE, DISTRICT, backend, district_config, None, clock.clone()).await;
        let township_config = NodeConfig {
            parent: Some(district.url()),
            child_nodes: ChildNodes::Units(vec![COMMUNITY.into()]),
            ..base(TOWNSHIP)
        };
        let township =
            Running::start_with_clock(TREE, TOWNSHIP, backend, township_config, None, clock.clone()).await;
        let community_config = NodeConfig { parent: Some(township.url()), ..base(COMMUNITY) };
        let community =
            Running::start_with_clock(TREE, COMMUNITY, backend, community_config, None, clock.clone()).await;
        Net { ca, clock, district, township, community }
    }

    fn at(&self, node: &Running, person: &str, at_unit: &str, role: Role) -> Channel {
        let identity = Identity::person(person, unit(at_unit), role).unwrap();
        connect_endpoint(&node.url(), &transport(&self.ca, &identity)).unwrap().connect_lazy()
    }

    /// The leader of `at_unit`, calling `node`.
    fn leader(&self, node: &Running, at_unit: &str) -> WeeklyServiceClient<Channel> {
        WeeklyServiceClient::new(self.at(node, &format!("leader-{at_unit}"), at_unit, Role::Leader))
    }

    fn officer(&self, node: &Running, at_unit: &str) -> Channel {
        self.at(node, &format!("officer-{at_unit}"), at_unit, Role::Officer)
    }

    async fn submit(
        &self,
        node: &Running,
        at_unit: &str,
        request: pb::SubmitDailyReportRequest,
    ) -> Result<pb::SubmitDailyReportResponse, tonic::Status> {
        ReportingServiceClient::new(self.officer(node, at_unit))
            .submit_daily_report(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// W1's daily reports: G1 every day (a wage dispute on Wednesday), G2
    /// Monday to Friday, G3 at the township and G4 at the district on
    /// Monday only; submitted on Sunday morning.
    async fn report_w1(&self) {
        self.clock.set(local(days(W1)[6], 10));
        for (n, date) in days(W1).into_iter().enumerate() {
            let disputes = if n == 2 { vec![wage("w1", 500_000)] } else { vec![] };
            self.submit(&self.community, COMMUNITY, daily(G1, date, 1, disputes)).await.unwrap();
            if n < 5 {
                self.submit(&self.community, COMMUNITY, daily(G2, date, 1, vec![])).await.unwrap();
            }
        }
        self.submit(&self.township, TOWNSHIP, daily(G3, start_day(), 1, vec![])).await.unwrap();
        self.submit(&self.district, DISTRICT, daily(G4, start_day(), 1, vec![])).await.unwrap();
        self.drained().await;
    }

    /// Until the community's and the township's outboxes are empty.
    async fn drained(&self) {
        for node in [&self.community, &self.township] {
            poll(Duration::from_secs(20), || async {
                let status = node.client().await.get_node_status(pb::GetNodeStatusRequest {}).await.ok()?;
                let status = status.into_inner();
                (status.outbox_depth == 0 && status.commit_queue == 0).then_some(())
            })
            .await;
        }
    }

    async fn cleanup(self) {
        for mut node in [self.community, self.township, self.district] {
            node.halt().await;
            node.db.cleanup().await;
        }
    }
}

/// `unit`'s report for `iso_week` at `node`, read by a leader of `reader`.
async fn report_at(
    net: &Net,
    node: &Running,
    reader: &str,
    unit_id: &str,
    iso_week: &str,
) -> pb::WeeklyReport {
    net.leader(node, reader)
        .get_weekly_report(pb::GetWeeklyReportRequest { unit_id: unit_id.into(), iso_week: iso_week.into() })
        .await
        .unwrap_or_else(|status| panic!("{unit_id} {iso_week} at {}: {status}", node.unit))
        .into_inner()
        .report
        .unwrap()
}

/// Polls until `unit`'s report at `node` satisfies `check`.
async fn wait_report(
    net: &Net,
    node: &Running,
    reader: &str,
    unit_id: &str,
    iso_week: &str,
    check: impl Fn(&pb::WeeklyReport) -> bool,
) -> pb::WeeklyReport {
    poll(Duration::from_secs(20), || async {
        let report = report_at(net, node, reader, unit_id, iso_week).await;
        check(&report).then_some(report)
    })
    .await
}

fn state(report: &pb::WeeklyReport) -> pb::WeeklyState {
    pb::WeeklyState::try_from(report.state).unwrap()
}

fn steps(report: &pb::WeeklyReport) -> Vec<(u32, pb::WeeklyStep)> {
    report.history.iter().map(|e| (e.filing, pb::WeeklyStep::try_from(e.step).unwrap())).collect()
}

fn person_of(event: &pb::WeeklyEvent) -> (String, String, pb::Role) {
    match event.actor.as_ref().and_then(|a| a.kind.as_ref()) {
        Some(pb::actor::Kind::Person(person)) => {
            (person.person_id.clone(), person.unit_id.clone(), pb::Role::try_from(person.role).unwrap())
        }
        other => panic!("not a person: {other:?}"),
    }
}

async fn file(
    client: &mut WeeklyServiceClient<Channel>,
    unit_id: &str,
    iso_week: &str,
    expected_filing: u32,
) -> Result<tonic::Response<pb::FileWeeklyReportResponse>, tonic::Status> {
    client
        .file_weekly_report(pb::FileWeeklyReportRequest {
            unit_id: unit_id.into(),
            iso_week: iso_week.into(),
            narrative: Some(narrative(unit_id)),
            expected_filing,
        })
        .await
}

fn review(
    unit_id: &str,
    iso_week: &str,
    filing: u32,
    approve: bool,
    comments: &str,
) -> pb::ReviewWeeklyReportRequest {
    pb::ReviewWeeklyReportRequest {
        unit_id: unit_id.into(),
        iso_week: iso_week.into(),
        filing,
        decision: if approve { pb::WeeklyDecision::Approve } else { pb::WeeklyDecision::Return }.into(),
        comments: comments.into(),
    }
}

fn unapprove(unit_id: &str, iso_week: &str, filing: u32) -> pb::UnapproveWeeklyReportRequest {
    pb::UnapproveWeeklyReportRequest {
        unit_id: unit_id.into(),
        iso_week: iso_week.into(),
        filing,
        reason: "数字需更正".into(),
    }
}

async fn weekly_summary(channel: Channel, unit_id: &str, iso_week: &str) -> pb::Summary {
    SummaryServiceClient::new(channel)
        .weekly_summary(pb::WeeklySummaryRequest { unit_id: unit_id.into(), iso_week: iso_week.into() })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
}

async fn stored_revision(net: &Net, node: &Running, reader: &str, unit_id: &str, date: NaiveDate) -> u32 {
    ReportingServiceClient::new(net.officer(node, reader))
        .get_daily_report(pb::GetDailyReportRequest {
            unit_id: unit_id.into(),
            date: date.to_string(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .and_then(|stored| stored.report)
        .map_or(0, |report| report.revision)
}

async fn status(
    net: &Net,
    node: &Running,
    reader: &str,
    unit_id: &str,
    iso_week: &str,
) -> pb::WeeklyStatusResponse {
    net.leader(node, reader)
        .weekly_status(pb::WeeklyStatusRequest { unit_id: unit_id.into(), iso_week: iso_week.into() })
        .await
        .unwrap()
        .into_inner()
}

// ---------------------------------------------------------------------------
// Filing, withdrawal, return, approval order, locking, unapproval, bad inputs
// ---------------------------------------------------------------------------

async fn filed_reviewed_approved_and_locked(backend: Backend) {
    let net = Net::start(backend).await;
    net.report_w1().await;
    assert!(over(W1) < due(W1));
    let mut community_leader = net.leader(&net.community, COMMUNITY);
    let mut township_leader = net.leader(&net.township, TOWNSHIP);
    let mut district_leader = net.leader(&net.district, DISTRICT);

    // 1. Refused before the week's last cut-off.
    net.clock.set(over(W1) - chrono::Duration::minutes(1));
    refused(file(&mut community_leader, COMMUNITY, W1, 0).await, Code::FailedPrecondition, "WEEK_NOT_OVER");
    assert_eq!(report_at(&net, &net.community, COMMUNITY, COMMUNITY, W1).await.filing, 0, "nothing filed");

    // Filed: the figures frozen are the week's summary at that moment,
    // signed by the caller's certificate.
    net.clock.set(over(W1) + chrono::Duration::minutes(1));
    let summary =
        weekly_summary(net.at(&net.community, "leader-410411001001", COMMUNITY, Role::Leader), COMMUNITY, W1)
            .await;
    let filed = file(&mut community_leader, COMMUNITY, W1, 0).await.unwrap().into_inner().report.unwrap();
    assert_eq!((state(&filed), filed.filing, filed.late), (pb::WeeklyState::Filed, 1, false));
    let event = &filed.history[0];
    let figures = event.filed.as_ref().unwrap().figures.clone().unwrap();
    assert_eq!(figures, summary, "the frozen figures are WeeklySummary's at filing");
    assert_eq!(figures.totals.as_ref().unwrap().received, 12, "G1's 7 and G2's 5 reports");
    assert_eq!(
        person_of(event),
        ("leader-410411001001".to_owned(), COMMUNITY.to_owned(), pb::Role::Leader),
        "the signer is the certificate's person"
    );
    assert_eq!(event.by_unit_id, COMMUNITY);
    assert!(event.filed.as_ref().unwrap().child_node_unit_ids.is_empty());

    // 3. Filing twice is refused; withdraw, a stale refiling is refused,
    // the refiling is filing 2, history kept.
    refused(
        file(&mut community_leader, COMMUNITY, W1, 0).await,
        Code::FailedPrecondition,
        "WEEKLY_ALREADY_FILED",
    );
    let withdrawn = community_leader
        .withdraw_weekly_report(pb::WithdrawWeeklyReportRequest {
            unit_id: COMMUNITY.into(),
            iso_week: W1.into(),
            filing: 1,
            reason: "漏报一起纠纷".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(state(&withdrawn), pb::WeeklyState::Withdrawn);
    refused(file(&mut community_leader, COMMUNITY, W1, 0).await, Code::Aborted, "WEEKLY_FILING_STALE");
    let refiled = file(&mut community_leader, COMMUNITY, W1, 1).await.unwrap().into_inner().report.unwrap();
    assert_eq!(
        steps(&refiled),
        [(1, pb::WeeklyStep::Filed), (1, pb::WeeklyStep::Withdrawn), (2, pb::WeeklyStep::Filed)]
    );
    assert!(!refiled.late, "a refiling keeps the first filing's timeliness");

    // The filing travels up: the township and the district hold every step.
    for node in [&net.township, &net.district] {
        let there = wait_report(&net, node, node.unit, COMMUNITY, W1, |r| r.history.len() == 3).await;
        assert_eq!(there.history, refiled.history, "at {}", node.unit);
    }

    // 9. Bad inputs change nothing.
    let before = report_at(&net, &net.township, TOWNSHIP, COMMUNITY, W1).await;
    refused(
        township_leader.review_weekly_report(review(COMMUNITY, W1, 2, false, "  ")).await,
        Code::InvalidArgument,
        "MUST_NOT_BE_EMPTY",
    );
    for bad in ["2024-W54", "2024-10", "W10"] {
        expect_code(file(&mut community_leader, COMMUNITY, bad, 2).await, Code::InvalidArgument);
        expect_code(
            township_leader.review_weekly_report(review(COMMUNITY, bad, 2, true, "")).await,
            Code::InvalidArgument,
        );
    }
    // A unit outside the node's tree: refused by the authorization rules
    // before anything is looked up (PERMISSION_DENIED, as for every service
    // under mTLS; see authz.rs `stray_targets`).
    let unknown = expect_code(
        township_leader
            .get_weekly_report(pb::GetWeeklyReportRequest { unit_id: "410499".into(), iso_week: W1.into() })
            .await,
        Code::PermissionDenied,
    );
    assert!(unknown.message().contains("not in the tree"), "{}", unknown.message());
    expect_code(
        township_leader.review_weekly_report(review("410411009", W1, 2, true, "")).await,
        Code::PermissionDenied,
    );
    // Township B is in the district's tree but no report of it was filed.
    let nothing = report_at(&net, &net.district, DISTRICT, TOWNSHIP_B, W1).await;
    assert_eq!((nothing.filing, state(&nothing)), (0, pb::WeeklyState::NotFiled));
    expect_code(
        district_leader.review_weekly_report(review(TOWNSHIP_B, W1, 1, true, "")).await,
        Code::FailedPrecondition,
    );
    let mut community_officer = WeeklyServiceClient::new(net.officer(&net.community, COMMUNITY));
    expect_code(file(&mut community_officer, COMMUNITY, W1, 2).await, Code::PermissionDenied);
    // The district does not review a community's report: the township does.
    refused(
        district_leader.review_weekly_report(review(COMMUNITY, W1, 2, true, "")).await,
        Code::FailedPrecondition,
        "WEEKLY_NOT_REVIEWED_HERE",
    );
    assert_eq!(report_at(&net, &net.township, TOWNSHIP, COMMUNITY, W1).await.history, before.history);
    assert_eq!(report_at(&net, &net.district, DISTRICT, COMMUNITY, W1).await.history, before.history);
    assert_eq!(report_at(&net, &net.community, COMMUNITY, COMMUNITY, W1).await.history, before.history);

    // 4. The township returns it with comments; the return reaches the
    // community over the downlink; the community refiles.
    let returned = township_leader
        .review_weekly_report(review(COMMUNITY, W1, 2, false, "请补充未化解案件的进展"))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(state(&returned), pb::WeeklyState::Returned);
    let at_home = wait_report(&net, &net.community, COMMUNITY, COMMUNITY, W1, |r| {
        r.state == pb::WeeklyState::Returned as i32
    })
    .await;
    let step = at_home.history.last().unwrap();
    assert_eq!(step.text, "请补充未化解案件的进展");
    assert_eq!(step.by_unit_id, TOWNSHIP);
    assert_eq!(person_of(step).0, "leader-410411001");
    let third = file(&mut community_leader, COMMUNITY, W1, 2).await.unwrap().into_inner().report.unwrap();
    assert_eq!(third.filing, 3);

    // 5. Approval order. The township files (listing the community), so does
    // the district (listing the township).
    let township_filed =
        file(&mut township_leader, TOWNSHIP, W1, 0).await.unwrap().into_inner().report.unwrap();
    assert_eq!(township_filed.history[0].filed.as_ref().unwrap().child_node_unit_ids, [COMMUNITY]);
    let district_filed =
        file(&mut district_leader, DISTRICT, W1, 0).await.unwrap().into_inner().report.unwrap();
    assert_eq!(district_filed.history[0].filed.as_ref().unwrap().child_node_unit_ids, [TOWNSHIP]);
    wait_report(&net, &net.district, DISTRICT, TOWNSHIP, W1, |r| r.filing == 1).await;
    wait_report(&net, &net.township, TOWNSHIP, COMMUNITY, W1, |r| r.filing == 3).await;
    refused(
        district_leader.review_weekly_report(review(TOWNSHIP, W1, 1, true, "")).await,
        Code::FailedPrecondition,
        "WEEKLY_CHILDREN_NOT_APPROVED",
    );
    refused(
        district_leader.review_weekly_report(review(DISTRICT, W1, 1, true, "")).await,
        Code::FailedPrecondition,
        "WEEKLY_CHILDREN_NOT_APPROVED",
    );
    township_leader.review_weekly_report(review(COMMUNITY, W1, 3, true, "")).await.unwrap();
    wait_report(&net, &net.district, DISTRICT, COMMUNITY, W1, |r| {
        r.state == pb::WeeklyState::Approved as i32
    })
    .await;
    district_leader.review_weekly_report(review(TOWNSHIP, W1, 1, true, "同意")).await.unwrap();
    district_leader.review_weekly_report(review(DISTRICT, W1, 1, true, "")).await.unwrap();
    let board = status(&net, &net.district, DISTRICT, DISTRICT, W1).await;
    assert_eq!(state(board.own.as_ref().unwrap()), pb::WeeklyState::Approved);
    assert_eq!((board.children.len(), board.approved, board.late), (1, 1, 0));

    // 6. Locked: the community learns of its approval over the downlink; a
    // correction of G1's Wednesday is refused naming it, a resend is DUPLICATE.
    wait_report(&net, &net.community, COMMUNITY, COMMUNITY, W1, |r| {
        r.state == pb::WeeklyState::Approved as i32
    })
    .await;
    let wednesday = days(W1)[2];
    let correction = daily(G1, wednesday, 2, vec![wage("w1", 900_000)]);
    let locked = expect_code(
        net.submit(&net.community, COMMUNITY, correction.clone()).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&locked), "WEEK_LOCKED");
    assert!(locked.message().contains(COMMUNITY) && locked.message().contains(W1), "{}", locked.message());
    let resend =
        net.submit(&net.community, COMMUNITY, daily(G1, wednesday, 1, vec![wage("w1", 500_000)])).await;
    assert_eq!(resend.unwrap().disposition, pb::Disposition::Duplicate as i32);
    // A report of the township's own subtree is locked at the township too.
    expect_code(
        net.submit(&net.township, TOWNSHIP, daily(G3, start_day(), 2, vec![wage("x", 1)])).await,
        Code::FailedPrecondition,
    );

    // Unapproval is refused while the unit above stands approved; top-down it succeeds.
    refused(
        township_leader.unapprove_weekly_report(unapprove(COMMUNITY, W1, 3)).await,
        Code::FailedPrecondition,
        "WEEKLY_PARENT_APPROVED",
    );
    refused(
        district_leader.unapprove_weekly_report(unapprove(TOWNSHIP, W1, 1)).await,
        Code::FailedPrecondition,
        "WEEKLY_PARENT_APPROVED",
    );
    district_leader.unapprove_weekly_report(unapprove(DISTRICT, W1, 1)).await.unwrap();
    district_leader.unapprove_weekly_report(unapprove(TOWNSHIP, W1, 1)).await.unwrap();
    wait_report(&net, &net.township, TOWNSHIP, TOWNSHIP, W1, |r| {
        r.state == pb::WeeklyState::Unapproved as i32
    })
    .await;
    let unapproved = township_leader
        .unapprove_weekly_report(unapprove(COMMUNITY, W1, 3))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(state(&unapproved), pb::WeeklyState::Unapproved);
    let log = net.township.node.as_ref().unwrap().store().audit_page(0, 10_000).await.unwrap();
    let entry = log
        .iter()
        .find(|e| e.rpc == "fengqiao.v1.WeeklyService/UnapproveWeeklyReport")
        .expect("the unapproval is audited");
    assert!(entry.actor.contains("leader-410411001"), "{}", entry.actor);
    assert!(entry.target.contains(COMMUNITY) && entry.target.contains(W1), "{}", entry.target);
    let log = net.district.node.as_ref().unwrap().store().audit_page(0, 10_000).await.unwrap();
    // The district's two unapprovals (its own, the township's), each as its
    // leader; the township's also as sent down the downlink.
    let targets: Vec<&str> = log
        .iter()
        .filter(|e| e.rpc == "fengqiao.v1.WeeklyService/UnapproveWeeklyReport")
        .map(|e| e.target.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "weekly 410411 2024-W10 filing 1 unapproved",
            "weekly 410411001 2024-W10 filing 1 unapproved",
            "downlink weekly 410411001 2024-W10 filing 1 unapproved"
        ]
    );

    // Then the correction is accepted at the community.
    wait_report(&net, &net.community, COMMUNITY, COMMUNITY, W1, |r| {
        r.state == pb::WeeklyState::Unapproved as i32
    })
    .await;
    let accepted = net.submit(&net.community, COMMUNITY, correction).await.unwrap();
    assert_eq!(accepted.disposition, pb::Disposition::Correction as i32);

    // 2. Late: W2 filed after Monday 12:00.
    net.clock.set(due(W2) + chrono::Duration::hours(3));
    let late = file(&mut community_leader, COMMUNITY, W2, 0).await.unwrap().into_inner().report.unwrap();
    assert!(late.late && late.history[0].filed.as_ref().unwrap().late);
    wait_report(&net, &net.township, TOWNSHIP, COMMUNITY, W2, |r| r.filing == 1).await;
    let board = status(&net, &net.township, TOWNSHIP, TOWNSHIP, W2).await;
    assert_eq!((board.children.len(), board.filed, board.late, board.not_filed), (1, 1, 1, 0));
    assert!(board.own.as_ref().unwrap().late, "the township's own W2 is overdue");
    let annual = net
        .leader(&net.township, TOWNSHIP)
        .annual_report(pb::AnnualReportRequest { unit_id: TOWNSHIP.into(), year: 2024 })
        .await
        .unwrap()
        .into_inner();
    let weekly = annual.weekly.unwrap();
    assert_eq!(weekly.filed_late, 1, "{weekly:?}");
    assert_eq!(weekly.filed_on_time, 2, "the community's and the township's W10: {weekly:?}");
    assert_eq!(weekly.returned, 1, "{weekly:?}");

    net.cleanup().await;
}

// ---------------------------------------------------------------------------
// A correction pushed up for a locked week is held; accountability
// ---------------------------------------------------------------------------

async fn held_correction_and_accountability(backend: Backend) {
    let mut net = Net::start(backend).await;
    net.report_w1().await;
    net.clock.set(over(W1) + chrono::Duration::minutes(5));
    let mut community_leader = net.leader(&net.community, COMMUNITY);
    file(&mut community_leader, COMMUNITY, W1, 0).await.unwrap();
    wait_report(&net, &net.township, TOWNSHIP, COMMUNITY, W1, |r| r.filing == 1).await;

    // 7. The community goes on without its parent (the approval cannot
    // reach it) while the township approves its week.
    let parent = net.community.config.parent.replace("https://127.0.0.1:9".into());
    net.community.restart().await;
    let mut township_leader = net.leader(&net.township, TOWNSHIP);
    township_leader.review_weekly_report(review(COMMUNITY, W1, 1, true, "")).await.unwrap();
    let before = weekly_summary(net.officer(&net.township, TOWNSHIP), TOWNSHIP, W1).await;
    let wednesday = days(W1)[2];
    let correction = daily(G1, wednesday, 2, vec![wage("w1", 900_000)]);
    let accepted = net.submit(&net.community, COMMUNITY, correction.clone()).await.unwrap();
    assert_eq!(accepted.disposition, pb::Disposition::Correction as i32, "the community does not know");
    net.community.config.parent = parent;
    net.community.restart().await;
    net.drained().await;

    // The township holds it, lists it and does not apply it.
    let board = status(&net, &net.township, TOWNSHIP, TOWNSHIP, W1).await;
    assert_eq!(board.held.len(), 1, "{:?}", board.held);
    let held = &board.held[0];
    assert_eq!((held.unit_id.as_str(), held.date.clone(), held.revision), (G1, wednesday.to_string(), 2));
    assert_eq!(held.locked_by_unit_id, COMMUNITY);
    assert_eq!(
        status(&net, &net.district, DISTRICT, DISTRICT, W1).await.held.len(),
        0,
        "held at the township only"
    );
    assert_eq!(stored_revision(&net, &net.township, TOWNSHIP, G1, wednesday).await, 1);
    assert_eq!(stored_revision(&net, &net.district, DISTRICT, G1, wednesday).await, 1);
    // The figures are unchanged (the children's freshness moves with the
    // community's pushes, so it is not compared).
    let figures = |summary: &pb::Summary| {
        (summary.totals.clone(), summary.children.iter().map(|row| row.tally.clone()).collect::<Vec<_>>())
    };
    let after = weekly_summary(net.officer(&net.township, TOWNSHIP), TOWNSHIP, W1).await;
    assert_eq!(figures(&after), figures(&before));
    let log = net.township.node.as_ref().unwrap().store().audit_page(0, 10_000).await.unwrap();
    assert!(
        log.iter().any(|e| e.rpc == "fengqiao.v1.UplinkService/PushBatch" && e.target.contains(G1)),
        "the held report is audited: {:?}",
        log.iter().map(|e| (&e.rpc, &e.target)).collect::<Vec<_>>()
    );
    // The community now knows: it is locked there too.
    wait_report(&net, &net.community, COMMUNITY, COMMUNITY, W1, |r| {
        r.state == pb::WeeklyState::Approved as i32
    })
    .await;
    expect_code(
        net.submit(&net.community, COMMUNITY, daily(G1, wednesday, 3, vec![])).await,
        Code::FailedPrecondition,
    );

    // Unapproved: the held correction is applied, here and above.
    township_leader.unapprove_weekly_report(unapprove(COMMUNITY, W1, 1)).await.unwrap();
    assert_eq!(stored_revision(&net, &net.township, TOWNSHIP, G1, wednesday).await, 2);
    assert!(status(&net, &net.township, TOWNSHIP, TOWNSHIP, W1).await.held.is_empty());
    let after = weekly_summary(net.officer(&net.township, TOWNSHIP), TOWNSHIP, W1).await;
    let recovered =
        |s: &pb::Summary| s.totals.as_ref().unwrap().wage_arrears.as_ref().unwrap().amount_recovered_cents;
    assert_eq!(recovered(&after), recovered(&before) + 400_000);
    net.drained().await;
    poll(Duration::from_secs(20), || async {
        (stored_revision(&net, &net.district, DISTRICT, G1, wednesday).await == 2).then_some(())
    })
    .await;

    // 8. Accountability, with an overdue case: registered at the township in
    // W1, never accepted.
    net.clock.set(local(start_day() + chrono::Duration::days(1), 10));
    let case = pb::case_service_client::CaseServiceClient::new(net.officer(&net.township, TOWNSHIP))
        .register_case(pb::RegisterCaseRequest {
            intake: Some(pb::CaseIntake {
                origin_unit_id: G3.into(),
                category: pb::DisputeCategory::WageArrears.into(),
                channel: pb::CaseChannel::Phone.into(),
                summary: "拖欠农民工工资".into(),
                workers: 5,
                amount_claimed_cents: 2_000_000,
                ..pb::CaseIntake::default()
            }),
            petitioner: Some(pb::Petitioner {
                name: "申请人".into(),
                phone: "13900000000".into(),
                id_number: "11010519491231002X".into(),
            }),
            ..pb::RegisterCaseRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .r#case
        .unwrap();
    net.drained().await;
    let (from, to) = (start_day(), NaiveDate::from_ymd_opt(2024, 5, 31).unwrap());
    net.clock.set(local(NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(), 10));
    let mut district_leader = net.leader(&net.district, DISTRICT);
    let record = |target: &str, kind: pb::AccountabilityKind| pb::RecordAccountabilityRequest {
        unit_id: target.into(),
        kind: kind.into(),
        reason: "周报告迟报，案件逾期".into(),
        from_date: from.to_string(),
        to_date: to.to_string(),
    };
    let action = district_leader
        .record_accountability(record(TOWNSHIP, pb::AccountabilityKind::Criticism))
        .await
        .unwrap()
        .into_inner()
        .action
        .unwrap();
    let evidence = action.evidence.clone().unwrap();
    let place = evidence.place.as_ref().unwrap();
    assert_eq!((place.parent_unit_id.as_str(), place.rows), (DISTRICT, 2), "{place:?}");
    let row = place.row.as_ref().unwrap();
    assert_eq!(row.unit_id, TOWNSHIP);
    assert!((1..=2).contains(&row.rank), "{row:?}");
    // Expected: G1, G2, G3 on each of the 89 days; received: 7 + 5 + 1.
    let days_in_period = (to - from).num_days() as u64 + 1;
    assert_eq!(evidence.missing_total, 3 * days_in_period - 13);
    assert_eq!(evidence.missing_reports.len() as u64, evidence.missing_total);
    assert!(
        evidence
            .missing_reports
            .contains(&pb::ReportRef { unit_id: G2.into(), date: days(W1)[5].to_string() })
    );
    assert_eq!(evidence.overdue_case_ids, std::slice::from_ref(&case.case_id));
    assert_eq!(evidence.overdue_total, 1);
    assert_eq!(person_of_action(&action), "leader-410411");
    // Against the community: the notice reaches the community and the township.
    district_leader
        .record_accountability(record(COMMUNITY, pb::AccountabilityKind::Admonition))
        .await
        .unwrap();
    district_leader
        .record_accountability(record(COMMUNITY, pb::AccountabilityKind::Criticism))
        .await
        .unwrap();
    district_leader
        .record_accountability(record(TOWNSHIP_B, pb::AccountabilityKind::Commendation))
        .await
        .unwrap();
    let notices = |node: &'static str| {
        let net = &net;
        async move {
            let running = match node {
                TOWNSHIP => &net.township,
                _ => &net.community,
            };
            let answer = NodeServiceClient::new(net.officer(running, node))
                .list_notices(pb::ListNoticesRequest { unit_id: node.into(), ..Default::default() })
                .await
                .ok()?
                .into_inner();
            Some(answer.notices.into_iter().filter_map(|n| n.notice).collect::<Vec<_>>())
        }
    };
    let at_township =
        poll(Duration::from_secs(20), || async { notices(TOWNSHIP).await.filter(|n| n.len() == 3) }).await;
    assert!(at_township.iter().any(|n| n.text.contains(&action.action_id) && n.text.contains("通报批评")));
    let at_community =
        poll(Duration::from_secs(20), || async { notices(COMMUNITY).await.filter(|n| n.len() == 2) }).await;
    assert!(at_community.iter().all(|n| n.from_unit_id == DISTRICT));

    // A later correction and a late report in the period leave the evidence as recorded.
    net.submit(&net.community, COMMUNITY, daily(G1, wednesday, 3, vec![])).await.unwrap();
    net.submit(&net.community, COMMUNITY, daily(G2, days(W1)[5], 1, vec![])).await.unwrap();
    net.drained().await;
    let listed = district_leader
        .list_accountability(pb::ListAccountabilityRequest { unit_id: DISTRICT.into(), year: 2024, kind: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.actions.len(), 4);
    assert_eq!(listed.actions[0], action, "the evidence stands as frozen");
    let counts: Vec<(i32, u32, u32)> =
        listed.units_by_kind.iter().map(|c| (c.kind, c.actions, c.units)).collect();
    assert_eq!(
        counts,
        [
            (pb::AccountabilityKind::Criticism as i32, 2, 2),
            (pb::AccountabilityKind::Admonition as i32, 1, 1),
            (pb::AccountabilityKind::Commendation as i32, 1, 1),
        ]
    );
    // The actions travel nowhere but where they were recorded and above; a
    // township's list covers its subtree.
    let township_list = district_leader
        .list_accountability(pb::ListAccountabilityRequest {
            unit_id: TOWNSHIP.into(),
            year: 2024,
            kind: pb::AccountabilityKind::Criticism.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(township_list.actions.len(), 2);
    // Re-recorded now, the evidence would differ: the freeze is real.
    let fresh = district_leader
        .record_accountability(record(TOWNSHIP, pb::AccountabilityKind::Admonition))
        .await
        .unwrap()
        .into_inner()
        .action
        .unwrap();
    assert_eq!(fresh.evidence.unwrap().missing_total, evidence.missing_total - 1);
    // Refused: against the caller's own unit, or by an officer.
    expect_code(
        district_leader.record_accountability(record(DISTRICT, pb::AccountabilityKind::Criticism)).await,
        Code::PermissionDenied,
    );
    expect_code(
        WeeklyServiceClient::new(net.officer(&net.district, DISTRICT))
            .record_accountability(record(TOWNSHIP, pb::AccountabilityKind::Criticism))
            .await,
        Code::PermissionDenied,
    );

    net.cleanup().await;
}

fn person_of_action(action: &pb::AccountabilityAction) -> String {
    match action.actor.as_ref().and_then(|a| a.kind.as_ref()) {
        Some(pb::actor::Kind::Person(person)) => person.person_id.clone(),
        other => panic!("not a person: {other:?}"),
    }
}

fengqiao_store::both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    filed_reviewed_approved_and_locked,
    held_correction_and_accountability,
);
