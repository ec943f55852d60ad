//! The case service's department rules (转办, 交办, report back): the
//! department named exists on the day, a department's person reports back
//! only for their own department and lists only its cases.

use fengqiao_core::case::{Action, Case};
use fengqiao_core::department::DepartmentId;
use fengqiao_core::{DomainError, why};
use fengqiao_proto::pb::act_on_case_request::Action as PbAction;

use crate::caller::Caller;
use crate::{Node, NodeError};

/// The department of a department's person calling.
fn callers_department(caller: &Caller) -> Option<DepartmentId> {
    match caller {
        Caller::Verified(identity) => identity.department(),
        Caller::Insecure => None,
    }
}

/// `ReportBack`: an empty `department_id` is the caller's department (a
/// department's person); a department's person reports only for their own
/// department (PERMISSION_DENIED otherwise). A unit's own officers and
/// leaders report on a department's behalf by naming it.
pub(super) fn fill_report_back(caller: &Caller, action: Option<&mut PbAction>) -> Result<(), NodeError> {
    let Some(PbAction::ReportBack(report)) = action else { return Ok(()) };
    let Some(own) = callers_department(caller) else { return Ok(()) };
    if report.department_id.is_empty() {
        report.department_id = own.to_string();
        return Ok(());
    }
    let named = DepartmentId::parse_field(&report.department_id, "report_back.department_id")?;
    if named != own {
        let why = why!(
            DEPARTMENT_REPORTS_FOR_ITSELF,
            "a person of department {own} reports back only for it, not for {named}",
            own = own,
            named = named
        );
        tracing::warn!(caller = %caller, reason = %why, "permission denied");
        return Err(NodeError::Denied(why));
    }
    Ok(())
}

/// `TransferToDepartment`, `AssignToDepartment`: a department of the case's
/// owner unit must exist today (NOT_FOUND naming it); a department of
/// another unit is left to the case's rules (INVALID_ARGUMENT).
pub(super) fn check_action(node: &Node, case: &Case, action: &Action) -> Result<(), NodeError> {
    let department = match action {
        Action::TransferToDepartment { department, .. } | Action::AssignToDepartment { department, .. } => {
            department
        }
        _ => return Ok(()),
    };
    if department.unit != case.owner_unit {
        return Ok(());
    }
    let (_, today) = node.today();
    if node.departments().get(department, today).is_none() {
        return Err(DomainError::NotFound(why!(
            NO_SUCH_DEPARTMENT,
            "department {department} does not exist on {today}",
            department = department,
            today = today
        ))
        .into());
    }
    Ok(())
}

/// The department `ListCases` filters by: the one named, and for a
/// department's person always their own (naming another is PERMISSION_DENIED).
pub(super) fn list_filter(caller: &Caller, named: &str) -> Result<Option<DepartmentId>, NodeError> {
    let named = (!named.is_empty()).then(|| DepartmentId::parse_field(named, "department_id")).transpose()?;
    let Some(own) = callers_department(caller) else { return Ok(named) };
    match named {
        Some(named) if named != own => {
            let why = why!(
                DEPARTMENT_LISTS_ITS_OWN,
                "a person of department {own} lists only its cases, not those of {named}",
                own = own,
                named = named
            );
            tracing::warn!(caller = %caller, reason = %why, "permission denied");
            Err(NodeError::Denied(why))
        }
        _ => Ok(Some(own)),
    }
}
