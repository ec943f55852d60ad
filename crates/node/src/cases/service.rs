//! `fengqiao.v1.CaseService`'s handlers: each takes the request off the wire
//! (`wire`), checks the caller, calls the ledger (`ledger`) and answers on
//! the wire.

use fengqiao_core::actor::Actor;
use fengqiao_core::case::{Action, Case, CaseId, CaseStatus, Intake, Satisfaction, SupervisionKind};
use fengqiao_core::why;
use fengqiao_core::{DisputeOutcome, DomainError, UnitId};
use fengqiao_proto::pb::case_service_server::CaseService;
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_proto::pb::{
    ActOnCaseRequest, ActOnCaseResponse, GetCaseRequest, GetCaseResponse, GetRosterRequest,
    GetRosterResponse, ListCasesRequest, ListCasesResponse, RecordVisitRequest, RecordVisitResponse,
    RegisterCaseRequest, RegisterCaseResponse, RosterEntry, SetRosterRequest, SetRosterResponse,
    SuperviseRequest, SuperviseResponse, SupervisionNotice,
};
use fengqiao_proto::{
    WireEnum, case_to_pb, convert_at, parse_date, parse_optional_date, parse_text, parse_unit_id, pb,
    required,
};
use fengqiao_store::CaseQuery;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::access;
use super::departments;
use super::ledger::{self, Who};
use super::sync;
use super::wire::{
    action_wire_name, case_action, case_target, parse_page_token, petitioner_of, roster_row, supervision_row,
    visit_field, within_action,
};
use crate::audit::{Auditor, rpc, short_list};
use crate::caller::Caller;
use crate::downlink_log;
use crate::{Node, NodeError, paging};
use fengqiao_core::authz::{Rpc, Target};

/// Default and largest page of `ListCases`.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;
/// Most roster entries in one `SetRoster`.
pub const MAX_ROSTER_ENTRIES: usize = 1000;
/// Longest roster range read at once, in days.
pub const MAX_ROSTER_DAYS: i64 = 366;

/// The `node_meta` key numbering the supervision notices issued here.
const SUPERVISION_SEQ_KEY: &str = "supervision_seq";

/// The case service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Cases {
    node: Node,
}

impl Cases {
    pub fn new(node: Node) -> Self {
        Cases { node }
    }

    /// Who acts in a case request: the verified caller, checked against
    /// the `actor` the request states, with whom they act for.
    fn actor<T>(
        &self,
        request: &Request<T>,
        stated: &str,
        on_behalf_of: Option<fengqiao_proto::pb::OnBehalfOf>,
    ) -> Result<Actor, NodeError> {
        let on_behalf_of = convert_at(on_behalf_of.unwrap_or_default(), "on_behalf_of")?;
        self.node.actor(request, stated, on_behalf_of, "actor")
    }

    fn view(&self, case: &Case) -> fengqiao_proto::pb::Case {
        let (_, today) = self.node.today();
        case_to_pb(case, today, self.node.holds(case.owner_unit.as_str()))
    }

