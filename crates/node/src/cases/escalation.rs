//! Automatic escalation: the loop that escalates every case this node
//! holds once it has been overdue for the configured number of days.

use fengqiao_core::actor::{Actor, NodeTask};
use fengqiao_core::case::{Action, CaseId, CaseStatus, EventKind};
use fengqiao_core::{DomainError, UnitId};
use fengqiao_store::CaseQuery;
use tracing::{info, warn};

use super::ledger::{self, Who};
use crate::audit::{Auditor, rpc};
use crate::{Node, NodeError};

/// Escalates every case this node holds that has been overdue for the
/// configured number of days since it reached its current owner. Returns
/// the escalated case ids.
pub async fn auto_escalate(node: &Node) -> Result<Vec<CaseId>, NodeError> {
    let Some(after) = node.config().cases.deadlines.auto_escalate_after_days else { return Ok(Vec::new()) };
    let home = UnitId::parse(&node.config().home_unit)?;
    let (_, today) = node.today();
    let by = Auditor::internal("auto-escalation", rpc::AUTO_ESCALATE);
    let mut escalated = Vec::new();
    let mut before = None;
    loop {
        let query = CaseQuery {
            root: home.clone(),
            statuses: Vec::new(),
            overdue_on: Some(today),
            repeat_only: false,
            department: None,
            registered_from: None,
            registered_to: None,
            before: before.clone(),
            limit: 200,
            people: Default::default(),
        };
        let page = node.store().list_cases(&query).await?;
        let Some(last) = page.last() else { break };
        before = Some((last.registered_at, last.id.clone()));
        for case in page {
            if !node.holds(case.owner_unit.as_str()) {
                continue;
            }
            let _guard = node.case_lock().await;
            let stored = ledger::stored_case(node, &case.id).await?;
            let case = stored.case;
            let arrived = stored
                .events
                .iter()
                .rev()
                .find(|e| e.kind.new_owner().is_some() || matches!(e.kind, EventKind::Registered { .. }))
                .map_or(case.registered_on, |e| e.on);
            let Some(due) = case.due() else { continue };
            let counted_from = due.max(arrived);
            if (today - counted_from).num_days() < i64::from(after) || case.status == CaseStatus::UnderReview
            {
                continue;
            }
            let reason =
                format!("overdue {} days (automatic escalation after {after})", case.days_overdue(today));
            match ledger::act(
                node,
                &case,
                Action::Escalate { reason },
                Who { actor: Actor::node(home.clone(), NodeTask::AutoEscalation), note: String::new() },
                &by,
            )
            .await
            {
                Ok(_) => escalated.push(case.id.clone()),
                Err(NodeError::Domain(DomainError::FailedPrecondition(why))) => {
                    // At the root there is no one to escalate to.
                    tracing::debug!(case = %case.id, %why, "not escalated");
                }
                Err(other) => return Err(other),
            }
        }
    }
    if !escalated.is_empty() {
        info!(n = escalated.len(), "overdue cases escalated automatically");
    }
    Ok(escalated)
}

/// Runs [`auto_escalate`] every `cases.tick` until the task is aborted.
pub async fn run_auto_escalation(node: Node) {
    if node.config().cases.deadlines.auto_escalate_after_days.is_none() {
        return;
    }
    loop {
        if let Err(error) = auto_escalate(&node).await {
            warn!(%error, "automatic escalation failed; retrying at the next tick");
        }
        tokio::time::sleep(node.config().cases.tick).await;
    }
}
