//! `fengqiao.v1.NodeService`: what this node is and how delivery upward
//! stands (outbox depth and age, last push).

use fengqiao_core::DomainError;
use fengqiao_proto::pb::node_service_server::NodeService;
use fengqiao_proto::pb::{
    GetNodeStatusRequest, GetNodeStatusResponse, ListNoticesRequest, ListNoticesResponse, Notice,
    PostNoticeRequest, PostNoticeResponse, ReceivedNotice,
};
use fengqiao_proto::{parse_unit_id, timestamp};

use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::downlink::route_notice;
use tonic::{Request, Response, Status};

use fengqiao_core::authz::{Rpc, Target};

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
            downlink_cursor: self.node.downlink_cursor().await?,
        })
    }

    async fn post_notice(
        &self,
        caller: &Caller,
        request: PostNoticeRequest,
    ) -> Result<PostNoticeResponse, NodeError> {
        let target = parse_unit_id(&request.target_unit_id, "target_unit_id")?;
        let home = &self.node.config().home_unit;
        self.node.served_unit(target.as_str())?;
        if target.as_str() == home {
            return Err(
                DomainError::invalid("target_unit_id", "a notice goes to a unit below this node").into()
            );
        }
        let chars = request.text.chars().count();
        if request.text.trim().is_empty() || chars > MAX_NOTICE_CHARS {
            return Err(
                DomainError::invalid("text", format!("must be 1 to {MAX_NOTICE_CHARS} characters")).into()
            );
        }
        let notice_id = format!("{home}-{:016x}", rand::random::<u64>());
        let notice = Notice { notice_id: notice_id.clone(), from_unit_id: home.clone(), text: request.text };
        let audit = Auditor::caller(caller, rpc::POST_NOTICE)
            .record(&self.node, format!("notice {notice_id} to {target}"));
        route_notice(&self.node, &target, notice, self.node.clock().now(), audit).await?;
        Ok(PostNoticeResponse { notice_id })
    }

    async fn list_notices(&self, request: ListNoticesRequest) -> Result<ListNoticesResponse, NodeError> {
        let unit = parse_unit_id(&request.unit_id, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        let notices = self.node.store().list_notices(&unit).await?;
        Ok(ListNoticesResponse {
            notices: notices
                .into_iter()
                .map(|row| ReceivedNotice {
                    target_unit_id: row.target_unit_id,
                    created_at: Some(timestamp(row.created_at)),
                    notice: Some(Notice {
                        notice_id: row.notice_id,
                        from_unit_id: row.from_unit_id,
                        text: row.text,
                    }),
                })
                .collect(),
        })
    }
}

/// Longest notice text, in characters.
pub const MAX_NOTICE_CHARS: usize = 2000;

#[tonic::async_trait]
impl NodeService for NodeStatus {
    async fn get_node_status(
        &self,
        request: Request<GetNodeStatusRequest>,
    ) -> Result<Response<GetNodeStatusResponse>, Status> {
        self.node.authorize(&request, Rpc::GetNodeStatus, Target::Node)?;
        Ok(Response::new(self.status().await?))
    }

    async fn post_notice(
        &self,
        request: Request<PostNoticeRequest>,
    ) -> Result<Response<PostNoticeResponse>, Status> {
        let caller = self.node.authorize(
            &request,
            Rpc::PostNotice,
            Target::Unit(&request.get_ref().target_unit_id),
        )?;
        Ok(Response::new(self.post_notice(&caller, request.into_inner()).await?))
    }

    async fn list_notices(
        &self,
        request: Request<ListNoticesRequest>,
    ) -> Result<Response<ListNoticesResponse>, Status> {
        self.node.authorize(&request, Rpc::ListNotices, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.list_notices(request.into_inner()).await?))
    }
}
