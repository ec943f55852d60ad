//! Answers bounded in bytes: whatever a node holds, no answer it gives
//! exceeds `MAX_ANSWER_BYTES` (1 MiB), and paging through it reads all of
//! it. Sixty maximal reports of one unit (200 disputes with 500-character
//! summaries each, some 580 KB a report: 35 MB in all) list and export in
//! bounded pages and messages; a report corrected 600 times gives its
//! history in parts; a case with a long log gives its events in parts; a
//! unit's notices and a tree of long names page by bytes. Both backends.
//! Before the bound, the listing was one 35 MB answer no client decodes.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::Running;
use fengqiao_core::{Clock, ManualClock};
use fengqiao_node::paging::MAX_ANSWER_BYTES;
use fengqiao_node::{Limits, NodeConfig};
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::Action;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::node_service_client::NodeServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::unit_service_client::UnitServiceClient;
use fengqiao_store::{Backend, NoticeRow};
use prost::Message;
use tonic::transport::Channel;

const HOME: &str = "410411001";
const COMMUNITY: &str = "410411001001";
const GROUP: &str = "410411001001001";

/// A township with one community and `groups` groups whose names are as
/// long as names may be (200 characters of four bytes each).
fn tree(groups: usize) -> String {
    let mut csv = String::from(
        "code,parent_code,tier,name\n410411,,district,湛河区\n410411001,410411,township,马庄街道\n\
         410411001001,410411001,community,电力社区\n",
    );
    for n in 1..=groups {
        csv.push_str(&format!("410411001001{n:03},410411001001,group,{}\n", "𠮷".repeat(200)));
    }
    csv
}

/// Saturday 2026-11-28, 16:00 in Shanghai.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
}

async fn start(backend: Backend, groups: usize) -> Running {
    let config = NodeConfig {
        limits: Limits::unthrottled(),
        reporting_start: NaiveDate::from_ymd_opt(2026, 1, 1),
        ..NodeConfig::new(HOME)
    };
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    Running::start_with_clock(&tree(groups), HOME, backend, config, None, clock).await
}

/// A report as large as the domain allows: 200 disputes, each with a
/// 64-byte id and 500-character summary and 200-character employer in
/// four-byte characters (under the 1 MiB a request may carry).
fn maximal_report(unit: &str, date: NaiveDate) -> pb::DailyReport {
    let disputes = (0..200)
        .map(|n| pb::Dispute {
            local_id: format!("d{n:063}"),
            category: pb::DisputeCategory::WageArrears.into(),
            outcome: pb::DisputeOutcome::ResolvedOnTheSpot.into(),
            parties: 2,
            summary: "𠮷".repeat(500),
            case_id: String::new(),
            wage_arrears: Some(pb::WageArrears {
                employer: "𠮷".repeat(200),
                workers: 12,
                amount_claimed_cents: 3_600_000,
                amount_recovered_cents: 1_200_000,
            }),
        })
        .collect();
    pb::DailyReport {
        unit_id: unit.into(),
        date: date.to_string(),
        revision: 1,
        reporter: format!("r{:063}", 7),
        zero: false,
        disputes,
        correction_reason: String::new(),
    }
}

#[track_caller]
fn bounded(message: &impl Message, what: &str) {
    let len = message.encoded_len();
    assert!(len <= MAX_ANSWER_BYTES, "{what}: {len} bytes, over the bound of {MAX_ANSWER_BYTES}");
}

fn reporting(node: &Running) -> ReportingServiceClient<Channel> {
    ReportingServiceClient::new(node.channel())
}

