//! How cases move between nodes: the receivers of what child nodes push up
//! ([`apply_pushed`], through the uplink) and of what the parent's downlink
//! sends down ([`receive_handover`], [`receive_supervision`],
//! [`receive_roster`], [`receive_repeat_flag`]), repeat detection over the
//! subtree, and the petitioner the forwarder sends up with an event.
//!
//! One direction: [`crate::downlink`], [`crate::uplink`] and
//! [`crate::forwarder`] call in here; this module sends down only by
//! appending to [`crate::downlink_log`] and imports nothing of theirs.

use chrono::{DateTime, Days, NaiveDate, Utc};
use fengqiao_core::actor::{Actor, NodeTask};
use fengqiao_core::case::{
    Action, CaseEvent, CaseId, EventKind, Petitioner, RepeatFlag, RepeatLink, SupervisionKind, repeat_flags,
};
use fengqiao_core::{DomainError, UnitId};
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_proto::pb::{CaseHandover, RepeatFlag as PbRepeatFlag, RosterEntry, SupervisionNotice};
use fengqiao_proto::{WireEnum, actor_from_pb, convert_at, convert_each, parse_date, parse_unit_id, pb};
use fengqiao_store::{CaseApplied, CaseEventItem};
use tracing::{info, warn};

use super::ledger::{self, Who};
use super::wire::{events_case_id, roster_row, supervision_row};
use crate::audit::{Auditor, rpc};
use crate::downlink_log;
use crate::{Node, NodeError};

/// Delivers a supervision notice toward the case's owner: down the
/// downlink when a child node serves it, else recorded on the case here.
pub(super) async fn deliver_supervision(
    node: &Node,
    owner: &UnitId,
    notice: SupervisionNotice,
    at: DateTime<Utc>,
    by: &Auditor,
) -> Result<(), NodeError> {
    if node.delegated_to(owner.as_str()).is_some() {
        let target =
            format!("downlink supervision {} of case {} to {owner}", notice.supervision_id, notice.case_id);
        return downlink_log::append(node, owner, Body::Supervision(notice), at, by.record(node, target))
            .await;
    }
    let id = CaseId::parse_field(&notice.case_id, "supervision.case_id")?;
    let _guard = node.case_lock().await;
    let Some(stored) = node.store().get_case(&id).await? else {
        warn!(case = %id, "supervision for a case this node does not have; kept without a case event");
        return Ok(());
    };
    if !node.holds(stored.case.owner_unit.as_str()) {
        // The case moved on meanwhile; the notice stays on record here.
        return Ok(());
    }
    if stored.case.supervisions.iter().any(|s| s.id == notice.supervision_id) {
        return Ok(());
    }
    let from = UnitId::parse_field(&notice.from_unit_id, "supervision.from_unit_id")?;
    let action = Action::Supervised {
        supervision_id: notice.supervision_id.clone(),
        from: from.clone(),
        kind: SupervisionKind::from_wire(notice.kind, "supervision.kind")?,
        reply_by: parse_date(&notice.reply_by, "supervision.reply_by")?,
        sender: Some(actor_from_pb(notice.sender, &notice.actor, "supervision.sender")?),
    };
    // The issuing tier's node delivers the notice; its sender is in the event.
    let who = Who { actor: Actor::node(from, NodeTask::Supervision), note: notice.text };
    ledger::act(node, &stored.case, action, who, by).await?;
    Ok(())
}

/// A supervision notice from the parent's downlink.
pub(crate) async fn receive_supervision(
    node: &Node,
    target: &UnitId,
    notice: SupervisionNotice,
) -> Result<(), NodeError> {
    let (at, _) = node.today();
    let by = Auditor::downlink(node, "supervision");
    let audit =
        by.record(node, format!("case {} supervision {} to {target}", notice.case_id, notice.supervision_id));
    node.store().insert_supervision(&supervision_row(&notice, target, at)?, audit).await?;
    deliver_supervision(node, target, notice, at, &by).await?;
    Ok(())
}

