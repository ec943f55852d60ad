//! The child's side of the uplink: drains the transactional outbox to the
//! parent, exactly once.
//!
//! Loop: read the oldest outbox entries (bounded in count and bytes), push
//! them as one batch, and clear each entry only after the parent's answer
//! (which the parent sends only after its own commit). A lost answer means a
//! resend, which the parent's revision rules turn into DUPLICATE or
//! SUPERSEDED: nothing is counted twice. An item the parent refuses
//! (REFUSED: inadmissible there) is set aside with an alert, so it never
//! holds up the items behind it. A failed push backs off
//! exponentially with jitter while the node keeps accepting work; an empty
//! outbox waits for the next commit.

use std::time::Duration;

use fengqiao_proto::pb::uplink_item::Payload;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_proto::pb::{CaseEventItem, ItemOutcome, PushBatchRequest, UplinkItem};
use fengqiao_proto::{pb, stored_report_to_pb};
use fengqiao_store::OutboxPayload;
use prost::Message;
use rand::RngExt;
use tonic::transport::{Channel, Endpoint};
use tracing::{Instrument, debug, field, warn};

use crate::Node;

/// Exponential backoff with jitter: each delay is drawn between half and all
/// of a ceiling that doubles from `min` to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff { min, max, current: min }
    }

    /// The next delay: uniformly random up to the current ceiling, which
    /// then doubles (capped at `max`).
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.current;
        self.current = (self.current * 2).min(self.max);
        let nanos = ceiling.as_nanos().min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos.max(1)))
    }

    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

/// HTTP/2 keepalive on a connection to the parent: a link that goes silent
/// without closing (a NAT or firewall forgetting the flow) is noticed within
/// seconds and a new connection is made, instead of every call timing out on
/// the dead one until the kernel gives up.
pub fn keep_alive(endpoint: Endpoint) -> Endpoint {
    endpoint
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(5))
        .keep_alive_while_idle(true)
        .tcp_keepalive(Some(Duration::from_secs(30)))
}