/// Sixty maximal reports of one unit: every page and every export message
/// within the bound, and all sixty read, in order, once.
async fn sixty_maximal_reports_page_within_the_bound(backend: Backend) {
    let mut node = start(backend, 1).await;
    let first = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let dates: Vec<NaiveDate> = (0..60).map(|n| first + Duration::days(n)).collect();
    let one = maximal_report(GROUP, first);
    let request = pb::SubmitDailyReportRequest { report: Some(one) };
    assert!(request.encoded_len() < 1024 * 1024, "a maximal report fits a request");
    assert!(request.encoded_len() > 500 * 1024, "{} bytes", request.encoded_len());
    for &date in &dates {
        let report = maximal_report(GROUP, date);
        reporting(&node)
            .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
            .await
            .unwrap();
    }

    let mut listed = Vec::new();
    let mut pages = 0;
    let mut page_token = String::new();
    loop {
        let page = reporting(&node)
            .list_daily_reports(pb::ListDailyReportsRequest {
                unit_id: HOME.into(),
                from_date: first.to_string(),
                to_date: dates[59].to_string(),
                page_size: 1000,
                page_token,
            })
            .await
            .expect("every page decodes")
            .into_inner();
        bounded(&page, "a page of ListDailyReports");
        pages += 1;
        listed.extend(page.reports.iter().map(|r| r.report.as_ref().unwrap().date.clone()));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let expected: Vec<String> = dates.iter().map(ToString::to_string).collect();
    assert_eq!(listed, expected, "every report once, in order");
    assert!(pages >= 30, "{pages} pages: a page holds at most one or two maximal reports");

    let mut stream = SummaryServiceClient::new(node.channel())
        .export_reports(pb::ExportReportsRequest {
            unit_id: HOME.into(),
            from_date: first.to_string(),
            to_date: dates[59].to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut exported = Vec::new();
    let mut messages = Vec::new();
    while let Some(message) = stream.message().await.expect("every message decodes") {
        bounded(&message, "a message of ExportReports");
        messages.push(message.total);
        exported.extend(message.reports.iter().map(|r| r.report.as_ref().unwrap().date.clone()));
    }
    assert_eq!(exported, expected);
    assert_eq!(messages[0], 60, "the total comes first");
    assert!(messages.len() >= 30, "{} messages", messages.len());
    node.halt().await;
    node.db.cleanup().await;
}

/// A report corrected 600 times with reasons as long as allowed: its
/// history comes in parts, each answer within the bound, every revision once.
async fn a_long_history_comes_in_parts(backend: Backend) {
    let mut node = start(backend, 1).await;
    let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut report = pb::DailyReport {
        unit_id: GROUP.into(),
        date: date.to_string(),
        revision: 1,
        reporter: "officer-1".into(),
        zero: true,
        ..Default::default()
    };
    let mut client = reporting(&node);
    for revision in 1..=600 {
        report.revision = revision;
        report.correction_reason = if revision > 1 { "𠮷".repeat(500) } else { String::new() };
        client
            .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report.clone()) })
            .await
            .unwrap();
    }
    let mut revisions = Vec::new();
    let mut parts = 0;
    let mut after = 0;
    loop {
        let answer = client
            .get_daily_report(pb::GetDailyReportRequest {
                unit_id: GROUP.into(),
                date: date.to_string(),
                revision: 0,
                history_after_revision: after,
            })
            .await
            .expect("every part decodes")
            .into_inner();
        bounded(&answer, "a part of GetDailyReport");
        assert_eq!(answer.report.unwrap().report.unwrap().revision, 600);
        parts += 1;
        revisions.extend(answer.history.iter().map(|h| h.revision));
        if answer.next_history_after_revision == 0 {
            break;
        }
        after = answer.next_history_after_revision;
    }
    assert_eq!(revisions, (1..=600).collect::<Vec<u32>>());
    assert!(parts >= 2, "{parts} parts");
    node.halt().await;
    node.db.cleanup().await;
}

