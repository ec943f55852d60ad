//! `fengqiao.v1.UnitService`: read the subtree this node serves.

use fengqiao_proto::pb::unit_service_server::UnitService;
use fengqiao_proto::pb::{GetUnitRequest, GetUnitResponse, ListUnitsRequest, ListUnitsResponse};
use fengqiao_proto::{parse_unit_id, pb};
use tonic::{Request, Response, Status};
use tracing::instrument;

use fengqiao_core::authz::{Rpc, Target};

use crate::{Node, NodeError};

/// Default and largest page of `ListUnits`.
pub const DEFAULT_PAGE: u32 = 500;
pub const MAX_PAGE: u32 = 5000;

/// The unit service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Units {
    node: Node,
}

impl Units {
    pub fn new(node: Node) -> Self {
        Units { node }
    }

    /// The requested unit id, or the home unit when empty.
    fn unit_or_home(&self, id: &str, field: &str) -> Result<String, NodeError> {
        if id.is_empty() {
            return Ok(self.node.tree().root_id().to_string());
        }
        let id = parse_unit_id(id, field)?;
        self.node.served_unit(id.as_str())?;
        Ok(id.to_string())
    }

    fn get(&self, request: GetUnitRequest) -> Result<GetUnitResponse, NodeError> {
        let id = self.unit_or_home(&request.unit_id, "unit_id")?;
        let tree = self.node.tree();
        let unit = self.node.served_unit(&id)?;
        Ok(GetUnitResponse {
            unit: Some(pb::Unit::from(&unit)),
            ancestor_ids: tree.ancestors(&id).iter().map(|u| u.id.to_string()).collect(),
            children: tree.children(&id).into_iter().map(pb::Unit::from).collect(),
            subtree_size: tree.subtree(&id).map_or(0, |units| units.len() as u32),
        })
    }

    fn list(&self, request: ListUnitsRequest) -> Result<ListUnitsResponse, NodeError> {
        let root = self.unit_or_home(&request.root_unit_id, "root_unit_id")?;
        let limit = crate::paging::page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)? as usize;
        let tree = self.node.tree();
        let root_depth = tree.depth(&root).unwrap_or(0);
        let within_depth = |id: &str| {
            request.max_depth == 0 || tree.depth(id).unwrap_or(0) - root_depth <= request.max_depth as usize
        };
        let units: Vec<_> = tree
            .subtree(&root)
            .unwrap_or_default()
            .into_iter()
            .filter(|u| within_depth(u.id.as_str()))
            .collect();
        let start = if request.page_token.is_empty() {
            0
        } else {
            let position = units
                .iter()
                .position(|u| u.id.as_str() == request.page_token)
                .ok_or_else(crate::paging::foreign_token)?;
            position + 1
        };
        // One more than the page, to know whether another page follows.
        let wire = units.iter().skip(start).take(limit + 1).map(|&unit| pb::Unit::from(unit)).collect();
        let (page, more) = crate::paging::page(wire, limit, crate::paging::LIST_BUDGET);
        let next_page_token = match page.last() {
            Some(last) if more => last.id.clone(),
            _ => String::new(),
        };
        Ok(ListUnitsResponse { units: page, next_page_token })
    }
}

#[tonic::async_trait]
impl UnitService for Units {
    #[instrument(name = "rpc.get_unit", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn get_unit(&self, request: Request<GetUnitRequest>) -> Result<Response<GetUnitResponse>, Status> {
        // No unit named: the caller's own (the home unit for the local operator).
        let unit = self.node.unit_or_callers(&request, &request.get_ref().unit_id);
        self.node.authorize(&request, Rpc::GetUnit, Target::Unit(&unit))?;
        let mut request = request.into_inner();
        request.unit_id = unit;
        Ok(Response::new(self.get(request)?))
    }

    #[instrument(name = "rpc.list_units", skip_all, fields(unit = %request.get_ref().root_unit_id))]
    async fn list_units(
        &self,
        request: Request<ListUnitsRequest>,
    ) -> Result<Response<ListUnitsResponse>, Status> {
        // No root named: the caller's own unit (the home unit for the local operator).
        let root = self.node.unit_or_callers(&request, &request.get_ref().root_unit_id);
        self.node.authorize(&request, Rpc::ListUnits, Target::Unit(&root))?;
        let mut request = request.into_inner();
        request.root_unit_id = root;
        Ok(Response::new(self.list(request)?))
    }
}
