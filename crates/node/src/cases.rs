//! `fengqiao.v1.CaseService`: the case ledger at a node, and how cases move
//! between nodes.
//!
//! One node writes a case at a time: the node that *holds* its owner unit
//! (serves it, with no child node below serving it). Writes go through
//! [`Node::case_lock`]: read the case, decide the event with the domain's
//! state machine, store it (and queue it for the parent) in one transaction.
//!
//! - **Up**: every event a node stores from its own writes or from a child
//!   node is queued in the outbox and forwarded like a report, so each
//!   ancestor's ledger covers its subtree. An escalation (or a review
//!   request) hands the case to the parent's node; the forwarder adds the
//!   petitioner's personal data to that one event only.
//! - **Down**: an assignment down (交办) to a unit a child node serves
//!   appends a handover (the whole log and the petitioner) to the downlink
//!   log; each node on the way stores the events (not forwarding them back
//!   up: the sender has them) and relays until the node holding the target.
//!   Supervision notices (督办) and duty rosters travel the same way.
//! - **Who acted**: every event records its actor from the verified caller
//!   ([`Node::actor`]); a node acting by itself (automatic escalation, repeat
//!   detection, recording a supervision notice from above) records itself.
//! - **Repeat petitions across the subtree**: the registering node links a
//!   new case to the earlier ones its own ledger holds. Every ancestor looks
//!   again, over its whole subtree, whenever a case's registration (or a
//!   change of hands) arrives from a child node ([`detect_repeats`]), and
//!   sends what it finds down to the node holding the case (a
//!   [`RepeatFlag`] on the downlink); the holder records it as the case's
//!   `repeat_found` event, which travels up like any other, so every tier
//!   counts the case as one repeat petition.

use chrono::{DateTime, Days, NaiveDate, Utc};
use fengqiao_core::actor::{Actor, NodeTask};
use fengqiao_core::case::{
    Action, Case, CaseEvent, CaseId, CaseStatus, Context, EventKind, Intake, Petitioner, RepeatFlag,
    RepeatLink, repeat_flags,
};
use fengqiao_core::why;
use fengqiao_core::{DisputeOutcome, DomainError, UnitId};
use fengqiao_proto::pb::act_on_case_request::Action as PbAction;
use fengqiao_proto::pb::case_service_server::CaseService;
use fengqiao_proto::pb::downlink_event::Body;
use fengqiao_proto::pb::{
    ActOnCaseRequest, ActOnCaseResponse, CaseHandover, GetCaseRequest, GetCaseResponse, GetRosterRequest,
    GetRosterResponse, ListCasesRequest, ListCasesResponse, RecordVisitRequest, RecordVisitResponse,
    RegisterCaseRequest, RegisterCaseResponse, RepeatFlag as PbRepeatFlag, RosterEntry, SetRosterRequest,
    SetRosterResponse, SuperviseRequest, SuperviseResponse, SupervisionNotice,
};
use fengqiao_proto::{
    actor_from_pb, actor_to_pb, case_event_from_pb, case_event_to_pb, case_status_from_pb, case_to_pb,
    intake_from_pb, on_behalf_of_from_pb, parse_date, parse_unit_id, petitioner_from_pb, petitioner_to_pb,
    review_decision_from_pb, satisfaction_from_pb, supervision_kind_from_pb,
};
use fengqiao_store::{CaseApplied, CaseEventItem, CaseQuery, RosterRow, SupervisionRow};
use tonic::{Request, Response, Status};
use tracing::{info, instrument, warn};

use crate::audit::{Auditor, rpc, short_list};
use crate::caller::Caller;
use crate::downlink;
use crate::{Node, NodeError, paging};
use fengqiao_core::authz::{CaseAction, Rpc, Target};

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

/// Who acts and what they add.
struct Who {
    actor: Actor,
    note: String,
}

impl Node {
    fn today(&self) -> (DateTime<Utc>, NaiveDate) {
        let now = self.clock().now();
        (now, self.config().time.local_date(now))
    }

    /// A case this node has in its ledger, or NOT_FOUND.
    async fn stored_case(&self, id: &CaseId) -> Result<fengqiao_store::StoredCase, NodeError> {
        self.store().get_case(id).await?.ok_or_else(|| {
            DomainError::NotFound(why!(
                CASE_NOT_IN_THIS_NODE_S,
                "case {id} is not in this node's ledger",
                id = id
            ))
            .into()
        })
    }

    /// Refuses to write a case this node does not hold, naming its owner.
    fn require_held(&self, case: &Case) -> Result<(), NodeError> {
        if self.holds(case.owner_unit.as_str()) {
            return Ok(());
        }
        let why = match self.delegated_to(case.owner_unit.as_str()) {
            Some(node_unit) => why!(
                CASE_HELD_BELOW,
                "case {case} is {status} and owned by unit {owner}, which the node of unit {node_unit} holds; act there",
                case = case.id,
                status = case.status,
                owner = case.owner_unit,
                node_unit = node_unit
            ),
            None => why!(
                CASE_HELD_ABOVE,
                "case {case} is {status} and owned by unit {owner}, which an upper tier's node holds; act there",
                case = case.id,
                status = case.status,
                owner = case.owner_unit
            ),
        };
        Err(DomainError::FailedPrecondition(why).into())
    }

