//! `fengqiao.v1.ContactService`: key projects (重点项目), leaders' contact
//! duties (包片) and a leader's figures (their townships' summaries, their
//! projects' cases, the cases they lead: 包案).
//!
//! Duties are set at the district (the node's root): a duty's leader is a
//! person id as their certificate carries it, its township a tier-2 unit of
//! the tree or its project a stored project; `set_by` is the caller, from
//! the certificate. A set is idempotent: the same id and content change
//! nothing, other content replaces (so a duty is ended by resending it with
//! `until`); a duty overlapping another of the same leader on the same
//! township or project is FAILED_PRECONDITION and changes nothing.
//!
//! The contact leader of an area may also supervise its cases: see
//! [`crate::cases`] (`access`).

use chrono::NaiveDate;
use fengqiao_core::authz::{Rpc, Target};
use fengqiao_core::read::CaseFigures;
use fengqiao_core::unit::Tier;
use fengqiao_core::{DomainError, why};
use fengqiao_proto::pb::contact_service_server::ContactService;
use fengqiao_proto::pb::{
    self, LeaderFiguresRequest, LeaderFiguresResponse, ListContactDutiesRequest, ListContactDutiesResponse,
    ListProjectsRequest, ListProjectsResponse, SetContactDutyRequest, SetContactDutyResponse,
    SetProjectRequest, SetProjectResponse,
};
use fengqiao_proto::{parse_date, parse_optional_date, parse_unit_id, required};
use fengqiao_store::{DutyRow, DutySet, ProjectRow, SetOutcome};
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::summary::Summaries;
use crate::{Node, NodeError};

/// The kinds of project.
pub const PROJECT_KINDS: [&str; 3] = ["construction", "employer", "other"];
/// Longest project name, in characters.
pub const MAX_PROJECT_NAME_CHARS: usize = 100;
/// Longest duty id.
pub const MAX_DUTY_ID_LEN: usize = 64;
/// The `node_meta` key numbering the duties whose id this node generated.
const DUTY_SEQ_KEY: &str = "contact_duty_seq";

/// The contact service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Contacts {
    node: Node,
}

