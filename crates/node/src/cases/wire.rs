//! Wire conversion for the case service: request fields into domain values
//! (and refusals named by the fields the client sent), rows from wire
//! messages. No I/O here but reading the tree a row names.

use chrono::{DateTime, Utc};
use fengqiao_core::case::{Case, CaseId, Petitioner, SupervisionKind};
use fengqiao_core::why;
use fengqiao_core::{DomainError, UnitId};
use fengqiao_proto::pb::act_on_case_request::Action as PbAction;
use fengqiao_proto::pb::{CaseHandover, RosterEntry, SupervisionNotice};
use fengqiao_proto::{WireEnum, actor_from_pb, convert_at, parse_date, parse_text, parse_unit_id};
use fengqiao_store::{RosterRow, SupervisionRow};

use crate::{Node, NodeError};
use fengqiao_core::authz::{CaseAction, Target};

/// The petitioner's data and reference from a request, if any.
pub(super) fn petitioner_of(
    node: &Node,
    petitioner: Option<fengqiao_proto::pb::Petitioner>,
) -> Result<Option<(Petitioner, String)>, NodeError> {
    let Some(petitioner) =
        petitioner.filter(|p| !(p.name.is_empty() && p.phone.is_empty() && p.id_number.is_empty()))
    else {
        return Ok(None);
    };
    let petitioner: Petitioner = convert_at(petitioner, "petitioner")?;
    let reference =
        fengqiao_core::case::petitioner_ref(&node.config().cases.petitioner_secret, &petitioner.id_number);
    Ok(Some((petitioner, reference)))
}

/// What an `ActOnCase` request asks for, to authorize it before anything is read.
pub(super) fn case_action(action: Option<&PbAction>) -> Result<CaseAction, DomainError> {
    let action = action.ok_or_else(|| DomainError::invalid("action", why!(MUST_BE_SET, "must be set")))?;
    Ok(match action {
        PbAction::Accept(_) => CaseAction::Accept,
        PbAction::Decline(_) => CaseAction::Decline,
        PbAction::Assign(_) => CaseAction::Assign,
        PbAction::Progress(_) => CaseAction::Progress,
        PbAction::Extend(_) => CaseAction::Extend,
        PbAction::Escalate(_) => CaseAction::Escalate,
        PbAction::AssignDown(_) => CaseAction::AssignDown,
        PbAction::Resolve(_) => CaseAction::Resolve,
        PbAction::Close(_) => CaseAction::Close,
        PbAction::Reopen(_) => CaseAction::Reopen,
        PbAction::RequestReview(_) => CaseAction::RequestReview,
        PbAction::DecideReview(_) => CaseAction::DecideReview,
        PbAction::ReplySupervision(_) => CaseAction::ReplySupervision,
        PbAction::TransferToDepartment(_) => CaseAction::TransferToDepartment,
        PbAction::AssignToDepartment(_) => CaseAction::AssignToDepartment,
        PbAction::ReportBack(_) => CaseAction::ReportBack,
        PbAction::SetWorkingGroup(_) => CaseAction::SetWorkingGroup,
        PbAction::ReplyToPetitioner(_) => CaseAction::ReplyToPetitioner,
        PbAction::IssueReceipt(_) => CaseAction::IssueReceipt,
    })
}

/// The target of a case RPC: its owner now and the unit that registered it.
pub(super) fn case_target(case: &Case) -> Target<'_> {
    Target::Case { owner: case.owner_unit.as_str(), origin: case.intake.origin_unit.as_str() }
}

