//! Weekly steps and accountability actions on the move. A step taken here
//! is stored and queued for the parent (with a parent); a review step on a
//! unit served by a child node also goes down to that node. A step pushed
//! by a child node is stored and queued further up; a step from the parent
//! is stored and, when its unit lies below a child node, relayed down. So
//! every node holds every step of its subtree's reports and of its own.
//!
//! Reports that arrive over the uplink for a week locked here are held
//! (`held_reports`) and applied once no approval locks them any more.

use fengqiao_core::audit::AuditRecord;
use fengqiao_core::revision::Source;
use fengqiao_core::weekly::Week;
use fengqiao_core::{IsoWeek, StoredReport, UnitId};
use fengqiao_proto::pb;
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_store::{AccountabilityRow, HeldReportRow, Submission, WeeklyApplied, WeeklyEventRow};
use prost::Message;

use crate::audit::Auditor;
use crate::{Node, NodeError, downlink_log};

/// Stores steps (in order) and updates what the node knows of their weeks;
/// `forward` queues the stored ones for the parent. Returns each step's
/// outcome. Held reports a step unlocked are applied afterwards.
pub(crate) async fn store_steps(
    node: &Node,
    events: &[pb::WeeklyEvent],
    forward: bool,
    audit: Vec<AuditRecord>,
) -> Result<Vec<WeeklyApplied>, NodeError> {
    let rows: Vec<WeeklyEventRow> = events.iter().map(super::row_of).collect::<Result<_, _>>()?;
    let queued = forward && node.config().parent.is_some();
    let results = node.store().apply_weekly_events(&rows, queued, audit).await?;
    if queued && results.contains(&WeeklyApplied::Stored) {
        // The forwarder sends them now, not at its next look.
        node.committer().committed().notify_one();
    }
    let mut weeks: Vec<(UnitId, IsoWeek)> = Vec::new();
    for row in &rows {
        let key = (UnitId::parse(&row.unit_id)?, IsoWeek::of(row.week_start));
        if !weeks.contains(&key) {
            weeks.push(key);
        }
    }
    for (unit, week) in weeks {
        let (week, _) = super::load(node, &unit, week).await?;
        node.weekly().update(&week);
    }
    release_unlocked(node).await?;
    Ok(results)
}

/// Sends a review step down to the node that serves its unit, if a child
/// node does.
pub(crate) async fn send_down(
    node: &Node,
    event: &pb::WeeklyEvent,
    audit: AuditRecord,
) -> Result<(), NodeError> {
    let unit = UnitId::parse(&event.unit_id)?;
    if node.delegated_to(unit.as_str()).is_some() {
        downlink_log::append(node, &unit, Body::WeeklyEvent(event.clone()), node.clock().now(), audit)
            .await?;
    }
    Ok(())
}

/// A step from the parent's downlink: stored here (not sent back up) and
/// relayed to the child node below when its unit lies there.
pub(crate) async fn receive_from_parent(node: &Node, event: pb::WeeklyEvent) -> Result<(), NodeError> {
    if node.tree().get(&event.unit_id).is_none() {
        tracing::warn!(unit = %event.unit_id, "weekly step for a unit this node does not hold; skipped");
        return Ok(());
    }
    let by = Auditor::downlink(node, "weekly");
    let what =
        format!("weekly {} {} filing {} step {}", event.unit_id, event.iso_week, event.filing, event.step);
    let results =
        store_steps(node, std::slice::from_ref(&event), false, vec![by.record(node, what.clone())]).await?;
    if results[0] == WeeklyApplied::Stored {
        send_down(node, &event, by.record(node, format!("downlink {what}"))).await?;
    } else if results[0] == WeeklyApplied::Conflict {
        tracing::error!(unit = %event.unit_id, week = %event.iso_week, "weekly step from the parent conflicts with the one stored; kept the stored");
    }
    Ok(())
}

/// An accountability action from a child node (or recorded here): stored,
/// and queued for the parent.
pub(crate) async fn store_action(
    node: &Node,
    action: &pb::AccountabilityAction,
    audit: Option<AuditRecord>,
) -> Result<bool, NodeError> {
    let recorded_on = fengqiao_proto::parse_date(&action.recorded_on, "recorded_on")?;
    let kind = pb::AccountabilityKind::try_from(action.kind)
        .ok()
        .and_then(crate::weekly::service::kind_of)
        .ok_or_else(|| {
        fengqiao_core::DomainError::invalid("kind", fengqiao_core::why!(MUST_BE_SET, "must be set"))
    })?;
    UnitId::parse_field(&action.unit_id, "unit_id")?;
    let row = AccountabilityRow {
        action_id: action.action_id.clone(),
        unit_id: action.unit_id.clone(),
        kind: kind.as_str().to_owned(),
        recorded_on,
        recorded_at: fengqiao_proto::from_timestamp(action.recorded_at, "recorded_at")?,
        body: action.encode_to_vec(),
    };
    let stored = node.store().insert_accountability(&row, node.config().parent.is_some(), audit).await?;
    if stored && node.config().parent.is_some() {
        node.committer().committed().notify_one();
    }
    Ok(stored)
}

