//! No personal data in free text: every free-text field a caller or a child
//! node can fill — dispute summaries, employers, correction reasons, case
//! summaries, notes, reasons, plans, resolutions, officials' names,
//! supervision texts, notices, the leader on duty — is refused with
//! INVALID_ARGUMENT naming the field and the kind of data found (never the
//! value), and nothing is stored; near-misses (amounts, dates, unit codes,
//! case ids) are taken. The petitioner's own fields are meant to hold
//! personal data and are taken. Over gRPC, on both backends.

mod common;

use common::{Running, expect_code};
use fengqiao_core::TimePolicy;
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_proto::pb::{self, CaseChannel, CaseIntake, DisputeCategory};
use fengqiao_store::Backend;
use tonic::Code;
use tonic::transport::Channel;

const TREE: &str = fengqiao_store::testing::trees::ONE_GROUP;

const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";
const GROUP: &str = "410411001001001";
/// Served by the district node itself (no node of its own).
const OTHER_TOWNSHIP: &str = "410411002";

/// The summary the issue found accepted and forwarded: an 18-digit number
/// whose check digit is wrong (so no resident identity number: it passes)
/// and a mobile number (refused).
const ISSUE_SUMMARY: &str = "身份证410411199001011234 电话13912345678";
/// A resident identity number with the right check digit.
const ID_NUMBER: &str = "410411199001011237";

fn yesterday() -> String {
    (TimePolicy::default().local_date(chrono::Utc::now()) - chrono::Duration::days(1)).to_string()
}

fn today() -> String {
    TimePolicy::default().local_date(chrono::Utc::now()).to_string()
}

fn channel(node: &Running) -> Channel {
    node.channel()
}

fn dispute(local_id: &str, summary: &str) -> pb::Dispute {
    pb::Dispute {
        local_id: local_id.into(),
        category: DisputeCategory::Land.into(),
        outcome: pb::DisputeOutcome::Mediating.into(),
        parties: 2,
        summary: summary.into(),
        case_id: String::new(),
        wage_arrears: None,
    }
}

fn report(unit: &str, disputes: Vec<pb::Dispute>) -> pb::DailyReport {
    pb::DailyReport {
        unit_id: unit.into(),
        date: yesterday(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: String::new(),
    }
}

async fn submit(
    node: &Running,
    report: pb::DailyReport,
) -> Result<pb::SubmitDailyReportResponse, tonic::Status> {
    ReportingServiceClient::new(channel(node))
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .map(tonic::Response::into_inner)
}

/// `status` is INVALID_ARGUMENT for `field`, names `kind`, and echoes none
/// of `secrets`.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>, field: &str, kind: &str) {
    let status = expect_code(result, Code::InvalidArgument);
    let message = status.message();
    assert!(message.starts_with(&format!("{field}: ")), "names {field}: {message}");
    assert!(message.contains(kind), "names {kind}: {message}");
    for secret in ["13912345678", "1391234", "410411199001011", "0375-23", "@example"] {
        assert!(!message.contains(secret), "echoes {secret}: {message}");
    }
}

/// A pushed item refused on its own: the batch is answered, the item
/// REFUSED with the same message as a direct call would get.
fn refused_item(
    result: Result<tonic::Response<pb::PushBatchResponse>, tonic::Status>,
    field: &str,
    kind: &str,
) {
    let acks = result.expect("the batch is answered item by item").into_inner().acks;
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].outcome(), pb::ItemOutcome::Refused, "{acks:?}");
    refused::<()>(Err(tonic::Status::invalid_argument(acks[0].detail.clone())), field, kind);
}

async fn count(node: &Running) -> u64 {
    node.node.as_ref().unwrap().store().count_reports().await.unwrap()
}