/// A case handed down by the parent: stores its events (not forwarding them
/// back up), keeps the petitioner when this node now holds the case, and
/// relays the handover when a child node serves the target.
pub(crate) async fn receive_handover(
    node: &Node,
    target: &UnitId,
    handover: CaseHandover,
) -> Result<(), NodeError> {
    let events: Vec<CaseEvent> = convert_each(handover.events.clone(), "case_handover.events")?;
    let holds = node.holds(target.as_str());
    let petitioner = match (&handover.petitioner, holds) {
        (Some(p), true) => Some(convert_at::<_, Petitioner>(p.clone(), "case_handover.petitioner")?),
        _ => None,
    };
    let count = events.len();
    let by = Auditor::downlink(node, "case_handover");
    let items = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| CaseEventItem {
            audit: by.event_record(node, &event),
            event,
            petitioner: if i + 1 == count { petitioner.clone() } else { None },
        })
        .collect();
    let _guard = node.case_lock().await;
    for (i, result) in node.store().apply_case_events(items, false).await?.into_iter().enumerate() {
        if let Err(refusal) = result {
            warn!(%refusal, event = i, "a handed-down case event conflicts with the stored one; kept the stored");
        }
    }
    drop(_guard);
    if !holds {
        let (at, _) = node.today();
        let audit = by.record(node, ledger::handover_target(events_case_id(&handover), count, target));
        downlink_log::append(node, target, Body::CaseHandover(handover), at, audit).await?;
    }
    Ok(())
}

/// A roster entry from the parent's downlink.
pub(crate) async fn receive_roster(node: &Node, entry: RosterEntry) -> Result<(), NodeError> {
    let unit = parse_unit_id(&entry.unit_id, "roster.unit_id")?;
    let by = Auditor::downlink(node, "roster");
    if node.delegated_to(unit.as_str()).is_some() {
        let (at, _) = node.today();
        let audit = by.record(node, format!("downlink roster {}@{}", entry.unit_id, entry.date));
        return downlink_log::append(node, &unit, Body::Roster(entry), at, audit).await;
    }
    let row = roster_row(node, &entry, "roster")?;
    let audit = by.record(node, format!("roster {}@{}", entry.unit_id, entry.date));
    node.store().set_roster(&[row], audit).await?;
    Ok(())
}

/// Applies case events pushed by a child node (after the uplink checked the
/// sender). A petitioner is kept only when the event hands the case to a
/// unit this node holds. Then looks for repeat petitions around every case
/// whose registration or change of hands arrived ([`detect_repeats`]) —
/// resent ones included, so a push that failed after its commit finds them
/// when the child sends it again. Returns the outcome of each, in order.
pub(crate) async fn apply_pushed(
    node: &Node,
    items: Vec<(CaseEvent, Option<fengqiao_proto::pb::Petitioner>)>,
    by: &Auditor,
) -> Result<Vec<Result<CaseApplied, DomainError>>, NodeError> {
    let mut arrived: Vec<CaseId> = items
        .iter()
        .filter(|(event, _)| {
            matches!(event.kind, EventKind::Registered { .. }) || event.kind.new_owner().is_some()
        })
        .map(|(event, _)| event.case_id.clone())
        .collect();
    arrived.dedup();
    let mut batch = Vec::with_capacity(items.len());
    for (i, (event, petitioner)) in items.into_iter().enumerate() {
        let arriving = event.kind.new_owner().is_some_and(|to| node.holds(to.as_str()));
        let petitioner = match petitioner {
            Some(p) if arriving => {
                Some(convert_at::<_, Petitioner>(p, &format!("items[{i}].case_event.petitioner"))?)
            }
            _ => None,
        };
        batch.push(CaseEventItem { audit: by.event_record(node, &event), event, petitioner });
    }
    let forward = node.config().parent.is_some();
    let guard = node.case_lock().await;
    let results = node.store().apply_case_events(batch, forward).await?;
    drop(guard);
    detect_repeats(node, arrived).await?;
    Ok(results)
}

