//! `fengqiao.v1.NodeService`: what this node is and how delivery upward
//! stands (outbox depth and age, last push).

use fengqiao_proto::pb::node_service_server::NodeService;
use fengqiao_proto::pb::{GetNodeStatusRequest, GetNodeStatusResponse};
use fengqiao_proto::timestamp;
use tonic::{Request, Response, Status};

use crate::{Node, NodeError};

/// The node status service over a [`Node`].
#[derive(Debug, Clone)]
pub struct NodeStatus {
    node: Node,
}

impl NodeStatus {
    pub fn new(node: Node) -> Self {
        NodeStatus { node }
    }

    async fn status(&self) -> Result<GetNodeStatusResponse, NodeError> {
        let outbox = self.node.store().outbox_stats().await?;
        let forward = self.node.forward_state();
        Ok(GetNodeStatusResponse {
            home_unit_id: self.node.config().home_unit.clone(),
            served_units: self.node.tree().len() as u32,
            parent_address: self.node.config().parent.clone().unwrap_or_default(),
            outbox_depth: outbox.depth,
            outbox_oldest: outbox.oldest.map(timestamp),
            last_forwarded_at: forward.last_forwarded_at.map(timestamp),
            last_forward_error: forward.last_error.unwrap_or_default(),
            commit_queue: self.node.committer().queued() as u64,
        })
    }
}

#[tonic::async_trait]
impl NodeService for NodeStatus {
    async fn get_node_status(
        &self,
        _request: Request<GetNodeStatusRequest>,
    ) -> Result<Response<GetNodeStatusResponse>, Status> {
        Ok(Response::new(self.status().await?))
    }
}