    /// The acting context for a case owned by `owner`.
    async fn context<'a>(
        &self,
        owner: &UnitId,
        who: Who,
        is_below_owner: &'a (dyn Fn(&UnitId) -> bool + Sync),
    ) -> Result<Context<'a>, NodeError> {
        let (at, on) = self.today();
        let owner_parent = if owner.as_str() == self.config().home_unit {
            self.parent_unit().await?
        } else {
            self.tree().get(owner.as_str()).and_then(|unit| unit.parent.clone())
        };
        Ok(Context {
            at,
            on,
            actor: who.actor,
            note: who.note,
            owner_parent,
            is_below_owner,
            policy: self.config().cases.deadlines,
        })
    }

    /// Decides `action` on a held case and stores the event (queued for the
    /// parent, audited as `by`'s); then hands the case down when it went to
    /// a child node. Call with the case lock held.
    async fn act(
        &self,
        case: &Case,
        action: Action,
        who: Who,
        by: &Auditor,
    ) -> Result<(Case, CaseEvent), NodeError> {
        self.require_held(case)?;
        let tree = self.tree();
        let owner = case.owner_unit.clone();
        let below = move |unit: &UnitId| unit != &owner && tree.is_within(unit.as_str(), owner.as_str());
        let ctx = self.context(&case.owner_unit, who, &below).await?;
        let event = case.decide(action, &ctx)?;
        self.store_own(event.clone(), None, by).await?;
        let mut updated = case.clone();
        updated.apply(&event)?;
        if let EventKind::AssignedDown { to, .. } = &event.kind {
            self.hand_down(&updated.id, to, event.at, by).await?;
        }
        Ok((updated, event))
    }

    /// Stores an event this node wrote, audited as `by`'s.
    async fn store_own(
        &self,
        event: CaseEvent,
        petitioner: Option<Petitioner>,
        by: &Auditor,
    ) -> Result<(), NodeError> {
        let forward = self.config().parent.is_some();
        let audit = by.event_record(self, &event);
        let mut results =
            self.store().apply_case_events(vec![CaseEventItem { event, petitioner, audit }], forward).await?;
        match results.pop() {
            Some(Ok(_)) => {
                self.committer().committed().notify_waiters();
                Ok(())
            }
            Some(Err(refusal)) => Err(refusal.into()),
            None => {
                Err(DomainError::FailedPrecondition(why!(EVENT_WAS_NOT_STORED, "the event was not stored"))
                    .into())
            }
        }
    }

    /// Appends a handover of the whole case to the downlink log when `to`
    /// is served by a child node.
    async fn hand_down(
        &self,
        id: &CaseId,
        to: &UnitId,
        at: DateTime<Utc>,
        by: &Auditor,
    ) -> Result<(), NodeError> {
        if self.delegated_to(to.as_str()).is_none() {
            return Ok(());
        }
        let stored = self.stored_case(id).await?;
        let petitioner = self.store().case_petitioner(id).await?;
        let handover = CaseHandover {
            events: stored.events.iter().map(case_event_to_pb).collect(),
            petitioner: petitioner.as_ref().map(petitioner_to_pb),
        };
        let audit = by.record(self, handover_target(id, handover.events.len(), to));
        downlink::append(self, to, Body::CaseHandover(handover), at, audit).await
    }
}

/// The petitioner's data and reference from a request, if any.
fn petitioner_of(
    node: &Node,
    petitioner: Option<fengqiao_proto::pb::Petitioner>,
) -> Result<Option<(Petitioner, String)>, NodeError> {
    let Some(petitioner) =
        petitioner.filter(|p| !(p.name.is_empty() && p.phone.is_empty() && p.id_number.is_empty()))
    else {
        return Ok(None);
    };
    let petitioner = petitioner_from_pb(petitioner, "petitioner")?;
    let reference =
        fengqiao_core::case::petitioner_ref(&node.config().cases.petitioner_secret, &petitioner.id_number);
    Ok(Some((petitioner, reference)))
}

fn optional_date(value: &str, field: &str) -> Result<Option<NaiveDate>, DomainError> {
    if value.is_empty() { Ok(None) } else { parse_date(value, field).map(Some) }
}

fn text(value: String, field: &str) -> Result<String, DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
    }
    Ok(value)
}

/// What an `ActOnCase` request asks for, to authorize it before anything is read.
fn case_action(action: Option<&PbAction>) -> Result<CaseAction, DomainError> {
    let action = action.ok_or_else(|| DomainError::invalid("action", why!(MUST_BE_SET, "must be set")))?;
    Ok(match action {
        PbAction::Accept(_) => CaseAction::Accept,
        PbAction::Decline(_) => CaseAction::Decline,
        PbAction::Assign(_) => CaseAction::Assign,
        PbAction::Progress(_) => CaseAction::Progress,
        PbAction::Extend(_) => CaseAction::Extend,
        PbAction::Escalate(_) => CaseAction::Escalate,
        PbAction::AssignDown(_) => CaseAction::AssignDown,
        PbAction::Resolve(_) => CaseAction::Resolve,
        PbAction::Close(_) => CaseAction::Close,
        PbAction::Reopen(_) => CaseAction::Reopen,
        PbAction::RequestReview(_) => CaseAction::RequestReview,
        PbAction::DecideReview(_) => CaseAction::DecideReview,
        PbAction::ReplySupervision(_) => CaseAction::ReplySupervision,
    })
}