/// A case with 150 long progress notes, notices that weigh megabytes and a
/// tree of long names: GetCase, ListCases, ListNotices and ListUnits within
/// the bound, and everything read.
async fn cases_notices_and_units_page_within_the_bound(backend: Backend) {
    let mut node = start(backend, 800).await;
    let mut cases = CaseServiceClient::new(node.channel());
    let intake = pb::CaseIntake {
        origin_unit_id: COMMUNITY.into(),
        category: pb::DisputeCategory::Land.into(),
        channel: pb::CaseChannel::Letter.into(),
        summary: "𠮷".repeat(2000),
        ..Default::default()
    };
    let registered = cases
        .register_case(pb::RegisterCaseRequest {
            intake: Some(intake),
            actor: "officer-1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .r#case
        .unwrap();
    let act = |action: Action| pb::ActOnCaseRequest {
        case_id: registered.case_id.clone(),
        actor: "leader-1".into(),
        note: "𠮷".repeat(2000),
        action: Some(action),
        ..Default::default()
    };
    cases.act_on_case(act(Action::Accept(pb::act_on_case_request::Accept {}))).await.unwrap();
    let assign = pb::act_on_case_request::Assign {
        leader: "王副镇长".into(),
        responsible: "司法所 李".into(),
        plan: "𠮷".repeat(2000),
        deadline: String::new(),
    };
    cases.act_on_case(act(Action::Assign(assign))).await.unwrap();
    for _ in 0..150 {
        cases.act_on_case(act(Action::Progress(pb::act_on_case_request::Progress {}))).await.unwrap();
    }
    let mut sequences = Vec::new();
    let mut after = 0;
    let mut parts = 0;
    loop {
        let answer = cases
            .get_case(pb::GetCaseRequest {
                case_id: registered.case_id.clone(),
                with_petitioner: false,
                events_after_sequence: after,
            })
            .await
            .expect("every part decodes")
            .into_inner();
        bounded(&answer, "a part of GetCase");
        parts += 1;
        sequences.extend(answer.events.iter().map(|e| e.sequence));
        if answer.next_events_after_sequence == 0 {
            break;
        }
        after = answer.next_events_after_sequence;
    }
    assert_eq!(sequences, (1..=153).collect::<Vec<u32>>(), "registered, accepted, assigned, 150 notes");
    assert!(parts >= 2, "{parts} parts");
    let listed = cases
        .list_cases(pb::ListCasesRequest { unit_id: HOME.into(), page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    bounded(&listed, "ListCases");
    assert_eq!(listed.cases.len(), 1);

    // 300 notices of 2,000 four-byte characters: 2.4 MB.
    let store = node.node.as_ref().unwrap().store().clone();
    for n in 0..300 {
        let notice = NoticeRow {
            notice_id: format!("410411-{n:04}"),
            target_unit_id: GROUP.into(),
            from_unit_id: "410411".into(),
            text: "𠮷".repeat(2000),
            created_at: now() - Duration::minutes(300 - n),
            sender: None,
        };
        store.insert_notice(&notice, fengqiao_store::testing::audit_record("notice")).await.unwrap();
    }
    let mut notices = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = NodeServiceClient::new(node.channel())
            .list_notices(pb::ListNoticesRequest { unit_id: GROUP.into(), page_size: 1000, page_token })
            .await
            .expect("every page decodes")
            .into_inner();
        bounded(&page, "a page of ListNotices");
        notices.extend(page.notices.iter().map(|n| n.notice.as_ref().unwrap().notice_id.clone()));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(notices, (0..300).map(|n| format!("410411-{n:04}")).collect::<Vec<_>>());

    // 800 groups named with 800 bytes each, in pages of up to 5,000 units.
    let mut units = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = UnitServiceClient::new(node.channel())
            .list_units(pb::ListUnitsRequest {
                root_unit_id: HOME.into(),
                page_size: 5000,
                page_token,
                ..Default::default()
            })
            .await
            .expect("every page decodes")
            .into_inner();
        bounded(&page, "a page of ListUnits");
        units.extend(page.units.into_iter().map(|u| u.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(units.len(), 802);
    node.halt().await;
    node.db.cleanup().await;
}

fengqiao_store::both_backends!(
    sixty_maximal_reports_page_within_the_bound,
    a_long_history_comes_in_parts,
    cases_notices_and_units_page_within_the_bound,
);
