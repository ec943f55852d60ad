//! Delivery downward: `fengqiao.v1.DownlinkService` (the parent's side) and
//! the follower (the child's side).
//!
//! The parent keeps a durable log of events for its child nodes
//! (`downlink_events`, one increasing sequence per parent). A child opens
//! `Subscribe` with the last sequence it applied and receives every later
//! event addressed to its unit or below, then new ones as they are appended.
//! The child applies each event and then stores the event's sequence as its
//! cursor; application is idempotent (a notice is keyed by its id), so an
//! event replayed after a crash between the two changes nothing: no gaps, no
//! repeats in effect. Either side may restart at any time; the follower
//! reconnects with backoff and resumes from its cursor. The cursor carries
//! the parent's instance id: after the parent restarted — perhaps on a
//! restored database whose log numbers new events from its backup on — it
//! resumes from the smaller of the cursor and the parent's newest sequence
//! at its start, so no event logged since is skipped.

use fengqiao_core::why;
use std::pin::Pin;
use std::time::Duration;

use fengqiao_core::UnitTree;
use fengqiao_core::{DomainError, UnitId};
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_proto::pb::downlink_service_client::DownlinkServiceClient;
use fengqiao_proto::pb::downlink_service_server::DownlinkService;
use fengqiao_proto::pb::{DownlinkEvent, SubscribeRequest, SubscribeResponse, TreeSnapshot};
use fengqiao_proto::{convert_at, from_timestamp};
use futures::Stream;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{Instrument, debug, warn};

use crate::audit::Auditor;
use crate::downlink_log;
use crate::forwarder::Backoff;
use crate::{Node, NodeError};

/// The `node_meta` key of the follower's cursor.
pub const CURSOR_KEY: &str = "downlink_cursor";
/// The `node_meta` key of the parent's instance id the cursor was taken
/// under (a cursor of an earlier instance may point past a restored log).
pub const CURSOR_INSTANCE_KEY: &str = "downlink_cursor_instance";
/// Events read from the log at a time.
const PAGE: u32 = 256;

/// The downlink service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Downlink {
    node: Node,
}

impl Downlink {
    pub fn new(node: Node) -> Self {
        Downlink { node }
    }

    async fn open(
        &self,
        request: SubscribeRequest,
    ) -> Result<mpsc::Receiver<Result<SubscribeResponse, Status>>, NodeError> {
        let subscriber = request.unit_id;
        if !self.node.child_nodes().iter().any(|child| child == &subscriber) {
            return Err(NodeError::PermissionDenied(why!(
                UNIT_NOT_CHILD_NODE,
                "unit \"{unit}\" is not a child node of {home_unit}",
                unit = subscriber,
                home_unit = self.node.config().home_unit
            )));
        }
        let subscriber = UnitId::parse_field(&subscriber, "unit_id")?;
        let head = self.node.store().downlink_head().await?;
        let after = i64::try_from(request.after_sequence).unwrap_or(i64::MAX);
        let current =
            request.instance_id.is_empty() || request.instance_id == self.node.reconciler().instance_id();
        let after = if current {
            // This instance's cursor (or one that says nothing of where it
            // came from): beyond the log it is a mistake.
            if after > head {
                return Err(DomainError::invalid(
                    "after_sequence",
                    why!(
                        BEYOND_NEWEST_EVENT_WAS_THIS_PARENT,
                        "{after} is beyond the newest event {head}; was this parent's database replaced?",
                        after = after,
                        head = head
                    ),
                )
                .into());
            }
            after
        } else {
            // A cursor from before this node's start: if the database was
            // restored, sequences after its backup were lost here and are
            // numbered anew, so everything logged since the start goes out.
            let resume = after.min(self.node.downlink_start_head());
            if resume < after {
                tracing::warn!(
                    subscriber = %subscriber,
                    cursor = after,
                    resume,
                    "a child's downlink cursor is beyond this node's log at its start (restored from a backup?): resending from there"
                );
            }
            resume
        };
        let (sender, receiver) = mpsc::channel(PAGE as usize);
        tokio::spawn(feed(self.node.clone(), subscriber, after, sender));
        Ok(receiver)
    }
}

