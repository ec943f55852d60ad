//! Departments, receipts and contact duties in `fengqiao demo` (issue 20).
//!
//! After the days of reporting, on the demo's clock:
//!
//! - the district registers a key project (a construction site) and gives it
//!   a contact leader (the townships' contact leaders are set with the case
//!   history);
//! - a petitioner comes to the district's duty reception about unpaid wages;
//!   the leader on duty records the visit (the petitioner is handed a receipt:
//!   case number and query code) and transfers the case (转办) to the human
//!   resources and social security department;
//! - the petitioner follows the case on the public tracker (阳光信访) with the
//!   receipt; the department's officer takes it on, writes a reply for the
//!   petitioner, resolves and closes it; the petitioner rates the handling
//!   through the tracker;
//! - the district's figures then show the department's on-time rate and the
//!   petitioner's rating, which the demo checks.

use anyhow::{Context, Result, bail};
use chrono::{Duration, NaiveDate};
use fengqiao_core::{ManualClock, TimePolicy, UnitTree};
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::contact_service_client::ContactServiceClient;
use fengqiao_proto::pb::department_service_client::DepartmentServiceClient;
use fengqiao_proto::pb::public_tracker_service_client::PublicTrackerServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, DisputeCategory, Satisfaction};
use tonic::transport::Channel;

use crate::connection::refused;
use crate::demo::local;

/// What the scenario needs of the demo network.
pub struct Network<'a> {
    pub tree: &'a UnitTree,
    pub policy: &'a TimePolicy,
    pub clock: &'a ManualClock,
    /// The district node, as the district's leader.
    pub district: Channel,
    /// The district node, as an officer and as the leader of its human
    /// resources and social security department (the district's leader on
    /// `--insecure`).
    pub hrss: Channel,
    pub hrss_leader: Channel,
    /// The district leader's person id, on duty at the reception today.
    pub leader_on_duty: String,
    /// The district node's public listener (no certificate).
    pub public: Channel,
    /// Where the public page is, for the printed receipt.
    pub public_url: String,
}

/// The district leader who takes the demo's key project (as `demo::contacts` names them).
const PROJECT_LEADER: &str = "district-leader-1";