    /// The intake of a registration: checks the origin unit and fills a
    /// report-channel case from its dispute. Returns the intake and the
    /// case id the dispute names, if any.
    async fn intake(
        &self,
        intake: Option<fengqiao_proto::pb::CaseIntake>,
    ) -> Result<(Intake, Option<String>), NodeError> {
        let mut intake =
            intake.ok_or_else(|| DomainError::invalid("intake", why!(MUST_BE_SET, "must be set")))?;
        let origin = parse_unit_id(&intake.origin_unit_id, "intake.origin_unit_id")?;
        let unit = self.node.served_unit(origin.as_str())?;
        if let Some(node_unit) = self.node.delegated_to(unit.id.as_str()) {
            return Err(NodeError::Delegated { unit: unit.id.to_string(), node_unit });
        }
        if !intake.petitioner_ref.is_empty() {
            return Err(DomainError::invalid(
                "intake.petitioner_ref",
                why!(
                    COMPUTED_BY_NODE_FROM_PETITIONER_ID,
                    "is computed by the node from petitioner.id_number; leave it empty"
                ),
            )
            .into());
        }
        let mut dispute_case_id = None;
        if intake.channel == fengqiao_proto::pb::CaseChannel::Report as i32 {
            let source = intake.source.as_ref().ok_or_else(|| {
                DomainError::invalid("intake.source", why!(MUST_NAME_DISPUTE, "must name the dispute"))
            })?;
            let source_unit = parse_unit_id(&source.unit_id, "intake.source.unit_id")?;
            let date = parse_date(&source.date, "intake.source.date")?;
            if !self.node.tree().is_within(source_unit.as_str(), origin.as_str()) {
                return Err(DomainError::invalid(
                    "intake.source.unit_id",
                    why!(
                        NOT_IN_SUBTREE_ORIGIN_UNIT,
                        "{source_unit} is not in the subtree of the origin unit {origin}",
                        source_unit = source_unit,
                        origin = origin
                    ),
                )
                .into());
            }
            let stored = self.node.store().get_report(&source_unit, date, None).await?.ok_or_else(|| {
                DomainError::NotFound(why!(
                    NO_REPORT_UNIT_FOR_STORED_HERE,
                    "no report of unit {source_unit} for {date} is stored here",
                    source_unit = source_unit,
                    date = date
                ))
            })?;
            let dispute =
                stored.report.disputes().iter().find(|d| d.local_id() == source.local_id).ok_or_else(
                    || {
                        DomainError::NotFound(why!(
                            REPORT_UNIT_FOR_HAS_NO_DISPUTE,
                            "the report of unit {source_unit} for {date} has no dispute \"{local_id}\"",
                            source_unit = source_unit,
                            date = date,
                            local_id = source.local_id
                        ))
                    },
                )?;
            if dispute.outcome() != DisputeOutcome::Registered {
                return Err(DomainError::FailedPrecondition(why!(DISPUTE_UNIT_ON_NOT_REGISTERED_AS, "dispute \"{local_id}\" of unit {source_unit} on {date} is {outcome}, not registered as a case", local_id = source.local_id, source_unit = source_unit, date = date, outcome = dispute.outcome()))
                .into());
            }
            dispute_case_id = dispute.case_id().map(str::to_owned);
            if intake.category == 0 {
                intake.category = pb::DisputeCategory::from(dispute.category()).into();
            }
            if intake.summary.is_empty() {
                intake.summary = dispute.summary().to_owned();
            }
            if let Some(wage) = dispute.wage_arrears() {
                if intake.workers == 0 {
                    intake.workers = wage.workers();
                }
                if intake.amount_claimed_cents == 0 {
                    intake.amount_claimed_cents = wage.amount_claimed_cents();
                }
            }
        }
        Ok((convert_at(intake, "intake")?, dispute_case_id))
    }

