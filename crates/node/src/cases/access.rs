//! Who may read or supervise a case beyond the module table of
//! [`fengqiao_core::authz`] (issue 20), in one place:
//!
//! - **working groups (专门工作组)**: the lead and the members of a case's
//!   working group read it (`GetCase` without the petitioner, and
//!   `ListCases` lists it for them) wherever their unit or department lies;
//!   they never see the petitioner unless their unit holds the case;
//! - **contact leaders (包片)**: a leader with a contact duty in force today
//!   on the township the case's owner lies in, or on the case's key project,
//!   may issue a supervision notice (督办) on it, even where "leader, below"
//!   would not let them.
//!
//! Everything else is the table's: these only ever allow more, for the
//! callers named, and the role must still have the RPC at all
//! ([`Node::authorize_rpc`]), which the handlers check first.

use fengqiao_core::authz::Rpc;
use fengqiao_core::case::Case;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_core::unit::Tier;
use fengqiao_store::CasePeopleFilter;

use super::wire::case_target;
use crate::caller::Caller;
use crate::{Node, NodeError};

/// Whether `caller` may read `case` with `rpc` (`GetCase`, with or without
/// the petitioner): a working group's people read it without the
/// petitioner; everyone else as the table says for the case's units.
pub(crate) fn authorize_case_read(
    node: &Node,
    caller: &Caller,
    rpc: Rpc,
    case: &Case,
) -> Result<(), NodeError> {
    if rpc == (Rpc::GetCase { with_petitioner: false })
        && let Caller::Verified(identity) = caller
        && case.in_working_group(identity)
    {
        return Ok(());
    }
    node.authorize_case(caller, rpc, case)
}

/// The `ListCases` filter that adds the cases whose working group names
/// the caller (person, unit, department or empty).
pub(crate) fn group_reader(caller: &Caller) -> CasePeopleFilter {
    let group_member = match caller {
        Caller::Verified(identity @ Identity::Person { id, unit, .. }) => Some((
            id.clone(),
            unit.to_string(),
            identity.department().map(|d| d.to_string()).unwrap_or_default(),
        )),
        _ => None,
    };
    CasePeopleFilter { group_member, ..CasePeopleFilter::default() }
}

/// Whether `caller` may supervise `case`: the table's "leader, below", or
/// the contact leader of the case's township or project.
pub(crate) async fn authorize_supervision(
    node: &Node,
    caller: &Caller,
    case: &Case,
) -> Result<(), NodeError> {
    if let Caller::Verified(Identity::Person { id, role: Role::Leader, dept: None, .. }) = caller
        && is_contact_leader(node, id, case).await?
    {
        tracing::info!(case = %case.id, "supervision by the contact leader of the area");
        return Ok(());
    }
    node.authorize_caller(caller, Rpc::Supervise, case_target(case))
}

/// Whether `leader` has a duty in force today on the township `case`'s
/// owner lies in (or is), or on the case's project.
pub(crate) async fn is_contact_leader(node: &Node, leader: &str, case: &Case) -> Result<bool, NodeError> {
    let (_, today) = node.today();
    let duties = node.store().contact_duties(Some(leader), Some(today)).await?;
    if duties.is_empty() {
        return Ok(false);
    }
    let township = township_of(node, case.owner_unit.as_str());
    Ok(duties.iter().any(|duty| {
        (duty.unit_id.is_some() && duty.unit_id == township)
            || (duty.project_id.is_some() && duty.project_id == case.intake.project)
    }))
}

/// The township (tier 2) `unit` is or lies in, in the node's tree.
pub(crate) fn township_of(node: &Node, unit: &str) -> Option<String> {
    let tree = node.tree();
    let own = tree.get(unit)?;
    if own.tier == Tier::Township {
        return Some(own.id.to_string());
    }
    tree.ancestors(unit).into_iter().find(|u| u.tier == Tier::Township).map(|u| u.id.to_string())
}

/// A working group's lead and members name units of this node's tree, and
/// departments that exist today (NOT_FOUND naming the first that does not).
pub(crate) fn check_group_units(
    node: &Node,
    lead: &fengqiao_core::case::GroupMember,
    members: &[fengqiao_core::case::GroupMember],
) -> Result<(), NodeError> {
    let tree = node.tree();
    for member in std::iter::once(lead).chain(members) {
        if tree.get(member.unit.as_str()).is_none() {
            return Err(fengqiao_core::DomainError::NotFound(fengqiao_core::why!(
                GROUP_MEMBER_UNIT_NOT_IN_TREE,
                "working group member {person}: unit {unit} is not in the tree of this node (home {home})",
                person = member.person,
                unit = member.unit,
                home = tree.root_id()
            ))
            .into());
        }
        if let Some(department) = &member.department {
            let (_, today) = node.today();
            if node.departments().get(department, today).is_none() {
                return Err(fengqiao_core::DomainError::NotFound(fengqiao_core::why!(
                    NO_SUCH_DEPARTMENT,
                    "department {department} does not exist on {today}",
                    department = department,
                    today = today
                ))
                .into());
            }
        }
    }
    Ok(())
}
