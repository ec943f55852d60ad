//! `fengqiao.v1.UplinkService`: what a parent offers its child nodes.
//!
//! A batch is checked whole before anything is applied (the sender is a child
//! node of this one, every item lies in the sender's subtree), then item by
//! item: one that is malformed or inadmissible here (a report by the rules
//! of a direct submission, with acceptance times no honest node stamps; a
//! case event from the future) is answered REFUSED with the reason, so one
//! bad item never holds up the sender's outbox. The others go through the
//! group committer with the revision rules (`Source::Uplink`: arrivals may
//! be reordered), and the answer is sent only once every item is committed.
//! A resent batch is answered DUPLICATE or SUPERSEDED item by item and
//! changes nothing.

use fengqiao_core::StoredReport;
use fengqiao_core::case::CaseEvent;
use fengqiao_core::report::ForwardedCheck;
use fengqiao_core::revision::Source;
use fengqiao_core::why;
use fengqiao_core::{Applied, DomainError};
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_server::UplinkService;
use fengqiao_proto::pb::{
    CaseEventItem, ItemAck, ItemOutcome, PushBatchRequest, PushBatchResponse, UplinkItem,
};
use fengqiao_store::committer::CommitError;
use fengqiao_store::{CaseApplied, StateOutcome, StateWrite, Submission};
use opentelemetry::trace::TraceContextExt;
use tonic::{Request, Response, Status};
use tracing::{Instrument, field, instrument};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::propagation;
use crate::{Node, NodeError};

/// Most items in one pushed batch.
pub const MAX_BATCH_ITEMS: usize = 1000;

/// The uplink service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Uplink {
    node: Node,
}

impl Uplink {
    pub fn new(node: Node) -> Self {
        Uplink { node }
    }