    async fn register(
        &self,
        caller: &Caller,
        actor: Actor,
        request: RegisterCaseRequest,
    ) -> Result<RegisterCaseResponse, NodeError> {
        let requested = (!request.case_id.is_empty())
            .then(|| CaseId::parse_field(&request.case_id, "case_id"))
            .transpose()?;
        let (intake, dispute_case_id) = self.intake(request.intake).await?;
        let requested = match (requested, dispute_case_id) {
            (Some(id), _) => Some(id),
            (None, Some(id)) => Some(CaseId::parse_field(&id, "intake.source")?),
            (None, None) => None,
        };
        let petitioner = petitioner_of(&self.node, request.petitioner)?;
        let who = Who { actor, note: request.note };
        let by = Auditor::caller(caller, rpc::REGISTER_CASE);
        let _guard = self.node.case_lock().await;
        let (case, code) = ledger::register(&self.node, requested, intake, petitioner, who, &by).await?;
        let receipt = code.map(|code| crate::tracker::receipt(&self.node, &case.id, code));
        Ok(RegisterCaseResponse { r#case: Some(self.view(&case)), created: receipt.is_some(), receipt })
    }

    async fn act_on(
        &self,
        caller: &Caller,
        actor: Actor,
        rpc: Rpc,
        request: ActOnCaseRequest,
    ) -> Result<ActOnCaseResponse, NodeError> {
        let id = CaseId::parse_field(&request.case_id, "case_id")?;
        let wire_name = request.action.as_ref().map_or("action", action_wire_name);
        let mut request = request;
        departments::fill_report_back(caller, request.action.as_mut())?;
        let action = Action::try_from(required(request.action, "action")?)?;
        let who = Who { actor, note: request.note };
        let _guard = self.node.case_lock().await;
        let stored = ledger::stored_case(&self.node, &id).await?;
        // Where to act comes before what changed: a caller at the wrong node
        // is told where the case is held, not to reload it here. A case
        // escalated out of this node's tree is no longer in reach of the
        // action, but whoever may still read it here (it was registered in
        // their subtree) learns where it went (FAILED_PRECONDITION), not
        // that they may not act (PERMISSION_DENIED).
        if !self.node.holds(stored.case.owner_unit.as_str()) {
            let read = Rpc::GetCase { with_petitioner: false };
            self.node.authorize_caller(caller, read, case_target(&stored.case))?;
            ledger::require_held(&self.node, &stored.case)?;
        }
        self.node.authorize_case(caller, rpc, &stored.case)?;
        departments::check_action(&self.node, &stored.case, &action)?;
        if request.expected_sequence != 0 && request.expected_sequence != stored.case.seq {
            return Err(DomainError::Aborted(why!(
                CASE_AT_EVENT_NOT_RELOAD_DECIDE,
                "case {id} is at event {seq}, not {expected_sequence}: reload it and decide again",
                id = id,
                seq = stored.case.seq,
                expected_sequence = request.expected_sequence
            ))
            .into());
        }
        // A new receipt: the node draws the code, the ledger keeps its hash
        // (whatever hash the request carried is replaced), and the code is
        // answered this once.
        let (action, code) = match action {
            Action::IssueReceipt { .. } => {
                let code = crate::tracker::draw_code();
                let receipt = fengqiao_core::receipt::hash(id.as_str(), &code);
                (Action::IssueReceipt { receipt }, Some(code))
            }
            action => (action, None),
        };
        if let Action::SetWorkingGroup { lead, members } = &action {
            access::check_group_units(&self.node, lead, members)
                .map_err(|error| within_action(error, wire_name))?;
        }
        let by = Auditor::caller(caller, rpc::ACT_ON_CASE).with_event_kind();
        let (case, event) = ledger::act(&self.node, &stored.case, action, who, &by)
            .await
            .map_err(|error| within_action(error, wire_name))?;
        Ok(ActOnCaseResponse {
            r#case: Some(self.view(&case)),
            event: Some(fengqiao_proto::event_for_reader(&event)),
            receipt: code.map(|code| crate::tracker::receipt(&self.node, &case.id, code)),
        })
    }

    async fn get(
        &self,
        caller: &Caller,
        rpc: Rpc,
        request: GetCaseRequest,
    ) -> Result<GetCaseResponse, NodeError> {
        let id = CaseId::parse_field(&request.case_id, "case_id")?;
        let stored = ledger::stored_case(&self.node, &id).await?;
        access::authorize_case_read(&self.node, caller, rpc, &stored.case)?;
        let petitioner = if request.with_petitioner && self.node.holds(stored.case.owner_unit.as_str()) {
            self.node.store().case_petitioner(&id).await?.as_ref().map(pb::Petitioner::from)
        } else {
            None
        };
        let case = self.view(&stored.case);
        let events: Vec<_> = stored
            .events
            .iter()
            .filter(|event| event.seq > request.events_after_sequence)
            .map(fengqiao_proto::event_for_reader)
            .collect();
        // The case, its petitioner and as many events as the answer's bound holds.
        let used = paging::item_bytes(&case) + petitioner.as_ref().map_or(0, paging::item_bytes);
        let (events, more) = paging::page(events, usize::MAX, paging::LIST_BUDGET.saturating_sub(used));
        let next_events_after_sequence = match events.last() {
            Some(last) if more => last.sequence,
            _ => 0,
        };
        Ok(GetCaseResponse { r#case: Some(case), events, petitioner, next_events_after_sequence })
    }

    async fn list(&self, caller: &Caller, request: ListCasesRequest) -> Result<ListCasesResponse, NodeError> {
        let root = parse_unit_id(&request.unit_id, "unit_id")?;
        let department = departments::list_filter(caller, &request.department_id)?;
        // The working group's people also see its cases (`access`).
        let mut people = access::group_reader(caller);
        if !request.leader.is_empty() {
            fengqiao_core::identity::check_person_id(&request.leader, "leader")?;
            people.leader = Some(request.leader.clone());
        }
        if !request.project_id.is_empty() {
            fengqiao_core::case::check_project_id(&request.project_id, "project_id")?;
            people.project_id = Some(request.project_id.clone());
        }
        self.node.served_unit(root.as_str())?;
        let statuses = request
            .statuses
            .iter()
            .enumerate()
            .map(|(i, s)| CaseStatus::from_wire(*s, &format!("statuses[{i}]")))
            .collect::<Result<Vec<CaseStatus>, _>>()?;
        let (_, today) = self.node.today();
        let as_of = parse_optional_date(&request.as_of, "as_of")?.unwrap_or(today);
        let limit = crate::paging::page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
        let before =
            if request.page_token.is_empty() { None } else { Some(parse_page_token(&request.page_token)?) };
        let query = CaseQuery {
            root,
            statuses,
            overdue_on: request.overdue.then_some(as_of),
            repeat_only: request.repeat,
            department,
            registered_from: parse_optional_date(&request.registered_from, "registered_from")?,
            registered_to: parse_optional_date(&request.registered_to, "registered_to")?,
            before,
            limit: limit + 1,
            people,
        };
        let stored = self.node.store().list_cases(&query).await?;
        let wire =
            stored.iter().map(|c| case_to_pb(c, as_of, self.node.holds(c.owner_unit.as_str()))).collect();
        // At most `limit` cases, and no more than the answer's bound in bytes.
        let (cases, more) = paging::page(wire, limit as usize, paging::LIST_BUDGET);
        let next_page_token = match stored.get(cases.len().wrapping_sub(1)) {
            Some(last) if more => format!("{}|{}", last.registered_at.to_rfc3339(), last.id),
            _ => String::new(),
        };
        Ok(ListCasesResponse { cases, next_page_token })
    }

    async fn supervise(
        &self,
        caller: &Caller,
        sender: Actor,
        request: SuperviseRequest,
    ) -> Result<SuperviseResponse, NodeError> {
        let id = CaseId::parse_field(&request.case_id, "case_id")?;
        let kind = SupervisionKind::from_wire(request.kind, "kind")?;
        let reply_by = parse_date(&request.reply_by, "reply_by")?;
        let text = parse_text(request.text, "text")?;
        fengqiao_core::case::check_text(&text, "text")?;
        let (at, today) = self.node.today();
        if reply_by < today {
            return Err(DomainError::invalid(
                "reply_by",
                why!(MUST_NOT_BE_IN_PAST, "must not be in the past"),
            )
            .into());
        }
        let home = UnitId::parse(&self.node.config().home_unit)?;
        let _guard = self.node.case_lock().await;
        let stored = ledger::stored_case(&self.node, &id).await?;
        access::authorize_supervision(&self.node, caller, &stored.case).await?;
        let owner = stored.case.owner_unit.clone();
        if owner == home || !self.node.tree().is_within(owner.as_str(), home.as_str()) {
            return Err(DomainError::FailedPrecondition(why!(CASE_OWNED_BY_UNIT_SUPERVISION_GOES, "case {id} is {status} and owned by unit {owner}: supervision goes to cases owned below {home}", id = id, status = stored.case.status, owner = owner, home = home))
            .into());
        }
        let n = self
            .node
            .store()
            .get_meta(SUPERVISION_SEQ_KEY)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        self.node.store().set_meta(SUPERVISION_SEQ_KEY, &n.to_string()).await?;
        let supervision_id = format!("{home}-S{n}");
        let notice = SupervisionNotice {
            supervision_id: supervision_id.clone(),
            case_id: id.to_string(),
            from_unit_id: home.to_string(),
            kind: pb::SupervisionKind::from(kind).into(),
            reply_by: reply_by.to_string(),
            text,
            actor: sender.legacy_text(),
            sender: Some(pb::Actor::from(&sender)),
        };
        let by = Auditor::caller(caller, rpc::SUPERVISE);
        let audit = by.record(&self.node, format!("case {id} supervision {supervision_id} to {owner}"));
        self.node.store().insert_supervision(&supervision_row(&notice, &owner, at)?, audit).await?;
        drop(_guard);
        sync::deliver_supervision(&self.node, &owner, notice, at, &by).await?;
        info!(case = %id, supervision = %supervision_id, "supervision issued");
        Ok(SuperviseResponse { supervision_id, owner_unit_id: owner.to_string() })
    }

    async fn set_roster(
        &self,
        caller: &Caller,
        request: SetRosterRequest,
    ) -> Result<SetRosterResponse, NodeError> {
        if request.entries.len() > MAX_ROSTER_ENTRIES {
            return Err(DomainError::invalid(
                "entries",
                why!(AT_MOST_PER_REQUEST, "at most {max} per request", max = MAX_ROSTER_ENTRIES),
            )
            .into());
        }
        let mut rows = Vec::with_capacity(request.entries.len());
        for (i, entry) in request.entries.iter().enumerate() {
            rows.push(roster_row(&self.node, entry, &format!("entries[{i}]"))?);
        }
        let (at, _) = self.node.today();
        let by = Auditor::caller(caller, rpc::SET_ROSTER);
        let mut stored = 0;
        let mut local = Vec::new();
        for (row, entry) in rows.into_iter().zip(request.entries) {
            let unit = UnitId::parse(&row.unit_id)?;
            if self.node.delegated_to(unit.as_str()).is_some() {
                let audit =
                    by.record(&self.node, format!("downlink roster {}@{}", row.unit_id, row.duty_date));
                downlink_log::append(&self.node, &unit, Body::Roster(entry), at, audit).await?;
                stored += 1;
            } else {
                local.push(row);
            }
        }
        let days: Vec<String> = local.iter().map(|r| format!("{}@{}", r.unit_id, r.duty_date)).collect();
        let audit = by.record(&self.node, format!("roster {} entries {}", local.len(), short_list(&days)));
        stored += self.node.store().set_roster(&local, audit).await?;
        Ok(SetRosterResponse { stored: u32::try_from(stored).unwrap_or(u32::MAX) })
    }

    async fn get_roster(&self, request: GetRosterRequest) -> Result<GetRosterResponse, NodeError> {
        let unit = parse_unit_id(&request.unit_id, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        let from = parse_date(&request.from_date, "from_date")?;
        let to = parse_date(&request.to_date, "to_date")?;
        if to < from || (to - from).num_days() >= MAX_ROSTER_DAYS {
            return Err(DomainError::invalid(
                "to_date",
                why!(
                    MUST_BE_ON_AFTER_FROM_DATE,
                    "must be on or after from_date, at most {max} days",
                    max = MAX_ROSTER_DAYS
                ),
            )
            .into());
        }
        let rows = self.node.store().roster(&unit, from, to).await?;
        Ok(GetRosterResponse {
            entries: rows
                .into_iter()
                .map(|r| RosterEntry { unit_id: r.unit_id, date: r.duty_date.to_string(), leader: r.leader })
                .collect(),
        })
    }

    async fn visit(
        &self,
        caller: &Caller,
        actor: Actor,
        request: RecordVisitRequest,
    ) -> Result<RecordVisitResponse, NodeError> {
        let unit = parse_unit_id(&request.unit_id, "unit_id")?;
        let requested = (!request.case_id.is_empty())
            .then(|| CaseId::parse_field(&request.case_id, "case_id"))
            .transpose()?;
        let intake = fengqiao_proto::pb::CaseIntake {
            origin_unit_id: unit.to_string(),
            category: request.category,
            channel: fengqiao_proto::pb::CaseChannel::Visit.into(),
            summary: request.summary,
            ..Default::default()
        };
        let (intake, _) = self.intake(Some(intake)).await.map_err(visit_field)?;
        let answered = if request.answered {
            let resolution = parse_text(request.resolution, "resolution")?;
            // Checked before anything is written: the visit stores several
            // events, and a refusal at the last must not leave the first.
            fengqiao_core::case::check_text(&resolution, "resolution")?;
            Some((resolution, Satisfaction::from_wire(request.satisfaction, "satisfaction")?))
        } else {
            None
        };
        let petitioner = petitioner_of(&self.node, request.petitioner)?;
        let (_, today) = self.node.today();
        let leader_on_duty =
            self.node.store().roster(&unit, today, today).await?.into_iter().next().map(|r| r.leader);
        let who = |note: &str| Who { actor: actor.clone(), note: note.to_owned() };
        let by = Auditor::caller(caller, rpc::RECORD_VISIT).with_event_kind();
        let _guard = self.node.case_lock().await;
        let (mut case, code) =
            ledger::register(&self.node, requested, intake, petitioner, who("duty-reception visit"), &by)
                .await?;
        if code.is_some() {
            (case, _) =
                ledger::act(&self.node, &case, Action::Accept, who("accepted at duty reception"), &by)
                    .await?;
            // Named in the record: the leader on duty, and the person who
            // received the visitor (their display name, else their id).
            let leader = leader_on_duty.clone().unwrap_or_else(|| actor.label());
            let assign = Action::Assign {
                leader,
                responsible: actor.label(),
                plan: if answered.is_some() {
                    "answered at duty reception".to_owned()
                } else {
                    "handled by the leader on duty's assignment".to_owned()
                },
                deadline: None,
            };
            (case, _) =
                ledger::act(&self.node, &case, assign, who("leader on duty takes the case"), &by).await?;
            if let Some((resolution, satisfaction)) = answered {
                let resolve = Action::Resolve { resolution, amount_recovered_cents: 0 };
                (case, _) = ledger::act(&self.node, &case, resolve, who("answered on the spot"), &by).await?;
                (case, _) =
                    ledger::act(&self.node, &case, Action::Close { satisfaction }, who(""), &by).await?;
            }
        }
        Ok(RecordVisitResponse {
            receipt: code.map(|code| crate::tracker::receipt(&self.node, &case.id, code)),
            r#case: Some(self.view(&case)),
            leader_on_duty: leader_on_duty.unwrap_or_default(),
        })
    }
}

#[tonic::async_trait]
impl CaseService for Cases {
    #[instrument(name = "rpc.register_case", skip_all)]
    async fn register_case(
        &self,
        request: Request<RegisterCaseRequest>,
    ) -> Result<Response<RegisterCaseResponse>, Status> {
        let origin = request.get_ref().intake.as_ref().map_or("", |i| i.origin_unit_id.as_str());
        let caller = self.node.authorize(&request, Rpc::RegisterCase, Target::Unit(origin))?;
        let stated = request.get_ref();
        let actor = self.actor(&request, &stated.actor, stated.on_behalf_of.clone())?;
        Ok(Response::new(self.register(&caller, actor, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.act_on_case", skip_all, fields(case = %request.get_ref().case_id))]
    async fn act_on_case(
        &self,
        request: Request<ActOnCaseRequest>,
    ) -> Result<Response<ActOnCaseResponse>, Status> {
        let rpc = Rpc::ActOnCase(case_action(request.get_ref().action.as_ref()).map_err(NodeError::from)?);
        let caller = self.node.authorize_rpc(&request, rpc)?;
        let stated = request.get_ref();
        let actor = self.actor(&request, &stated.actor, stated.on_behalf_of.clone())?;
        Ok(Response::new(self.act_on(&caller, actor, rpc, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.get_case", skip_all, fields(case = %request.get_ref().case_id))]
    async fn get_case(&self, request: Request<GetCaseRequest>) -> Result<Response<GetCaseResponse>, Status> {
        let rpc = Rpc::GetCase { with_petitioner: request.get_ref().with_petitioner };
        let caller = self.node.authorize_rpc(&request, rpc)?;
        Ok(Response::new(self.get(&caller, rpc, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.list_cases", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn list_cases(
        &self,
        request: Request<ListCasesRequest>,
    ) -> Result<Response<ListCasesResponse>, Status> {
        let caller =
            self.node.authorize(&request, Rpc::ListCases, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.list(&caller, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.supervise", skip_all, fields(case = %request.get_ref().case_id))]
    async fn supervise(
        &self,
        request: Request<SuperviseRequest>,
    ) -> Result<Response<SuperviseResponse>, Status> {
        let caller = self.node.authorize_rpc(&request, Rpc::Supervise)?;
        let stated = request.get_ref();
        let sender = self.actor(&request, &stated.actor, stated.on_behalf_of.clone())?;
        Ok(Response::new(Cases::supervise(self, &caller, sender, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.set_roster", skip_all)]
    async fn set_roster(
        &self,
        request: Request<SetRosterRequest>,
    ) -> Result<Response<SetRosterResponse>, Status> {
        let caller = self.node.authorize_rpc(&request, Rpc::SetRoster)?;
        for entry in &request.get_ref().entries {
            self.node.authorize_caller(&caller, Rpc::SetRoster, Target::Unit(&entry.unit_id))?;
        }
        Ok(Response::new(Cases::set_roster(self, &caller, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.get_roster", skip_all)]
    async fn get_roster(
        &self,
        request: Request<GetRosterRequest>,
    ) -> Result<Response<GetRosterResponse>, Status> {
        self.node.authorize(&request, Rpc::GetRoster, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(Cases::get_roster(self, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.record_visit", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn record_visit(
        &self,
        request: Request<RecordVisitRequest>,
    ) -> Result<Response<RecordVisitResponse>, Status> {
        let caller =
            self.node.authorize(&request, Rpc::RecordVisit, Target::Unit(&request.get_ref().unit_id))?;
        let stated = request.get_ref();
        let actor = self.actor(&request, &stated.actor, stated.on_behalf_of.clone())?;
        Ok(Response::new(self.visit(&caller, actor, request.into_inner()).await?))
    }
}
