//! The ledger's application: an action decided on a case this node holds,
//! stored with its audit record (and queued for the parent) in one
//! transaction, and handed down when it went to a child node. Functions
//! over a [`Node`], called with [`Node::case_lock`] held.

use chrono::{DateTime, Utc};
use fengqiao_core::actor::Actor;
use fengqiao_core::case::{
    Action, Case, CaseEvent, CaseId, Context, EventKind, Intake, Petitioner, RepeatLink,
};
use fengqiao_core::why;
use fengqiao_core::{DomainError, UnitId};
use fengqiao_proto::pb::CaseHandover;
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_store::CaseEventItem;
use tracing::info;

use crate::audit::Auditor;
use crate::downlink_log;
use crate::{Node, NodeError};

/// Who acts and what they add.
pub(super) struct Who {
    pub(super) actor: Actor,
    pub(super) note: String,
}

/// A case this node has in its ledger, or NOT_FOUND.
pub(super) async fn stored_case(node: &Node, id: &CaseId) -> Result<fengqiao_store::StoredCase, NodeError> {
    node.store().get_case(id).await?.ok_or_else(|| {
        DomainError::NotFound(why!(
            CASE_NOT_IN_THIS_NODE_S,
            "case {id} is not in this node's ledger",
            id = id
        ))
        .into()
    })
}

/// Refuses to write a case this node does not hold, naming its owner.
pub(super) fn require_held(node: &Node, case: &Case) -> Result<(), NodeError> {
    if node.holds(case.owner_unit.as_str()) {
        return Ok(());
    }
    let why = match node.delegated_to(case.owner_unit.as_str()) {
        Some(node_unit) => why!(
            CASE_HELD_BELOW,
            "case {case} is {status} and owned by unit {owner}, which the node of unit {node_unit} holds; act there",
            case = case.id,
            status = case.status,
            owner = case.owner_unit,
            node_unit = node_unit
        ),
        None => why!(
            CASE_HELD_ABOVE,
            "case {case} is {status} and owned by unit {owner}, which an upper tier's node holds; act there",
            case = case.id,
            status = case.status,
            owner = case.owner_unit
        ),
    };
    Err(DomainError::FailedPrecondition(why).into())
}

/// The acting context for a case owned by `owner`.
pub(super) async fn context<'a>(
    node: &Node,
    owner: &UnitId,
    who: Who,
    is_below_owner: &'a (dyn Fn(&UnitId) -> bool + Sync),
) -> Result<Context<'a>, NodeError> {
    let (at, on) = node.today();
    let owner_parent = if owner.as_str() == node.config().home_unit {
        node.parent_unit().await?
    } else {
        node.tree().get(owner.as_str()).and_then(|unit| unit.parent.clone())
    };
    Ok(Context {
        at,
        on,
        actor: who.actor,
        note: who.note,
        owner_parent,
        is_below_owner,
        policy: node.config().cases.deadlines,
    })
}

/// Decides `action` on a held case and stores the event (queued for the
/// parent, audited as `by`'s); then hands the case down when it went to
/// a child node. Call with the case lock held.
pub(super) async fn act(
    node: &Node,
    case: &Case,
    action: Action,
    who: Who,
    by: &Auditor,
) -> Result<(Case, CaseEvent), NodeError> {
    require_held(node, case)?;
    let tree = node.tree();
    let owner = case.owner_unit.clone();
    let below = move |unit: &UnitId| unit != &owner && tree.is_within(unit.as_str(), owner.as_str());
    let ctx = context(node, &case.owner_unit, who, &below).await?;
    let event = case.decide(action, &ctx)?;
    store_own(node, event.clone(), None, by).await?;
    let mut updated = case.clone();
    updated.apply(&event)?;
    if let EventKind::AssignedDown { to, .. } = &event.kind {
        hand_down(node, &updated.id, to, event.at, by).await?;
    }
    Ok((updated, event))
}

