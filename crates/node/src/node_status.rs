//! `fengqiao.v1.NodeService`: what this node is and how delivery upward
//! stands (outbox depth and age, last push).

use chrono::{DateTime, Utc};
use fengqiao_core::DomainError;
use fengqiao_core::actor::Actor;
use fengqiao_core::why;
use fengqiao_proto::pb::node_service_server::NodeService;
use fengqiao_proto::pb::{
    GetNodeStatusRequest, GetNodeStatusResponse, ListNoticesRequest, ListNoticesResponse, Notice,
    PostNoticeRequest, PostNoticeResponse, ReceivedNotice, SetAsideItem,
};
use fengqiao_proto::{parse_unit_id, pb, timestamp};

use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::downlink_log::route_notice;
use tonic::{Request, Response, Status};

use fengqiao_core::authz::{Rpc, Target};

use crate::{Node, NodeError, paging};

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
        let (set_aside_count, set_aside) = self.node.store().set_aside(SET_ASIDE_SHOWN).await?;
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
            set_aside_count,
            set_aside: set_aside
                .into_iter()
                .map(|row| SetAsideItem {
                    kind: row.kind,
                    key: row.unit_id,
                    date: row.item_date.to_string(),
                    revision: u64::try_from(row.revision).unwrap_or_default(),
                    reason: row.detail,
                    set_aside_at: Some(timestamp(row.set_aside_at)),
                })
                .collect(),
            reporting_start_date: self
                .node
                .config()
                .reporting_start
                .map(|start| start.to_string())
                .unwrap_or_default(),
        })
    }

    async fn post_notice(
        &self,
        caller: &Caller,
        sender: Actor,
        request: PostNoticeRequest,
    ) -> Result<PostNoticeResponse, NodeError> {
        let target = parse_unit_id(&request.target_unit_id, "target_unit_id")?;
        let home = &self.node.config().home_unit;
        self.node.served_unit(target.as_str())?;
        if target.as_str() == home {
            return Err(DomainError::invalid(
                "target_unit_id",
                why!(NOTICE_GOES_UNIT_BELOW_THIS_NODE, "a notice goes to a unit below this node"),
            )
            .into());
        }
        let chars = request.text.chars().count();
        if request.text.trim().is_empty() || chars > MAX_NOTICE_CHARS {
            return Err(DomainError::invalid(
                "text",
                why!(MUST_BE_1_CHARACTERS, "must be 1 to {max} characters", max = MAX_NOTICE_CHARS),
            )
            .into());
        }
        fengqiao_core::screen::check_free_text(&request.text, "text")?;
        let notice_id = format!("{home}-{:016x}", rand::random::<u64>());
        let notice = Notice {
            notice_id: notice_id.clone(),
            from_unit_id: home.clone(),
            text: request.text,
            sender: Some(pb::Actor::from(&sender)),
        };
        let audit = Auditor::caller(caller, rpc::POST_NOTICE)
            .record(&self.node, format!("notice {notice_id} to {target}"));
        route_notice(&self.node, &target, notice, self.node.clock().now(), audit).await?;
        Ok(PostNoticeResponse { notice_id })
    }

    async fn list_notices(&self, request: ListNoticesRequest) -> Result<ListNoticesResponse, NodeError> {
        let unit = parse_unit_id(&request.unit_id, "unit_id")?;
        let limit = crate::paging::page_size(request.page_size, DEFAULT_NOTICE_PAGE, MAX_NOTICE_PAGE)?;
        let after = parse_notice_token(&request.page_token)?;
        self.node.served_unit(unit.as_str())?;
        // One more than the page, to know whether another page follows.
        let rows = self.node.store().list_notices(&unit, after.as_ref(), limit + 1).await?;
        let wire = rows
            .iter()
            .map(|row| ReceivedNotice {
                target_unit_id: row.target_unit_id.clone(),
                created_at: Some(timestamp(row.created_at)),
                notice: Some(Notice {
                    notice_id: row.notice_id.clone(),
                    from_unit_id: row.from_unit_id.clone(),
                    text: row.text.clone(),
                    sender: row.sender.as_ref().map(pb::Actor::from),
                }),
            })
            .collect();
        let (notices, more) = paging::page(wire, limit as usize, paging::LIST_BUDGET);
        let next_page_token = match rows.get(notices.len().wrapping_sub(1)) {
            Some(last) if more => format!("{}|{}", last.created_at.to_rfc3339(), last.notice_id),
            _ => String::new(),
        };
        Ok(ListNoticesResponse { notices, next_page_token })
    }
}

/// Default and largest page of `ListNotices`.
pub const DEFAULT_NOTICE_PAGE: u32 = 100;
pub const MAX_NOTICE_PAGE: u32 = 1000;

/// Where the previous page of notices ended: its last notice's time and id.
fn parse_notice_token(token: &str) -> Result<Option<(DateTime<Utc>, String)>, DomainError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = crate::paging::foreign_token;
    let (at, id) = token.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
    Ok(Some((at, id.to_owned())))
}

/// How many set-aside items `GetNodeStatus` lists (their count is exact).
pub const SET_ASIDE_SHOWN: u32 = 20;

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
        // The notice's sender is the caller; the request names nobody.
        let sender = self.node.actor(&request, "", None, "sender")?;
        Ok(Response::new(self.post_notice(&caller, sender, request.into_inner()).await?))
    }

    async fn list_notices(
        &self,
        request: Request<ListNoticesRequest>,
    ) -> Result<Response<ListNoticesResponse>, Status> {
        self.node.authorize(&request, Rpc::ListNotices, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.list_notices(request.into_inner()).await?))
    }
}
