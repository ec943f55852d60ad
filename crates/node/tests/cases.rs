//! The case ledger across three tiers in one process: a case registered at a
//! community escalates to the township and the district, is assigned back
//! down while the middle node is down, is supervised and closed; its events
//! reach every ancestor once, its petitioner's personal data only the nodes
//! that held it. Repeat petitions, duty reception, automatic escalation and
//! refusals too. Runs on both backends.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{Running, fast};
use fengqiao_core::{ManualClock, TimePolicy};
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{
    self, ActOnCaseRequest, CaseChannel, CaseIntake, CaseStatus, DisputeCategory, DrillDownRequest,
    GetCaseRequest, GetCaseResponse, GetRosterRequest, ListCasesRequest, PeriodSummaryRequest, Petitioner,
    RecordVisitRequest, RegisterCaseRequest, RosterEntry, Satisfaction, SetRosterRequest, SuperviseRequest,
    SupervisionKind,
};
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::TWO_GROUPS;

const NAME: &str = "测试甲某";
const ID_NUMBER: &str = "11010519491231002X";

fn channel(node: &Running) -> Channel {
    Channel::from_shared(node.url()).unwrap().connect_lazy()
}

fn cases(node: &Running) -> CaseServiceClient<Channel> {
    CaseServiceClient::new(channel(node))
}

fn petitioner() -> Petitioner {
    Petitioner { name: NAME.into(), phone: "139 0000 0000".into(), id_number: ID_NUMBER.into() }
}

fn intake(unit: &str, category: DisputeCategory, summary: &str) -> CaseIntake {
    CaseIntake {
        origin_unit_id: unit.into(),
        category: category.into(),
        channel: CaseChannel::Letter.into(),
        summary: summary.into(),
        ..CaseIntake::default()
    }
}

async fn register(node: &Running, unit: &str, with_petitioner: bool) -> pb::Case {
    let request = RegisterCaseRequest {
        intake: Some(intake(unit, DisputeCategory::Land, "boundary of a contracted plot")),
        petitioner: with_petitioner.then(petitioner),
        actor: "officer-1".into(),
        ..RegisterCaseRequest::default()
    };
    cases(node).register_case(request).await.expect("registered").into_inner().r#case.unwrap()
}