/// Repeat detection over this node's whole ledger (its subtree) around each
/// of `cases`: every repeat petition its ledger shows that the case
/// concerned does not record yet ([`repeat_flags`]) goes to the node that
/// holds that case — recorded here when this node holds it, sent down the
/// downlink when a child node does; a case held above this node is left to
/// its holder, an ancestor whose ledger holds everything this one does and
/// which looks again when the case reaches it.
pub async fn detect_repeats(node: &Node, cases: Vec<CaseId>) -> Result<(), NodeError> {
    let window = node.config().cases.deadlines.repeat_window_days;
    let home = UnitId::parse(&node.config().home_unit)?;
    let by = Auditor::internal("repeat-detection", rpc::REPEAT_FOUND);
    for id in cases {
        let Some(stored) = node.store().get_case(&id).await? else { continue };
        let case = stored.case;
        let Some(reference) = &case.intake.petitioner_ref else { continue };
        let from = RepeatLink::window_start(case.registered_on, window);
        let to = case.registered_on.checked_add_days(Days::new(u64::from(window))).unwrap_or(NaiveDate::MAX);
        let others = node.store().cases_of_petitioner(reference, case.intake.category, from, to).await?;
        for flag in repeat_flags(&case, &others, window) {
            let owner = if flag.case == case.id {
                case.owner_unit.clone()
            } else {
                match others.iter().find(|other| other.id == flag.case) {
                    Some(other) => other.owner_unit.clone(),
                    None => continue,
                }
            };
            info!(case = %flag.case, of = flag.of.len(), "repeat petition found over the subtree");
            deliver_repeat_flag(node, &owner, &home, flag, &by).await?;
        }
    }
    Ok(())
}

/// Takes a repeat flag found by the node of `found_by` toward the node
/// holding its case, whose owner (as known here) is `owner`, audited as
/// `by`'s. Returns the event when it was recorded here.
async fn deliver_repeat_flag(
    node: &Node,
    owner: &UnitId,
    found_by: &UnitId,
    flag: RepeatFlag,
    by: &Auditor,
) -> Result<Option<CaseEvent>, NodeError> {
    if node.holds(owner.as_str()) {
        return record_repeat_flag(node, found_by, flag, by).await;
    }
    if node.delegated_to(owner.as_str()).is_some() {
        let body = Body::RepeatFlag(PbRepeatFlag {
            case_id: flag.case.to_string(),
            of_case_ids: flag.of.iter().map(ToString::to_string).collect(),
            window_days: flag.window_days,
            since: flag.since.to_string(),
            found_by_unit_id: found_by.to_string(),
        });
        let (at, _) = node.today();
        let target = format!("downlink repeat_flag case {} to {owner}", flag.case);
        downlink_log::append(node, owner, body, at, by.record(node, target)).await?;
        return Ok(None);
    }
    tracing::debug!(case = %flag.case, %owner, "case held above this node; its holder looks for repeats itself");
    Ok(None)
}