/// Stores an event this node wrote, audited as `by`'s.
pub(super) async fn store_own(
    node: &Node,
    event: CaseEvent,
    petitioner: Option<Petitioner>,
    by: &Auditor,
) -> Result<(), NodeError> {
    let forward = node.config().parent.is_some();
    let audit = by.event_record(node, &event);
    let mut results =
        node.store().apply_case_events(vec![CaseEventItem { event, petitioner, audit }], forward).await?;
    match results.pop() {
        Some(Ok(_)) => {
            node.committer().committed().notify_waiters();
            Ok(())
        }
        Some(Err(refusal)) => Err(refusal.into()),
        None => {
            Err(DomainError::FailedPrecondition(why!(EVENT_WAS_NOT_STORED, "the event was not stored"))
                .into())
        }
    }
}

/// Appends a handover of the whole case to the downlink log when `to`
/// is served by a child node.
pub(super) async fn hand_down(
    node: &Node,
    id: &CaseId,
    to: &UnitId,
    at: DateTime<Utc>,
    by: &Auditor,
) -> Result<(), NodeError> {
    if node.delegated_to(to.as_str()).is_none() {
        return Ok(());
    }
    let stored = stored_case(node, id).await?;
    let petitioner = node.store().case_petitioner(id).await?;
    let handover = CaseHandover {
        events: stored.events.iter().map(fengqiao_proto::pb::CaseEvent::from).collect(),
        petitioner: petitioner.as_ref().map(fengqiao_proto::pb::Petitioner::from),
    };
    let audit = by.record(node, handover_target(id, handover.events.len(), to));
    downlink_log::append(node, to, Body::CaseHandover(handover), at, audit).await
}

/// Registers a case at a unit this node holds. With the case lock held.
/// Returns the case and, when it was created now, its receipt's query code
/// (drawn here, stored only as its hash in the registration): a retry of a
/// registration gets the case and no code.
pub(super) async fn register(
    node: &Node,
    requested_id: Option<CaseId>,
    mut intake: Intake,
    petitioner: Option<(Petitioner, String)>,
    who: Who,
    by: &Auditor,
) -> Result<(Case, Option<String>), NodeError> {
    let (at, on) = node.today();
    let id = match requested_id {
        Some(id) => id,
        None => {
            let prefix = format!("{}-{}-", intake.origin_unit, on.format("%Y%m%d"));
            let n = node.store().count_cases_with_prefix(&prefix).await? + 1;
            CaseId::parse(&format!("{prefix}{n}"))?
        }
    };
    intake.petitioner_ref = petitioner.as_ref().map(|(_, reference)| reference.clone());
    if let Some(existing) = node.store().get_case(&id).await? {
        // A retry of the same registration answers with the case.
        return if existing.case.intake == intake {
            Ok((existing.case, None))
        } else {
            Err(DomainError::AlreadyExists(why!(
                CASE_ALREADY_REGISTERED_WITH_OTHER_CONTENT,
                "case {id} is already registered with other content",
                id = id
            ))
            .into())
        };
    }
    let policy = node.config().cases.deadlines;
    let repeat = match &intake.petitioner_ref {
        Some(reference) => {
            let since = RepeatLink::window_start(on, policy.repeat_window_days);
            let earlier = node.store().find_repeats(reference, intake.category, since).await?;
            RepeatLink::decide(
                on,
                policy.repeat_window_days,
                earlier.into_iter().filter(|e| e != &id).collect(),
            )
        }
        None => None,
    };
    let nobody_below = |_: &UnitId| false;
    let mut ctx = context(node, &intake.origin_unit, who, &nobody_below).await?;
    ctx.at = at;
    ctx.on = on;
    let mut event = Case::register(id, intake, repeat, &ctx)?;
    let code = crate::tracker::draw_code();
    if let EventKind::Registered { receipt, .. } = &mut event.kind {
        *receipt = Some(fengqiao_core::receipt::hash(event.case_id.as_str(), &code));
    }
    let case = Case::start(&event)?;
    if case.repeat.is_some() {
        info!(case = %case.id, "repeat petition registered");
    }
    store_own(node, event, petitioner.map(|(p, _)| p), by).await?;
    Ok((case, Some(code)))
}

/// The audit target of a handover queued for a child node.
pub(super) fn handover_target(case_id: impl std::fmt::Display, events: usize, to: &UnitId) -> String {
    format!("downlink case_handover case {case_id} events={events} to {to}")
}