    async fn push(&self, caller: &Caller, request: PushBatchRequest) -> Result<PushBatchResponse, NodeError> {
        let sender = request.sender_unit_id;
        let synced_through = request
            .synced_through
            .map(|t| fengqiao_proto::from_timestamp(Some(t), "synced_through"))
            .transpose()?;
        if !self.node.child_nodes().iter().any(|child| child == &sender) {
            return Err(NodeError::PermissionDenied(why!(
                UNIT_NOT_CHILD_NODE,
                "unit \"{unit}\" is not a child node of {home_unit}",
                unit = sender,
                home_unit = self.node.config().home_unit
            )));
        }
        if request.items.len() > MAX_BATCH_ITEMS {
            return Err(DomainError::invalid(
                "items",
                why!(AT_MOST_ITEMS_PER_BATCH, "at most {max} items per batch", max = MAX_BATCH_ITEMS),
            )
            .into());
        }
        let count = request.items.len();
        // One answer per item, in the order sent.
        let mut acks: Vec<Option<ItemAck>> = vec![None; count];
        let mut submissions = Vec::with_capacity(count);
        let mut case_events = Vec::new();
        let mut weekly = Vec::new();
        let mut actions = Vec::new();
        let mut states = Vec::new();
        // Each change is audited in its own transaction, as the sender's.
        let by = Auditor::caller(caller, rpc::PUSH_BATCH);
        for (position, item) in request.items.into_iter().enumerate() {
            let sequence = item.sequence;
            match self.admit(&sender, position, item, &by)? {
                Admitted::Report { span, submission } => {
                    submissions.push((position, sequence, span, submission));
                }
                Admitted::CaseEvent { event, petitioner } => {
                    case_events.push((position, sequence, *event, petitioner))
                }
                Admitted::Weekly(event) => weekly.push((position, sequence, event)),
                Admitted::Accountability(action) => actions.push((position, sequence, action)),
                Admitted::State(write) => states.push((position, sequence, write)),
                Admitted::Refused(refusal) => {
                    tracing::warn!(from = %sender, sequence, %refusal, "refused an item from a child node");
                    acks[position] = Some(ItemAck {
                        sequence,
                        outcome: ItemOutcome::Refused.into(),
                        detail: refusal.to_string(),
                    });
                }
            }
        }
        // Reports for a week locked here are held for its approvers.
        if !self.node.weekly().is_empty() {
            let mut kept = Vec::with_capacity(submissions.len());
            for (position, sequence, span, submission) in submissions {
                let stored = StoredReport {
                    report: submission.report,
                    accepted_at: submission.accepted_at,
                    first_accepted_at: submission.first_accepted_at.unwrap_or(submission.accepted_at),
                };
                match crate::weekly::sync::hold_for(&self.node, &stored).await? {
                    Some(locked_by) => {
                        let on_time = self
                            .node
                            .config()
                            .time
                            .is_on_time(stored.report.date(), stored.first_accepted_at);
                        let pushed = fengqiao_proto::stored_report_to_pb(&stored, on_time);
                        crate::weekly::sync::hold(&self.node, pushed, &stored, &locked_by, submission.audit)
                            .await?;
                        span.record("outcome", ItemOutcome::Held.as_str_name());
                        acks[position] = Some(ItemAck {
                            sequence,
                            outcome: ItemOutcome::Held.into(),
                            detail: format!(
                                "held: the week is locked by the approval of {locked_by}'s weekly report"
                            ),
                        });
                    }
                    None => kept.push((
                        position,
                        sequence,
                        span,
                        Submission { report: stored.report, ..submission },
                    )),
                }
            }
            submissions = kept;
        }
        // All items at once, so they share group commits.
        let committer = self.node.committer();
        let results = futures::future::join_all(submissions.into_iter().map(
            |(position, sequence, span, submission)| {
                let submitted = committer.submit(submission).instrument(span.clone());
                async move { (position, sequence, span, submitted.await) }
            },
        ))
        .await;
        for (position, sequence, span, result) in results {
            let _in_item = span.enter();
            let (outcome, detail) = match result {
                Ok(outcome) if outcome.applied == Applied::Duplicate => {
                    (ItemOutcome::Duplicate, String::new())
                }
                Ok(_) => (ItemOutcome::Applied, String::new()),
                Err(CommitError::Refused(refusal @ DomainError::StaleRevision { .. })) => {
                    (ItemOutcome::Superseded, refusal.to_string())
                }
                Err(CommitError::Refused(refusal @ DomainError::RevisionConflict { .. })) => {
                    tracing::error!(%refusal, "conflicting revision from a child node");
                    (ItemOutcome::Conflict, refusal.to_string())
                }
                // Refused against what is stored here (a correction claiming
                // an earlier first acceptance than the one held).
                Err(CommitError::Refused(refusal @ DomainError::Invalid { .. })) => {
                    let refusal = refusal.within(&format!("items[{position}].report"));
                    tracing::warn!(from = %sender, sequence, %refusal, "refused an item from a child node");
                    (ItemOutcome::Refused, refusal.to_string())
                }
                // Anything else (store failure, overload, a refusal the
                // revision rules cannot give over the uplink) fails the whole
                // batch: the sender keeps every item and retries.
                Err(other) => {
                    span.record("outcome", "failed");
                    return Err(other.into());
                }
            };
            span.record("outcome", outcome.as_str_name());
            acks[position] = Some(ItemAck { sequence, outcome: outcome.into(), detail });
        }
        if !case_events.is_empty() {
            let positions: Vec<(usize, u64)> =
                case_events.iter().map(|(position, sequence, _, _)| (*position, *sequence)).collect();
            let items =
                case_events.into_iter().map(|(_, _, event, petitioner)| (event, petitioner)).collect();
            let results = crate::cases::sync::apply_pushed(&self.node, items, &by).await?;
            for ((position, sequence), result) in positions.into_iter().zip(results) {
                let (outcome, detail) = match result {
                    Ok(CaseApplied::Applied) => (ItemOutcome::Applied, String::new()),
                    Ok(CaseApplied::Duplicate) => (ItemOutcome::Duplicate, String::new()),
                    Err(refusal) => {
                        tracing::error!(%refusal, "conflicting case event from a child node");
                        (ItemOutcome::Conflict, refusal.to_string())
                    }
                };
                acks[position] = Some(ItemAck { sequence, outcome: outcome.into(), detail });
            }
        }
        if !weekly.is_empty() {
            let events: Vec<fengqiao_proto::pb::WeeklyEvent> =
                weekly.iter().map(|(_, _, e)| e.clone()).collect();
            let audit = events
                .iter()
                .map(|e| {
                    by.record(
                        &self.node,
                        format!("weekly {} {} filing {} step {}", e.unit_id, e.iso_week, e.filing, e.step),
                    )
                })
                .collect();
            let results = crate::weekly::sync::store_steps(&self.node, &events, true, audit).await?;
            for ((position, sequence, event), result) in weekly.into_iter().zip(results) {
                let (outcome, detail) = match result {
                    fengqiao_store::WeeklyApplied::Stored => (ItemOutcome::Applied, String::new()),
                    fengqiao_store::WeeklyApplied::Duplicate => (ItemOutcome::Duplicate, String::new()),
                    fengqiao_store::WeeklyApplied::Conflict => {
                        tracing::error!(unit = %event.unit_id, week = %event.iso_week, "conflicting weekly step from a child node");
                        (ItemOutcome::Conflict, "a different step is stored under the same filing".to_owned())
                    }
                };
                acks[position] = Some(ItemAck { sequence, outcome: outcome.into(), detail });
            }
        }
        for (position, sequence, action) in actions {
            let audit =
                by.record(&self.node, format!("accountability {} {}", action.action_id, action.unit_id));
            let outcome = match crate::weekly::sync::store_action(&self.node, &action, Some(audit)).await {
                Ok(true) => (ItemOutcome::Applied, String::new()),
                Ok(false) => (ItemOutcome::Duplicate, String::new()),
                Err(NodeError::Domain(refusal)) => (
                    ItemOutcome::Refused,
                    refusal.within(&format!("items[{position}].accountability")).to_string(),
                ),
                Err(other) => return Err(other),
            };
            acks[position] = Some(ItemAck { sequence, outcome: outcome.0.into(), detail: outcome.1 });
        }
        if !states.is_empty() {
            let writes: Vec<StateWrite> = states.iter().map(|(_, _, write)| write.clone()).collect();
            let forward = self.node.config().parent.is_some();
            // Stale from here on, whether the commit succeeds or not.
            self.node.summaries_changed();
            let outcomes =
                self.node.store().apply_rollup_states(&writes, forward, self.node.clock().now()).await;
            self.node.summaries_changed();
            let outcomes = outcomes?;
            if forward {
                self.node.committer().committed().notify_waiters();
            }
            for ((position, sequence, _), outcome) in states.into_iter().zip(outcomes) {
                let outcome = match outcome {
                    StateOutcome::Applied => ItemOutcome::Applied,
                    StateOutcome::Duplicate => ItemOutcome::Duplicate,
                    StateOutcome::Superseded => ItemOutcome::Superseded,
                };
                acks[position] = Some(ItemAck { sequence, outcome: outcome.into(), detail: String::new() });
            }
        }
        let acks: Vec<ItemAck> = acks.into_iter().map(|ack| ack.expect("every item is answered")).collect();
        // Everything is committed: the child's subtree is synced this far.
        let sender = fengqiao_core::UnitId::parse(&sender)?;
        self.node.store().record_child_sync(&sender, self.node.clock().now(), synced_through).await?;
        Ok(PushBatchResponse {
            acks,
            instance_id: self.node.reconciler().instance_id().to_owned(),
            reconcile_run_id: self.node.reconciler().requested_of(sender.as_str()),
        })
    }