/// The target of a case RPC: its owner now and the unit that registered it.
fn case_target(case: &Case) -> Target<'_> {
    Target::Case { owner: case.owner_unit.as_str(), origin: case.intake.origin_unit.as_str() }
}

/// The domain action of an `ActOnCase` request.
fn action_from_pb(action: Option<PbAction>) -> Result<Action, DomainError> {
    let action = action.ok_or_else(|| DomainError::invalid("action", why!(MUST_BE_SET, "must be set")))?;
    Ok(match action {
        PbAction::Accept(_) => Action::Accept,
        PbAction::Decline(d) => Action::Decline { reason: text(d.reason, "decline.reason")? },
        PbAction::Assign(a) => Action::Assign {
            leader: text(a.leader, "assign.leader")?,
            responsible: text(a.responsible, "assign.responsible")?,
            plan: text(a.plan, "assign.plan")?,
            deadline: optional_date(&a.deadline, "assign.deadline")?,
        },
        PbAction::Progress(_) => Action::Progress,
        PbAction::Extend(e) => Action::Extend { days: e.days, reason: text(e.reason, "extend.reason")? },
        PbAction::Escalate(e) => Action::Escalate { reason: text(e.reason, "escalate.reason")? },
        PbAction::AssignDown(a) => Action::AssignDown {
            to: parse_unit_id(&a.to_unit_id, "assign_down.to_unit_id")?,
            deadline: optional_date(&a.deadline, "assign_down.deadline")?,
        },
        PbAction::Resolve(r) => Action::Resolve {
            resolution: text(r.resolution, "resolve.resolution")?,
            amount_recovered_cents: r.amount_recovered_cents,
        },
        PbAction::Close(c) => {
            Action::Close { satisfaction: satisfaction_from_pb(c.satisfaction, "close.satisfaction")? }
        }
        PbAction::Reopen(r) => Action::Reopen { reason: text(r.reason, "reopen.reason")? },
        PbAction::RequestReview(r) => {
            Action::RequestReview { reason: text(r.reason, "request_review.reason")? }
        }
        PbAction::DecideReview(d) => {
            Action::DecideReview { decision: review_decision_from_pb(d.decision, "decide_review.decision")? }
        }
        PbAction::ReplySupervision(r) => Action::ReplySupervision {
            supervision_id: text(r.supervision_id, "reply_supervision.supervision_id")?,
        },
    })
}

/// The name of an action's case in the request's `action` oneof, which the
/// fields of the action sit under on the wire (`decline.reason`).
fn action_wire_name(action: &PbAction) -> &'static str {
    match action {
        PbAction::Accept(_) => "accept",
        PbAction::Decline(_) => "decline",
        PbAction::Assign(_) => "assign",
        PbAction::Progress(_) => "progress",
        PbAction::Extend(_) => "extend",
        PbAction::Escalate(_) => "escalate",
        PbAction::AssignDown(_) => "assign_down",
        PbAction::Resolve(_) => "resolve",
        PbAction::Close(_) => "close",
        PbAction::Reopen(_) => "reopen",
        PbAction::RequestReview(_) => "request_review",
        PbAction::DecideReview(_) => "decide_review",
        PbAction::ReplySupervision(_) => "reply_supervision",
    }
}

/// A refusal of an action's field (`reason`) named as the client sent it
/// (`decline.reason`); the request's own `note` keeps its name.
fn within_action(error: NodeError, wire_name: &str) -> NodeError {
    match error {
        NodeError::Domain(DomainError::Invalid { field, reason }) if field != "note" => {
            NodeError::Domain(DomainError::Invalid { field: format!("{wire_name}.{field}"), reason })
        }
        other => other,
    }
}