fn project_to_pb(row: &ProjectRow) -> pb::Project {
    pb::Project {
        project_id: row.project_id.clone(),
        name: row.name.clone(),
        unit_id: row.unit_id.clone(),
        kind: row.kind.clone(),
        from: row.from_on.to_string(),
        until: row.until_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

fn duty_to_pb(row: &DutyRow) -> pb::ContactDuty {
    pb::ContactDuty {
        duty_id: row.duty_id.clone(),
        leader: row.leader.clone(),
        unit_id: row.unit_id.clone().unwrap_or_default(),
        project_id: row.project_id.clone().unwrap_or_default(),
        from: row.from_on.to_string(),
        until: row.until_on.map(|d| d.to_string()).unwrap_or_default(),
        set_by: Some(pb::Actor::from(&row.set_by)),
    }
}

/// `from` (required) and `until` (optional, not before `from`), named
/// `path.from` and `path.until`.
fn dates(from: &str, until: &str, path: &str) -> Result<(NaiveDate, Option<NaiveDate>), DomainError> {
    let from_on = parse_date(from, &format!("{path}.from"))?;
    let until_on = parse_optional_date(until, &format!("{path}.until"))?;
    if let Some(until_on) = until_on
        && until_on < from_on
    {
        return Err(DomainError::invalid(
            format!("{path}.until"),
            why!(BEFORE_FIRST_DAY, "{to} is before the first day {from}", to = until_on, from = from_on),
        ));
    }
    Ok((from_on, until_on))
}

fn check_duty_id(value: &str) -> Result<(), DomainError> {
    if value.len() > MAX_DUTY_ID_LEN
        || !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(DomainError::invalid(
            "duty.duty_id",
            why!(
                DUTY_ID_SHAPE,
                "a duty id is at most {max} letters, digits, '-', '_' and '.'",
                max = MAX_DUTY_ID_LEN
            ),
        ));
    }
    Ok(())
}

/// The days of `[from, to]` a duty held.
fn overlap(duty: &DutyRow, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let start = from.max(duty.from_on);
    let end = duty.until_on.map_or(to, |until| until.min(to));
    (start <= end).then_some((start, end))
}

impl Contacts {
    pub fn new(node: Node) -> Self {
        Contacts { node }
    }

    fn root(&self) -> String {
        self.node.tree().root_id().to_string()
    }

    async fn set_project(
        &self,
        caller: &Caller,
        request: SetProjectRequest,
    ) -> Result<SetProjectResponse, NodeError> {
        let project = required(request.project, "project")?;
        fengqiao_core::case::check_project_id(&project.project_id, "project.project_id")?;
        let name = project.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_PROJECT_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(DomainError::invalid(
                "project.name",
                why!(
                    PROJECT_NAME_SHAPE,
                    "a project's name is 1–{max} characters, without control characters",
                    max = MAX_PROJECT_NAME_CHARS
                ),
            )
            .into());
        }
        if !PROJECT_KINDS.contains(&project.kind.as_str()) {
            return Err(DomainError::invalid(
                "project.kind",
                why!(
                    PROJECT_KIND_ONE_OF,
                    "a project's kind is one of {kinds}",
                    kinds = PROJECT_KINDS.join(", ")
                ),
            )
            .into());
        }
        let unit = parse_unit_id(&project.unit_id, "project.unit_id")?;
        let (from_on, until_on) = dates(&project.from, &project.until, "project")?;
        self.node.served_unit(unit.as_str())?;
        self.node.authorize_caller(caller, Rpc::SetProject, Target::Unit(unit.as_str()))?;
        let row = ProjectRow {
            project_id: project.project_id.clone(),
            name: name.to_owned(),
            unit_id: unit.to_string(),
            kind: project.kind.clone(),
            from_on,
            until_on,
        };
        let by = Auditor::caller(caller, rpc::SET_PROJECT);
        let audit = by.record(&self.node, format!("project {} at {}", row.project_id, row.unit_id));
        let outcome = self.node.store().set_project(&row, audit).await?;
        info!(project = %row.project_id, ?outcome, "project set");
        Ok(SetProjectResponse { project: Some(project_to_pb(&row)), created: outcome == SetOutcome::Created })
    }

    async fn list_projects(&self, unit: &str) -> Result<ListProjectsResponse, NodeError> {
        let unit = parse_unit_id(unit, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        let tree = self.node.tree();
        let projects = self
            .node
            .store()
            .projects()
            .await?
            .iter()
            .filter(|p| tree.is_within(&p.unit_id, unit.as_str()))
            .map(project_to_pb)
            .collect();
        Ok(ListProjectsResponse { projects })
    }

    async fn set_duty<T>(
        &self,
        request: Request<T>,
        caller: &Caller,
        duty: Option<pb::ContactDuty>,
    ) -> Result<SetContactDutyResponse, NodeError> {
        let duty = required(duty, "duty")?;
        check_duty_id(&duty.duty_id)?;
        fengqiao_core::identity::check_person_id(&duty.leader, "duty.leader")?;
        let (unit_id, project_id) = match (duty.unit_id.is_empty(), duty.project_id.is_empty()) {
            (false, true) => {
                let unit = parse_unit_id(&duty.unit_id, "duty.unit_id")?;
                let served = self.node.served_unit(unit.as_str())?;
                if served.tier != Tier::Township {
                    return Err(DomainError::invalid(
                        "duty.unit_id",
                        why!(
                            DUTY_UNIT_NOT_TOWNSHIP,
                            "unit {unit} is a {tier}: a contact duty's unit is a township",
                            unit = unit,
                            tier = served.tier.as_str()
                        ),
                    )
                    .into());
                }
                (Some(unit.to_string()), None)
            }
            (true, false) => {
                fengqiao_core::case::check_project_id(&duty.project_id, "duty.project_id")?;
                if self.node.store().project(&duty.project_id).await?.is_none() {
                    return Err(DomainError::NotFound(why!(
                        NO_SUCH_PROJECT,
                        "no project {project} is registered here",
                        project = duty.project_id
                    ))
                    .into());
                }
                (None, Some(duty.project_id.clone()))
            }
            _ => {
                return Err(DomainError::invalid(
                    "duty",
                    why!(
                        DUTY_NAMES_ONE_AREA,
                        "a contact duty names a township (unit_id) or a project (project_id), not both"
                    ),
                )
                .into());
            }
        };
        let (from_on, until_on) = dates(&duty.from, &duty.until, "duty")?;
        let set_by = self.node.actor(&request, "", None, "duty.set_by")?;
        let (now, _) = self.node.today();
        let duty_id = if duty.duty_id.is_empty() {
            let n = self
                .node
                .store()
                .get_meta(DUTY_SEQ_KEY)
                .await?
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            self.node.store().set_meta(DUTY_SEQ_KEY, &n.to_string()).await?;
            format!("{}-C{n}", self.root())
        } else {
            duty.duty_id.clone()
        };
        let row = DutyRow {
            duty_id,
            leader: duty.leader.clone(),
            unit_id,
            project_id,
            from_on,
            until_on,
            set_by,
            set_at: now,
        };
        let by = Auditor::caller(caller, rpc::SET_CONTACT_DUTY);
        let target = row.unit_id.as_deref().or(row.project_id.as_deref()).unwrap_or_default();
        let audit =
            by.record(&self.node, format!("contact duty {} of {} on {target}", row.duty_id, row.leader));
        match self.node.store().set_contact_duty(&row, audit).await? {
            DutySet::Set(outcome) => {
                info!(duty = %row.duty_id, ?outcome, "contact duty set");
                let stored = self.node.store().contact_duty(&row.duty_id).await?.unwrap_or(row);
                Ok(SetContactDutyResponse { duty: Some(duty_to_pb(&stored)) })
            }
            DutySet::Overlaps { duty_id } => Err(DomainError::FailedPrecondition(why!(
                DUTY_OVERLAPS,
                "duty {other} of {leader} on {target} overlaps these dates: end it first, or resend it with its own id",
                other = duty_id,
                leader = row.leader,
                target = target
            ))
            .into()),
        }
    }

    async fn list_duties(
        &self,
        unit: &str,
        request: ListContactDutiesRequest,
    ) -> Result<ListContactDutiesResponse, NodeError> {
        let unit = parse_unit_id(unit, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        if !request.leader.is_empty() {
            fengqiao_core::identity::check_person_id(&request.leader, "leader")?;
        }
        let on = parse_optional_date(&request.on, "on")?;
        let leader = (!request.leader.is_empty()).then_some(request.leader.as_str());
        let duties = self.node.store().contact_duties(leader, on).await?;
        let tree = self.node.tree();
        let everything = unit == *tree.root_id();
        let projects: std::collections::HashMap<String, String> = if everything {
            Default::default()
        } else {
            self.node.store().projects().await?.into_iter().map(|p| (p.project_id, p.unit_id)).collect()
        };
        let in_subtree = |duty: &DutyRow| {
            everything
                || duty.unit_id.as_deref().is_some_and(|u| tree.is_within(u, unit.as_str()))
                || duty
                    .project_id
                    .as_ref()
                    .and_then(|p| projects.get(p))
                    .is_some_and(|u| tree.is_within(u, unit.as_str()))
        };
        Ok(ListContactDutiesResponse {
            duties: duties.iter().filter(|d| in_subtree(d)).map(duty_to_pb).collect(),
        })
    }

    /// A leader's areas with their figures, and the cases they lead.
    pub(crate) async fn leader_figures(
        &self,
        request: LeaderFiguresRequest,
    ) -> Result<LeaderFiguresResponse, NodeError> {
        fengqiao_core::identity::check_person_id(&request.leader, "leader")?;
        let from = parse_date(&request.from, "from")?;
        let to = parse_date(&request.to, "to")?;
        crate::summary::check_range(from, to, "to")?;
        let root = self.node.tree().root_id().clone();
        let summaries = Summaries::new(self.node.clone());
        let mut areas = Vec::new();
        for duty in self.node.store().contact_duties(Some(&request.leader), None).await? {
            let Some((a, b)) = overlap(&duty, from, to) else { continue };
            let mut area = pb::ContactArea { duty: Some(duty_to_pb(&duty)), ..Default::default() };
            if let Some(unit) = &duty.unit_id {
                // A township no longer in the tree keeps its row, without figures.
                if let Some(served) = self.node.tree().get(unit) {
                    area.name = served.name.clone();
                    let summary = summaries.summary(unit, a, b, None).await?;
                    area.summary = Some(pb::Summary::from(&summary));
                }
            } else if let Some(project) = &duty.project_id {
                area.name = self.node.store().project(project).await?.map(|p| p.name).unwrap_or_default();
                let counts = self.node.store().project_case_figures(&root, project, a, b).await?;
                area.project_cases = Some(pb::CaseFigures::from(&CaseFigures::of(counts)));
            }
            areas.push(area);
        }
        let led = self.node.store().led_case_figures(&request.leader, from, to).await?;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Ok(LeaderFiguresResponse {
            leader: request.leader,
            areas,
            cases_led: n(led.led),
            cases_closed: n(led.closed),
            cases_closed_on_time: n(led.closed_on_time),
            cases_overdue: n(led.overdue),
            on_time_closure_rate: fengqiao_core::read::percent(n(led.closed_on_time), n(led.closed)),
        })
    }
}

#[tonic::async_trait]
impl ContactService for Contacts {
    #[instrument(name = "rpc.set_project", skip_all)]
    async fn set_project(
        &self,
        request: Request<SetProjectRequest>,
    ) -> Result<Response<SetProjectResponse>, Status> {
        let caller = self.node.authorize_rpc(&request, Rpc::SetProject)?;
        Ok(Response::new(Contacts::set_project(self, &caller, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.list_projects", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn list_projects(
        &self,
        request: Request<ListProjectsRequest>,
    ) -> Result<Response<ListProjectsResponse>, Status> {
        let unit = self.node.unit_or_callers(&request, &request.get_ref().unit_id);
        self.node.authorize(&request, Rpc::ReadContacts, Target::Unit(&unit))?;
        Ok(Response::new(Contacts::list_projects(self, &unit).await?))
    }

    #[instrument(name = "rpc.set_contact_duty", skip_all)]
    async fn set_contact_duty(
        &self,
        request: Request<SetContactDutyRequest>,
    ) -> Result<Response<SetContactDutyResponse>, Status> {
        let root = self.root();
        let caller = self.node.authorize(&request, Rpc::SetContactDuty, Target::Unit(&root))?;
        let duty = request.get_ref().duty.clone();
        Ok(Response::new(self.set_duty(request, &caller, duty).await?))
    }

    #[instrument(name = "rpc.list_contact_duties", skip_all)]
    async fn list_contact_duties(
        &self,
        request: Request<ListContactDutiesRequest>,
    ) -> Result<Response<ListContactDutiesResponse>, Status> {
        let unit = self.node.unit_or_callers(&request, &request.get_ref().unit_id);
        self.node.authorize(&request, Rpc::ReadContacts, Target::Unit(&unit))?;
        Ok(Response::new(self.list_duties(&unit, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.leader_figures", skip_all)]
    async fn leader_figures(
        &self,
        request: Request<LeaderFiguresRequest>,
    ) -> Result<Response<LeaderFiguresResponse>, Status> {
        let root = self.root();
        self.node.authorize(&request, Rpc::ReadContacts, Target::Unit(&root))?;
        Ok(Response::new(Contacts::leader_figures(self, request.into_inner()).await?))
    }
}