/// Records a repeat flag on a case this node holds as its `repeat_found`
/// event (acted by the node that found it). A flag that links nothing new —
/// a replay, or what another tier found first — changes nothing.
async fn record_repeat_flag(
    node: &Node,
    found_by: &UnitId,
    flag: RepeatFlag,
    by: &Auditor,
) -> Result<Option<CaseEvent>, NodeError> {
    let _guard = node.case_lock().await;
    let Some(stored) = node.store().get_case(&flag.case).await? else {
        warn!(case = %flag.case, "repeat flag for a case this node does not have; skipped");
        return Ok(None);
    };
    if !node.holds(stored.case.owner_unit.as_str()) {
        // The case moved on meanwhile; its new holder's ancestors look again.
        return Ok(None);
    }
    let who = Who { actor: Actor::node(found_by.clone(), NodeTask::RepeatDetection), note: String::new() };
    match ledger::act(node, &stored.case, flag.action(), who, by).await {
        Ok((_, event)) => Ok(Some(event)),
        Err(NodeError::Domain(DomainError::AlreadyExists(_))) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A repeat flag from the parent's downlink: recorded when this node holds
/// the case, relayed toward the node that holds it otherwise.
pub(crate) async fn receive_repeat_flag(
    node: &Node,
    target: &UnitId,
    flag: PbRepeatFlag,
) -> Result<(), NodeError> {
    let case = CaseId::parse_field(&flag.case_id, "repeat_flag.case_id")?;
    let of = flag
        .of_case_ids
        .iter()
        .enumerate()
        .map(|(i, id)| CaseId::parse_field(id, &format!("repeat_flag.of_case_ids[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let found_by = parse_unit_id(&flag.found_by_unit_id, "repeat_flag.found_by_unit_id")?;
    let since = parse_date(&flag.since, "repeat_flag.since")?;
    // Where the case is as this node knows it (it may have moved since the
    // flag was sent), else where the sender thought.
    let owner = match node.store().get_case(&case).await? {
        Some(stored) => stored.case.owner_unit,
        None => target.clone(),
    };
    let flag = RepeatFlag { case, of, window_days: flag.window_days, since };
    let by = Auditor::downlink(node, "repeat_flag");
    deliver_repeat_flag(node, &owner, &found_by, flag, &by).await?;
    Ok(())
}

/// The petitioner to send with a forwarded event: only when the event hands
/// the case to a unit above this node (the case leaves it).
pub(crate) async fn petitioner_for_uplink(
    node: &Node,
    event: &CaseEvent,
) -> Result<Option<fengqiao_proto::pb::Petitioner>, NodeError> {
    let Some(to) = event.kind.new_owner() else { return Ok(None) };
    if node.tree().get(to.as_str()).is_some() {
        return Ok(None);
    }
    Ok(node.store().case_petitioner(&event.case_id).await?.as_ref().map(pb::Petitioner::from))
}

/// Where a petitioner's rating went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RatingDelivered {
    /// Recorded on the case here (or recorded before under the same id).
    Recorded,
    /// Sent down toward the node holding the case.
    SentDown,
    /// The case is held above this node: not recorded.
    HeldAbove,
}

/// Delivers a petitioner's rating (taken by a public tracker) toward the
/// case's owner: recorded here as `petitioner_rated` when this node holds
/// the case, with this node as the actor doing the public tracker's task
/// (the petitioner rated, not staff); down the downlink when a child node
/// holds it. A rating id recorded before changes nothing. Call without the
/// case lock.
pub(crate) async fn deliver_rating(
    node: &Node,
    owner: &UnitId,
    rating: pb::PetitionerRating,
    by: &Auditor,
) -> Result<RatingDelivered, NodeError> {
    let (at, _) = node.today();
    if node.delegated_to(owner.as_str()).is_some() {
        let target =
            format!("downlink petitioner_rating {} of case {} to {owner}", rating.rating_id, rating.case_id);
        downlink_log::append(node, owner, Body::PetitionerRating(rating), at, by.record(node, target))
            .await?;
        return Ok(RatingDelivered::SentDown);
    }
    let id = CaseId::parse_field(&rating.case_id, "petitioner_rating.case_id")?;
    let satisfaction =
        fengqiao_core::case::Satisfaction::from_wire(rating.satisfaction, "petitioner_rating.satisfaction")?;
    let _guard = node.case_lock().await;
    let Some(stored) = node.store().get_case(&id).await? else {
        warn!(case = %id, "petitioner rating for a case this node does not have; skipped");
        return Ok(RatingDelivered::HeldAbove);
    };
    if !node.holds(stored.case.owner_unit.as_str()) {
        if node.delegated_to(stored.case.owner_unit.as_str()).is_some() {
            // The case moved down meanwhile: follow it.
            drop(_guard);
            let owner = stored.case.owner_unit.clone();
            return Box::pin(deliver_rating(node, &owner, rating, by)).await;
        }
        warn!(case = %id, "petitioner rating for a case held above this node; not recorded here");
        return Ok(RatingDelivered::HeldAbove);
    }
    if stored.case.petitioner_rating.as_ref().is_some_and(|r| r.rating_id == rating.rating_id) {
        return Ok(RatingDelivered::Recorded);
    }
    let home = UnitId::parse(&node.config().home_unit)?;
    let action = Action::RecordRating { satisfaction, rating_id: rating.rating_id.clone() };
    let who = Who { actor: Actor::node(home, NodeTask::PublicTracker), note: String::new() };
    match ledger::act(node, &stored.case, action, who, by).await {
        Ok(_) => Ok(RatingDelivered::Recorded),
        Err(NodeError::Domain(DomainError::AlreadyExists(_))) => Ok(RatingDelivered::Recorded),
        Err(error) => Err(error),
    }
}

/// A petitioner's rating from the parent's downlink: recorded when this
/// node holds the case, relayed down when a child node does. A rating the
/// case can no longer take (rated already under another id, reopened
/// meanwhile) is logged and dropped: the downlink must go on.
pub(crate) async fn receive_rating(
    node: &Node,
    target: &UnitId,
    rating: pb::PetitionerRating,
) -> Result<(), NodeError> {
    let by = Auditor::downlink(node, "petitioner_rating");
    let case = rating.case_id.clone();
    match deliver_rating(node, target, rating, &by).await {
        Ok(_) => Ok(()),
        Err(NodeError::Domain(refusal)) => {
            warn!(%case, %refusal, "a petitioner's rating from above cannot be recorded; dropped");
            Ok(())
        }
        Err(error) => Err(error),
    }
}