    /// Checks one pushed item on its own: well formed, in the sender's
    /// subtree (else the whole batch is PERMISSION_DENIED), and admissible
    /// here — a report by the rules of a direct submission and with
    /// acceptance times an honest node stamped, a case event not from the
    /// future (both allowing `max_clock_skew` for the other node's clock).
    /// A refused item is answered REFUSED with the reason; the rest of the
    /// batch is applied.
    fn admit(
        &self,
        sender: &str,
        position: usize,
        item: UplinkItem,
        by: &Auditor,
    ) -> Result<Admitted, NodeError> {
        let path = format!("items[{position}]");
        let node = &self.node;
        let now = node.clock().now();
        let max_skew =
            chrono::Duration::from_std(node.config().max_clock_skew).unwrap_or(chrono::Duration::MAX);
        let policy = &node.config().time;
        // Above the summary boundary only states travel; below it, none.
        let summaries = node.summary_fed();
        match (&item.payload, summaries) {
            (Some(Payload::RollupState(_)), false) => {
                return Ok(Admitted::Refused(DomainError::invalid(
                    format!("{path}.rollup_state"),
                    why!(
                        NODE_HOLDS_REPORTS,
                        "this node holds reports, not summaries: send reports (uplink.mode = reports)"
                    ),
                )));
            }
            (Some(Payload::RollupState(_)) | None, true) | (_, false) => {}
            (Some(_), true) => {
                return Ok(Admitted::Refused(DomainError::invalid(
                    format!("{path}.payload"),
                    why!(
                        NODE_HOLDS_SUMMARIES,
                        "this node is above the summary boundary and holds summaries only: send rollup states (uplink.mode = summaries)"
                    ),
                )));
            }
        }
        match item.payload {
            Some(Payload::RollupState(state)) => {
                let path = format!("{path}.rollup_state");
                let state = match fengqiao_proto::rollup_state_from_pb(state, &path) {
                    Ok(state) => state,
                    Err(refusal) => return Ok(Admitted::Refused(refusal)),
                };
                let tree = node.tree();
                let unit = state.unit_id.as_str();
                if tree.get(unit).is_none() || !tree.is_within_on(unit, sender, state.day) {
                    return Err(outside_sender(&path, unit, sender));
                }
                if state.day > policy.local_date(now + max_skew) {
                    return Ok(Admitted::Refused(DomainError::invalid(
                        format!("{path}.day"),
                        why!(DAY_IN_FUTURE, "{day} has not begun here", day = state.day),
                    )));
                }
                // Only the sender's home unit counts towards the units
                // above it; its descendants' states stand for themselves.
                let mut targets = vec![state.unit_id.clone()];
                if unit == sender {
                    targets.extend(tree.ancestors_on(unit, state.day).into_iter().map(|u| u.id.clone()));
                }
                Ok(Admitted::State(StateWrite { state, targets }))
            }
            Some(Payload::Report(report)) => {
                let path = format!("{path}.report");
                let stored = match fengqiao_proto::convert_at::<_, (StoredReport, bool)>(report, &path) {
                    Ok((stored, _)) => stored,
                    Err(refusal) => return Ok(Admitted::Refused(refusal)),
                };
                let unit = stored.report.unit_id().as_str();
                let tree = node.tree();
                let Some(served) = tree.get(unit).filter(|_| tree.is_within(unit, sender)) else {
                    return Err(outside_sender(&path, unit, sender));
                };
                let check = ForwardedCheck {
                    unit: served,
                    now,
                    max_skew,
                    policy,
                    start: node.config().reporting_start,
                };
                if let Err(refusal) = stored.check_forwarded(&check) {
                    return Ok(Admitted::Refused(refusal.within(&path)));
                }
                // The item's own span, in the trace the item arrived with;
                // its context goes on with this node's outbox entry.
                let span = tracing::info_span!(
                    "uplink.apply",
                    unit = %stored.report.unit_id(),
                    date = %stored.report.date(),
                    revision = stored.report.revision().get(),
                    from = %sender,
                    outcome = field::Empty,
                );
                let trace_parent = propagation::continue_item(&span, &item.trace_parent);
                // And a link to the push that carried it.
                span.add_link(tracing::Span::current().context().span().span_context().clone());
                let audit = by.record(
                    node,
                    format!("report {} r{}", stored.report.key(), stored.report.revision().get()),
                );
                Ok(Admitted::Report {
                    span,
                    submission: Submission {
                        report: stored.report,
                        source: Source::Uplink,
                        accepted_at: stored.accepted_at,
                        first_accepted_at: Some(stored.first_accepted_at),
                        trace_parent,
                        audit,
                    },
                })
            }
            Some(Payload::CaseEvent(CaseEventItem { event, petitioner })) => {
                let path = format!("{path}.case_event");
                let Some(event) = event else {
                    return Ok(Admitted::Refused(DomainError::invalid(
                        format!("{path}.event"),
                        why!(MUST_BE_SET, "must be set"),
                    )));
                };
                let event = match fengqiao_proto::convert_at::<_, CaseEvent>(event, &format!("{path}.event"))
                {
                    Ok(event) => event,
                    Err(refusal) => return Ok(Admitted::Refused(refusal)),
                };
                // The writer held the case: its unit lies in the sender's subtree.
                if !node.tree().is_within(event.unit.as_str(), sender) {
                    return Err(NodeError::PermissionDenied(why!(
                        CASE_WAS_WRITTEN_BY_UNIT_WHICH,
                        "{path}: case {case_id} was written by unit {unit}, which is not in the subtree of sender {sender}",
                        path = path,
                        case_id = event.case_id,
                        unit = event.unit,
                        sender = sender
                    )));
                }
                if let Err(refusal) = event.check_forwarded(now, max_skew, policy) {
                    return Ok(Admitted::Refused(refusal.within(&format!("{path}.event"))));
                }
                Ok(Admitted::CaseEvent { event: Box::new(event), petitioner })
            }
            Some(Payload::WeeklyEvent(event)) => {
                let path = format!("{path}.weekly_event");
                if let Err(refusal) = crate::weekly::row_of(&event) {
                    return Ok(Admitted::Refused(refusal.within(&path)));
                }
                if !node.tree().is_within(&event.unit_id, sender) {
                    return Err(outside_sender(&path, &event.unit_id, sender));
                }
                Ok(Admitted::Weekly(event))
            }
            Some(Payload::Accountability(action)) => {
                let path = format!("{path}.accountability");
                if !node.tree().is_within(&action.unit_id, sender) {
                    return Err(outside_sender(&path, &action.unit_id, sender));
                }
                Ok(Admitted::Accountability(action))
            }
            None => Ok(Admitted::Refused(DomainError::invalid(
                format!("{path}.payload"),
                why!(MUST_BE_SET, "must be set"),
            ))),
        }
    }
}

