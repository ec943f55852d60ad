//! How a case's events and actors, and a day's completeness, read for
//! people, in a language: shared by the dashboard's pages and the CLI's
//! `case` and `missing` commands (`crates/cli/src/commands/case/render.rs`
//! calls these with its chosen language), so both word them the same way.

use fengqiao_core::actor::Actor;
use fengqiao_core::case::{CaseId, DisputeRef};
use fengqiao_core::read::{Change, Completeness};
use fengqiao_i18n::{Messages, tr_in};

use super::pages::yuan;

/// Who acted, for people (the same parts as the actor's English
/// `Display`: role, id, unit, name, on whose behalf): the certificate's
/// identity and display name (`leader p7 at 410411 (王书记)`), the node, or
/// the insecure mode's text marked unverified.
pub fn actor_text(m: &Messages, actor: &Actor) -> String {
    let mut text = match actor {
        Actor::Person { unit, role, id, name, .. } => {
            let who = tr_in!(
                m,
                "actor-person",
                role = m.name("role", role.as_str()),
                id = id.as_str(),
                unit = unit.to_string()
            );
            match name {
                Some(name) => tr_in!(m, "actor-named", who = who, name = name.to_string()),
                None => who,
            }
        }
        Actor::Node { unit, task } => {
            tr_in!(m, "actor-node", unit = unit.to_string(), task = m.name("node-task", task.as_str()))
        }
        Actor::Unverified { text: Some(text), .. } => tr_in!(m, "actor-unverified", text = text.as_str()),
        Actor::Unverified { text: None, .. } => tr_in!(m, "actor-insecure-operator"),
    };
    if let Some(principal) = actor.on_behalf_of() {
        text = tr_in!(m, "actor-on-behalf", who = text, principal = principal.to_string());
    }
    text
}

/// `UNIT@DATE#LOCAL_ID`, as `case register --from-report` takes it.
pub fn dispute_ref_text(source: &DisputeRef) -> String {
    format!("{}@{}#{}", source.unit_id, source.date, source.local_id)
}