async fn act_as(node: &Running, id: &str, action: Action) -> Result<pb::Case, tonic::Status> {
    let request = ActOnCaseRequest {
        case_id: id.into(),
        actor: "leader-1".into(),
        note: "as planned".into(),
        action: Some(action),
        ..ActOnCaseRequest::default()
    };
    Ok(cases(node).act_on_case(request).await?.into_inner().r#case.unwrap())
}

async fn act_on(node: &Running, id: &str, action: Action) -> pb::Case {
    act_as(node, id, action).await.unwrap_or_else(|status| panic!("at {}: {status:?}", node.unit))
}

fn assign() -> Action {
    Action::Assign(act::Assign {
        leader: "王副镇长".into(),
        responsible: "司法所 李".into(),
        plan: "measure the plot with both families".into(),
        deadline: String::new(),
    })
}

fn escalate() -> Action {
    Action::Escalate(act::Escalate { reason: "needs the upper tier's land office".into() })
}

/// Polls `node` until its copy of the case satisfies `done`.
async fn case_at(node: &Running, id: &str, done: impl Fn(&GetCaseResponse) -> bool) -> GetCaseResponse {
    let mut last = None;
    for _ in 0..400 {
        let request = GetCaseRequest { case_id: id.into(), with_petitioner: true, ..Default::default() };
        if let Ok(answer) = cases(node).get_case(request).await {
            let answer = answer.into_inner();
            if done(&answer) {
                return answer;
            }
            last = Some(answer);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node {}: case {id} never got there; last seen {last:?}", node.unit);
}

fn owner(answer: &GetCaseResponse) -> &str {
    &answer.r#case.as_ref().unwrap().owner_unit_id
}

fn today() -> String {
    TimePolicy::default().local_date(Utc::now()).to_string()
}

fn yesterday() -> String {
    (TimePolicy::default().local_date(Utc::now()) - chrono::Duration::days(1)).to_string()
}

/// District → township → community nodes; the township's second community
/// level is served by the community node.
async fn three_tiers(backend: Backend) -> (Running, Running, Running) {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec!["410411001".into()]), ..NodeConfig::new("410411") };
    let district = Running::start(TREE, "410411", backend, config, None).await;
    let config = NodeConfig {
        parent: Some(district.url()),
        child_nodes: ChildNodes::Units(vec!["410411001001".into()]),
        forwarder: fast(),
        ..NodeConfig::new("410411001")
    };
    let township = Running::start(TREE, "410411001", backend, config, None).await;
    let config =
        NodeConfig { parent: Some(township.url()), forwarder: fast(), ..NodeConfig::new("410411001001") };
    let community = Running::start(TREE, "410411001001", backend, config, None).await;
    (district, township, community)
}

async fn cleanup(nodes: impl IntoIterator<Item = Running>) {
    for mut node in nodes {
        node.halt().await;
        node.db.cleanup().await;
    }
}

async fn a_case_travels_up_and_down_across_a_restart(backend: Backend) {
    let (district, mut township, community) = three_tiers(backend).await;
    let case = register(&community, "410411001001001", true).await;
    let id = case.case_id.clone();
    assert_eq!(case.status(), CaseStatus::Registered);
    assert!(case.held_here);
    assert_eq!(case.intake.as_ref().unwrap().petitioner_ref.len(), 64);
    act_on(&community, &id, Action::Accept(act::Accept {})).await;
    act_on(&community, &id, assign()).await;
    let escalated = act_on(&community, &id, escalate()).await;
    assert_eq!(escalated.owner_unit_id, "410411001001");
    assert_eq!(escalated.status(), CaseStatus::Accepted, "the new owner names its own leader");

    // The community escalated to its own unit's parent? No: the group's
    // parent is the community, which this node serves; escalate again.
    let escalated = act_on(&community, &id, escalate()).await;
    assert_eq!(escalated.owner_unit_id, "410411001");
    assert!(!escalated.held_here);
    let refused = act_as(&community, &id, assign()).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("410411001"), "{}", refused.message());

    // The township now holds it, personal data included.
    let at_township = case_at(&township, &id, |a| owner(a) == "410411001").await;
    assert!(at_township.r#case.as_ref().unwrap().held_here);
    assert_eq!(at_township.petitioner.as_ref().map(|p| p.name.as_str()), Some(NAME));
    // The district has the log, but not the petitioner.
    let at_district = case_at(&district, &id, |a| owner(a) == "410411001").await;
    assert!(!at_district.r#case.as_ref().unwrap().held_here);
    assert!(at_district.petitioner.is_none(), "personal data stays where the case is held");
    assert_eq!(at_district.events.len(), at_township.events.len());

    act_on(&township, &id, assign()).await;
    act_on(&township, &id, escalate()).await;
    let at_district = case_at(&district, &id, |a| owner(a) == "410411").await;
    assert!(at_district.r#case.as_ref().unwrap().held_here);
    assert_eq!(at_district.petitioner.as_ref().map(|p| p.id_number.as_str()), Some(ID_NUMBER));

    // The middle node is down while the district assigns down and supervises.
    township.halt().await;
    let handed = act_on(
        &district,
        &id,
        Action::AssignDown(act::AssignDown { to_unit_id: "410411001001002".into(), deadline: String::new() }),
    )
    .await;
    assert_eq!(handed.owner_unit_id, "410411001001002");
    assert!(!handed.held_here);
    let supervision = cases(&district)
        .supervise(SuperviseRequest {
            case_id: id.clone(),
            kind: SupervisionKind::OnSite.into(),
            reply_by: today(),
            text: "report on the measurement by the reply date".into(),
            actor: "supervisor-1".into(),
            on_behalf_of: None,
        })
        .await
        .expect("supervision issued")
        .into_inner();
    assert_eq!(supervision.owner_unit_id, "410411001001002");
    township.restart().await;

    // It reaches the community through the restarted township.
    let at_community = case_at(&community, &id, |a| {
        owner(a) == "410411001001002" && !a.r#case.as_ref().unwrap().supervisions.is_empty()
    })
    .await;
    let held = at_community.r#case.as_ref().unwrap();
    assert!(held.held_here);
    assert_eq!(held.supervisions[0].supervision_id, supervision.supervision_id);
    assert_eq!(at_community.petitioner.as_ref().map(|p| p.name.as_str()), Some(NAME));

    act_on(
        &community,
        &id,
        Action::ReplySupervision(act::ReplySupervision {
            supervision_id: supervision.supervision_id.clone(),
        }),
    )
    .await;
    act_on(&community, &id, assign()).await;
    act_on(
        &community,
        &id,
        Action::Resolve(act::Resolve {
            resolution: "plot re-measured and agreed".into(),
            amount_recovered_cents: 0,
        }),
    )
    .await;
    let closed =
        act_on(&community, &id, Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() }))
            .await;
    assert_eq!(closed.status(), CaseStatus::Closed);

    // Every ancestor sees the closed case and the reply, each event once.
    let at_district =
        case_at(&district, &id, |a| a.r#case.as_ref().unwrap().status() == CaseStatus::Closed).await;
    let sequences: Vec<u32> = at_district.events.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=sequences.len() as u32).collect::<Vec<_>>());
    assert!(!at_district.r#case.as_ref().unwrap().supervisions[0].replied_on.is_empty());
    case_at(&township, &id, |a| a.events.len() == sequences.len()).await;

    // The district's figures, and what lies behind them.
    let mut summaries = SummaryServiceClient::new(channel(&district));
    let summary = summaries
        .period_summary(PeriodSummaryRequest {
            unit_id: "410411".into(),
            from_date: yesterday(),
            to_date: today(),
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    let figures = summary.cases.unwrap();
    assert_eq!(figures.registered, 1);
    assert_eq!(figures.accepted, 1);
    // Escalated three times, one escalated case: figures count cases.
    assert_eq!(figures.escalated, 1);
    assert_eq!(figures.assigned_down, 1);
    assert_eq!(figures.closed, 1);
    assert_eq!(figures.closed_on_time, 1);
    assert_eq!(figures.satisfied, 1);
    assert_eq!(figures.satisfaction_rate, 100.0);
    let township_row = summary.children.iter().find(|r| r.unit_id == "410411001").unwrap();
    assert_eq!(township_row.cases.as_ref().unwrap().registered, 1);
    // Every escalation was made inside the township's subtree; the
    // assignment down was the district's own.
    assert_eq!(township_row.cases.as_ref().unwrap().escalated, 1);
    assert_eq!(township_row.cases.as_ref().unwrap().assigned_down, 0);
    assert!(summary.children.iter().all(|r| r.rank >= 1));
    for figure in ["cases.escalated", "cases.registered", "cases.closed"] {
        let drill = summaries
            .drill_down(DrillDownRequest {
                unit_id: "410411".into(),
                from_date: yesterday(),
                to_date: today(),
                figure: figure.into(),
                ..DrillDownRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(drill.case_ids, vec![id.clone()], "{figure}");
    }
    // What came down the downlink is in the community's audit log as the
    // parent's doing; the supervision issued at the district as its caller's.
    let log = community.node.as_ref().unwrap().store().audit_page(0, 1000).await.unwrap();
    assert!(fengqiao_core::audit::verify(&log, None).is_ok());
    let from_parent = |rpc: &str| {
        log.iter().find(|e| e.rpc == rpc).map(|e| (e.actor.clone(), e.target.clone())).unwrap_or_else(|| {
            panic!("no {rpc} entry in {:?}", log.iter().map(|e| &e.rpc).collect::<Vec<_>>())
        })
    };
    let (actor, target) = from_parent("downlink/case_handover");
    assert_eq!(actor, format!("parent-node:{}", township.url()));
    // One entry per event the handover brought that the community did not
    // hold yet (it had the case's first events from its own ledger).
    assert!(target.starts_with(&format!("case {id} event ")), "{target}");
    let handed = log.iter().filter(|e| e.rpc == "downlink/case_handover");
    assert!(handed.clone().all(|e| e.target.starts_with(&format!("case {id} event "))));
    let seqs: Vec<&str> = handed.map(|e| e.target.rsplit(' ').next().unwrap()).collect();
    let mut unique = seqs.clone();
    unique.dedup();
    assert_eq!(seqs, unique, "each event once");
    let (_, target) = from_parent("downlink/supervision");
    assert_eq!(target, format!("case {id} supervision {} to 410411001001002", supervision.supervision_id));
    let log = district.node.as_ref().unwrap().store().audit_page(0, 1000).await.unwrap();
    let issued =
        log.iter().find(|e| e.rpc == "fengqiao.v1.CaseService/Supervise").expect("supervision audited");
    assert_eq!(
        (issued.actor.as_str(), issued.target.as_str()),
        (
            "insecure",
            format!("case {id} supervision {} to 410411001001002", supervision.supervision_id).as_str()
        )
    );
    cleanup([community, township, district]).await;
}

async fn repeats_visits_and_rosters(backend: Backend) {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec!["410411001".into()]), ..NodeConfig::new("410411") };
    let district = Running::start(TREE, "410411", backend, config, None).await;
    let config =
        NodeConfig { parent: Some(district.url()), forwarder: fast(), ..NodeConfig::new("410411001") };
    let township = Running::start(TREE, "410411001", backend, config, None).await;

    // The district sets the township's roster; it travels down.
    let stored = cases(&district)
        .set_roster(SetRosterRequest {
            entries: vec![RosterEntry {
                unit_id: "410411001".into(),
                date: today(),
                leader: "李书记".into(),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.stored, 1);
    let mut roster = Vec::new();
    for _ in 0..400 {
        roster = cases(&township)
            .get_roster(GetRosterRequest {
                unit_id: "410411001".into(),
                from_date: today(),
                to_date: today(),
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        if !roster.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(roster.len(), 1);
    assert_eq!(roster[0].leader, "李书记");

    let visit = |answered: bool| RecordVisitRequest {
        unit_id: "410411001".into(),
        category: DisputeCategory::WageArrears.into(),
        summary: "wages for October unpaid".into(),
        petitioner: Some(petitioner()),
        actor: "reception-1".into(),
        answered,
        resolution: if answered { "employer called; paid on the spot".into() } else { String::new() },
        satisfaction: if answered { Satisfaction::Satisfied.into() } else { 0 },
        case_id: String::new(),
        on_behalf_of: None,
    };
    let first = cases(&township).record_visit(visit(true)).await.unwrap().into_inner();
    assert_eq!(first.leader_on_duty, "李书记");
    let first = first.r#case.unwrap();
    assert_eq!(first.status(), CaseStatus::Closed);
    assert_eq!(first.leader, "李书记");
    assert!(first.repeat.is_none());
    let second = cases(&township).record_visit(visit(false)).await.unwrap().into_inner().r#case.unwrap();
    assert_eq!(second.status(), CaseStatus::Assigned);
    assert!(!second.deadline.is_empty());
    let repeat = second.repeat.as_ref().expect("the same petitioner and category again");
    assert_eq!(repeat.of_case_ids, vec![first.case_id.clone()]);
    assert_eq!(repeat.window_days, 365);
    assert!(repeat.rule.contains("petitioner_ref"));

    let listed = cases(&township)
        .list_cases(ListCasesRequest {
            unit_id: "410411001".into(),
            repeat: true,
            ..ListCasesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(listed.iter().map(|c| c.case_id.as_str()).collect::<Vec<_>>(), [second.case_id.as_str()]);

    // At the district, once both arrived.
    case_at(&district, &second.case_id, |a| a.r#case.as_ref().unwrap().status() == CaseStatus::Assigned)
        .await;
    case_at(&district, &first.case_id, |a| a.r#case.as_ref().unwrap().status() == CaseStatus::Closed).await;
    let summary = SummaryServiceClient::new(channel(&district))
        .period_summary(PeriodSummaryRequest {
            unit_id: "410411001".into(),
            from_date: today(),
            to_date: today(),
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    let figures = summary.cases.unwrap();
    assert_eq!(
        (figures.registered, figures.visits, figures.one_visit, figures.repeat_petitions),
        (2, 2, 1, 1)
    );
    assert_eq!(figures.one_visit_rate, 50.0);
    assert_eq!(figures.repeat_rate, 50.0);
    cleanup([township, district]).await;
}

async fn bad_case_requests_change_nothing(backend: Backend) {
    let district = Running::start(TREE, "410411", backend, NodeConfig::new("410411"), None).await;
    let case = register(&district, "410411002", true).await;
    let id = case.case_id.clone();
    let mut client = cases(&district);
    let register_with = |intake: CaseIntake, petitioner: Option<Petitioner>| RegisterCaseRequest {
        intake: Some(intake),
        petitioner,
        actor: "officer-1".into(),
        ..RegisterCaseRequest::default()
    };
    let bad_registrations = [
        (register_with(intake("999", DisputeCategory::Land, "x"), None), Code::NotFound, "999"),
        (
            register_with(intake("410411002", DisputeCategory::Land, " "), None),
            Code::InvalidArgument,
            "intake.summary",
        ),
        (
            register_with(intake("410411002", DisputeCategory::Unspecified, "x"), None),
            Code::InvalidArgument,
            "intake.category",
        ),
        (
            register_with(
                intake("410411002", DisputeCategory::Land, "x"),
                Some(Petitioner { id_number: "110105194912310021".into(), ..petitioner() }),
            ),
            Code::InvalidArgument,
            "petitioner.id_number",
        ),
        (
            RegisterCaseRequest {
                case_id: id.clone(),
                ..register_with(intake("410411002", DisputeCategory::Other, "other"), None)
            },
            Code::AlreadyExists,
            id.as_str(),
        ),
        (
            register_with(
                CaseIntake {
                    channel: CaseChannel::Report.into(),
                    ..intake("410411002", DisputeCategory::Land, "x")
                },
                None,
            ),
            Code::InvalidArgument,
            "intake.source",
        ),
    ];
    for (request, code, needle) in bad_registrations {
        let status = client.register_case(request).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(needle), "{needle}: {}", status.message());
    }
    let bad_actions = [
        (
            Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() }),
            Code::FailedPrecondition,
            "registered",
        ),
        (
            Action::Resolve(act::Resolve { resolution: "x".into(), amount_recovered_cents: 0 }),
            Code::FailedPrecondition,
            "registered",
        ),
        (Action::Decline(act::Decline { reason: " ".into() }), Code::InvalidArgument, "decline.reason"),
        (Action::Close(act::Close { satisfaction: 0 }), Code::InvalidArgument, "close.satisfaction"),
        (
            Action::AssignDown(act::AssignDown { to_unit_id: "410411001".into(), deadline: String::new() }),
            Code::FailedPrecondition,
            "registered",
        ),
    ];
    for (action, code, needle) in bad_actions {
        let status = act_as(&district, &id, action).await.unwrap_err();
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(needle), "{needle}: {}", status.message());
    }
    let stale = client
        .act_on_case(ActOnCaseRequest {
            case_id: id.clone(),
            expected_sequence: 7,
            actor: "leader-1".into(),
            action: Some(Action::Accept(act::Accept {})),
            ..ActOnCaseRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let unknown = act_as(&district, "no-such-case", Action::Accept(act::Accept {})).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // Nothing changed: the case is still at its first event.
    let after = case_at(&district, &id, |_| true).await;
    assert_eq!(after.events.len(), 1);
    assert_eq!(after.r#case.unwrap().status(), CaseStatus::Registered);
    cleanup([district]).await;
}

async fn a_case_from_a_report_keeps_the_dispute_id(backend: Backend) {
    use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
    let district = Running::start(TREE, "410411", backend, NodeConfig::new("410411"), None).await;
    let report = pb::DailyReport {
        unit_id: "410411002".into(),
        date: today(),
        revision: 1,
        reporter: "officer-2".into(),
        disputes: vec![pb::Dispute {
            local_id: "d1".into(),
            category: DisputeCategory::WageArrears.into(),
            parties: 2,
            summary: "a site owes 12 workers".into(),
            outcome: pb::DisputeOutcome::Registered.into(),
            case_id: "410411002-W1".into(),
            wage_arrears: Some(pb::WageArrears {
                workers: 12,
                amount_claimed_cents: 36_000_000,
                employer: "某建筑公司".into(),
                amount_recovered_cents: 0,
            }),
        }],
        ..pb::DailyReport::default()
    };
    ReportingServiceClient::new(channel(&district))
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .expect("report accepted");
    let request = RegisterCaseRequest {
        intake: Some(CaseIntake {
            origin_unit_id: "410411002".into(),
            channel: CaseChannel::Report.into(),
            source: Some(pb::DisputeRef {
                unit_id: "410411002".into(),
                date: today(),
                local_id: "d1".into(),
            }),
            ..CaseIntake::default()
        }),
        actor: "officer-2".into(),
        ..RegisterCaseRequest::default()
    };
    let first = cases(&district).register_case(request.clone()).await.unwrap().into_inner();
    assert!(first.created);
    let case = first.r#case.unwrap();
    assert_eq!(case.case_id, "410411002-W1");
    let intake = case.intake.unwrap();
    assert_eq!(
        (intake.category(), intake.workers, intake.amount_claimed_cents),
        (DisputeCategory::WageArrears, 12, 36_000_000)
    );
    let again = cases(&district).register_case(request.clone()).await.unwrap().into_inner();
    assert!(!again.created, "a retry answers with the case registered the first time");
    let mut missing = request;
    missing.intake.as_mut().unwrap().source.as_mut().unwrap().local_id = "d9".into();
    assert_eq!(cases(&district).register_case(missing).await.unwrap_err().code(), Code::NotFound);
    cleanup([district]).await;
}

async fn overdue_cases_escalate_automatically(backend: Backend) {
    let start = Utc.with_ymd_and_hms(2019, 1, 30, 2, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec!["410411001".into()]), ..NodeConfig::new("410411") };
    let district = Running::start_with_clock(TREE, "410411", backend, config, None, clock.clone()).await;
    let mut config =
        NodeConfig { parent: Some(district.url()), forwarder: fast(), ..NodeConfig::new("410411001") };
    config.cases.deadlines.auto_escalate_after_days = Some(5);
    let township = Running::start_with_clock(TREE, "410411001", backend, config, None, clock.clone()).await;
    let id = register(&township, "410411001", false).await.case_id;
    let accepted = act_on(&township, &id, Action::Accept(act::Accept {})).await;
    // Accepted 2019-01-30: 60 days → 2019-03-31, across February.
    assert_eq!(accepted.deadline, "2019-03-31");
    let node = township.node.clone().unwrap();
    // The township learns its parent unit (where it escalates to) from the
    // district's tree snapshot on the downlink: wait until it has.
    for _ in 0..400 {
        if node.parent_unit().await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(node.parent_unit().await.unwrap().is_some(), "the district's tree snapshot never arrived");
    clock.set(Utc.with_ymd_and_hms(2019, 4, 4, 2, 0, 0).unwrap());
    assert!(
        fengqiao_node::cases::auto_escalate(&node).await.unwrap().is_empty(),
        "four days overdue: not yet"
    );
    clock.set(Utc.with_ymd_and_hms(2019, 4, 5, 2, 0, 0).unwrap());
    let escalated = fengqiao_node::cases::auto_escalate(&node).await.unwrap();
    assert_eq!(escalated.iter().map(ToString::to_string).collect::<Vec<_>>(), std::slice::from_ref(&id));
    let at_district = case_at(&district, &id, |a| owner(a) == "410411").await;
    let last = at_district.events.last().unwrap();
    assert_eq!(last.actor, "system");
    let overdue = cases(&district)
        .list_cases(ListCasesRequest {
            unit_id: "410411".into(),
            overdue: true,
            ..ListCasesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].days_overdue, 5);
    // The audit logs: the township's own escalation as the node's, the
    // district's receipt of the township's pushes as the caller's.
    let log = node.store().audit_page(0, 1000).await.unwrap();
    let escalation = log.iter().find(|e| e.rpc == "node/auto-escalate").expect("escalation audited");
    assert_eq!(escalation.actor, "node-internal:auto-escalation");
    assert_eq!(escalation.target, format!("case {id} event 3 to 410411"));
    assert!(log.iter().any(|e| e.rpc == "fengqiao.v1.CaseService/ActOnCase:accepted"));
    assert!(fengqiao_core::audit::verify(&log, None).is_ok());
    let district_node = district.node.clone().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let log = district_node.store().audit_page(0, 1000).await.unwrap();
        let pushes: Vec<_> = log
            .iter()
            .filter(|e| e.rpc == "fengqiao.v1.UplinkService/PushBatch")
            .map(|e| &e.target)
            .collect();
        // Each case event the township pushed, one entry as its push.
        if pushes.iter().any(|t| t.starts_with(&format!("case {id} event 3 to 410411"))) {
            assert!(fengqiao_core::audit::verify(&log, None).is_ok());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no push audited at the district: {pushes:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The district is the root: nothing further to escalate to.
    cleanup([township, district]).await;
}

fengqiao_store::both_backends!(
    a_case_travels_up_and_down_across_a_restart,
    repeats_visits_and_rosters,
    bad_case_requests_change_nothing,
    a_case_from_a_report_keeps_the_dispute_id,
    overdue_cases_escalate_automatically,
);