/// A refusal of the intake a visit makes, named by the visit's own fields
/// (`summary`, `category`, `unit_id`).
fn visit_field(error: NodeError) -> NodeError {
    match error {
        NodeError::Domain(DomainError::Invalid { field, reason }) => {
            let field = match field.strip_prefix("intake.") {
                Some("origin_unit_id") => "unit_id".to_owned(),
                Some(rest) => rest.to_owned(),
                None => field,
            };
            NodeError::Domain(DomainError::Invalid { field, reason })
        }
        other => other,
    }
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
        let on_behalf_of = on_behalf_of_from_pb(on_behalf_of, "on_behalf_of")?;
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
                intake.category = fengqiao_proto::category_to_pb(dispute.category()).into();
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
        Ok((intake_from_pb(intake, "intake")?, dispute_case_id))
    }

    /// Registers a case at a unit this node holds. With the case lock held.
    async fn register_locked(
        &self,
        requested_id: Option<CaseId>,
        mut intake: Intake,
        petitioner: Option<(Petitioner, String)>,
        who: Who,
        by: &Auditor,
    ) -> Result<(Case, bool), NodeError> {
        let (at, on) = self.node.today();
        let id = match requested_id {
            Some(id) => id,
            None => {
                let prefix = format!("{}-{}-", intake.origin_unit, on.format("%Y%m%d"));
                let n = self.node.store().count_cases_with_prefix(&prefix).await? + 1;
                CaseId::parse(&format!("{prefix}{n}"))?
            }
        };
        intake.petitioner_ref = petitioner.as_ref().map(|(_, reference)| reference.clone());
        if let Some(existing) = self.node.store().get_case(&id).await? {
            // A retry of the same registration answers with the case.
            return if existing.case.intake == intake {
                Ok((existing.case, false))
            } else {
                Err(DomainError::AlreadyExists(why!(
                    CASE_ALREADY_REGISTERED_WITH_OTHER_CONTENT,
                    "case {id} is already registered with other content",
                    id = id
                ))
                .into())
            };
        }
        let policy = self.node.config().cases.deadlines;
        let repeat = match &intake.petitioner_ref {
            Some(reference) => {
                let since = RepeatLink::window_start(on, policy.repeat_window_days);
                let earlier = self.node.store().find_repeats(reference, intake.category, since).await?;
                RepeatLink::decide(
                    on,
                    policy.repeat_window_days,
                    earlier.into_iter().filter(|e| e != &id).collect(),
                )
            }
            None => None,
        };
        let nobody_below = |_: &UnitId| false;
        let mut ctx = self.node.context(&intake.origin_unit, who, &nobody_below).await?;
        ctx.at = at;
        ctx.on = on;
        let event = Case::register(id, intake, repeat, &ctx)?;
        let case = Case::start(&event)?;
        if case.repeat.is_some() {
            info!(case = %case.id, "repeat petition registered");
        }
        self.node.store_own(event, petitioner.map(|(p, _)| p), by).await?;
        Ok((case, true))
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
        let (case, created) = self.register_locked(requested, intake, petitioner, who, &by).await?;
        Ok(RegisterCaseResponse { r#case: Some(self.view(&case)), created })
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
        let action = action_from_pb(request.action)?;
        let who = Who { actor, note: request.note };
        let _guard = self.node.case_lock().await;
        let stored = self.node.stored_case(&id).await?;
        // Where to act comes before what changed: a caller at the wrong node
        // is told where the case is held, not to reload it here. A case
        // escalated out of this node's tree is no longer in reach of the
        // action, but whoever may still read it here (it was registered in
        // their subtree) learns where it went (FAILED_PRECONDITION), not
        // that they may not act (PERMISSION_DENIED).
        if !self.node.holds(stored.case.owner_unit.as_str()) {
            let read = Rpc::GetCase { with_petitioner: false };
            self.node.authorize_caller(caller, read, case_target(&stored.case))?;
            self.node.require_held(&stored.case)?;
        }
        self.node.authorize_caller(caller, rpc, case_target(&stored.case))?;
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
        let by = Auditor::caller(caller, rpc::ACT_ON_CASE).with_event_kind();
        let (case, event) = self
            .node
            .act(&stored.case, action, who, &by)
            .await
            .map_err(|error| within_action(error, wire_name))?;
        Ok(ActOnCaseResponse { r#case: Some(self.view(&case)), event: Some(case_event_to_pb(&event)) })
    }

    async fn get(
        &self,
        caller: &Caller,
        rpc: Rpc,
        request: GetCaseRequest,
    ) -> Result<GetCaseResponse, NodeError> {
        let id = CaseId::parse_field(&request.case_id, "case_id")?;
        let stored = self.node.stored_case(&id).await?;
        self.node.authorize_caller(caller, rpc, case_target(&stored.case))?;
        let petitioner = if request.with_petitioner && self.node.holds(stored.case.owner_unit.as_str()) {
            self.node.store().case_petitioner(&id).await?.as_ref().map(petitioner_to_pb)
        } else {
            None
        };
        let case = self.view(&stored.case);
        let events: Vec<_> = stored
            .events
            .iter()
            .filter(|event| event.seq > request.events_after_sequence)
            .map(case_event_to_pb)
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

    async fn list(&self, request: ListCasesRequest) -> Result<ListCasesResponse, NodeError> {
        let root = parse_unit_id(&request.unit_id, "unit_id")?;
        self.node.served_unit(root.as_str())?;
        let statuses = request
            .statuses
            .iter()
            .enumerate()
            .map(|(i, s)| case_status_from_pb(*s, &format!("statuses[{i}]")))
            .collect::<Result<Vec<CaseStatus>, _>>()?;
        let (_, today) = self.node.today();
        let as_of = optional_date(&request.as_of, "as_of")?.unwrap_or(today);
        let limit = match request.page_size {
            0 => DEFAULT_PAGE,
            n if n > MAX_PAGE => {
                return Err(DomainError::invalid(
                    "page_size",
                    why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_PAGE),
                )
                .into());
            }
            n => n,
        };
        let before =
            if request.page_token.is_empty() { None } else { Some(parse_page_token(&request.page_token)?) };
        let query = CaseQuery {
            root,
            statuses,
            overdue_on: request.overdue.then_some(as_of),
            repeat_only: request.repeat,
            registered_from: optional_date(&request.registered_from, "registered_from")?,
            registered_to: optional_date(&request.registered_to, "registered_to")?,
            before,
            limit: limit + 1,
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
        let kind = supervision_kind_from_pb(request.kind, "kind")?;
        let reply_by = parse_date(&request.reply_by, "reply_by")?;
        let text = text(request.text, "text")?;
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
        let stored = self.node.stored_case(&id).await?;
        self.node.authorize_caller(caller, Rpc::Supervise, case_target(&stored.case))?;
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
            kind: fengqiao_proto::supervision_kind_to_pb(kind).into(),
            reply_by: reply_by.to_string(),
            text,
            actor: sender.legacy_text(),
            sender: Some(actor_to_pb(&sender)),
        };
        let by = Auditor::caller(caller, rpc::SUPERVISE);
        let audit = by.record(&self.node, format!("case {id} supervision {supervision_id} to {owner}"));
        self.node.store().insert_supervision(&supervision_row(&notice, &owner, at)?, audit).await?;
        drop(_guard);
        deliver_supervision(&self.node, &owner, notice, at, &by).await?;
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
                downlink::append(&self.node, &unit, Body::Roster(entry), at, audit).await?;
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
            let resolution = text(request.resolution, "resolution")?;
            // Checked before anything is written: the visit stores several
            // events, and a refusal at the last must not leave the first.
            fengqiao_core::case::check_text(&resolution, "resolution")?;
            Some((resolution, satisfaction_from_pb(request.satisfaction, "satisfaction")?))
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
        let (mut case, created) =
            self.register_locked(requested, intake, petitioner, who("duty-reception visit"), &by).await?;
        if created {
            (case, _) = self.node.act(&case, Action::Accept, who("accepted at duty reception"), &by).await?;
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
            (case, _) = self.node.act(&case, assign, who("leader on duty takes the case"), &by).await?;
            if let Some((resolution, satisfaction)) = answered {
                let resolve = Action::Resolve { resolution, amount_recovered_cents: 0 };
                (case, _) = self.node.act(&case, resolve, who("answered on the spot"), &by).await?;
                (case, _) = self.node.act(&case, Action::Close { satisfaction }, who(""), &by).await?;
            }
        }
        Ok(RecordVisitResponse {
            r#case: Some(self.view(&case)),
            leader_on_duty: leader_on_duty.unwrap_or_default(),
        })
    }
}

/// The audit target of a handover queued for a child node.
fn handover_target(case_id: impl std::fmt::Display, events: usize, to: &UnitId) -> String {
    format!("downlink case_handover case {case_id} events={events} to {to}")
}

/// The case a handover carries (its events' case id), for the audit log.
fn events_case_id(handover: &CaseHandover) -> &str {
    handover.events.first().map_or("?", |e| e.case_id.as_str())
}

fn parse_page_token(token: &str) -> Result<(DateTime<Utc>, CaseId), DomainError> {
    let bad = || {
        DomainError::invalid(
            "page_token",
            why!(NOT_TOKEN_THIS_NODE_GAVE_OUT, "is not a token this node gave out"),
        )
    };
    let (at, id) = token.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
    Ok((at, CaseId::parse(id).map_err(|_| bad())?))
}

fn roster_row(node: &Node, entry: &RosterEntry, path: &str) -> Result<RosterRow, NodeError> {
    let unit = parse_unit_id(&entry.unit_id, &format!("{path}.unit_id"))?;
    node.served_unit(unit.as_str())?;
    let date = parse_date(&entry.date, &format!("{path}.date"))?;
    let leader = text(entry.leader.clone(), &format!("{path}.leader"))?;
    fengqiao_core::case::check_name(&leader, &format!("{path}.leader"))?;
    Ok(RosterRow { unit_id: unit.to_string(), duty_date: date, leader })
}

/// A supervision notice as stored; a malformed one (from the downlink) is refused.
fn supervision_row(
    notice: &SupervisionNotice,
    owner: &UnitId,
    at: DateTime<Utc>,
) -> Result<SupervisionRow, DomainError> {
    Ok(SupervisionRow {
        supervision_id: notice.supervision_id.clone(),
        case_id: notice.case_id.clone(),
        from_unit_id: notice.from_unit_id.clone(),
        to_unit_id: owner.to_string(),
        kind: supervision_kind_from_pb(notice.kind, "supervision.kind")?.as_str().to_owned(),
        reply_by: parse_date(&notice.reply_by, "supervision.reply_by")?,
        text: notice.text.clone(),
        sender: actor_from_pb(notice.sender.clone(), &notice.actor, "supervision.sender")?,
        issued_at: at,
    })
}

/// Delivers a supervision notice toward the case's owner: down the
/// downlink when a child node serves it, else recorded on the case here.
async fn deliver_supervision(
    node: &Node,
    owner: &UnitId,
    notice: SupervisionNotice,
    at: DateTime<Utc>,
    by: &Auditor,
) -> Result<(), NodeError> {
    if node.delegated_to(owner.as_str()).is_some() {
        let target =
            format!("downlink supervision {} of case {} to {owner}", notice.supervision_id, notice.case_id);
        return downlink::append(node, owner, Body::Supervision(notice), at, by.record(node, target)).await;
    }
    let id = CaseId::parse_field(&notice.case_id, "supervision.case_id")?;
    let _guard = node.case_lock().await;
    let Some(stored) = node.store().get_case(&id).await? else {
        warn!(case = %id, "supervision for a case this node does not have; kept without a case event");
        return Ok(());
    };
    if !node.holds(stored.case.owner_unit.as_str()) {
        // The case moved on meanwhile; the notice stays on record here.
        return Ok(());
    }
    if stored.case.supervisions.iter().any(|s| s.id == notice.supervision_id) {
        return Ok(());
    }
    let from = UnitId::parse_field(&notice.from_unit_id, "supervision.from_unit_id")?;
    let action = Action::Supervised {
        supervision_id: notice.supervision_id.clone(),
        from: from.clone(),
        kind: supervision_kind_from_pb(notice.kind, "supervision.kind")?,
        reply_by: parse_date(&notice.reply_by, "supervision.reply_by")?,
        sender: Some(actor_from_pb(notice.sender, &notice.actor, "supervision.sender")?),
    };
    // The issuing tier's node delivers the notice; its sender is in the event.
    let who = Who { actor: Actor::node(from, NodeTask::Supervision), note: notice.text };
    node.act(&stored.case, action, who, by).await?;
    Ok(())
}

/// A supervision notice from the parent's downlink.
pub(crate) async fn receive_supervision(
    node: &Node,
    target: &UnitId,
    notice: SupervisionNotice,
) -> Result<(), NodeError> {
    let (at, _) = node.today();
    let by = Auditor::downlink(node, "supervision");
    let audit =
        by.record(node, format!("case {} supervision {} to {target}", notice.case_id, notice.supervision_id));
    node.store().insert_supervision(&supervision_row(&notice, target, at)?, audit).await?;
    deliver_supervision(node, target, notice, at, &by).await?;
    Ok(())
}

/// A case handed down by the parent: stores its events (not forwarding them
/// back up), keeps the petitioner when this node now holds the case, and
/// relays the handover when a child node serves the target.
pub(crate) async fn receive_handover(
    node: &Node,
    target: &UnitId,
    handover: CaseHandover,
) -> Result<(), NodeError> {
    let events = handover
        .events
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| case_event_from_pb(e, &format!("case_handover.events[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let holds = node.holds(target.as_str());
    let petitioner = match (&handover.petitioner, holds) {
        (Some(p), true) => Some(petitioner_from_pb(p.clone(), "case_handover.petitioner")?),
        _ => None,
    };
    let count = events.len();
    let by = Auditor::downlink(node, "case_handover");
    let items = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| CaseEventItem {
            audit: by.event_record(node, &event),
            event,
            petitioner: if i + 1 == count { petitioner.clone() } else { None },
        })
        .collect();
    let _guard = node.case_lock().await;
    for (i, result) in node.store().apply_case_events(items, false).await?.into_iter().enumerate() {
        if let Err(refusal) = result {
            warn!(%refusal, event = i, "a handed-down case event conflicts with the stored one; kept the stored");
        }
    }
    drop(_guard);
    if !holds {
        let (at, _) = node.today();
        let audit = by.record(node, handover_target(events_case_id(&handover), count, target));
        downlink::append(node, target, Body::CaseHandover(handover), at, audit).await?;
    }
    Ok(())
}

/// A roster entry from the parent's downlink.
pub(crate) async fn receive_roster(node: &Node, entry: RosterEntry) -> Result<(), NodeError> {
    let unit = parse_unit_id(&entry.unit_id, "roster.unit_id")?;
    let by = Auditor::downlink(node, "roster");
    if node.delegated_to(unit.as_str()).is_some() {
        let (at, _) = node.today();
        let audit = by.record(node, format!("downlink roster {}@{}", entry.unit_id, entry.date));
        return downlink::append(node, &unit, Body::Roster(entry), at, audit).await;
    }
    let row = roster_row(node, &entry, "roster")?;
    let audit = by.record(node, format!("roster {}@{}", entry.unit_id, entry.date));
    node.store().set_roster(&[row], audit).await?;
    Ok(())
}

/// Applies case events pushed by a child node (after the uplink checked the
/// sender). A petitioner is kept only when the event hands the case to a
/// unit this node holds. Then looks for repeat petitions around every case
/// whose registration or change of hands arrived ([`detect_repeats`]) —
/// resent ones included, so a push that failed after its commit finds them
/// when the child sends it again. Returns the outcome of each, in order.
pub(crate) async fn apply_pushed(
    node: &Node,
    items: Vec<(CaseEvent, Option<fengqiao_proto::pb::Petitioner>)>,
    by: &Auditor,
) -> Result<Vec<Result<CaseApplied, DomainError>>, NodeError> {
    let mut arrived: Vec<CaseId> = items
        .iter()
        .filter(|(event, _)| {
            matches!(event.kind, EventKind::Registered { .. }) || event.kind.new_owner().is_some()
        })
        .map(|(event, _)| event.case_id.clone())
        .collect();
    arrived.dedup();
    let mut batch = Vec::with_capacity(items.len());
    for (i, (event, petitioner)) in items.into_iter().enumerate() {
        let arriving = event.kind.new_owner().is_some_and(|to| node.holds(to.as_str()));
        let petitioner = match petitioner {
            Some(p) if arriving => Some(petitioner_from_pb(p, &format!("items[{i}].case_event.petitioner"))?),
            _ => None,
        };
        batch.push(CaseEventItem { audit: by.event_record(node, &event), event, petitioner });
    }
    let forward = node.config().parent.is_some();
    let guard = node.case_lock().await;
    let results = node.store().apply_case_events(batch, forward).await?;
    drop(guard);
    detect_repeats(node, arrived).await?;
    Ok(results)
}

/// Repeat detection over this node's whole ledger (its subtree) around each
/// of `cases`: every repeat petition its ledger shows that the case
/// concerned does not record yet ([`repeat_flags`]) goes to the node that
/// holds that case — recorded here when this node holds it, sent down the
/// downlink when a child node does; a case held above this node is left to
/// its holder, an ancestor whose ledger holds everything this one does and
/// which looks again when the case reaches it.
pub async fn detect_repeats(node: &Node, cases: Vec<CaseId>) -> Result<(), NodeError> {
    let window = node.config().cases.deadlines.repeat_window_days;
    let home = UnitId::parse(&node.config().home_unit)?;
    let by = Auditor::internal("repeat-detection", rpc::REPEAT_FOUND);
    for id in cases {
        let Some(stored) = node.store().get_case(&id).await? else { continue };
        let case = stored.case;
        let Some(reference) = &case.intake.petitioner_ref else { continue };
        let from = RepeatLink::window_start(case.registered_on, window);
        let to = case.registered_on.checked_add_days(Days::new(u64::from(window))).unwrap_or(NaiveDate::MAX);
        let others = node.store().cases_of_petitioner(reference, case.intake.category, from, to).await?;
        for flag in repeat_flags(&case, &others, window) {
            let owner = if flag.case == case.id {
                case.owner_unit.clone()
            } else {
                match others.iter().find(|other| other.id == flag.case) {
                    Some(other) => other.owner_unit.clone(),
                    None => continue,
                }
            };
            info!(case = %flag.case, of = flag.of.len(), "repeat petition found over the subtree");
            deliver_repeat_flag(node, &owner, &home, flag, &by).await?;
        }
    }
    Ok(())
}

/// Takes a repeat flag found by the node of `found_by` toward the node
/// holding its case, whose owner (as known here) is `owner`, audited as
/// `by`'s. Returns the event when it was recorded here.
async fn deliver_repeat_flag(
    node: &Node,
    owner: &UnitId,
    found_by: &UnitId,
    flag: RepeatFlag,
    by: &Auditor,
) -> Result<Option<CaseEvent>, NodeError> {
    if node.holds(owner.as_str()) {
        return record_repeat_flag(node, found_by, flag, by).await;
    }
    if node.delegated_to(owner.as_str()).is_some() {
        let body = Body::RepeatFlag(PbRepeatFlag {
            case_id: flag.case.to_string(),
            of_case_ids: flag.of.iter().map(ToString::to_string).collect(),
            window_days: flag.window_days,
            since: flag.since.to_string(),
            found_by_unit_id: found_by.to_string(),
        });
        let (at, _) = node.today();
        let target = format!("downlink repeat_flag case {} to {owner}", flag.case);
        downlink::append(node, owner, body, at, by.record(node, target)).await?;
        return Ok(None);
    }
    tracing::debug!(case = %flag.case, %owner, "case held above this node; its holder looks for repeats itself");
    Ok(None)
}

/// Records a repeat flag on a case this node holds as its `repeat_found`
/// event (acted by the node that found it). A flag that links nothing new —
/// a replay, or what another tier found first — changes nothing.
async fn record_repeat_flag(
    node: &Node,
    found_by: &UnitId,
    flag: RepeatFlag,
    by: &Auditor,
) -> Result<Option<CaseEvent>, NodeError> {
    let _guard = node.case_lock().await;
    let Some(stored) = node.store().get_case(&flag.case).await? else {
        warn!(case = %flag.case, "repeat flag for a case this node does not have; skipped");
        return Ok(None);
    };
    if !node.holds(stored.case.owner_unit.as_str()) {
        // The case moved on meanwhile; its new holder's ancestors look again.
        return Ok(None);
    }
    let who = Who { actor: Actor::node(found_by.clone(), NodeTask::RepeatDetection), note: String::new() };
    match node.act(&stored.case, flag.action(), who, by).await {
        Ok((_, event)) => Ok(Some(event)),
        Err(NodeError::Domain(DomainError::AlreadyExists(_))) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A repeat flag from the parent's downlink: recorded when this node holds
/// the case, relayed toward the node that holds it otherwise.
pub(crate) async fn receive_repeat_flag(
    node: &Node,
    target: &UnitId,
    flag: PbRepeatFlag,
) -> Result<(), NodeError> {
    let case = CaseId::parse_field(&flag.case_id, "repeat_flag.case_id")?;
    let of = flag
        .of_case_ids
        .iter()
        .enumerate()
        .map(|(i, id)| CaseId::parse_field(id, &format!("repeat_flag.of_case_ids[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let found_by = parse_unit_id(&flag.found_by_unit_id, "repeat_flag.found_by_unit_id")?;
    let since = parse_date(&flag.since, "repeat_flag.since")?;
    // Where the case is as this node knows it (it may have moved since the
    // flag was sent), else where the sender thought.
    let owner = match node.store().get_case(&case).await? {
        Some(stored) => stored.case.owner_unit,
        None => target.clone(),
    };
    let flag = RepeatFlag { case, of, window_days: flag.window_days, since };
    let by = Auditor::downlink(node, "repeat_flag");
    deliver_repeat_flag(node, &owner, &found_by, flag, &by).await?;
    Ok(())
}

/// The petitioner to send with a forwarded event: only when the event hands
/// the case to a unit above this node (the case leaves it).
pub(crate) async fn petitioner_for_uplink(
    node: &Node,
    event: &CaseEvent,
) -> Result<Option<fengqiao_proto::pb::Petitioner>, NodeError> {
    let Some(to) = event.kind.new_owner() else { return Ok(None) };
    if node.tree().get(to.as_str()).is_some() {
        return Ok(None);
    }
    Ok(node.store().case_petitioner(&event.case_id).await?.as_ref().map(petitioner_to_pb))
}

/// Escalates every case this node holds that has been overdue for the
/// configured number of days since it reached its current owner. Returns
/// the escalated case ids.
pub async fn auto_escalate(node: &Node) -> Result<Vec<CaseId>, NodeError> {
    let Some(after) = node.config().cases.deadlines.auto_escalate_after_days else { return Ok(Vec::new()) };
    let home = UnitId::parse(&node.config().home_unit)?;
    let (_, today) = node.today();
    let by = Auditor::internal("auto-escalation", rpc::AUTO_ESCALATE);
    let mut escalated = Vec::new();
    let mut before = None;
    loop {
        let query = CaseQuery {
            root: home.clone(),
            statuses: Vec::new(),
            overdue_on: Some(today),
            repeat_only: false,
            registered_from: None,
            registered_to: None,
            before: before.clone(),
            limit: 200,
        };
        let page = node.store().list_cases(&query).await?;
        let Some(last) = page.last() else { break };
        before = Some((last.registered_at, last.id.clone()));
        for case in page {
            if !node.holds(case.owner_unit.as_str()) {
                continue;
            }
            let _guard = node.case_lock().await;
            let stored = node.stored_case(&case.id).await?;
            let case = stored.case;
            let arrived = stored
                .events
                .iter()
                .rev()
                .find(|e| e.kind.new_owner().is_some() || matches!(e.kind, EventKind::Registered { .. }))
                .map_or(case.registered_on, |e| e.on);
            let Some(due) = case.due() else { continue };
            let counted_from = due.max(arrived);
            if (today - counted_from).num_days() < i64::from(after) || case.status == CaseStatus::UnderReview
            {
                continue;
            }
            let reason =
                format!("overdue {} days (automatic escalation after {after})", case.days_overdue(today));
            match node
                .act(
                    &case,
                    Action::Escalate { reason },
                    Who { actor: Actor::node(home.clone(), NodeTask::AutoEscalation), note: String::new() },
                    &by,
                )
                .await
            {
                Ok(_) => escalated.push(case.id.clone()),
                Err(NodeError::Domain(DomainError::FailedPrecondition(why))) => {
                    // At the root there is no one to escalate to.
                    tracing::debug!(case = %case.id, %why, "not escalated");
                }
                Err(other) => return Err(other),
            }
        }
    }
    if !escalated.is_empty() {
        info!(n = escalated.len(), "overdue cases escalated automatically");
    }
    Ok(escalated)
}

/// Runs [`auto_escalate`] every `cases.tick` until the task is aborted.
pub async fn run_auto_escalation(node: Node) {
    if node.config().cases.deadlines.auto_escalate_after_days.is_none() {
        return;
    }
    loop {
        if let Err(error) = auto_escalate(&node).await {
            warn!(%error, "automatic escalation failed; retrying at the next tick");
        }
        tokio::time::sleep(node.config().cases.tick).await;
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
        self.node.authorize(&request, Rpc::ListCases, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.list(request.into_inner()).await?))
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