pub async fn run(net: &Network<'_>, today: NaiveDate) -> Result<()> {
    let root = net.tree.root_id().to_string();
    key_project(net, &root, today).await?;

    // 09:30 at the district's duty reception (领导接访日), with its leader on duty.
    net.clock.set(local(net.policy, today, 9, 30));
    let mut cases = CaseServiceClient::new(net.district.clone());
    cases
        .set_roster(pb::SetRosterRequest {
            entries: vec![pb::RosterEntry {
                unit_id: root.clone(),
                date: today.to_string(),
                leader: net.leader_on_duty.clone(),
            }],
        })
        .await
        .map_err(refused)
        .context("the district's duty roster")?;
    let visit = cases
        .record_visit(pb::RecordVisitRequest {
            unit_id: root.clone(),
            category: DisputeCategory::WageArrears.into(),
            summary: "某建设项目拖欠十二名农民工工资，施工方称工程款未到位".into(),
            // Synthetic, as every petitioner of the demo (see `cases::plan`).
            petitioner: Some(pb::Petitioner {
                name: "演示来访人".into(),
                phone: "0375-0999999".into(),
                id_number: super::cases::synthetic_id_number(19_999),
            }),
            answered: false,
            case_id: format!("{root}-demo-visit-1"),
            ..Default::default()
        })
        .await
        .map_err(refused)
        .context("the district's duty reception")?
        .into_inner();
    let case = visit.case.context("the visit answered without its case")?;
    let receipt = visit.receipt.context("the visit answered without a receipt")?;
    print_receipt(&receipt, &net.public_url, &visit.leader_on_duty);

    // 10:00: the leader transfers it to the department (转办).
    net.clock.set(local(net.policy, today, 10, 0));
    let hrss = format!("{root}:hrss");
    act_on(
        &mut cases,
        &case.case_id,
        "转办人社局依法处理",
        Action::TransferToDepartment(act::TransferToDepartment {
            department_id: hrss.clone(),
            reason: "欠薪案件，由劳动保障监察依法处理".into(),
            deadline: String::new(),
        }),
    )
    .await?;
    let mut tracker = PublicTrackerServiceClient::new(net.public.clone());
    let seen = track(&mut tracker, &receipt).await?;
    println!(
        "  transferred (转办) to {hrss}; the petitioner looks it up: {} — held by {} {}, due by {}",
        status_name(seen.status),
        seen.office,
        seen.department,
        seen.deadline
    );

    // The department works it: a responsible officer, a reply for the
    // petitioner, resolution in the afternoon, closure.
    let mut department = CaseServiceClient::new(net.hrss.clone());
    net.clock.set(local(net.policy, today, 11, 0));
    act_on(
        &mut CaseServiceClient::new(net.hrss_leader.clone()),
        &case.case_id,
        "劳动保障监察大队受理",
        Action::Assign(act::Assign {
            leader: "hrss-director".into(),
            responsible: "劳动保障监察员".into(),
            plan: "约谈施工方，核对工资表，督促当日支付".into(),
            deadline: String::new(),
        }),
    )
    .await?;
    net.clock.set(local(net.policy, today, 14, 0));
    act_on(
        &mut department,
        &case.case_id,
        "答复信访人",
        Action::ReplyToPetitioner(act::ReplyToPetitioner {
            text: "已约谈施工方，工资表已核对，工资将于今日下午支付到位。".into(),
        }),
    )
    .await?;
    net.clock.set(local(net.policy, today, 16, 0));
    act_on(
        &mut department,
        &case.case_id,
        "工资已支付",
        Action::Resolve(act::Resolve {
            resolution: "施工方支付拖欠工资共计二十八万八千元".into(),
            amount_recovered_cents: 28_800_000,
        }),
    )
    .await?;
    act_on(
        &mut department,
        &case.case_id,
        "办结",
        Action::Close(act::Close { satisfaction: Satisfaction::Satisfied.into() }),
    )
    .await?;

    // 18:00: the petitioner reads the reply and rates the handling.
    net.clock.set(local(net.policy, today, 18, 0));
    let seen = track(&mut tracker, &receipt).await?;
    let reply = seen.replies.last().map_or("", |r| r.text.as_str());
    println!("  the petitioner looks again: {}; reply: {reply}", status_name(seen.status));
    if !seen.can_rate {
        bail!("the tracker does not offer the petitioner a rating of the closed case");
    }
    tracker
        .rate_case(pb::RateCaseRequest {
            case_id: receipt.case_id.clone(),
            query_code: receipt.query_code.clone(),
            satisfaction: Satisfaction::Satisfied.into(),
        })
        .await
        .map_err(refused)
        .context("the petitioner's rating")?;
    println!("  the petitioner rates it: 满意 (satisfied)");

    // The district's figures.
    let rows = DepartmentServiceClient::new(net.district.clone())
        .department_figures(pb::DepartmentFiguresRequest {
            unit_id: root.clone(),
            from: today.to_string(),
            to: today.to_string(),
        })
        .await
        .map_err(refused)
        .context("the district's department figures")?
        .into_inner();
    let row = rows
        .rows
        .iter()
        .find(|row| row.department.as_ref().is_some_and(|d| d.department_id == hrss))
        .context("the department figures have no row for the human resources department")?;
    let figures = row.figures.unwrap_or_default();
    let summary = SummaryServiceClient::new(net.district.clone())
        .period_summary(pb::PeriodSummaryRequest {
            unit_id: root.clone(),
            from_date: today.to_string(),
            to_date: today.to_string(),
        })
        .await
        .map_err(refused)
        .context("the district's summary of today")?
        .into_inner()
        .summary
        .context("the district answered without a summary")?;
    let cases_today = summary.cases.unwrap_or_default();
    println!(
        "  the district's figures today: {} resolved {} of {} on time ({:.0}%, rank {} of {}); \
         petitioners' ratings {} satisfied, {} dissatisfied",
        row.department.as_ref().map_or("", |d| d.name.as_str()),
        figures.resolved_on_time,
        figures.resolved,
        figures.on_time_rate,
        row.rank,
        rows.rows.len(),
        cases_today.petitioner_satisfied,
        cases_today.petitioner_dissatisfied,
    );
    if figures.resolved_on_time < 1 || cases_today.petitioner_satisfied < 1 {
        bail!("the district's figures do not show the department's closure and the petitioner's rating");
    }
    Ok(())
}

