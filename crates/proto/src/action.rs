//! The action of an `ActOnCaseRequest` (its `action` oneof) into the domain
//! [`Action`]. The fields of each action sit below its oneof name, as the
//! client sent them: `decline.reason`, `assign_down.to_unit_id`.

use fengqiao_core::DomainError;
use fengqiao_core::case::{Action, ReviewDecision, Satisfaction};
use fengqiao_core::department::DepartmentId;

use crate::enums::WireEnum;
use crate::pb::act_on_case_request::Action as PbAction;
use crate::scalars::{parse_date, parse_optional_date, parse_text, parse_unit_id};
use crate::{convert_each, required_at};

/// Field paths are those of the request (a oneof's cases are fields of the
/// message that holds it), so convert with `Action::try_from` directly; an
/// absent action is [`crate::required`]`(request.action, "action")`.
impl TryFrom<PbAction> for Action {
    type Error = DomainError;

    fn try_from(action: PbAction) -> Result<Self, DomainError> {
        Ok(match action {
            PbAction::Accept(_) => Action::Accept,
            PbAction::Decline(d) => Action::Decline { reason: parse_text(d.reason, "decline.reason")? },
            PbAction::Assign(a) => Action::Assign {
                leader: parse_text(a.leader, "assign.leader")?,
                responsible: parse_text(a.responsible, "assign.responsible")?,
                plan: parse_text(a.plan, "assign.plan")?,
                deadline: parse_optional_date(&a.deadline, "assign.deadline")?,
            },
            PbAction::Progress(_) => Action::Progress,
            PbAction::Extend(e) => {
                Action::Extend { days: e.days, reason: parse_text(e.reason, "extend.reason")? }
            }
            PbAction::Escalate(e) => Action::Escalate { reason: parse_text(e.reason, "escalate.reason")? },
            PbAction::AssignDown(a) => Action::AssignDown {
                to: parse_unit_id(&a.to_unit_id, "assign_down.to_unit_id")?,
                deadline: parse_optional_date(&a.deadline, "assign_down.deadline")?,
            },
            PbAction::Resolve(r) => Action::Resolve {
                resolution: parse_text(r.resolution, "resolve.resolution")?,
                amount_recovered_cents: r.amount_recovered_cents,
            },
            PbAction::Close(c) => {
                Action::Close { satisfaction: Satisfaction::from_wire(c.satisfaction, "close.satisfaction")? }
            }
            PbAction::Reopen(r) => Action::Reopen { reason: parse_text(r.reason, "reopen.reason")? },
            PbAction::RequestReview(r) => {
                Action::RequestReview { reason: parse_text(r.reason, "request_review.reason")? }
            }
            PbAction::DecideReview(d) => Action::DecideReview {
                decision: ReviewDecision::from_wire(d.decision, "decide_review.decision")?,
            },
            PbAction::ReplySupervision(r) => Action::ReplySupervision {
                supervision_id: parse_text(r.supervision_id, "reply_supervision.supervision_id")?,
            },
            PbAction::TransferToDepartment(t) => Action::TransferToDepartment {
                department: DepartmentId::parse_field(
                    &t.department_id,
                    "transfer_to_department.department_id",
                )?,
                reason: parse_text(t.reason, "transfer_to_department.reason")?,
                deadline: parse_optional_date(&t.deadline, "transfer_to_department.deadline")?,
            },
            PbAction::AssignToDepartment(a) => Action::AssignToDepartment {
                department: DepartmentId::parse_field(
                    &a.department_id,
                    "assign_to_department.department_id",
                )?,
                report_by: parse_date(&a.report_by, "assign_to_department.report_by")?,
            },
            // The node fills an empty department_id from the caller's certificate first.
            PbAction::ReportBack(r) => Action::ReportBack {
                department: DepartmentId::parse_field(&r.department_id, "report_back.department_id")?,
                report: parse_text(r.report, "report_back.report")?,
            },
            PbAction::SetWorkingGroup(g) => Action::SetWorkingGroup {
                lead: required_at(g.lead, "set_working_group.lead")?,
                members: convert_each(g.members, "set_working_group.members")?,
            },
            PbAction::ReplyToPetitioner(r) => {
                Action::ReplyToPetitioner { text: parse_text(r.text, "reply_to_petitioner.text")? }
            }
            // The node draws the code and puts its hash here.
            PbAction::IssueReceipt(_) => Action::IssueReceipt { receipt: String::new() },
        })
    }
}
