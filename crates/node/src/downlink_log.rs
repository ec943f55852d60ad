//! The downlink log's writer: what a node appends for its child nodes
//! (`downlink_events`, read by [`crate::downlink`]'s service), each with its
//! audit record in the same transaction, waking the subscribers.
//!
//! The case code ([`crate::cases`]), the notices ([`crate::node_status`]) and
//! the tree ([`Node::replace_tree`]) send down through here; it depends on
//! none of them, nor on the follower, so sending down and receiving from
//! above stay one direction.

use fengqiao_core::UnitId;
use fengqiao_core::UnitTree;
use fengqiao_core::audit::AuditRecord;
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_proto::pb::{DownlinkEvent, Notice, TreeSnapshot};
use fengqiao_proto::{convert_at, pb, timestamp};
use fengqiao_store::NoticeRow;
use prost::Message;

use crate::audit::Auditor;
use crate::{Node, NodeError};

/// Issues a notice from this node to a unit below it: stored here when this
/// node serves the unit, else appended to the downlink log for the child
/// node that does; either way with its audit record in the same transaction.
pub async fn route_notice(
    node: &Node,
    target: &UnitId,
    notice: Notice,
    at: chrono::DateTime<chrono::Utc>,
    audit: AuditRecord,
) -> Result<(), NodeError> {
    if node.delegated_to(target.as_str()).is_some() {
        let event = DownlinkEvent {
            sequence: 0,
            target_unit_id: target.to_string(),
            created_at: Some(timestamp(at)),
            body: Some(Body::Notice(notice)),
        };
        node.store().append_downlink(target, &event.encode_to_vec(), at, audit).await?;
        node.downlink_appended().notify_waiters();
    } else {
        let sender = notice
            .sender
            .map(|sender| convert_at::<_, fengqiao_core::actor::Actor>(sender, "notice.sender"))
            .transpose()?;
        let row = NoticeRow {
            notice_id: notice.notice_id,
            target_unit_id: target.to_string(),
            from_unit_id: notice.from_unit_id,
            text: notice.text,
            created_at: at,
            sender,
        };
        node.store().insert_notice(&row, audit).await?;
    }
    Ok(())
}

/// Appends an event for the child node that serves `target` (or a node
/// below it) to this node's downlink log, with its audit record, and wakes
/// the subscribers.
pub async fn append(
    node: &Node,
    target: &UnitId,
    body: Body,
    at: chrono::DateTime<chrono::Utc>,
    audit: AuditRecord,
) -> Result<(), NodeError> {
    let event = DownlinkEvent {
        sequence: 0,
        target_unit_id: target.to_string(),
        created_at: Some(timestamp(at)),
        body: Some(body),
    };
    node.store().append_downlink(target, &event.encode_to_vec(), at, audit).await?;
    node.downlink_appended().notify_waiters();
    Ok(())
}

/// A digest of a subtree, to send a child node its tree only when it changed.
/// and the departments of its units (so a changed departments file is sent too).
pub fn tree_fingerprint(tree: &UnitTree, departments: &fengqiao_core::department::Departments) -> String {
    let departments = crate::departments::of_subtree(departments, tree);
    if departments.is_empty() {
        // As before departments existed: a child is not sent its tree again.
        return hex_digest(tree.to_csv().as_bytes());
    }
    hex_digest(format!("{}{}", tree.to_csv(), departments.to_csv()).as_bytes())
}

fn hex_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Appends a tree snapshot for the child node whose home unit is the root of
/// `subtree`, audited as `by`'s change.
pub async fn send_tree(
    node: &Node,
    subtree: &UnitTree,
    at: chrono::DateTime<chrono::Utc>,
    by: &Auditor,
) -> Result<(), NodeError> {
    let target = subtree.root_id();
    let event = DownlinkEvent {
        sequence: 0,
        target_unit_id: target.to_string(),
        created_at: Some(timestamp(at)),
        body: Some(Body::Tree(TreeSnapshot {
            departments: crate::departments::of_subtree(&node.departments(), subtree)
                .all()
                .iter()
                .map(pb::Department::from)
                .collect(),
            units: subtree.units().into_iter().map(pb::Unit::from).collect(),
            parent_unit_id: node
                .tree()
                .get(target.as_str())
                .and_then(|unit| unit.parent.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default(),
        })),
    };
    let audit = by.record(node, format!("downlink tree rooted at {target} with {} units", subtree.len()));
    node.store().append_downlink(target, &event.encode_to_vec(), at, audit).await?;
    node.downlink_appended().notify_waiters();
    Ok(())
}