/// An item whose unit lies outside the sender's subtree: the whole batch is
/// PERMISSION_DENIED.
fn outside_sender(path: &str, unit: &str, sender: &str) -> NodeError {
    NodeError::PermissionDenied(why!(
        UNIT_NOT_IN_SUBTREE_SENDER,
        "{path}: unit {unit} is not in the subtree of sender {sender}",
        path = path,
        unit = unit,
        sender = sender
    ))
}

/// What [`Uplink::admit`] made of one pushed item.
// One value per pushed item, moved straight into the batch: boxing would
// only add an allocation per item.
#[allow(clippy::large_enum_variant)]
enum Admitted {
    Report {
        span: tracing::Span,
        submission: Submission,
    },
    // Boxed: a case event (with its structured actor) is several times the
    // size of the other variants.
    CaseEvent {
        event: Box<fengqiao_core::case::CaseEvent>,
        petitioner: Option<fengqiao_proto::pb::Petitioner>,
    },
    Weekly(fengqiao_proto::pb::WeeklyEvent),
    Accountability(fengqiao_proto::pb::AccountabilityAction),
    State(StateWrite),
    Refused(DomainError),
}

#[tonic::async_trait]
impl UplinkService for Uplink {
    #[instrument(name = "rpc.push_batch", skip_all, fields(
        sender = %request.get_ref().sender_unit_id,
        n = request.get_ref().items.len(),
    ))]
    async fn push_batch(
        &self,
        request: Request<PushBatchRequest>,
    ) -> Result<Response<PushBatchResponse>, Status> {
        // Every item, reports and case events alike, by the unit it was written for.
        let units = request.get_ref().items.iter().map(|item| match &item.payload {
            Some(Payload::Report(report)) => report.report.as_ref().map_or("", |r| r.unit_id.as_str()),
            Some(Payload::CaseEvent(item)) => item.event.as_ref().map_or("", |e| e.unit_id.as_str()),
            Some(Payload::WeeklyEvent(event)) => event.unit_id.as_str(),
            Some(Payload::Accountability(action)) => action.unit_id.as_str(),
            Some(Payload::RollupState(state)) => state.unit_id.as_str(),
            None => "",
        });
        // An item naming no unit is refused as invalid below, before anything is applied.
        let units = units.filter(|unit| !unit.is_empty());
        let caller = self.node.authorize_push(&request, &request.get_ref().sender_unit_id, units)?;
        Ok(Response::new(self.push(&caller, request.into_inner()).await?))
    }
}