/// Sends the log after `cursor`, then follows it, until the subscriber goes away.
async fn feed(
    node: Node,
    subscriber: UnitId,
    mut cursor: i64,
    sender: mpsc::Sender<Result<SubscribeResponse, Status>>,
) {
    let appended = std::sync::Arc::clone(node.downlink_appended());
    let mut stopping = node.stopping();
    loop {
        if *stopping.borrow() {
            // The node is shutting down: end the stream; the child resumes
            // from its cursor when the node is back.
            return;
        }
        // Register interest before reading, so an append in between is not missed.
        let notified = appended.notified();
        let rows = match node.store().read_downlink(&subscriber, cursor, PAGE).await {
            Ok(rows) => rows,
            Err(error) => {
                let _ = sender.send(Err(crate::status::to_status(&NodeError::from(error)))).await;
                return;
            }
        };
        if rows.is_empty() {
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = sender.closed() => return,
                _ = stopping.changed() => {}
            }
            continue;
        }
        for row in rows {
            let mut event = match DownlinkEvent::decode(row.body.as_slice()) {
                Ok(event) => event,
                Err(error) => {
                    warn!(sequence = row.sequence, %error, "unreadable downlink event skipped");
                    cursor = row.sequence;
                    continue;
                }
            };
            event.sequence = row.sequence as u64;
            let instance_id = node.reconciler().instance_id().to_owned();
            if sender.send(Ok(SubscribeResponse { event: Some(event), instance_id })).await.is_err() {
                return;
            }
            cursor = row.sequence;
        }
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<SubscribeResponse, Status>> + Send>>;

#[tonic::async_trait]
impl DownlinkService for Downlink {
    type SubscribeStream = EventStream;

    #[tracing::instrument(name = "rpc.subscribe", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let rpc = fengqiao_core::authz::Rpc::Subscribe;
        self.node.authorize(&request, rpc, fengqiao_core::authz::Target::Unit(&request.get_ref().unit_id))?;
        let receiver = self.open(request.into_inner()).await?;
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// The child's side: follows the parent's log until the task is aborted.
pub async fn follow(node: Node, parent: String) {
    let config = node.config().forwarder;
    let mut backoff = Backoff::new(config.min_backoff, config.max_backoff);
    let endpoint = match crate::tls::connect_endpoint(&parent, &node.config().transport) {
        Ok(endpoint) => endpoint.connect_timeout(Duration::from_secs(5)),
        Err(error) => {
            warn!(%parent, %error, "bad parent address; the downlink is off");
            return;
        }
    };
    let mut client = DownlinkServiceClient::new(crate::forwarder::keep_alive(endpoint).connect_lazy());
    loop {
        let cursor = match node.downlink_cursor().await {
            Ok(cursor) => cursor,
            Err(error) => {
                warn!(%error, "cannot read the downlink cursor");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let instance_id = match node.store().get_meta(CURSOR_INSTANCE_KEY).await {
            Ok(instance) => instance.unwrap_or_default(),
            Err(error) => {
                warn!(%error, "cannot read the downlink cursor");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let mut recorded = instance_id.clone();
        let request = SubscribeRequest {
            unit_id: node.config().home_unit.clone(),
            after_sequence: cursor,
            instance_id,
        };
        let span = tracing::info_span!("downlink.subscribe", otel.kind = "client", after = cursor);
        let mut request = Request::new(request);
        span.in_scope(|| crate::propagation::inject(&mut request));
        let mut stream = match client.subscribe(request).instrument(span).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                debug!(code = ?status.code(), message = status.message(), "subscribe failed; backing off");
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        backoff.reset();
        loop {
            match stream.message().await {
                Ok(Some(SubscribeResponse { event: Some(event), instance_id })) => {
                    if let Err(error) = apply(&node, event).await {
                        warn!(%error, "cannot apply a downlink event; resubscribing");
                        break;
                    }
                    // The cursor is now one of this parent instance's.
                    if instance_id != recorded {
                        if let Err(error) = node.store().set_meta(CURSOR_INSTANCE_KEY, &instance_id).await {
                            warn!(%error, "cannot store the parent's instance with the cursor; resubscribing");
                            break;
                        }
                        recorded = instance_id;
                    }
                }
                Ok(Some(SubscribeResponse { event: None, .. })) => {}
                Ok(None) => break,
                Err(status) => {
                    debug!(code = ?status.code(), "downlink stream ended");
                    break;
                }
            }
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// For a node started without a tree file and with an empty database: reads
/// the parent's log from the start until the snapshot of `home`'s subtree,
/// retrying with backoff while the parent is unreachable. Moves no cursor:
/// the follower later applies the whole log, the snapshot included (a
/// no-op by then), so nothing before it is skipped.
pub async fn fetch_tree(
    parent: &str,
    home: &str,
    transport: &crate::tls::Transport,
) -> Result<UnitTree, NodeError> {
    let endpoint = crate::tls::connect_endpoint(parent, transport)
        .map_err(|e| DomainError::invalid("parent", why!(PARENT_URL_UNUSABLE, "{error}", error = e)))?
        .connect_timeout(Duration::from_secs(5));
    let mut client = DownlinkServiceClient::new(crate::forwarder::keep_alive(endpoint).connect_lazy());
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        let span = tracing::info_span!("downlink.fetch_tree", otel.kind = "client", unit = %home);
        let mut request = Request::new(SubscribeRequest {
            unit_id: home.to_owned(),
            after_sequence: 0,
            instance_id: String::new(),
        });
        span.in_scope(|| crate::propagation::inject(&mut request));
        match client.subscribe(request).instrument(span).await {
            Ok(response) => {
                let mut stream = response.into_inner();
                while let Ok(Some(SubscribeResponse { event: Some(event), .. })) = stream.message().await {
                    if let (Some(Body::Tree(snapshot)), true) = (event.body, event.target_unit_id == home) {
                        return tree_from_snapshot(snapshot);
                    }
                }
            }
            Err(status) if status.code() == tonic::Code::PermissionDenied => {
                return Err(NodeError::PermissionDenied(why!(
                    PARENT_DOES_NOT_LIST_AS_CHILD,
                    "the parent does not list {home} as a child node: {message}",
                    home = home,
                    message = status.message()
                )));
            }
            Err(status) => debug!(code = ?status.code(), "waiting for the parent"),
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

fn tree_from_snapshot(snapshot: TreeSnapshot) -> Result<UnitTree, NodeError> {
    let units = snapshot
        .units
        .into_iter()
        .enumerate()
        .map(|(i, unit)| convert_at(unit, &format!("tree.units[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UnitTree::from_units(units)?)
}

/// Applies one event, then moves the cursor past it.
#[tracing::instrument(name = "downlink.apply", skip_all, fields(sequence = event.sequence, target = %event.target_unit_id))]
async fn apply(node: &Node, event: DownlinkEvent) -> Result<(), NodeError> {
    let sequence = event.sequence;
    let created_at = from_timestamp(event.created_at, "created_at").ok();
    match event.body {
        Some(Body::PetitionerRating(rating)) => {
            let target = UnitId::parse_field(&event.target_unit_id, "target_unit_id")?;
            crate::cases::sync::receive_rating(node, &target, rating).await?;
        }
        Some(Body::Notice(notice)) => {
            let target = UnitId::parse_field(&event.target_unit_id, "target_unit_id")?;
            if node.tree().get(target.as_str()).is_none() {
                warn!(%target, sequence, "notice for a unit this node does not hold; skipped");
            } else {
                let at = from_timestamp(event.created_at, "created_at")?;
                let audit = Auditor::downlink(node, "notice")
                    .record(node, format!("notice {} to {target}", notice.notice_id));
                downlink_log::route_notice(node, &target, notice, at, audit).await?;
            }
        }
        Some(Body::Tree(mut snapshot)) => {
            let parent = (!snapshot.parent_unit_id.is_empty())
                .then(|| UnitId::parse_field(&snapshot.parent_unit_id, "tree.parent_unit_id"))
                .transpose()?;
            let departments = std::mem::take(&mut snapshot.departments);
            let tree = tree_from_snapshot(snapshot)?;
            if event.target_unit_id == node.config().home_unit {
                if let Some(parent) = parent {
                    node.set_parent_unit(&parent).await?;
                }
                // The departments first, so the tree's snapshots for this
                // node's children carry theirs.
                crate::departments::receive(node, departments, &tree).await?;
                node.replace_tree(tree, &Auditor::downlink(node, "tree")).await?;
            } else {
                warn!(target = %event.target_unit_id, sequence, "tree for another node; skipped");
            }
        }
        Some(Body::CaseHandover(handover)) => {
            let target = UnitId::parse_field(&event.target_unit_id, "target_unit_id")?;
            crate::cases::sync::receive_handover(node, &target, handover).await?;
        }
        Some(Body::Supervision(notice)) => {
            let target = UnitId::parse_field(&event.target_unit_id, "target_unit_id")?;
            crate::cases::sync::receive_supervision(node, &target, notice).await?;
        }
        Some(Body::Roster(entry)) => crate::cases::sync::receive_roster(node, entry).await?,
        Some(Body::RepeatFlag(flag)) => {
            let target = UnitId::parse_field(&event.target_unit_id, "target_unit_id")?;
            crate::cases::sync::receive_repeat_flag(node, &target, flag).await?;
        }
        Some(Body::WeeklyEvent(step)) => crate::weekly::sync::receive_from_parent(node, step).await?,
        None => warn!(sequence, "downlink event of a kind this node does not know; skipped"),
    }
    node.store().set_meta(CURSOR_KEY, &sequence.to_string()).await?;
    node.metrics().downlink_event_applied(created_at, node.clock().now());
    Ok(())
}