/// Runs until the task is aborted (the node shutting down).
pub async fn run(node: Node, parent: String) {
    let config = node.config().forwarder;
    let endpoint = match crate::tls::connect_endpoint(&parent, &node.config().transport) {
        Ok(endpoint) => endpoint.connect_timeout(Duration::from_secs(5)).timeout(config.push_timeout),
        Err(error) => {
            node.update_forward_state(|s| {
                s.last_error = Some(format!("bad parent address {parent:?}: {error}"))
            });
            warn!(%parent, %error, "bad parent address; nothing will be forwarded");
            return;
        }
    };
    let channel: Channel = keep_alive(endpoint).connect_lazy();
    // Pushes are sized for the parent's request cap; its answers are bounded
    // by MAX_ANSWER_BYTES whatever this node's own cap (which may be lower).
    let mut client = UplinkServiceClient::new(channel)
        .max_encoding_message_size(node.config().limits.max_message_bytes)
        .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES);
    let mut backoff = Backoff::new(config.min_backoff, config.max_backoff);
    let committed = std::sync::Arc::clone(node.committer().committed());
    let mut last_push = tokio::time::Instant::now();
    loop {
        // Whatever was committed before this instant is in the outbox now.
        let read_at = node.clock().now();
        let entries = match node.store().outbox_peek(config.max_items).await {
            Ok(entries) => entries,
            Err(error) => {
                warn!(%error, "cannot read the outbox");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        if entries.is_empty() && last_push.elapsed() < config.heartbeat {
            // Wake on the next commit, or look again now and then.
            let _ = tokio::time::timeout(Duration::from_secs(1), committed.notified()).await;
            continue;
        }
        let built = match node.uplink_mode() {
            crate::UplinkMode::Summaries { depth } => {
                match crate::summary_uplink::build(&node, &entries, depth).await {
                    Ok(built) => built,
                    Err(error) => {
                        warn!(%error, "cannot read the states to send; sending them later");
                        tokio::time::sleep(backoff.next_delay()).await;
                        continue;
                    }
                }
            }
            _ => build_reports(&node, &entries, &config).await,
        };
        let Built { items, carriers, cleared, consumed } = built;
        let count = items.len();
        if count == 0 && cleared.is_empty() && !entries.is_empty() {
            // The first entry could not be read (logged above): wait, then
            // try again, rather than spin on it.
            tokio::time::sleep(backoff.next_delay()).await;
            continue;
        }
        // Sending everything read, and less than a full batch: the outbox
        // empties with this push.
        let drains = consumed == entries.len() && entries.len() < config.max_items as usize;
        let synced_through = if drains { subtree_synced_through(&node, read_at).await } else { None };
        let request = PushBatchRequest {
            sender_unit_id: node.config().home_unit.clone(),
            items,
            synced_through: synced_through.map(fengqiao_proto::timestamp),
        };
        // The push's own span (a trace of its own: the batch mixes items of
        // many traces, each of which travels in its item).
        let span = if count == 0 {
            tracing::debug_span!("uplink.push", otel.kind = "client", unit = %node.config().home_unit, to = %parent, n = count, otel.status_code = field::Empty)
        } else {
            tracing::info_span!("uplink.push", otel.kind = "client", unit = %node.config().home_unit, to = %parent, n = count, otel.status_code = field::Empty)
        };
        let mut request = tonic::Request::new(request);
        span.in_scope(|| crate::propagation::inject(&mut request));
        let pushed_at = std::time::Instant::now();
        let pushed = client.push_batch(request).instrument(span.clone()).await;
        if pushed.is_err() {
            span.record("otel.status_code", "error");
        }
        match pushed {
            Ok(response) => {
                let round_trip = pushed_at.elapsed();
                let response = response.into_inner();
                // A restarted parent, or an operator's request: reconcile.
                node.reconciler().observe_push(&response.instance_id, &response.reconcile_run_id);
                if matches!(node.uplink_mode(), crate::UplinkMode::Summaries { .. })
                    && let Err(error) =
                        crate::summary_uplink::observe_parent(&node, &response.instance_id).await
                {
                    warn!(%error, "cannot record the parent's instance");
                }
                let mut done = cleared;
                let mut conflicts = Vec::new();
                let mut refused = Vec::new();
                for ack in response.acks {
                    let ids = carriers.get(&ack.sequence).cloned().unwrap_or_default();
                    match ack.outcome() {
                        ItemOutcome::Conflict => {
                            conflicts.extend(ids.into_iter().map(|id| (id, ack.detail.clone())))
                        }
                        ItemOutcome::Refused => {
                            for id in ids {
                                if let Some(entry) = entries.iter().find(|e| e.id == id) {
                                    set_aside_alert(entry, &ack.detail);
                                }
                                refused.push((id, ack.detail.clone()));
                            }
                        }
                        _ => done.extend(ids),
                    }
                }
                node.metrics().push_answered(round_trip, done.len(), conflicts.len(), refused.len());
                let now = node.clock().now();
                if let Err(error) = node.store().outbox_ack(&done, &conflicts, &refused, now).await {
                    // The parent has them; they will be resent and answered
                    // as duplicates.
                    warn!(%error, "cannot clear acknowledged outbox entries");
                    tokio::time::sleep(backoff.next_delay()).await;
                    continue;
                }
                debug!(n = count, conflicts = conflicts.len(), "forwarded");
                node.update_forward_state(|s| {
                    s.last_forwarded_at = Some(now);
                    s.last_error = None;
                    s.forwarded += done.len() as u64;
                });
                backoff.reset();
                last_push = tokio::time::Instant::now();
            }
            Err(status) => {
                node.metrics().push_failed(status.code());
                let delay = backoff.next_delay();
                debug!(code = ?status.code(), message = status.message(), ?delay, "push failed; backing off");
                node.update_forward_state(|s| {
                    s.last_error = Some(format!("{:?}: {}", status.code(), status.message()));
                });
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// What one push carries: the items, and for each item's sequence the
/// outbox entries it clears once answered; `cleared`: entries with nothing
/// to send (cleared with any answer); `consumed`: how many of the entries
/// read the push accounts for.
pub(crate) struct Built {
    pub items: Vec<UplinkItem>,
    pub carriers: std::collections::HashMap<u64, Vec<i64>>,
    pub cleared: Vec<i64>,
    pub consumed: usize,
}

/// Below the summary boundary: one item per entry, within the batch's
/// bounds, stopping before an entry that cannot be read.
async fn build_reports(
    node: &Node,
    entries: &[fengqiao_store::OutboxItem],
    config: &crate::ForwarderConfig,
) -> Built {
    let mut items = Vec::with_capacity(entries.len());
    let mut cleared = Vec::new();
    let mut bytes = 0;
    for entry in entries {
        let payload = match &entry.payload {
            OutboxPayload::Report(report) => Payload::Report(stored_report_to_pb(
                report,
                node.config().time.is_on_time(report.report.date(), report.first_accepted_at),
            )),
            OutboxPayload::CaseEvent(event) => {
                let petitioner = match crate::cases::sync::petitioner_for_uplink(node, event).await {
                    Ok(petitioner) => petitioner,
                    Err(error) => {
                        warn!(%error, "cannot read a case's petitioner; sending the batch later");
                        break;
                    }
                };
                Payload::CaseEvent(CaseEventItem { event: Some(pb::CaseEvent::from(&**event)), petitioner })
            }
            OutboxPayload::Weekly(body) => {
                match <pb::WeeklyEvent as prost::Message>::decode(body.as_slice()) {
                    Ok(event) => Payload::WeeklyEvent(event),
                    Err(error) => {
                        warn!(%error, entry = entry.id, "a weekly step in the outbox does not decode; sending the batch later");
                        break;
                    }
                }
            }
            OutboxPayload::Summary { .. } => {
                // Queued under summaries; this node now sends reports.
                cleared.push(entry.id);
                continue;
            }
            OutboxPayload::Accountability(body) => {
                match <pb::AccountabilityAction as prost::Message>::decode(body.as_slice()) {
                    Ok(action) => Payload::Accountability(action),
                    Err(error) => {
                        warn!(%error, entry = entry.id, "an accountability action in the outbox does not decode; sending the batch later");
                        break;
                    }
                }
            }
        };
        let item = UplinkItem {
            sequence: entry.id as u64,
            payload: Some(payload),
            trace_parent: entry.trace_parent.clone().unwrap_or_default(),
        };
        let size = item.encoded_len();
        if !items.is_empty() && bytes + size > config.max_bytes {
            break;
        }
        bytes += size;
        items.push(item);
    }
    let carriers =
        items.iter().map(|item: &UplinkItem| (item.sequence, vec![item.sequence as i64])).collect();
    let consumed = items.len();
    Built { items, carriers, consumed: consumed + cleared.len(), cleared }
}

/// The alert for an item the parent refused: an ERROR line naming the item
/// by its key and the parent's reason (field and rule, no content). The item
/// is set aside (`uplink_set_aside`), counted, and shown by `fengqiao status`.
fn set_aside_alert(entry: &fengqiao_store::OutboxItem, reason: &str) {
    match &entry.payload {
        OutboxPayload::Report(stored) => tracing::error!(
            kind = "report",
            unit = %stored.report.unit_id(),
            date = %stored.report.date(),
            revision = stored.report.revision().get(),
            %reason,
            "the parent refused an item; set aside for the operator"
        ),
        OutboxPayload::CaseEvent(event) => tracing::error!(
            kind = "case_event",
            case = %event.case_id,
            sequence = event.seq,
            %reason,
            "the parent refused an item; set aside for the operator"
        ),
        OutboxPayload::Summary { unit_id, day } => tracing::error!(
            kind = "summary",
            unit = %unit_id,
            %day,
            %reason,
            "the parent refused an item; set aside for the operator"
        ),
        OutboxPayload::Weekly(_) | OutboxPayload::Accountability(_) => tracing::error!(
            kind = if matches!(entry.payload, OutboxPayload::Weekly(_)) { "weekly" } else { "accountability" },
            entry = entry.id,
            %reason,
            "the parent refused an item; set aside for the operator"
        ),
    }
}

/// How far this node's whole subtree has synced once its outbox (read at
/// `read_at`) is empty: `read_at`, held back by the child nodes' own
/// `synced_through` (unknown while some child node has never said).
async fn subtree_synced_through(
    node: &Node,
    read_at: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let children = node.child_nodes();
    if children.is_empty() {
        return Some(read_at);
    }
    let syncs = match node.store().child_syncs().await {
        Ok(syncs) => syncs,
        Err(error) => {
            warn!(%error, "cannot read child syncs");
            return None;
        }
    };
    children.iter().try_fold(read_at, |through, child| {
        let sync = syncs.iter().find(|s| &s.child_unit_id == child)?;
        Some(through.min(sync.synced_through?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (0..6).map(|_| backoff.next_delay()).collect();
        for (n, delay) in delays.iter().enumerate() {
            let ceiling = Duration::from_millis(100 * 2u64.pow(n as u32)).min(Duration::from_secs(1));
            assert!(*delay <= ceiling && *delay >= ceiling / 2, "delay {n}: {delay:?} vs {ceiling:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