async fn reports_refuse_personal_data(backend: Backend) {
    let mut node = Running::start(TREE, DISTRICT, backend, NodeConfig::new(DISTRICT), None).await;

    // The issue's summary: refused for its mobile number, nothing stored.
    let status = submit(&node, report(GROUP, vec![dispute("d-1", ISSUE_SUMMARY)])).await;
    refused(status, "report.disputes[0].summary", "a mobile phone number at character 25");
    assert_eq!(count(&node).await, 0, "nothing stored");

    let with = |summary: &str| report(GROUP, vec![dispute("d-1", "界墙纠纷"), dispute("d-2", summary)]);
    for (summary, kind) in [
        (format!("身份证{ID_NUMBER}"), "a resident identity number"),
        ("申请人 139-1234-5678".to_owned(), "a mobile phone number"),
        ("+86 139 1234 5678".to_owned(), "a mobile phone number"),
        ("座机0375-2345678".to_owned(), "a landline phone number"),
        ("邮箱 someone@example.com".to_owned(), "an e-mail address"),
    ] {
        refused(submit(&node, with(&summary)).await, "report.disputes[1].summary", kind);
    }
    let mut wage = dispute("d-1", "拖欠工资");
    wage.category = DisputeCategory::WageArrears.into();
    wage.wage_arrears = Some(pb::WageArrears {
        employer: "包工头 13912345678".into(),
        workers: 3,
        amount_claimed_cents: 100,
        amount_recovered_cents: 0,
    });
    refused(
        submit(&node, report(GROUP, vec![wage])).await,
        "report.disputes[0].wage_arrears.employer",
        "a mobile phone number",
    );
    assert_eq!(count(&node).await, 0, "nothing stored");

    // Near-misses are taken: amounts, dates, times, unit codes, case ids,
    // an 18-digit number with a wrong check digit, 11 digits not 1[3-9].
    let near_misses = "追回8642000元，2019年3月1日（20190301）10:30结清；单位410411001001，\
        案件410411001001-20190301-3，编号410411199001011234，流水12345678901";
    let taken =
        submit(&node, report(GROUP, vec![dispute("d-1", near_misses)])).await.expect("near-misses pass");
    assert_eq!(taken.revision, 1);

    // A correction's reason is screened too; the stored revision stays.
    let mut correction = report(GROUP, vec![dispute("d-1", "界墙纠纷")]);
    correction.revision = 2;
    correction.correction_reason = "申请人来电0375-2345678更正".into();
    refused(submit(&node, correction.clone()).await, "report.correction_reason", "a landline phone number");
    correction.correction_reason = "recount".into();
    assert_eq!(submit(&node, correction).await.expect("a clean correction").revision, 2);
    assert_eq!(count(&node).await, 1);

    node.halt().await;
    node.db.cleanup().await;
}