/// What an event says beyond its kind, in a few words.
pub fn change_details(m: &Messages, change: &Change) -> String {
    let timing = |on_time: bool| if on_time { m.text("word-on-time") } else { m.text("word-overdue") };
    let cases = |ids: &[CaseId]| ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
    match change {
        Change::Progress {} => String::new(),
        Change::Registered { intake, accept_by, repeat } => {
            let mut text = m.name("category", intake.category.as_str());
            text.push(' ');
            text += &tr_in!(
                m,
                "detail-registered",
                channel = m.name("channel", intake.channel.as_str()),
                accept_by = accept_by.to_string()
            );
            if let Some(source) = &intake.source {
                text.push_str(&tr_in!(m, "detail-from-report", source = dispute_ref_text(source)));
            }
            if let Some(repeat) = repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()) {
                text.push_str(&tr_in!(m, "detail-repeat-of", cases = cases(&repeat.of_case_ids)));
            }
            text
        }
        Change::Accepted { deadline } => tr_in!(m, "detail-deadline", deadline = deadline.to_string()),
        Change::NotAccepted { reason } => tr_in!(m, "detail-reason", reason = reason.as_str()),
        Change::Assigned { leader, responsible, plan, deadline } => tr_in!(
            m,
            "detail-assigned",
            leader = leader.as_str(),
            responsible = responsible.as_str(),
            deadline = deadline.to_string(),
            plan = plan.as_str()
        ),
        Change::Extended { days, reason, deadline } => tr_in!(
            m,
            "detail-extended",
            days = *days,
            deadline = deadline.to_string(),
            reason = reason.as_str()
        ),
        Change::Escalated { to_unit_id, reason } => {
            tr_in!(m, "detail-escalated", unit = to_unit_id.to_string(), reason = reason.as_str())
        }
        Change::AssignedDown { to_unit_id, deadline } => {
            tr_in!(m, "detail-assigned-down", unit = to_unit_id.to_string(), deadline = deadline.to_string())
        }
        Change::Resolved { resolution, amount_recovered_cents, on_time } => {
            let mut text = timing(*on_time);
            if *amount_recovered_cents > 0 {
                text.push_str(&tr_in!(m, "detail-recovered", amount = yuan(*amount_recovered_cents)));
            }
            tr_in!(m, "detail-resolved", timing = text, resolution = resolution.as_str())
        }
        Change::Closed { satisfaction } => m.name("satisfaction", satisfaction.as_str()),
        Change::Reopened { reason, deadline } => {
            tr_in!(m, "detail-reopened", deadline = deadline.to_string(), reason = reason.as_str())
        }
        Change::ReviewRequested { reason, to_unit_id, review_by } => tr_in!(
            m,
            "detail-review-requested",
            unit = to_unit_id.to_string(),
            review_by = review_by.to_string(),
            reason = reason.as_str()
        ),
        Change::Reviewed { decision, deadline } => {
            let decision = m.name("review", decision.as_str());
            match deadline {
                None => decision,
                Some(deadline) => {
                    tr_in!(m, "detail-reviewed", decision = decision, deadline = deadline.to_string())
                }
            }
        }
        Change::Supervised { supervision_id, from_unit_id, kind, reply_by, sender } => {
            let mut text = tr_in!(
                m,
                "detail-supervised",
                supervision = supervision_id.as_str(),
                from = from_unit_id.to_string(),
                kind = m.name("supervision", kind.as_str()),
                reply_by = reply_by.to_string()
            );
            if let Some(sender) = sender {
                text.push_str(&tr_in!(m, "detail-issued-by", sender = sender.to_string()));
            }
            text
        }
        Change::SupervisionReplied { supervision_id } => {
            tr_in!(m, "detail-supervision-replied", supervision = supervision_id.as_str())
        }
        Change::RepeatFound { of_case_ids, window_days, since } => tr_in!(
            m,
            "detail-repeat-found",
            cases = cases(of_case_ids),
            days = *window_days,
            since = since.to_string()
        ),
        Change::TransferredToDepartment { department_id, reason, deadline } => tr_in!(
            m,
            "detail-transferred-to-department",
            department = department_id.to_string(),
            deadline = deadline.to_string(),
            reason = reason.as_str()
        ),
        Change::AssignedToDepartment { department_id, report_by } => tr_in!(
            m,
            "detail-assigned-to-department",
            department = department_id.to_string(),
            report_by = report_by.to_string()
        ),
        Change::DepartmentReported { department_id, report, on_time } => tr_in!(
            m,
            "detail-department-reported",
            department = department_id.to_string(),
            timing = timing(*on_time),
            report = report.as_str()
        ),
        Change::WorkingGroupSet { lead, members } => tr_in!(
            m,
            "detail-working-group",
            lead = lead.person.as_str(),
            members = members.iter().map(|member| member.person.as_str()).collect::<Vec<_>>().join(" ")
        ),
        Change::PublicReplied { text } => tr_in!(m, "detail-public-reply", text = text.as_str()),
        Change::ReceiptIssued {} => m.text("detail-receipt-issued"),
        Change::PetitionerRated { satisfaction } => {
            tr_in!(m, "detail-petitioner-rated", rating = m.name("satisfaction", satisfaction.as_str()))
        }
    }
}

/// The one sentence that sums up a day's completeness: expected, received,
/// on time, late and missing once the cut-off has passed; received so far
/// and outstanding before it. Instants in the answer's zone.
pub fn completeness_text(m: &Messages, day: &Completeness) -> String {
    let cutoff = day.cutoff.for_people();
    let (unit, date) = (day.unit_id.to_string(), day.date.to_string());
    if day.due {
        tr_in!(
            m,
            "missing-due",
            unit = unit.as_str(),
            date = date.as_str(),
            expected = day.expected,
            received = day.received,
            on_time = day.on_time,
            late = day.late.len(),
            missing = day.missing.len(),
            cutoff = cutoff
        )
    } else {
        tr_in!(
            m,
            "missing-not-due",
            unit = unit.as_str(),
            date = date.as_str(),
            cutoff = cutoff,
            received = day.received,
            expected = day.expected,
            missing = day.missing.len()
        )
    }
}
