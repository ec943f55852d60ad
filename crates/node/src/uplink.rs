//! `fengqiao.v1.UplinkService`: what a parent offers its child nodes.
//!
//! A batch is checked whole before anything is applied (the sender is a child
//! node of this one, every item lies in the sender's subtree and is well
//! formed), then every item goes through the group committer with the
//! revision rules (`Source::Uplink`: arrivals may be reordered), and the
//! answer is sent only once every item is committed. A resent batch is
//! answered DUPLICATE or SUPERSEDED item by item and changes nothing.

use fengqiao_core::revision::Source;
use fengqiao_core::{Applied, DomainError};
use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_server::UplinkService;
use fengqiao_proto::pb::{CaseEventItem, ItemAck, ItemOutcome, PushBatchRequest, PushBatchResponse};
use fengqiao_proto::stored_report_from_pb;
use fengqiao_store::committer::CommitError;
use fengqiao_store::{CaseApplied, Submission};
use opentelemetry::trace::TraceContextExt;
use tonic::{Request, Response, Status};
use tracing::{Instrument, field, instrument};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::audit::rpc;
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
            return Err(NodeError::PermissionDenied(format!(
                "unit {sender:?} is not a child node of {}",
                self.node.config().home_unit
            )));
        }
        if request.items.len() > MAX_BATCH_ITEMS {
            return Err(
                DomainError::invalid("items", format!("at most {MAX_BATCH_ITEMS} items per batch")).into()
            );
        }
        let mut submissions = Vec::with_capacity(request.items.len());
        let mut reports = 0;
        let mut case_events = Vec::new();
        for (position, item) in request.items.into_iter().enumerate() {
            let path = format!("items[{position}]");
            match item.payload {
                Some(Payload::Report(report)) => {
                    let (stored, _) = stored_report_from_pb(Some(report), &format!("{path}.report"))?;
                    let unit = stored.report.unit_id().as_str();
                    if !self.node.tree().is_within(unit, &sender) {
                        return Err(NodeError::PermissionDenied(format!(
                            "{path}: unit {unit} is not in the subtree of sender {sender}"
                        )));
                    }
                    reports += 1;
                    // The item's own span, in the trace the item arrived
                    // with; its context goes on with this node's outbox entry.
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
                    submissions.push((
                        item.sequence,
                        span,
                        Submission {
                            report: stored.report,
                            source: Source::Uplink,
                            accepted_at: stored.accepted_at,
                            first_accepted_at: Some(stored.first_accepted_at),
                            trace_parent,
                        },
                    ));
                }
                Some(Payload::CaseEvent(CaseEventItem { event, petitioner })) => {
                    let path = format!("{path}.case_event");
                    let event = fengqiao_proto::case_event_from_pb(
                        event.ok_or_else(|| DomainError::invalid(format!("{path}.event"), "must be set"))?,
                        &format!("{path}.event"),
                    )?;
                    // The writer held the case: its unit lies in the sender's subtree.
                    if !self.node.tree().is_within(event.unit.as_str(), &sender) {
                        return Err(NodeError::PermissionDenied(format!(
                            "{path}: case {} was written by unit {}, which is not in the subtree of sender {sender}",
                            event.case_id, event.unit
                        )));
                    }
                    case_events.push((item.sequence, event, petitioner));
                }
                None => return Err(DomainError::invalid(format!("{path}.payload"), "must be set").into()),
            }
        }
        // All items at once, so they share group commits.
        let committer = self.node.committer();
        let results =
            futures::future::join_all(submissions.into_iter().map(|(sequence, span, submission)| {
                let submitted = committer.submit(submission).instrument(span.clone());
                async move { (sequence, span, submitted.await) }
            }))
            .await;
        let mut acks = Vec::with_capacity(results.len());
        for (sequence, span, result) in results {
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
                // Anything else (store failure, overload, a refusal the
                // revision rules cannot give over the uplink) fails the whole
                // batch: the sender keeps every item and retries.
                Err(other) => {
                    span.record("outcome", "failed");
                    return Err(other.into());
                }
            };
            span.record("outcome", outcome.as_str_name());
            acks.push(ItemAck { sequence, outcome: outcome.into(), detail });
        }
        if !case_events.is_empty() {
            let sequences: Vec<u64> = case_events.iter().map(|(sequence, _, _)| *sequence).collect();
            let items = case_events.into_iter().map(|(_, event, petitioner)| (event, petitioner)).collect();
            let results = crate::cases::apply_pushed(&self.node, items).await?;
            for (sequence, result) in sequences.into_iter().zip(results) {
                let (outcome, detail) = match result {
                    Ok(CaseApplied::Applied) => (ItemOutcome::Applied, String::new()),
                    Ok(CaseApplied::Duplicate) => (ItemOutcome::Duplicate, String::new()),
                    Err(refusal) => {
                        tracing::error!(%refusal, "conflicting case event from a child node");
                        (ItemOutcome::Conflict, refusal.to_string())
                    }
                };
                acks.push(ItemAck { sequence, outcome: outcome.into(), detail });
            }
        }
        // Everything is committed: the child's subtree is synced this far.
        let sender = fengqiao_core::UnitId::parse(&sender)?;
        self.node.store().record_child_sync(&sender, self.node.clock().now(), synced_through).await?;
        // Heartbeats and resent batches (nothing applied) are not audited.
        if let Some(target) = push_target(&sender, &acks, reports) {
            self.node.audit(caller, rpc::PUSH_BATCH, &target).await;
        }
        Ok(PushBatchResponse {
            acks,
            instance_id: self.node.reconciler().instance_id().to_owned(),
            reconcile_run_id: self.node.reconciler().requested_of(sender.as_str()),
        })
    }
}

/// The audit target of a pushed batch — the child and its counts — or
/// `None` when the batch changed nothing here (a heartbeat or a resend).
fn push_target(sender: &fengqiao_core::UnitId, acks: &[ItemAck], reports: usize) -> Option<String> {
    let count = |outcome: ItemOutcome| acks.iter().filter(|ack| ack.outcome == outcome as i32).count();
    let (applied, conflicts) = (count(ItemOutcome::Applied), count(ItemOutcome::Conflict));
    (applied + conflicts > 0).then(|| {
        format!(
            "child {sender} items={} reports={reports} case_events={} applied={applied} duplicate={} superseded={} conflict={conflicts}",
            acks.len(),
            acks.len() - reports,
            count(ItemOutcome::Duplicate),
            count(ItemOutcome::Superseded),
        )
    })
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
            None => "",
        });
        // An item naming no unit is refused as invalid below, before anything is applied.
        let units = units.filter(|unit| !unit.is_empty());
        let caller = self.node.authorize_push(&request, &request.get_ref().sender_unit_id, units)?;
        Ok(Response::new(self.push(&caller, request.into_inner()).await?))
    }
}