/// The name of an action's case in the request's `action` oneof, which the
/// fields of the action sit under on the wire (`decline.reason`).
pub(super) fn action_wire_name(action: &PbAction) -> &'static str {
    match action {
        PbAction::Accept(_) => "accept",
        PbAction::Decline(_) => "decline",
        PbAction::Assign(_) => "assign",
        PbAction::Progress(_) => "progress",
        PbAction::Extend(_) => "extend",
        PbAction::Escalate(_) => "escalate",
        PbAction::AssignDown(_) => "assign_down",
        PbAction::Resolve(_) => "resolve",
        PbAction::Close(_) => "close",
        PbAction::Reopen(_) => "reopen",
        PbAction::RequestReview(_) => "request_review",
        PbAction::DecideReview(_) => "decide_review",
        PbAction::ReplySupervision(_) => "reply_supervision",
        PbAction::TransferToDepartment(_) => "transfer_to_department",
        PbAction::AssignToDepartment(_) => "assign_to_department",
        PbAction::ReportBack(_) => "report_back",
        PbAction::SetWorkingGroup(_) => "set_working_group",
        PbAction::ReplyToPetitioner(_) => "reply_to_petitioner",
        PbAction::IssueReceipt(_) => "issue_receipt",
    }
}

/// A refusal of an action's field (`reason`) named as the client sent it
/// (`decline.reason`); the request's own `note` keeps its name.
pub(super) fn within_action(error: NodeError, wire_name: &str) -> NodeError {
    match error {
        NodeError::Domain(DomainError::Invalid { field, reason }) if field != "note" => {
            NodeError::Domain(DomainError::Invalid { field: format!("{wire_name}.{field}"), reason })
        }
        other => other,
    }
}

/// A refusal of the intake a visit makes, named by the visit's own fields
/// (`summary`, `category`, `unit_id`).
pub(super) fn visit_field(error: NodeError) -> NodeError {
    match error {
        NodeError::Domain(DomainError::Invalid { field, reason }) => {
            let field = match field.strip_prefix("intake.") {
                Some("origin_unit_id") => "unit_id".to_owned(),
                Some(rest) => rest.to_owned(),
                None => field,
            };
            NodeError::Domain(DomainError::Invalid { field, reason })
        }
        other => other,
    }
}

/// The case a handover carries (its events' case id), for the audit log.
pub(super) fn events_case_id(handover: &CaseHandover) -> &str {
    handover.events.first().map_or("?", |e| e.case_id.as_str())
}

pub(super) fn parse_page_token(token: &str) -> Result<(DateTime<Utc>, CaseId), DomainError> {
    let bad = || {
        DomainError::invalid(
            "page_token",
            why!(NOT_TOKEN_THIS_NODE_GAVE_OUT, "is not a token this node gave out"),
        )
    };
    let (at, id) = token.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
    Ok((at, CaseId::parse(id).map_err(|_| bad())?))
}

pub(super) fn roster_row(node: &Node, entry: &RosterEntry, path: &str) -> Result<RosterRow, NodeError> {
    let unit = parse_unit_id(&entry.unit_id, &format!("{path}.unit_id"))?;
    node.served_unit(unit.as_str())?;
    let date = parse_date(&entry.date, &format!("{path}.date"))?;
    let leader = parse_text(entry.leader.clone(), &format!("{path}.leader"))?;
    fengqiao_core::case::check_name(&leader, &format!("{path}.leader"))?;
    Ok(RosterRow { unit_id: unit.to_string(), duty_date: date, leader })
}

/// A supervision notice as stored; a malformed one (from the downlink) is refused.
pub(super) fn supervision_row(
    notice: &SupervisionNotice,
    owner: &UnitId,
    at: DateTime<Utc>,
) -> Result<SupervisionRow, DomainError> {
    Ok(SupervisionRow {
        supervision_id: notice.supervision_id.clone(),
        case_id: notice.case_id.clone(),
        from_unit_id: notice.from_unit_id.clone(),
        to_unit_id: owner.to_string(),
        kind: SupervisionKind::from_wire(notice.kind, "supervision.kind")?.as_str().to_owned(),
        reply_by: parse_date(&notice.reply_by, "supervision.reply_by")?,
        text: notice.text.clone(),
        sender: actor_from_pb(notice.sender.clone(), &notice.actor, "supervision.sender")?,
        issued_at: at,
    })
}