/// A key project (重点项目) in the first township's first community, and
/// its contact leader (the townships' contact duties are set with the case
/// history, see `demo::contacts`).
async fn key_project(net: &Network<'_>, root: &str, today: NaiveDate) -> Result<()> {
    let mut contacts = ContactServiceClient::new(net.district.clone());
    let from = today - Duration::days(90);
    let Some(site) =
        net.tree.children(root).first().and_then(|t| net.tree.children(t.id.as_str()).first().cloned())
    else {
        return Ok(());
    };
    contacts
        .set_project(pb::SetProjectRequest {
            project: Some(pb::Project {
                project_id: "demo-site-1".into(),
                name: format!("{}安置房建设项目", site.name),
                unit_id: site.id.to_string(),
                kind: "construction".into(),
                from: from.to_string(),
                until: String::new(),
            }),
        })
        .await
        .map_err(refused)
        .context("the key project")?;
    contacts
        .set_contact_duty(pb::SetContactDutyRequest {
            duty: Some(pb::ContactDuty {
                duty_id: "contact-demo-site-1".into(),
                leader: PROJECT_LEADER.into(),
                project_id: "demo-site-1".into(),
                from: from.to_string(),
                ..Default::default()
            }),
        })
        .await
        .map_err(refused)
        .context("the key project's contact duty")?;
    println!("\nkey project (重点项目): {}安置房建设项目, contact leader {PROJECT_LEADER}", site.name);
    Ok(())
}

async fn act_on(
    client: &mut CaseServiceClient<Channel>,
    case_id: &str,
    note: &str,
    action: Action,
) -> Result<pb::Case> {
    let answer = client
        .act_on_case(pb::ActOnCaseRequest {
            case_id: case_id.to_owned(),
            note: note.to_owned(),
            action: Some(action),
            ..Default::default()
        })
        .await
        .map_err(refused)
        .with_context(|| format!("acting on case {case_id}"))?;
    answer.into_inner().case.context("the node answered without the case")
}

async fn track(
    tracker: &mut PublicTrackerServiceClient<Channel>,
    receipt: &pb::Receipt,
) -> Result<pb::TrackCaseResponse> {
    Ok(tracker
        .track_case(pb::TrackCaseRequest {
            case_id: receipt.case_id.clone(),
            query_code: receipt.query_code.clone(),
        })
        .await
        .map_err(refused)
        .context("the public tracker")?
        .into_inner())
}

fn status_name(status: i32) -> &'static str {
    match pb::CaseStatus::try_from(status).unwrap_or(pb::CaseStatus::Unspecified) {
        pb::CaseStatus::Registered => "已登记 (registered)",
        pb::CaseStatus::Accepted => "已受理 (accepted)",
        pb::CaseStatus::Assigned | pb::CaseStatus::InProgress => "办理中 (in progress)",
        pb::CaseStatus::Resolved => "已化解 (resolved)",
        pb::CaseStatus::Closed => "已办结 (closed)",
        pb::CaseStatus::NotAccepted => "不予受理 (not accepted)",
        pb::CaseStatus::UnderReview => "复查中 (under review)",
        pb::CaseStatus::Unspecified => "?",
    }
}

fn print_receipt(receipt: &pb::Receipt, public_url: &str, leader_on_duty: &str) {
    println!(
        "\na petitioner at the district's duty reception (leader on duty: {leader_on_duty}); the receipt:"
    );
    println!("  ┌──────────────── 信访事项回执 ────────────────┐");
    println!("    案件编号 case:  {}", receipt.case_id);
    println!("    查询码   code:  {}", receipt.query_code);
    println!("    查询网址 at:    {public_url}");
    println!("  └──────────── 凭编号和查询码查询办理进度 ────────────┘");
}