/// Whether a pushed report must be held: its week is locked here and it
/// would change what is stored (not an identical resend, not older than
/// the head). Returns the approval's unit.
pub(crate) async fn hold_for(node: &Node, stored: &StoredReport) -> Result<Option<UnitId>, NodeError> {
    if node.weekly().is_empty() {
        return Ok(None);
    }
    let report = &stored.report;
    let Some(approval) = node.weekly().lock_of(&node.tree(), report.unit_id(), report.date()) else {
        return Ok(None);
    };
    if let Some(head) = node.store().get_report(report.unit_id(), report.date(), None).await? {
        let head_revision = head.report.revision().get();
        let same =
            head_revision == report.revision().get() && head.report.content_hash() == report.content_hash();
        if same || head_revision > report.revision().get() {
            return Ok(None);
        }
    }
    Ok(Some(approval.unit))
}

/// Holds a pushed report for its locked week.
pub(crate) async fn hold(
    node: &Node,
    pushed: pb::StoredDailyReport,
    stored: &StoredReport,
    locked_by: &UnitId,
    audit: AuditRecord,
) -> Result<(), NodeError> {
    let row = HeldReportRow {
        unit_id: stored.report.unit_id().to_string(),
        report_date: stored.report.date(),
        revision: i64::from(stored.report.revision().get()),
        locked_by: locked_by.to_string(),
        held_at: node.clock().now(),
        body: pushed.encode_to_vec(),
    };
    if node.store().hold_report(&row, audit).await? {
        tracing::warn!(
            unit = %row.unit_id,
            date = %row.report_date,
            revision = row.revision,
            locked_by = %locked_by,
            "held a pushed report for a week locked by its approval"
        );
    }
    Ok(())
}

/// Applies the held reports no approval locks any more (after an
/// unapproval), through the committer as pushed reports.
pub(crate) async fn release_unlocked(node: &Node) -> Result<u64, NodeError> {
    let held = node.store().held_for_approval().await?;
    if held.is_empty() {
        return Ok(0);
    }
    let tree = node.tree();
    let mut released = Vec::new();
    for row in held {
        let unit = UnitId::parse(&row.unit_id)?;
        if node.weekly().lock_of(&tree, &unit, row.report_date).is_some() {
            continue;
        }
        let pushed = pb::StoredDailyReport::decode(row.body.as_slice()).map_err(|error| {
            NodeError::from(fengqiao_store::StoreError::Corrupt(format!(
                "held report does not decode: {error}"
            )))
        })?;
        let (stored, _): (StoredReport, bool) = fengqiao_proto::convert_at(pushed, "held")?;
        let audit = Auditor::internal("weekly-release", crate::audit::rpc::WEEKLY_RELEASE).record(
            node,
            format!("report {} r{} released after unapproval", stored.report.key(), row.revision),
        );
        let outcome = node
            .committer()
            .submit(Submission {
                report: stored.report,
                source: Source::Uplink,
                accepted_at: stored.accepted_at,
                first_accepted_at: Some(stored.first_accepted_at),
                trace_parent: None,
                audit,
            })
            .await;
        match outcome {
            Ok(_) | Err(fengqiao_store::committer::CommitError::Refused(_)) => {
                if let Err(fengqiao_store::committer::CommitError::Refused(refusal)) = &outcome {
                    tracing::warn!(unit = %row.unit_id, date = %row.report_date, %refusal, "a held report no longer applies");
                }
                released.push((row.unit_id.clone(), row.report_date, row.revision));
            }
            Err(other) => return Err(other.into()),
        }
    }
    let count = released.len() as u64;
    if count > 0 {
        node.store().release_held(&released).await?;
        tracing::info!(count, "applied held reports after an unapproval");
    }
    Ok(count)
}

/// The weeks' folds of a unit list, for boards: every key row of the weeks
/// starting in `[from, to]`.
pub(crate) async fn weeks_between(
    node: &Node,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<Week>, NodeError> {
    let rows = node.store().weekly_keys(from, to).await?;
    Ok(rows
        .chunk_by(|a, b| a.unit_id == b.unit_id && a.week_start == b.week_start)
        .filter_map(|group| {
            let refs: Vec<&fengqiao_store::WeeklyKeyRow> = group.iter().collect();
            super::book::week_of_keys(&group[0].unit_id, group[0].week_start, &refs)
        })
        .collect())
}