/// A child node pushing a report or a case event holding personal data has
/// the item refused the same way (REFUSED, naming the field), and nothing
/// stored: the uplink is an entry path like any other.
async fn the_uplink_refuses_personal_data(backend: Backend) {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]), ..NodeConfig::new(DISTRICT) };
    let mut district = Running::start(TREE, DISTRICT, backend, config, None).await;
    let at = fengqiao_proto::timestamp(chrono::Utc::now() - chrono::Duration::hours(1));
    let item = |payload: Payload| pb::UplinkItem {
        sequence: 1,
        payload: Some(payload),
        trace_parent: String::new(),
    };
    let push = |items: Vec<pb::UplinkItem>| pb::PushBatchRequest {
        sender_unit_id: TOWNSHIP.into(),
        items,
        synced_through: None,
    };
    let stored = |summary: &str| pb::StoredDailyReport {
        report: Some(report(GROUP, vec![dispute("d-1", summary)])),
        accepted_at: Some(at),
        first_accepted_at: Some(at),
        on_time: true,
    };
    let mut uplink = UplinkServiceClient::new(channel(&district));
    refused_item(
        uplink.push_batch(push(vec![item(Payload::Report(stored(ISSUE_SUMMARY)))])).await,
        "items[0].report.report.disputes[0].summary",
        "a mobile phone number",
    );
    assert_eq!(count(&district).await, 0, "nothing stored");

    let event = pb::CaseEvent {
        case_id: "410411001001001-1".into(),
        sequence: 1,
        at: Some(at),
        on: yesterday(),
        unit_id: GROUP.into(),
        actor: "officer-1".into(),
        note: format!("申请人身份证 {ID_NUMBER}"),
        kind: Some(pb::case_event::Kind::Registered(pb::case_event::Registered {
            intake: Some(CaseIntake {
                origin_unit_id: GROUP.into(),
                category: DisputeCategory::Land.into(),
                channel: CaseChannel::Letter.into(),
                summary: "承包地边界".into(),
                ..CaseIntake::default()
            }),
            accept_by: today(),
            repeat: None,
            receipt_code_hash: String::new(),
        })),
        acted_by: None,
    };
    let case_item = |event: pb::CaseEvent| {
        item(Payload::CaseEvent(pb::CaseEventItem { event: Some(event), petitioner: None }))
    };
    refused_item(
        uplink.push_batch(push(vec![case_item(event.clone())])).await,
        "items[0].case_event.event.note",
        "a resident identity number",
    );
    let mut in_summary = event.clone();
    in_summary.note = String::new();
    if let Some(pb::case_event::Kind::Registered(registered)) = &mut in_summary.kind {
        registered.intake.as_mut().unwrap().summary = "申请人电话13912345678".into();
    }
    refused_item(
        uplink.push_batch(push(vec![case_item(in_summary)])).await,
        "items[0].case_event.event.registered.intake.summary",
        "a mobile phone number",
    );
    let cases = CaseServiceClient::new(channel(&district))
        .list_cases(pb::ListCasesRequest { unit_id: DISTRICT.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert!(cases.is_empty(), "no case stored: {cases:?}");

    // The clean report is taken.
    let answer = uplink.push_batch(push(vec![item(Payload::Report(stored("界墙纠纷")))])).await.unwrap();
    assert_eq!(answer.into_inner().acks[0].outcome(), pb::ItemOutcome::Applied);
    district.halt().await;
    district.db.cleanup().await;
}

async fn case_texts_refuse_personal_data(backend: Backend) {
    let config =
        NodeConfig { child_nodes: ChildNodes::Units(vec![TOWNSHIP.into()]), ..NodeConfig::new(DISTRICT) };
    let mut district = Running::start(TREE, DISTRICT, backend, config, None).await;
    let config = NodeConfig { parent: Some(district.url()), ..NodeConfig::new(TOWNSHIP) };
    let mut township = Running::start(TREE, TOWNSHIP, backend, config, None).await;
    let mut cases = CaseServiceClient::new(channel(&township));
    // The petitioner's own fields hold personal data by design: taken.
    let petitioner =
        pb::Petitioner { name: "张三".into(), phone: "13912345678".into(), id_number: ID_NUMBER.into() };
    let intake = |summary: &str| CaseIntake {
        origin_unit_id: TOWNSHIP.into(),
        category: DisputeCategory::Land.into(),
        channel: CaseChannel::Letter.into(),
        summary: summary.into(),
        ..CaseIntake::default()
    };
    let register = |summary: &str, note: &str| pb::RegisterCaseRequest {
        intake: Some(intake(summary)),
        petitioner: Some(petitioner.clone()),
        actor: "officer-1".into(),
        note: note.into(),
        ..Default::default()
    };
    refused(
        cases.register_case(register("申请人电话13912345678", "")).await,
        "intake.summary",
        "a mobile phone number",
    );
    refused(
        cases.register_case(register("承包地边界", "联系 someone@example.com")).await,
        "note",
        "an e-mail address",
    );
    let case = cases
        .register_case(register("承包地边界争议，涉及8642000元", "立案登记"))
        .await
        .expect("a clean case with its petitioner")
        .into_inner()
        .r#case
        .unwrap();
    let id = case.case_id.clone();

    let act_on = |action: Action, note: &str| pb::ActOnCaseRequest {
        case_id: id.clone(),
        actor: "leader-1".into(),
        note: note.into(),
        action: Some(action),
        ..Default::default()
    };
    let with_phone = "申请人电话 139 1234 5678";
    refused(
        cases.act_on_case(act_on(Action::Decline(act::Decline { reason: with_phone.into() }), "")).await,
        "decline.reason",
        "a mobile phone number",
    );
    refused(
        cases.act_on_case(act_on(Action::Accept(act::Accept {}), "电话0375-2345678")).await,
        "note",
        "a landline phone number",
    );
    cases.act_on_case(act_on(Action::Accept(act::Accept {}), "符合受理条件")).await.expect("accepted");
    let assign = |leader: &str, responsible: &str, plan: &str| {
        Action::Assign(act::Assign {
            leader: leader.into(),
            responsible: responsible.into(),
            plan: plan.into(),
            deadline: String::new(),
        })
    };
    for (action, field) in [
        (assign("王书记 13912345678", "李", "约谈"), "assign.leader"),
        (assign("王书记", with_phone, "约谈"), "assign.responsible"),
        (assign("王书记", "李", with_phone), "assign.plan"),
        (Action::Extend(act::Extend { days: 10, reason: with_phone.into() }), "extend.reason"),
        (Action::Escalate(act::Escalate { reason: with_phone.into() }), "escalate.reason"),
    ] {
        refused(cases.act_on_case(act_on(action, "")).await, field, "a mobile phone number");
    }
    cases.act_on_case(act_on(assign("王书记", "李", "约谈双方"), "")).await.expect("assigned");
    refused(
        cases
            .act_on_case(act_on(
                Action::Resolve(act::Resolve { resolution: with_phone.into(), amount_recovered_cents: 0 }),
                "",
            ))
            .await,
        "resolve.resolution",
        "a mobile phone number",
    );
    let answer = cases
        .get_case(pb::GetCaseRequest { case_id: id.clone(), with_petitioner: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.events.len(), 3, "only registration, acceptance and assignment stored");
    assert_eq!(answer.petitioner.unwrap().phone, "13912345678", "the petitioner's phone is kept");

    // Visits: the summary and resolution are screened, the petitioner not.
    let visit = |summary: &str, resolution: &str| pb::RecordVisitRequest {
        unit_id: TOWNSHIP.into(),
        category: DisputeCategory::Labour.into(),
        summary: summary.into(),
        petitioner: Some(petitioner.clone()),
        actor: "reception-1".into(),
        answered: true,
        resolution: resolution.into(),
        satisfaction: pb::Satisfaction::Satisfied.into(),
        case_id: String::new(),
        on_behalf_of: None,
    };
    refused(cases.record_visit(visit(with_phone, "当场答复")).await, "summary", "a mobile phone number");
    refused(cases.record_visit(visit("工资争议", with_phone)).await, "resolution", "a mobile phone number");
    let listed = cases
        .list_cases(pb::ListCasesRequest { unit_id: TOWNSHIP.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(listed.len(), 1, "no visit stored");

    // Supervision from the district, the roster, notices.
    let mut at_district = CaseServiceClient::new(channel(&district));
    let supervise = |text: &str| pb::SuperviseRequest {
        case_id: id.clone(),
        kind: pb::SupervisionKind::Document.into(),
        reply_by: today(),
        text: text.into(),
        actor: "supervisor-1".into(),
        on_behalf_of: None,
    };
    for _ in 0..200 {
        if at_district
            .get_case(pb::GetCaseRequest {
                case_id: id.clone(),
                with_petitioner: false,
                ..Default::default()
            })
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    refused(at_district.supervise(supervise(with_phone)).await, "text", "a mobile phone number");
    let roster = |leader: &str| pb::SetRosterRequest {
        entries: vec![pb::RosterEntry { unit_id: TOWNSHIP.into(), date: today(), leader: leader.into() }],
    };
    refused(
        at_district.set_roster(roster("李书记 13912345678")).await,
        "entries[0].leader",
        "a mobile phone number",
    );
    let on_duty = at_district
        .get_roster(pb::GetRosterRequest { unit_id: TOWNSHIP.into(), from_date: today(), to_date: today() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(on_duty.is_empty(), "no roster stored: {on_duty:?}");
    let mut node_service = NodeServiceClient::new(channel(&district));
    refused(
        node_service
            .post_notice(pb::PostNoticeRequest {
                target_unit_id: OTHER_TOWNSHIP.into(),
                text: format!("请联系{ID_NUMBER}"),
            })
            .await,
        "text",
        "a resident identity number",
    );
    let notices = node_service
        .list_notices(pb::ListNoticesRequest { unit_id: OTHER_TOWNSHIP.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .notices;
    assert!(notices.is_empty(), "no notice stored: {notices:?}");
    let events = at_district
        .get_case(pb::GetCaseRequest { case_id: id.clone(), with_petitioner: false, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(
        events.iter().all(|e| !matches!(e.kind, Some(pb::case_event::Kind::Supervised(_)))),
        "no supervision"
    );

    township.halt().await;
    district.halt().await;
    township.db.cleanup().await;
    district.db.cleanup().await;
}

fengqiao_store::both_backends!(
    reports_refuse_personal_data,
    the_uplink_refuses_personal_data,
    case_texts_refuse_personal_data,
);
