//! `fengqiao.v1.DepartmentService`: a unit's departments, and their case
//! figures over a range ("which department is slow").

use chrono::NaiveDate;
use fengqiao_core::authz::{Rpc, Target};
use fengqiao_core::department::{Department, DepartmentId};
use fengqiao_proto::pb::department_service_server::DepartmentService;
use fengqiao_proto::pb::{
    self, DepartmentCaseFigures, DepartmentFiguresRequest, DepartmentFiguresResponse, DepartmentRow,
    ListDepartmentsRequest, ListDepartmentsResponse,
};
use fengqiao_proto::{parse_date, parse_optional_date, parse_unit_id};
use fengqiao_store::departments::DepartmentCounts;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::caller::Caller;
use crate::{Node, NodeError};

/// The department service over a [`Node`].
#[derive(Debug, Clone)]
pub struct DepartmentsService {
    node: Node,
}

impl DepartmentsService {
    pub fn new(node: Node) -> Self {
        DepartmentsService { node }
    }

    fn list(
        &self,
        unit: &str,
        request: ListDepartmentsRequest,
    ) -> Result<ListDepartmentsResponse, NodeError> {
        let unit = parse_unit_id(unit, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        let (_, today) = self.node.today();
        let on = parse_optional_date(&request.on, "on")?.unwrap_or(today);
        let departments = self.node.departments();
        Ok(ListDepartmentsResponse {
            departments: departments.of_unit(&unit, on).into_iter().map(pb::Department::from).collect(),
        })
    }

    async fn figures(
        &self,
        caller: &Caller,
        unit: &str,
        request: DepartmentFiguresRequest,
    ) -> Result<DepartmentFiguresResponse, NodeError> {
        let unit = parse_unit_id(unit, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        let from = parse_date(&request.from, "from")?;
        let to = parse_date(&request.to, "to")?;
        crate::summary::check_range(from, to, "to")?;
        let figures = self.node.store().department_figures(&unit, from, to).await?;
        let departments = self.node.departments();
        // Every department that existed in the range, and any other with cases.
        let mut listed: Vec<Department> = departments
            .all()
            .iter()
            .filter(|d| d.id.unit == unit && d.from <= to && d.until.is_none_or(|until| until >= from))
            .cloned()
            .collect();
        listed.dedup_by(|a, b| a.id == b.id);
        for id in figures.rows.keys() {
            if !listed.iter().any(|d| &d.id == id) {
                listed.push(departments.latest(id).cloned().unwrap_or_else(|| unknown(id, from)));
            }
        }
        // A department's person sees only their own department's row.
        let own = match caller {
            Caller::Verified(identity) => identity.department(),
            Caller::Insecure => None,
        };
        if let Some(own) = &own {
            listed.retain(|d| &d.id == own);
        }
        let mut rows: Vec<(Department, DepartmentCounts)> = listed
            .into_iter()
            .map(|d| {
                let counts = figures.rows.get(&d.id).copied().unwrap_or_default();
                (d, counts)
            })
            .collect();
        // The best on-time rate first; a department with nothing resolved
        // or reported after those that have; then by code.
        rows.sort_by(|(a, x), (b, y)| {
            let base = |c: &DepartmentCounts| c.resolved + c.reported == 0;
            base(x).cmp(&base(y)).then(y.on_time_rate().total_cmp(&x.on_time_rate())).then(a.id.cmp(&b.id))
        });
        let total = match &own {
            Some(own) => figures.rows.get(own).copied().unwrap_or_default(),
            None => figures.total,
        };
        Ok(DepartmentFiguresResponse {
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, (department, counts))| DepartmentRow {
                    department: Some(pb::Department::from(&department)),
                    figures: Some(to_pb(&counts)),
                    rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                })
                .collect(),
            total: Some(to_pb(&total)),
        })
    }
}

/// A department with cases here that no departments file lists any more.
fn unknown(id: &DepartmentId, from: NaiveDate) -> Department {
    Department { id: id.clone(), name: id.to_string(), five_in_one: false, from, until: None }
}

/// The wire form of a department's figures.
pub fn to_pb(counts: &DepartmentCounts) -> DepartmentCaseFigures {
    DepartmentCaseFigures {
        transferred_in: counts.transferred_in,
        held_open: counts.held_open,
        resolved: counts.resolved,
        resolved_on_time: counts.resolved_on_time,
        overdue: counts.overdue,
        assigned: counts.assigned,
        reported: counts.reported,
        reported_on_time: counts.reported_on_time,
        report_overdue: counts.report_overdue,
        petitioner_satisfied: counts.petitioner_satisfied,
        petitioner_dissatisfied: counts.petitioner_dissatisfied,
        on_time_rate: counts.on_time_rate(),
        petitioner_satisfaction_rate: counts.petitioner_satisfaction_rate(),
    }
}

#[tonic::async_trait]
impl DepartmentService for DepartmentsService {
    #[instrument(name = "rpc.list_departments", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn list_departments(
        &self,
        request: Request<ListDepartmentsRequest>,
    ) -> Result<Response<ListDepartmentsResponse>, Status> {
        let unit = self.node.unit_or_callers(&request, &request.get_ref().unit_id);
        self.node.authorize(&request, Rpc::ListDepartments, Target::Unit(&unit))?;
        Ok(Response::new(self.list(&unit, request.into_inner())?))
    }

    #[instrument(name = "rpc.department_figures", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn department_figures(
        &self,
        request: Request<DepartmentFiguresRequest>,
    ) -> Result<Response<DepartmentFiguresResponse>, Status> {
        let unit = self.node.unit_or_callers(&request, &request.get_ref().unit_id);
        let caller = self.node.authorize(&request, Rpc::DepartmentFigures, Target::Unit(&unit))?;
        Ok(Response::new(self.figures(&caller, &unit, request.into_inner()).await?))
    }
}
