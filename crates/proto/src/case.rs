//! The case ledger both ways: intakes, petitioners, repeat links, case events
//! (every kind of the `CaseEvent.kind` oneof), actors and cases.
//!
//! Field paths in errors are relative to the message converted and follow
//! the wire, so an event's fields sit below the name of its oneof case:
//! `assigned.deadline`, `registered.intake.category`; converted with
//! [`crate::convert_at`]`(event, "event")` they read `event.assigned.deadline`.

use chrono::NaiveDate;
use fengqiao_core::DisputeCategory;
use fengqiao_core::DomainError;
use fengqiao_core::actor::{Actor, DisplayName, NodeTask, Principal};
use fengqiao_core::case::{
    Case, CaseEvent, CaseId, CaseStatus, Channel, DepartmentTask, DisputeRef, EventKind, GroupMember, Intake,
    Petitioner, PetitionerRating, PublicReply, RepeatLink, ReviewDecision, Satisfaction, SupervisionEntry,
    SupervisionKind, WorkingGroup, days_past,
};
use fengqiao_core::department::DepartmentId;
use fengqiao_core::identity::Role;
use fengqiao_core::read::{CaseFile, CaseRecord, EventRecord, PetitionerRecord};
use fengqiao_core::why;

use crate::enums::WireEnum;
use crate::pb;
use crate::pb::case_event::Kind;
use crate::scalars::{
    format_date, from_timestamp, parse_date, parse_optional_date, parse_unit_id, timestamp,
};
use crate::{convert_at, convert_each, join, required, required_at};

/// An optional date as the wire writes it: empty when unset.
fn optional_date(date: Option<NaiveDate>) -> String {
    date.map(format_date).unwrap_or_default()
}

/// An optional text: empty on the wire is `None`.
fn optional_text(value: String) -> Option<String> {
    if value.is_empty() { None } else { Some(value) }
}

impl From<&Principal> for pb::OnBehalfOf {
    fn from(principal: &Principal) -> Self {
        pb::OnBehalfOf {
            person_id: principal.id.clone(),
            display_name: principal.name.as_ref().map(ToString::to_string).unwrap_or_default(),
        }
    }
}

/// Whom a request says the caller acts for: none when empty (read an absent
/// field as the empty message: `on_behalf_of.unwrap_or_default()`); else a
/// valid person id and an optional display name. Errors name `person_id` or
/// `display_name`.
impl TryFrom<pb::OnBehalfOf> for Option<Principal> {
    type Error = DomainError;

    fn try_from(principal: pb::OnBehalfOf) -> Result<Self, DomainError> {
        if principal.person_id.is_empty() && principal.display_name.is_empty() {
            return Ok(None);
        }
        let name = optional_text(principal.display_name)
            .map(|name| DisplayName::parse_field(&name, "display_name"))
            .transpose()?;
        Principal::new(&principal.person_id, name, "").map(Some)
    }
}

impl From<&Actor> for pb::Actor {
    fn from(actor: &Actor) -> Self {
        use pb::actor::Kind;
        let kind = match actor {
            Actor::Person { unit, role, id, name, on_behalf_of, department } => {
                Kind::Person(pb::PersonActor {
                    unit_id: unit.to_string(),
                    role: pb::Role::from(*role).into(),
                    person_id: id.clone(),
                    display_name: name.as_ref().map(ToString::to_string).unwrap_or_default(),
                    on_behalf_of: on_behalf_of.as_ref().map(pb::OnBehalfOf::from),
                    department_id: department
                        .as_ref()
                        .map(|code| DepartmentId::new(unit.clone(), code.clone()).to_string())
                        .unwrap_or_default(),
                })
            }
            Actor::Node { unit, task } => Kind::Node(pb::NodeActor {
                unit_id: unit.to_string(),
                task: pb::NodeTask::from(*task).into(),
            }),
            Actor::Unverified { text, on_behalf_of } => Kind::Unverified(pb::UnverifiedActor {
                text: text.clone().unwrap_or_default(),
                on_behalf_of: on_behalf_of.as_ref().map(pb::OnBehalfOf::from),
            }),
        };
        pb::Actor { kind: Some(kind) }
    }
}

/// A structured actor from the wire, checked by [`Actor::validate`]. Without
/// a kind (none set, or one this version does not know) it is invalid as a
/// whole ("must be set", naming the path it is converted at); errors in it
/// name fields like `person.person_id`.
impl TryFrom<pb::Actor> for Actor {
    type Error = DomainError;

    fn try_from(actor: pb::Actor) -> Result<Self, DomainError> {
        use pb::actor::Kind;
        let kind = required(actor.kind, "")?;
        let (actor, at) = match kind {
            Kind::Person(person) => {
                let name = optional_text(person.display_name)
                    .map(|name| DisplayName::parse_field(&name, "person.display_name"))
                    .transpose()?;
                let unit = parse_unit_id(&person.unit_id, "person.unit_id")?;
                let department = match optional_text(person.department_id) {
                    None => None,
                    Some(text) => {
                        let department = DepartmentId::parse_field(&text, "person.department_id")?;
                        if department.unit != unit {
                            return Err(DomainError::invalid(
                                "person.department_id",
                                why!(
                                    DEPARTMENT_NOT_OF_UNIT,
                                    "department {department} is not of unit {unit}",
                                    department = department,
                                    unit = unit
                                ),
                            ));
                        }
                        Some(department.code)
                    }
                };
                let actor = Actor::Person {
                    unit,
                    role: Role::from_wire(person.role, "person.role")?,
                    id: person.person_id,
                    name,
                    on_behalf_of: convert_at(person.on_behalf_of.unwrap_or_default(), "person.on_behalf_of")?,
                    department,
                };
                (actor, "person")
            }
            Kind::Node(node) => {
                let actor = Actor::Node {
                    unit: parse_unit_id(&node.unit_id, "node.unit_id")?,
                    task: NodeTask::from_wire(node.task, "node.task")?,
                };
                (actor, "node")
            }
            Kind::Unverified(unverified) => {
                let actor = Actor::Unverified {
                    text: optional_text(unverified.text),
                    on_behalf_of: convert_at(
                        unverified.on_behalf_of.unwrap_or_default(),
                        "unverified.on_behalf_of",
                    )?,
                };
                (actor, "unverified")
            }
        };
        actor.validate(at)?;
        Ok(actor)
    }
}

/// The actor of a message that carries both the structured actor and the
/// one-word `legacy` text (a case event's `acted_by` and `actor`, a
/// supervision notice's `sender` and `actor`). Without the structured actor
/// (a peer that predates it, or one of a kind this version does not know)
/// the legacy text is read as unverified, like an old stored event. Errors
/// name fields below `path`, e.g. `acted_by.person.person_id`.
///
/// A function rather than `TryFrom`, since it reads two fields of the
/// enclosing message; where there is no legacy text, convert the
/// `pb::Actor` with [`crate::convert_at`].
pub fn actor_from_pb(actor: Option<pb::Actor>, legacy: &str, path: &str) -> Result<Actor, DomainError> {
    match actor.filter(|actor| actor.kind.is_some()) {
        Some(actor) => convert_at(actor, path),
        None if legacy.is_empty() => Err(DomainError::invalid(path, why!(MUST_BE_SET, "must be set"))),
        None => {
            let actor = Actor::Unverified { text: Some(legacy.to_owned()), on_behalf_of: None };
            actor.validate(&join(path, "unverified"))?;
            Ok(actor)
        }
    }
}

impl From<&DisputeRef> for pb::DisputeRef {
    fn from(source: &DisputeRef) -> Self {
        pb::DisputeRef {
            unit_id: source.unit_id.to_string(),
            date: format_date(source.date),
            local_id: source.local_id.clone(),
        }
    }
}

/// The dispute a case comes from; errors name `unit_id` or `date` (the local
/// id is checked by [`Intake::validate`]).
impl TryFrom<pb::DisputeRef> for DisputeRef {
    type Error = DomainError;

    fn try_from(source: pb::DisputeRef) -> Result<Self, DomainError> {
        Ok(DisputeRef {
            unit_id: parse_unit_id(&source.unit_id, "unit_id")?,
            date: parse_date(&source.date, "date")?,
            local_id: source.local_id,
        })
    }
}

impl From<&Intake> for pb::CaseIntake {
    fn from(intake: &Intake) -> Self {
        pb::CaseIntake {
            origin_unit_id: intake.origin_unit.to_string(),
            category: pb::DisputeCategory::from(intake.category).into(),
            channel: pb::CaseChannel::from(intake.channel).into(),
            summary: intake.summary.clone(),
            petitioner_ref: intake.petitioner_ref.clone().unwrap_or_default(),
            source: intake.source.as_ref().map(pb::DisputeRef::from),
            workers: intake.workers,
            amount_claimed_cents: intake.amount_claimed_cents,
            project_id: intake.project.clone().unwrap_or_default(),
        }
    }
}

/// An intake from the wire, checked by [`Intake::validate`]. An empty
/// `petitioner_ref` is none (a registration request leaves it to the node);
/// a present one must be 64 hex digits. Errors name fields like `category`
/// or `source.date`.
impl TryFrom<pb::CaseIntake> for Intake {
    type Error = DomainError;

    fn try_from(intake: pb::CaseIntake) -> Result<Self, DomainError> {
        let intake = Intake {
            origin_unit: parse_unit_id(&intake.origin_unit_id, "origin_unit_id")?,
            category: DisputeCategory::from_wire(intake.category, "category")?,
            channel: Channel::from_wire(intake.channel, "channel")?,
            summary: intake.summary,
            petitioner_ref: optional_text(intake.petitioner_ref),
            source: intake.source.map(|source| convert_at(source, "source")).transpose()?,
            workers: intake.workers,
            amount_claimed_cents: intake.amount_claimed_cents,
            project: optional_text(intake.project_id),
        };
        intake.validate()?;
        Ok(intake)
    }
}

impl From<&Petitioner> for pb::Petitioner {
    fn from(petitioner: &Petitioner) -> Self {
        pb::Petitioner {
            name: petitioner.name.clone(),
            phone: petitioner.phone.clone(),
            id_number: petitioner.id_number.clone(),
        }
    }
}

/// A petitioner from the wire, through [`Petitioner::new`] (name required,
/// phone of digits and `+- ()`, id number normalised and, for a resident
/// identity number, check-digit verified). Errors name `name`, `phone` or
/// `id_number`.
impl TryFrom<pb::Petitioner> for Petitioner {
    type Error = DomainError;

    fn try_from(petitioner: pb::Petitioner) -> Result<Self, DomainError> {
        Petitioner::new(&petitioner.name, &petitioner.phone, &petitioner.id_number).map_err(|error| {
            match error {
                // `Petitioner::new` names its fields `petitioner.*`; make them relative.
                DomainError::Invalid { field, reason } => {
                    let field = field.strip_prefix("petitioner.").unwrap_or(&field);
                    DomainError::invalid(field, reason)
                }
                other => other,
            }
        })
    }
}

impl From<&RepeatLink> for pb::RepeatLink {
    fn from(repeat: &RepeatLink) -> Self {
        pb::RepeatLink {
            of_case_ids: repeat.of.iter().map(ToString::to_string).collect(),
            rule: repeat.rule.clone(),
            window_days: repeat.window_days,
            since: format_date(repeat.since),
        }
    }
}

/// A repeat link from the wire: at least one earlier case id, each valid,
/// and a `since` date. Errors name e.g. `of_case_ids[1]` or `since`.
impl TryFrom<pb::RepeatLink> for RepeatLink {
    type Error = DomainError;

    fn try_from(repeat: pb::RepeatLink) -> Result<Self, DomainError> {
        if repeat.of_case_ids.is_empty() {
            return Err(DomainError::invalid(
                "of_case_ids",
                why!(REPEAT_LINK_NAMES_AT_LEAST_ONE, "a repeat link names at least one earlier case"),
            ));
        }
        let of = repeat
            .of_case_ids
            .iter()
            .enumerate()
            .map(|(i, id)| CaseId::parse_field(id, &format!("of_case_ids[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RepeatLink {
            of,
            rule: repeat.rule,
            window_days: repeat.window_days,
            since: parse_date(&repeat.since, "since")?,
        })
    }
}

impl From<&SupervisionEntry> for pb::SupervisionEntry {
    fn from(entry: &SupervisionEntry) -> Self {
        pb::SupervisionEntry {
            supervision_id: entry.id.clone(),
            from_unit_id: entry.from.to_string(),
            kind: pb::SupervisionKind::from(entry.kind).into(),
            reply_by: format_date(entry.reply_by),
            received_on: format_date(entry.received_on),
            replied_on: optional_date(entry.replied_on),
        }
    }
}

/// A supervision entry from the wire; errors name e.g. `reply_by`.
impl TryFrom<pb::SupervisionEntry> for SupervisionEntry {
    type Error = DomainError;

    fn try_from(entry: pb::SupervisionEntry) -> Result<Self, DomainError> {
        if entry.supervision_id.is_empty() {
            return Err(DomainError::invalid("supervision_id", why!(MUST_NOT_BE_EMPTY, "must not be empty")));
        }
        Ok(SupervisionEntry {
            id: entry.supervision_id,
            from: parse_unit_id(&entry.from_unit_id, "from_unit_id")?,
            kind: SupervisionKind::from_wire(entry.kind, "kind")?,
            reply_by: parse_date(&entry.reply_by, "reply_by")?,
            received_on: parse_date(&entry.received_on, "received_on")?,
            replied_on: parse_optional_date(&entry.replied_on, "replied_on")?,
        })
    }
}

impl From<&EventKind> for Kind {
    fn from(kind: &EventKind) -> Self {
        use pb::case_event as wire;
        match kind {
            EventKind::Registered { intake, accept_by, repeat, receipt } => {
                Kind::Registered(wire::Registered {
                    intake: Some(pb::CaseIntake::from(intake)),
                    accept_by: format_date(*accept_by),
                    repeat: repeat.as_ref().map(pb::RepeatLink::from),
                    receipt_code_hash: receipt.clone().unwrap_or_default(),
                })
            }
            EventKind::Accepted { deadline } => {
                Kind::Accepted(wire::Accepted { deadline: format_date(*deadline) })
            }
            EventKind::NotAccepted { reason } => {
                Kind::NotAccepted(wire::NotAccepted { reason: reason.clone() })
            }
            EventKind::Assigned { leader, responsible, plan, deadline } => Kind::Assigned(wire::Assigned {
                leader: leader.clone(),
                responsible: responsible.clone(),
                plan: plan.clone(),
                deadline: format_date(*deadline),
            }),
            EventKind::Progress => Kind::Progress(wire::Progress {}),
            EventKind::Extended { days, reason, deadline } => Kind::Extended(wire::Extended {
                days: *days,
                reason: reason.clone(),
                deadline: format_date(*deadline),
            }),
            EventKind::Escalated { to, reason } => {
                Kind::Escalated(wire::Escalated { to_unit_id: to.to_string(), reason: reason.clone() })
            }
            EventKind::AssignedDown { to, deadline } => Kind::AssignedDown(wire::AssignedDown {
                to_unit_id: to.to_string(),
                deadline: format_date(*deadline),
            }),
            EventKind::Resolved { resolution, amount_recovered_cents, on_time } => {
                Kind::Resolved(wire::Resolved {
                    resolution: resolution.clone(),
                    amount_recovered_cents: *amount_recovered_cents,
                    on_time: *on_time,
                })
            }
            EventKind::Closed { satisfaction } => {
                Kind::Closed(wire::Closed { satisfaction: pb::Satisfaction::from(*satisfaction).into() })
            }
            EventKind::Reopened { reason, deadline } => {
                Kind::Reopened(wire::Reopened { reason: reason.clone(), deadline: format_date(*deadline) })
            }
            EventKind::ReviewRequested { reason, to, review_by } => {
                Kind::ReviewRequested(wire::ReviewRequested {
                    reason: reason.clone(),
                    to_unit_id: to.to_string(),
                    review_by: format_date(*review_by),
                })
            }
            EventKind::Reviewed { decision, deadline } => Kind::Reviewed(wire::Reviewed {
                decision: pb::ReviewDecision::from(*decision).into(),
                deadline: optional_date(*deadline),
            }),
            EventKind::Supervised { supervision_id, from, kind, reply_by, sender } => {
                Kind::Supervised(wire::Supervised {
                    supervision_id: supervision_id.clone(),
                    from_unit_id: from.to_string(),
                    kind: pb::SupervisionKind::from(*kind).into(),
                    reply_by: format_date(*reply_by),
                    sender: sender.as_ref().map(pb::Actor::from),
                })
            }
            EventKind::RepeatFound { of, window_days, since } => Kind::RepeatFound(wire::RepeatFound {
                of_case_ids: of.iter().map(ToString::to_string).collect(),
                window_days: *window_days,
                since: format_date(*since),
            }),
            EventKind::SupervisionReplied { supervision_id } => {
                Kind::SupervisionReplied(wire::SupervisionReplied { supervision_id: supervision_id.clone() })
            }
            EventKind::TransferredToDepartment { department, reason, deadline } => {
                Kind::TransferredToDepartment(wire::TransferredToDepartment {
                    department_id: department.to_string(),
                    reason: reason.clone(),
                    deadline: format_date(*deadline),
                })
            }
            EventKind::AssignedToDepartment { department, report_by } => {
                Kind::AssignedToDepartment(wire::AssignedToDepartment {
                    department_id: department.to_string(),
                    report_by: format_date(*report_by),
                })
            }
            EventKind::DepartmentReported { department, report, on_time } => {
                Kind::DepartmentReported(wire::DepartmentReported {
                    department_id: department.to_string(),
                    report: report.clone(),
                    on_time: *on_time,
                })
            }
            EventKind::WorkingGroupSet { lead, members } => Kind::WorkingGroupSet(wire::WorkingGroupSet {
                lead: Some(pb::WorkingGroupMember::from(lead)),
                members: members.iter().map(pb::WorkingGroupMember::from).collect(),
            }),
            EventKind::PublicReplied { text } => {
                Kind::PublicReplied(wire::PublicReplied { text: text.clone() })
            }
            EventKind::ReceiptIssued { receipt } => {
                Kind::ReceiptIssued(wire::ReceiptIssued { receipt_code_hash: receipt.clone() })
            }
            EventKind::PetitionerRated { satisfaction, rating_id } => {
                Kind::PetitionerRated(wire::PetitionerRated {
                    satisfaction: pb::Satisfaction::from(*satisfaction).into(),
                    rating_id: rating_id.clone(),
                })
            }
        }
    }
}

impl From<&GroupMember> for pb::WorkingGroupMember {
    fn from(member: &GroupMember) -> Self {
        pb::WorkingGroupMember {
            person_id: member.person.clone(),
            unit_id: member.unit.to_string(),
            department_id: member.department.as_ref().map(ToString::to_string).unwrap_or_default(),
        }
    }
}

/// A working group's member from the wire; errors name `person_id`,
/// `unit_id` or `department_id`.
impl TryFrom<pb::WorkingGroupMember> for GroupMember {
    type Error = DomainError;

    fn try_from(member: pb::WorkingGroupMember) -> Result<Self, DomainError> {
        Ok(GroupMember {
            person: member.person_id,
            unit: parse_unit_id(&member.unit_id, "unit_id")?,
            department: optional_text(member.department_id)
                .map(|id| DepartmentId::parse_field(&id, "department_id"))
                .transpose()?,
        })
    }
}

/// An event as a read shows it (GetCase, ListCases, exports, the
/// dashboard): the receipt's code hash is blanked, so nobody reads back
/// what only the petitioner's code should open.
pub fn event_for_reader(event: &CaseEvent) -> pb::CaseEvent {
    let mut wire = pb::CaseEvent::from(event);
    match &mut wire.kind {
        Some(Kind::Registered(registered)) => registered.receipt_code_hash.clear(),
        Some(Kind::ReceiptIssued(issued)) => issued.receipt_code_hash.clear(),
        _ => {}
    }
    wire
}

impl From<&CaseEvent> for pb::CaseEvent {
    fn from(event: &CaseEvent) -> Self {
        pb::CaseEvent {
            case_id: event.case_id.to_string(),
            sequence: event.seq,
            at: Some(timestamp(event.at)),
            on: format_date(event.on),
            unit_id: event.unit.to_string(),
            actor: event.actor.legacy_text(),
            note: event.note.clone(),
            kind: Some(Kind::from(&event.kind)),
            acted_by: Some(pb::Actor::from(&event.actor)),
        }
    }
}

/// A case event from the wire (an uplink item, a handover, a response),
/// checked by [`CaseEvent::validate`]. A missing oneof is invalid (field
/// `kind`); the fields of each kind sit below its oneof name, so errors read
/// e.g. `assigned.deadline` or `registered.intake.petitioner_ref`, and
/// `events[3].escalated.to_unit_id` converted at `events[3]`.
impl TryFrom<pb::CaseEvent> for CaseEvent {
    type Error = DomainError;

    fn try_from(event: pb::CaseEvent) -> Result<Self, DomainError> {
        let event = CaseEvent {
            case_id: CaseId::parse_field(&event.case_id, "case_id")?,
            seq: event.sequence,
            at: from_timestamp(event.at, "at")?,
            on: parse_date(&event.on, "on")?,
            unit: parse_unit_id(&event.unit_id, "unit_id")?,
            actor: actor_from_pb(event.acted_by, &event.actor, "acted_by")?,
            note: event.note,
            kind: EventKind::try_from(required(event.kind, "kind")?)?,
        };
        event.validate().map_err(validation_to_wire)?;
        Ok(event)
    }
}

/// Renames the fields [`CaseEvent::validate`] names after the domain to
/// their names on the wire.
fn validation_to_wire(error: DomainError) -> DomainError {
    match error {
        DomainError::Invalid { field, reason } => {
            let field = match field.as_str() {
                "seq" => "sequence".to_owned(),
                _ => match field.strip_prefix("intake.") {
                    Some(rest) => format!("registered.intake.{rest}"),
                    None => field,
                },
            };
            DomainError::Invalid { field, reason }
        }
        other => other,
    }
}

/// Field paths relative to the event, starting with the oneof case's name.
impl TryFrom<Kind> for EventKind {
    type Error = DomainError;

    fn try_from(kind: Kind) -> Result<Self, DomainError> {
        Ok(match kind {
            Kind::Registered(registered) => EventKind::Registered {
                intake: required_at(registered.intake, "registered.intake")?,
                accept_by: parse_date(&registered.accept_by, "registered.accept_by")?,
                repeat: registered
                    .repeat
                    .map(|repeat| convert_at(repeat, "registered.repeat"))
                    .transpose()?,
                receipt: optional_text(registered.receipt_code_hash),
            },
            Kind::Accepted(accepted) => {
                EventKind::Accepted { deadline: parse_date(&accepted.deadline, "accepted.deadline")? }
            }
            Kind::NotAccepted(not_accepted) => EventKind::NotAccepted { reason: not_accepted.reason },
            Kind::Assigned(assigned) => EventKind::Assigned {
                deadline: parse_date(&assigned.deadline, "assigned.deadline")?,
                leader: assigned.leader,
                responsible: assigned.responsible,
                plan: assigned.plan,
            },
            Kind::Progress(pb::case_event::Progress {}) => EventKind::Progress,
            Kind::Extended(extended) => EventKind::Extended {
                days: extended.days,
                deadline: parse_date(&extended.deadline, "extended.deadline")?,
                reason: extended.reason,
            },
            Kind::Escalated(escalated) => EventKind::Escalated {
                to: parse_unit_id(&escalated.to_unit_id, "escalated.to_unit_id")?,
                reason: escalated.reason,
            },
            Kind::AssignedDown(down) => EventKind::AssignedDown {
                to: parse_unit_id(&down.to_unit_id, "assigned_down.to_unit_id")?,
                deadline: parse_date(&down.deadline, "assigned_down.deadline")?,
            },
            Kind::Resolved(resolved) => EventKind::Resolved {
                resolution: resolved.resolution,
                amount_recovered_cents: resolved.amount_recovered_cents,
                on_time: resolved.on_time,
            },
            Kind::Closed(closed) => EventKind::Closed {
                satisfaction: Satisfaction::from_wire(closed.satisfaction, "closed.satisfaction")?,
            },
            Kind::Reopened(reopened) => EventKind::Reopened {
                deadline: parse_date(&reopened.deadline, "reopened.deadline")?,
                reason: reopened.reason,
            },
            Kind::ReviewRequested(requested) => EventKind::ReviewRequested {
                to: parse_unit_id(&requested.to_unit_id, "review_requested.to_unit_id")?,
                review_by: parse_date(&requested.review_by, "review_requested.review_by")?,
                reason: requested.reason,
            },
            Kind::Reviewed(reviewed) => EventKind::Reviewed {
                decision: ReviewDecision::from_wire(reviewed.decision, "reviewed.decision")?,
                deadline: parse_optional_date(&reviewed.deadline, "reviewed.deadline")?,
            },
            Kind::Supervised(supervised) => EventKind::Supervised {
                from: parse_unit_id(&supervised.from_unit_id, "supervised.from_unit_id")?,
                kind: SupervisionKind::from_wire(supervised.kind, "supervised.kind")?,
                reply_by: parse_date(&supervised.reply_by, "supervised.reply_by")?,
                supervision_id: supervised.supervision_id,
                sender: supervised
                    .sender
                    .map(|sender| convert_at(sender, "supervised.sender"))
                    .transpose()?,
            },
            Kind::RepeatFound(found) => EventKind::RepeatFound {
                of: found
                    .of_case_ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| CaseId::parse_field(id, &format!("repeat_found.of_case_ids[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?,
                window_days: found.window_days,
                since: parse_date(&found.since, "repeat_found.since")?,
            },
            Kind::SupervisionReplied(replied) => {
                EventKind::SupervisionReplied { supervision_id: replied.supervision_id }
            }
            Kind::TransferredToDepartment(transferred) => EventKind::TransferredToDepartment {
                department: DepartmentId::parse_field(
                    &transferred.department_id,
                    "transferred_to_department.department_id",
                )?,
                deadline: parse_date(&transferred.deadline, "transferred_to_department.deadline")?,
                reason: transferred.reason,
            },
            Kind::AssignedToDepartment(assigned) => EventKind::AssignedToDepartment {
                department: DepartmentId::parse_field(
                    &assigned.department_id,
                    "assigned_to_department.department_id",
                )?,
                report_by: parse_date(&assigned.report_by, "assigned_to_department.report_by")?,
            },
            Kind::DepartmentReported(reported) => EventKind::DepartmentReported {
                department: DepartmentId::parse_field(
                    &reported.department_id,
                    "department_reported.department_id",
                )?,
                report: reported.report,
                on_time: reported.on_time,
            },
            Kind::WorkingGroupSet(group) => EventKind::WorkingGroupSet {
                lead: required_at(group.lead, "working_group_set.lead")?,
                members: convert_each(group.members, "working_group_set.members")?,
            },
            Kind::PublicReplied(replied) => EventKind::PublicReplied { text: replied.text },
            Kind::ReceiptIssued(issued) => EventKind::ReceiptIssued { receipt: issued.receipt_code_hash },
            Kind::PetitionerRated(rated) => EventKind::PetitionerRated {
                satisfaction: Satisfaction::from_wire(rated.satisfaction, "petitioner_rated.satisfaction")?,
                rating_id: rated.rating_id,
            },
        })
    }
}

/// A case as the wire shows it on `today` (which fixes `days_overdue`), with
/// `held_here` saying whether this node writes it. A function, not `From`,
/// for those two inputs that are not part of the case.
pub fn case_to_pb(case: &Case, today: NaiveDate, held_here: bool) -> pb::Case {
    pb::Case {
        case_id: case.id.to_string(),
        intake: Some(pb::CaseIntake::from(&case.intake)),
        repeat: case.repeat.as_ref().map(pb::RepeatLink::from),
        owner_unit_id: case.owner_unit.to_string(),
        owner_since: case.owner_since.to_string(),
        status: pb::CaseStatus::from(case.status).into(),
        registered_at: Some(timestamp(case.registered_at)),
        registered_on: format_date(case.registered_on),
        accept_by: format_date(case.accept_by),
        accepted_on: optional_date(case.accepted_on),
        not_accepted_reason: case.not_accepted_reason.clone().unwrap_or_default(),
        deadline: optional_date(case.deadline),
        extended: case.extended,
        leader: case.leader.clone().unwrap_or_default(),
        responsible: case.responsible.clone().unwrap_or_default(),
        plan: case.plan.clone().unwrap_or_default(),
        resolution: case.resolution.clone().unwrap_or_default(),
        amount_recovered_cents: case.amount_recovered_cents,
        resolved_on: optional_date(case.resolved_on),
        resolved_on_time: case.resolved_on_time.unwrap_or(false),
        satisfaction: case.satisfaction.map_or(pb::Satisfaction::Unspecified, pb::Satisfaction::from).into(),
        closed_on: optional_date(case.closed_on),
        review_by: optional_date(case.review_by),
        reviews: case.reviews,
        escalations: case.escalations,
        assignments_down: case.assignments_down,
        reopened: case.reopened,
        supervisions: case.supervisions.iter().map(pb::SupervisionEntry::from).collect(),
        sequence: case.seq,
        updated_at: Some(timestamp(case.updated_at)),
        due: optional_date(case.due()),
        days_overdue: case.days_overdue(today),
        held_here,
        department_id: case.department.as_ref().map(ToString::to_string).unwrap_or_default(),
        department_tasks: case
            .department_tasks
            .iter()
            .map(|task| pb::DepartmentTask {
                department_id: task.department.to_string(),
                assigned_on: format_date(task.assigned_on),
                report_by: format_date(task.report_by),
                reported_on: optional_date(task.reported_on),
                report: task.report.clone().unwrap_or_default(),
                days_overdue: if task.reported_on.is_none() {
                    days_past(Some(task.report_by), today)
                } else {
                    0
                },
            })
            .collect(),
        working_group: case.working_group.as_ref().map(|group| pb::WorkingGroup {
            lead: Some(pb::WorkingGroupMember::from(&group.lead)),
            members: group.members.iter().map(pb::WorkingGroupMember::from).collect(),
            set_on: format_date(group.set_on),
        }),
        public_replies: case
            .public_replies
            .iter()
            .map(|reply| pb::PublicReply {
                on: format_date(reply.on),
                text: reply.text.clone(),
                office: reply.department.as_ref().map_or_else(|| reply.unit.to_string(), ToString::to_string),
            })
            .collect(),
        petitioner_satisfaction: case
            .petitioner_rating
            .as_ref()
            .map_or(pb::Satisfaction::Unspecified, |r| pb::Satisfaction::from(r.satisfaction))
            .into(),
        petitioner_rated_on: optional_date(case.petitioner_rating.as_ref().map(|r| r.on)),
        project_id: case.intake.project.clone().unwrap_or_default(),
    }
}

/// A case from the wire (e.g. what `GetCase` returned), with its `held_here`
/// flag. `due` and `days_overdue` are derived, so they are not read back.
/// Empty texts and dates are none; `satisfaction` UNSPECIFIED is none;
/// `resolved_on_time` counts only with a `resolved_on`. Errors name fields
/// like `intake.channel` or `supervisions[1].kind`.
impl TryFrom<pb::Case> for (Case, bool) {
    type Error = DomainError;

    fn try_from(case: pb::Case) -> Result<Self, DomainError> {
        let resolved_on = parse_optional_date(&case.resolved_on, "resolved_on")?;
        if resolved_on.is_none() && case.resolved_on_time {
            return Err(DomainError::invalid(
                "resolved_on_time",
                why!(SET_ON_CASE_WITHOUT_RESOLVED_ON, "set on a case without resolved_on"),
            ));
        }
        let converted = Case {
            id: CaseId::parse_field(&case.case_id, "case_id")?,
            intake: required_at(case.intake, "intake")?,
            repeat: case.repeat.map(|repeat| convert_at(repeat, "repeat")).transpose()?,
            owner_unit: parse_unit_id(&case.owner_unit_id, "owner_unit_id")?,
            owner_since: parse_date(&case.owner_since, "owner_since")?,
            status: CaseStatus::from_wire(case.status, "status")?,
            registered_at: from_timestamp(case.registered_at, "registered_at")?,
            registered_on: parse_date(&case.registered_on, "registered_on")?,
            accept_by: parse_date(&case.accept_by, "accept_by")?,
            accepted_on: parse_optional_date(&case.accepted_on, "accepted_on")?,
            not_accepted_reason: optional_text(case.not_accepted_reason),
            deadline: parse_optional_date(&case.deadline, "deadline")?,
            extended: case.extended,
            leader: optional_text(case.leader),
            responsible: optional_text(case.responsible),
            plan: optional_text(case.plan),
            resolution: optional_text(case.resolution),
            amount_recovered_cents: case.amount_recovered_cents,
            resolved_on,
            resolved_on_time: resolved_on.map(|_| case.resolved_on_time),
            satisfaction: match case.satisfaction {
                0 => None,
                value => Some(Satisfaction::from_wire(value, "satisfaction")?),
            },
            closed_on: parse_optional_date(&case.closed_on, "closed_on")?,
            review_by: parse_optional_date(&case.review_by, "review_by")?,
            reviews: case.reviews,
            escalations: case.escalations,
            assignments_down: case.assignments_down,
            reopened: case.reopened,
            supervisions: convert_each(case.supervisions, "supervisions")?,
            department: optional_text(case.department_id)
                .map(|id| DepartmentId::parse_field(&id, "department_id"))
                .transpose()?,
            department_tasks: case
                .department_tasks
                .into_iter()
                .enumerate()
                .map(|(i, task)| {
                    let at = |field: &str| format!("department_tasks[{i}].{field}");
                    Ok(DepartmentTask {
                        department: DepartmentId::parse_field(&task.department_id, &at("department_id"))?,
                        assigned_on: parse_date(&task.assigned_on, &at("assigned_on"))?,
                        report_by: parse_date(&task.report_by, &at("report_by"))?,
                        reported_on: parse_optional_date(&task.reported_on, &at("reported_on"))?,
                        report: optional_text(task.report),
                    })
                })
                .collect::<Result<Vec<_>, DomainError>>()?,
            working_group: case
                .working_group
                .map(|group| -> Result<WorkingGroup, DomainError> {
                    Ok(WorkingGroup {
                        lead: required_at(group.lead, "working_group.lead")?,
                        members: convert_each(group.members, "working_group.members")?,
                        set_on: parse_date(&group.set_on, "working_group.set_on")?,
                    })
                })
                .transpose()?,
            public_replies: case
                .public_replies
                .into_iter()
                .enumerate()
                .map(|(i, reply)| {
                    let field = format!("public_replies[{i}].office");
                    let (unit, department) = if reply.office.contains(':') {
                        let department = DepartmentId::parse_field(&reply.office, &field)?;
                        (department.unit.clone(), Some(department))
                    } else {
                        (parse_unit_id(&reply.office, &field)?, None)
                    };
                    Ok(PublicReply {
                        on: parse_date(&reply.on, &format!("public_replies[{i}].on"))?,
                        text: reply.text,
                        unit,
                        department,
                    })
                })
                .collect::<Result<Vec<_>, DomainError>>()?,
            receipt: None,
            petitioner_rating: match case.petitioner_satisfaction {
                0 => None,
                value => Some(PetitionerRating {
                    satisfaction: Satisfaction::from_wire(value, "petitioner_satisfaction")?,
                    on: parse_date(&case.petitioner_rated_on, "petitioner_rated_on")?,
                    rating_id: String::new(),
                }),
            },
            seq: case.sequence,
            updated_at: from_timestamp(case.updated_at, "updated_at")?,
        };
        Ok((converted, case.held_here))
    }
}

/// A case as a face shows it, from a node's answer: the days overdue are
/// the node's (counted on its today), the rest follows from the case.
impl TryFrom<pb::Case> for CaseRecord {
    type Error = DomainError;

    fn try_from(case: pb::Case) -> Result<Self, DomainError> {
        let days_overdue = case.days_overdue;
        let (case, held_here) = <(Case, bool)>::try_from(case)?;
        Ok(CaseRecord { days_overdue, ..CaseRecord::of(&case, held_here) })
    }
}

/// An event as a face shows it, checked as every event from the wire is.
impl TryFrom<pb::CaseEvent> for EventRecord {
    type Error = DomainError;

    fn try_from(event: pb::CaseEvent) -> Result<Self, DomainError> {
        Ok(EventRecord::from(&CaseEvent::try_from(event)?))
    }
}

/// A whole `GetCase` answer (every part of a long log joined) as a face
/// shows it. Errors name `case`, `events[i]` or `petitioner`.
impl TryFrom<pb::GetCaseResponse> for CaseFile {
    type Error = DomainError;

    fn try_from(answer: pb::GetCaseResponse) -> Result<Self, DomainError> {
        Ok(CaseFile {
            case: required_at(answer.case, "case")?,
            events: convert_each(answer.events, "events")?,
            petitioner: answer
                .petitioner
                .map(|petitioner| convert_at::<_, Petitioner>(petitioner, "petitioner"))
                .transpose()?
                .as_ref()
                .map(PetitionerRecord::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use fengqiao_core::case::{
        CaseStatus, Channel, ReviewDecision, Satisfaction, SupervisionKind, normalise_id_number,
    };
    use fengqiao_core::identity::Role;
    use fengqiao_core::{DisputeCategory, UnitId};

    use super::*;

    fn case_event_from_pb(event: pb::CaseEvent, path: &str) -> Result<CaseEvent, DomainError> {
        convert_at(event, path)
    }

    fn case_from_pb(case: pb::Case, path: &str) -> Result<(Case, bool), DomainError> {
        convert_at(case, path)
    }

    fn intake_from_pb(intake: pb::CaseIntake, path: &str) -> Result<Intake, DomainError> {
        convert_at(intake, path)
    }

    fn petitioner_from_pb(petitioner: pb::Petitioner, path: &str) -> Result<Petitioner, DomainError> {
        convert_at(petitioner, path)
    }

    const CASE: &str = "410411001001-20261127-1";
    const REF: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn morning(day: &str) -> DateTime<Utc> {
        date(day).and_hms_opt(9, 30, 0).unwrap().and_utc()
    }

    fn intake() -> Intake {
        Intake {
            origin_unit: unit("410411001001"),
            category: DisputeCategory::WageArrears,
            channel: Channel::Report,
            summary: "twelve workers unpaid since March".into(),
            petitioner_ref: Some(REF.into()),
            source: Some(DisputeRef {
                unit_id: unit("410411001001"),
                date: date("2026-11-27"),
                local_id: "d-1".into(),
            }),
            workers: 12,
            amount_claimed_cents: 4_800_000,
            project: None,
        }
    }

    fn repeat() -> RepeatLink {
        RepeatLink::decide(
            date("2026-11-27"),
            365,
            vec![CaseId::parse("410411001001-20260301-4").unwrap(), CaseId::parse("C-2").unwrap()],
        )
        .unwrap()
    }

    /// One kind of every variant, in an order a case could take them.
    fn kinds() -> Vec<EventKind> {
        vec![
            EventKind::Registered {
                intake: intake(),
                accept_by: date("2026-12-12"),
                repeat: Some(repeat()),
                receipt: Some("ab".repeat(32)),
            },
            EventKind::Accepted { deadline: date("2027-01-26") },
            EventKind::Assigned {
                leader: "王书记".into(),
                responsible: "李主任".into(),
                plan: "meet the contractor on Monday".into(),
                deadline: date("2027-01-20"),
            },
            EventKind::Progress,
            EventKind::Extended {
                days: 30,
                reason: "the contractor is abroad".into(),
                deadline: date("2027-02-19"),
            },
            EventKind::Supervised {
                supervision_id: "sup-7".into(),
                from: unit("410411"),
                kind: SupervisionKind::OnSite,
                reply_by: date("2027-01-05"),
                sender: Some(Actor::Person {
                    unit: unit("410411"),
                    role: Role::Leader,
                    id: "lead-1".into(),
                    name: Some(DisplayName::parse_field("赵书记", "n").unwrap()),
                    on_behalf_of: None,
                    department: None,
                }),
            },
            EventKind::RepeatFound {
                of: vec![CaseId::parse("410411002001-20260301-1").unwrap()],
                window_days: 365,
                since: date("2025-11-27"),
            },
            EventKind::SupervisionReplied { supervision_id: "sup-7".into() },
            EventKind::TransferredToDepartment {
                department: "410411:hrss".parse().unwrap(),
                reason: "wage arrears".into(),
                deadline: date("2027-01-20"),
            },
            EventKind::AssignedToDepartment {
                department: "410411:justice".parse().unwrap(),
                report_by: date("2027-01-10"),
            },
            EventKind::DepartmentReported {
                department: "410411:justice".parse().unwrap(),
                report: "mediated".into(),
                on_time: true,
            },
            EventKind::WorkingGroupSet {
                lead: GroupMember { person: "lead-1".into(), unit: unit("410411"), department: None },
                members: vec![GroupMember {
                    person: "hr-2".into(),
                    unit: unit("410411"),
                    department: Some("410411:hrss".parse().unwrap()),
                }],
            },
            EventKind::PublicReplied { text: "the employer has paid half".into() },
            EventKind::ReceiptIssued { receipt: "cd".repeat(32) },
            EventKind::PetitionerRated { satisfaction: Satisfaction::Satisfied, rating_id: "rate-1".into() },
            EventKind::Escalated { to: unit("410411001"), reason: "needs the township".into() },
            EventKind::AssignedDown { to: unit("410411001001"), deadline: date("2027-02-01") },
            EventKind::Resolved {
                resolution: "wages paid in full".into(),
                amount_recovered_cents: 4_800_000,
                on_time: true,
            },
            EventKind::Closed { satisfaction: Satisfaction::Dissatisfied },
            EventKind::Reopened { reason: "only half was paid".into(), deadline: date("2027-04-01") },
            EventKind::NotAccepted { reason: "outside the petition channel".into() },
            EventKind::ReviewRequested {
                reason: "disagrees with the outcome".into(),
                to: unit("410411001"),
                review_by: date("2027-03-10"),
            },
            EventKind::Reviewed { decision: ReviewDecision::Upheld, deadline: None },
            EventKind::Reviewed { decision: ReviewDecision::Overturned, deadline: Some(date("2027-05-01")) },
        ]
    }

    fn event(seq: u32, kind: EventKind) -> CaseEvent {
        CaseEvent {
            case_id: CaseId::parse(CASE).unwrap(),
            seq,
            at: morning("2026-11-27"),
            on: date("2026-11-27"),
            unit: unit("410411001001"),
            actor: Actor::Person {
                unit: unit("410411001001"),
                role: Role::Officer,
                id: "officer-7".into(),
                name: Some(DisplayName::parse_field("李干事", "n").unwrap()),
                on_behalf_of: Some(
                    Principal::new("lead-2", Some(DisplayName::parse_field("王书记", "n").unwrap()), "o")
                        .unwrap(),
                ),
                department: None,
            },
            note: "spoke with both parties".into(),
            kind,
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let kinds = kinds();
        let mut names: Vec<&str> = kinds.iter().map(EventKind::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 23, "every kind is covered");
        for (i, kind) in kinds.into_iter().enumerate() {
            let event = event(u32::try_from(i).unwrap() + 1, kind);
            let wire = pb::CaseEvent::from(&event);
            assert_eq!(case_event_from_pb(wire.clone(), "event"), Ok(event.clone()), "{}", event.kind.name());
            // Through the bytes too.
            let bytes = prost::Message::encode_to_vec(&wire);
            let decoded: pb::CaseEvent = prost::Message::decode(bytes.as_slice()).unwrap();
            assert_eq!(case_event_from_pb(decoded, "event"), Ok(event));
        }
    }

    #[test]
    fn wire_fields_are_written_as_documented() {
        let wire = pb::CaseEvent::from(&event(
            2,
            EventKind::Reviewed { decision: ReviewDecision::Upheld, deadline: None },
        ));
        assert_eq!(wire.sequence, 2);
        assert_eq!(wire.on, "2026-11-27");
        assert_eq!(wire.at, Some(timestamp(morning("2026-11-27"))));
        let Some(Kind::Reviewed(reviewed)) = wire.kind else { panic!("reviewed expected") };
        assert_eq!(reviewed.decision, i32::from(pb::ReviewDecision::Upheld));
        assert_eq!(reviewed.deadline, "");

        let registered = pb::CaseEvent::from(&event(1, kinds().remove(0)));
        let Some(Kind::Registered(registered)) = registered.kind else { panic!("registered expected") };
        let intake = registered.intake.unwrap();
        assert_eq!(intake.channel, i32::from(pb::CaseChannel::Report));
        assert_eq!(intake.source.unwrap().date, "2026-11-27");
        assert_eq!(registered.accept_by, "2026-12-12");
        let repeat = registered.repeat.unwrap();
        assert_eq!(repeat.of_case_ids, ["410411001001-20260301-4", "C-2"]);
        assert_eq!(repeat.since, "2025-11-27");
    }

    #[test]
    fn intakes_round_trip_and_take_an_empty_ref_as_none() {
        assert_eq!(intake_from_pb(pb::CaseIntake::from(&intake()), "intake"), Ok(intake()));
        let bare = Intake {
            petitioner_ref: None,
            source: None,
            channel: Channel::Visit,
            category: DisputeCategory::Neighbour,
            workers: 0,
            amount_claimed_cents: 0,
            ..intake()
        };
        let wire = pb::CaseIntake::from(&bare);
        assert_eq!(wire.petitioner_ref, "");
        assert_eq!(wire.source, None);
        assert_eq!(intake_from_pb(wire, "intake"), Ok(bare));
    }

    #[test]
    fn petitioners_round_trip_normalised() {
        let wire = pb::Petitioner {
            name: "张三".into(),
            phone: "+86 138-0000-0000".into(),
            id_number: "11010519491231002x".into(),
        };
        let petitioner = petitioner_from_pb(wire, "petitioner").unwrap();
        assert_eq!(petitioner.id_number, normalise_id_number("11010519491231002X").unwrap());
        assert_eq!(petitioner.phone, "+86 138-0000-0000");
        let back = pb::Petitioner::from(&petitioner);
        assert_eq!(back.id_number, "11010519491231002X");
        assert_eq!(petitioner_from_pb(back, "petitioner"), Ok(petitioner));
    }

    #[test]
    fn petitioner_errors_sit_below_the_path() {
        let good =
            pb::Petitioner { name: "张三".into(), phone: String::new(), id_number: "E12345678".into() };
        let field_of = |petitioner: pb::Petitioner, path: &str| match petitioner_from_pb(petitioner, path) {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert!(petitioner_from_pb(good.clone(), "petitioner").is_ok());
        let bad_check_digit = pb::Petitioner { id_number: "110105194912310021".into(), ..good.clone() };
        assert_eq!(field_of(bad_check_digit, "petitioner"), "petitioner.id_number");
        let short = pb::Petitioner { id_number: "12345".into(), ..good.clone() };
        assert_eq!(field_of(short, "handover.petitioner"), "handover.petitioner.id_number");
        let no_name = pb::Petitioner { name: " ".into(), ..good.clone() };
        assert_eq!(field_of(no_name, "item.petitioner"), "item.petitioner.name");
        let letters = pb::Petitioner { phone: "call me".into(), ..good.clone() };
        assert_eq!(field_of(letters, "petitioner"), "petitioner.phone");
        assert_eq!(field_of(pb::Petitioner { name: String::new(), ..good }, ""), "name");
    }

    /// A case that went through most of its life: registered, accepted,
    /// assigned, extended, supervised (one answered), resolved, closed.
    fn lived_case() -> Case {
        let mut log = vec![
            event(1, kinds().remove(0)),
            event(2, EventKind::Accepted { deadline: date("2027-01-26") }),
            event(
                3,
                EventKind::Assigned {
                    leader: "王书记".into(),
                    responsible: "李主任".into(),
                    plan: "meet the contractor".into(),
                    deadline: date("2027-01-20"),
                },
            ),
            event(4, EventKind::Extended { days: 10, reason: "abroad".into(), deadline: date("2027-01-30") }),
        ];
        for (seq, id) in [(5, "sup-1"), (6, "sup-2")] {
            log.push(event(
                seq,
                EventKind::Supervised {
                    supervision_id: id.into(),
                    from: unit("410411"),
                    kind: SupervisionKind::Document,
                    reply_by: date("2027-01-05"),
                    sender: None,
                },
            ));
        }
        let mut replied = event(7, EventKind::SupervisionReplied { supervision_id: "sup-1".into() });
        replied.on = date("2026-12-02");
        log.push(replied);
        let mut resolved = event(
            8,
            EventKind::Resolved {
                resolution: "paid".into(),
                amount_recovered_cents: 4_000_000,
                on_time: true,
            },
        );
        resolved.on = date("2026-12-20");
        log.push(resolved);
        let mut closed = event(9, EventKind::Closed { satisfaction: Satisfaction::Satisfied });
        closed.on = date("2026-12-21");
        closed.at = morning("2026-12-21");
        log.push(closed);
        Case::replay(&log).unwrap()
    }

    #[test]
    fn cases_round_trip() {
        let case = lived_case();
        assert_eq!(case.status, CaseStatus::Closed);
        let wire = case_to_pb(&case, date("2027-03-01"), true);
        assert_eq!(wire.status, i32::from(pb::CaseStatus::Closed));
        assert_eq!(wire.satisfaction, i32::from(pb::Satisfaction::Satisfied));
        assert_eq!((wire.due.as_str(), wire.days_overdue), ("", 0));
        assert_eq!(wire.accepted_on, "2026-11-27");
        assert_eq!(wire.resolved_on, "2026-12-20");
        assert!(wire.resolved_on_time);
        assert_eq!(wire.supervisions.len(), 2);
        assert_eq!(wire.supervisions[0].replied_on, "2026-12-02");
        assert_eq!(wire.supervisions[1].replied_on, "");
        assert_eq!(wire.sequence, 9);
        assert_eq!(wire.updated_at, Some(timestamp(morning("2026-12-21"))));
        // The receipt's hash never leaves in a case: read back, it is none.
        let unreceipted = Case { receipt: None, ..case.clone() };
        assert_eq!(case_from_pb(wire, "case"), Ok((unreceipted, true)));

        // Freshly registered: nothing set yet, acceptance due.
        let fresh = Case::start(&event(1, kinds().remove(0))).unwrap();
        let wire = case_to_pb(&fresh, date("2026-12-15"), false);
        assert_eq!(wire.satisfaction, i32::from(pb::Satisfaction::Unspecified));
        assert_eq!(wire.deadline, "");
        assert_eq!(wire.leader, "");
        assert!(!wire.resolved_on_time);
        assert_eq!(wire.due, "2026-12-12");
        assert_eq!(wire.days_overdue, 3);
        assert_eq!(case_to_pb(&fresh, date("2026-12-12"), false).days_overdue, 0);
        assert!(fresh.receipt.is_some());
        assert_eq!(case_from_pb(wire, "case"), Ok((Case { receipt: None, ..fresh }, false)));
    }

    #[test]
    fn bad_cases_name_the_field() {
        type Mutate = fn(&mut pb::Case);
        let cases: Vec<(Mutate, &str)> = vec![
            (|c| c.intake = None, "case.intake"),
            (|c| c.intake.as_mut().unwrap().channel = 0, "case.intake.channel"),
            (|c| c.status = 0, "case.status"),
            (|c| c.satisfaction = 7, "case.satisfaction"),
            (|c| c.resolved_on.clear(), "case.resolved_on_time"),
            (|c| c.supervisions[1].kind = 0, "case.supervisions[1].kind"),
            (|c| c.supervisions[0].replied_on = "2026/12/02".into(), "case.supervisions[0].replied_on"),
            (|c| c.repeat.as_mut().unwrap().of_case_ids.clear(), "case.repeat.of_case_ids"),
            (|c| c.updated_at = None, "case.updated_at"),
            (|c| c.case_id = "with space".into(), "case.case_id"),
        ];
        for (mutate, expected) in cases {
            let mut wire = case_to_pb(&lived_case(), date("2027-03-01"), true);
            mutate(&mut wire);
            match case_from_pb(wire, "case") {
                Err(DomainError::Invalid { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: expected Invalid, got {other:?}"),
            }
        }
    }

    /// A valid wire event of the kind, event 1 for a registration, else 2.
    fn wire_of(name: &str) -> pb::CaseEvent {
        let kind = kinds().into_iter().find(|kind| kind.name() == name).unwrap();
        let seq = if name == "registered" { 1 } else { 2 };
        pb::CaseEvent::from(&event(seq, kind))
    }

    fn field_of(wire: pb::CaseEvent) -> (String, String) {
        match case_event_from_pb(wire, "event") {
            Err(DomainError::Invalid { field, reason }) => (field, reason.text),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    /// The person who acted in a wire event, to mutate.
    fn person_mut(wire: &mut pb::CaseEvent) -> &mut pb::PersonActor {
        match wire.acted_by.as_mut().and_then(|a| a.kind.as_mut()) {
            Some(pb::actor::Kind::Person(person)) => person,
            other => panic!("not a person: {other:?}"),
        }
    }

    #[test]
    fn an_event_from_an_older_node_carries_only_the_one_word_actor() {
        let mut wire = pb::CaseEvent::from(&event(2, EventKind::Progress));
        assert_eq!(wire.actor, "officer-7", "old clients still read the person's id");
        wire.acted_by = None;
        let event = case_event_from_pb(wire, "event").unwrap();
        assert_eq!(event.actor, Actor::Unverified { text: Some("officer-7".into()), on_behalf_of: None });
        let node = Actor::node(unit("410411"), fengqiao_core::actor::NodeTask::AutoEscalation);
        assert_eq!(pb::CaseEvent::from(&CaseEvent { actor: node, ..event }).actor, "system");
    }

    /// The kind of a wire event, to mutate.
    fn kind_mut(wire: &mut pb::CaseEvent) -> &mut Kind {
        wire.kind.as_mut().unwrap()
    }

    #[test]
    fn bad_events_name_the_exact_field() {
        type Mutate = fn(&mut pb::CaseEvent);
        let cases: Vec<(&str, Mutate, &str)> = vec![
            ("progress", |e| e.kind = None, "event.kind"),
            ("progress", |e| e.case_id.clear(), "event.case_id"),
            ("progress", |e| e.sequence = 0, "event.sequence"),
            ("progress", |e| e.sequence = 1, "event.kind"),
            ("registered", |e| e.sequence = 3, "event.sequence"),
            ("progress", |e| e.at = None, "event.at"),
            ("progress", |e| e.at = Some(prost_types::Timestamp { seconds: 0, nanos: -1 }), "event.at"),
            ("progress", |e| e.on = "27.11.2026".into(), "event.on"),
            ("progress", |e| e.unit_id.clear(), "event.unit_id"),
            (
                "progress",
                |e| {
                    e.acted_by = None;
                    e.actor.clear();
                },
                "event.acted_by",
            ),
            ("progress", |e| person_mut(e).person_id = "p 1".into(), "event.acted_by.person.person_id"),
            ("progress", |e| person_mut(e).role = 0, "event.acted_by.person.role"),
            ("progress", |e| person_mut(e).unit_id.clear(), "event.acted_by.person.unit_id"),
            (
                "progress",
                |e| person_mut(e).display_name = "王\n书记".into(),
                "event.acted_by.person.display_name",
            ),
            (
                "progress",
                |e| person_mut(e).on_behalf_of.as_mut().unwrap().person_id = "王书记".into(),
                "event.acted_by.person.on_behalf_of.person_id",
            ),
            (
                "progress",
                |e| {
                    e.acted_by = Some(pb::Actor::from(&Actor::Unverified {
                        text: Some("x".repeat(65)),
                        on_behalf_of: None,
                    }))
                },
                "event.acted_by.unverified.text",
            ),
            (
                "progress",
                |e| {
                    e.acted_by = None;
                    e.actor = "a\u{7}".into();
                },
                "event.acted_by.unverified.text",
            ),
            (
                "repeat_found",
                |e| {
                    let Kind::RepeatFound(r) = kind_mut(e) else { unreachable!() };
                    r.of_case_ids.clear();
                },
                "event.repeat_found.of_case_ids",
            ),
            (
                "repeat_found",
                |e| {
                    let Kind::RepeatFound(r) = kind_mut(e) else { unreachable!() };
                    r.of_case_ids.push("with space".into());
                },
                "event.repeat_found.of_case_ids[1]",
            ),
            (
                "repeat_found",
                |e| {
                    let Kind::RepeatFound(r) = kind_mut(e) else { unreachable!() };
                    r.since.clear();
                },
                "event.repeat_found.since",
            ),
            ("progress", |e| e.note = "议".repeat(2001), "event.note"),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.intake = None;
                },
                "event.registered.intake",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.intake.as_mut().unwrap().category = 0;
                },
                "event.registered.intake.category",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.intake.as_mut().unwrap().petitioner_ref = "not hex".into();
                },
                "event.registered.intake.petitioner_ref",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.intake.as_mut().unwrap().source.as_mut().unwrap().date = "2026-02-30".into();
                },
                "event.registered.intake.source.date",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.accept_by.clear();
                },
                "event.registered.accept_by",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.repeat.as_mut().unwrap().of_case_ids[1] = "a b".into();
                },
                "event.registered.repeat.of_case_ids[1]",
            ),
            (
                "registered",
                |e| {
                    let Kind::Registered(r) = kind_mut(e) else { unreachable!() };
                    r.repeat.as_mut().unwrap().since.clear();
                },
                "event.registered.repeat.since",
            ),
            (
                "accepted",
                |e| {
                    let Kind::Accepted(a) = kind_mut(e) else { unreachable!() };
                    a.deadline = "tomorrow".into();
                },
                "event.accepted.deadline",
            ),
            (
                "assigned",
                |e| {
                    let Kind::Assigned(a) = kind_mut(e) else { unreachable!() };
                    a.deadline = "2027-13-01".into();
                },
                "event.assigned.deadline",
            ),
            (
                "extended",
                |e| {
                    let Kind::Extended(x) = kind_mut(e) else { unreachable!() };
                    x.deadline.clear();
                },
                "event.extended.deadline",
            ),
            (
                "escalated",
                |e| {
                    let Kind::Escalated(x) = kind_mut(e) else { unreachable!() };
                    x.to_unit_id = "410/411".into();
                },
                "event.escalated.to_unit_id",
            ),
            (
                "assigned_down",
                |e| {
                    let Kind::AssignedDown(x) = kind_mut(e) else { unreachable!() };
                    x.to_unit_id.clear();
                },
                "event.assigned_down.to_unit_id",
            ),
            (
                "assigned_down",
                |e| {
                    let Kind::AssignedDown(x) = kind_mut(e) else { unreachable!() };
                    x.deadline.clear();
                },
                "event.assigned_down.deadline",
            ),
            (
                "closed",
                |e| {
                    let Kind::Closed(x) = kind_mut(e) else { unreachable!() };
                    x.satisfaction = 0;
                },
                "event.closed.satisfaction",
            ),
            (
                "reopened",
                |e| {
                    let Kind::Reopened(x) = kind_mut(e) else { unreachable!() };
                    x.deadline = "2027-4-1".into();
                },
                "event.reopened.deadline",
            ),
            (
                "review_requested",
                |e| {
                    let Kind::ReviewRequested(x) = kind_mut(e) else { unreachable!() };
                    x.to_unit_id.clear();
                },
                "event.review_requested.to_unit_id",
            ),
            (
                "review_requested",
                |e| {
                    let Kind::ReviewRequested(x) = kind_mut(e) else { unreachable!() };
                    x.review_by.clear();
                },
                "event.review_requested.review_by",
            ),
            (
                "reviewed",
                |e| {
                    let Kind::Reviewed(x) = kind_mut(e) else { unreachable!() };
                    x.decision = 9;
                },
                "event.reviewed.decision",
            ),
            (
                "reviewed",
                |e| {
                    let Kind::Reviewed(x) = kind_mut(e) else { unreachable!() };
                    x.decision = pb::ReviewDecision::Overturned.into();
                },
                "event.reviewed.deadline",
            ),
            (
                "reviewed",
                |e| {
                    let Kind::Reviewed(x) = kind_mut(e) else { unreachable!() };
                    x.deadline = "soon".into();
                },
                "event.reviewed.deadline",
            ),
            (
                "supervised",
                |e| {
                    let Kind::Supervised(x) = kind_mut(e) else { unreachable!() };
                    x.from_unit_id.clear();
                },
                "event.supervised.from_unit_id",
            ),
            (
                "supervised",
                |e| {
                    let Kind::Supervised(x) = kind_mut(e) else { unreachable!() };
                    x.kind = 0;
                },
                "event.supervised.kind",
            ),
            (
                "supervised",
                |e| {
                    let Kind::Supervised(x) = kind_mut(e) else { unreachable!() };
                    x.reply_by.clear();
                },
                "event.supervised.reply_by",
            ),
        ];
        for (name, mutate, expected) in cases {
            let mut wire = wire_of(name);
            mutate(&mut wire);
            let (field, reason) = field_of(wire);
            assert_eq!(field, expected, "{name}: {reason}");
        }
    }

    #[test]
    fn reasons_say_what_is_wrong() {
        let mut wire = wire_of("progress");
        wire.kind = None;
        assert_eq!(field_of(wire).1, "must be set");
        let mut wire = wire_of("closed");
        let Kind::Closed(closed) = kind_mut(&mut wire) else { unreachable!() };
        closed.satisfaction = 42;
        assert_eq!(field_of(wire).1, "unknown value 42");
    }

    #[test]
    fn paths_prefix_every_error() {
        let mut wire = wire_of("escalated");
        let Kind::Escalated(escalated) = kind_mut(&mut wire) else { unreachable!() };
        escalated.to_unit_id.clear();
        let error = case_event_from_pb(wire.clone(), "handover.events[3]").unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { field, .. } if field == "handover.events[3].escalated.to_unit_id")
        );
        let error = case_event_from_pb(wire, "").unwrap_err();
        assert!(matches!(error, DomainError::Invalid { field, .. } if field == "escalated.to_unit_id"));

        let bad_intake = pb::CaseIntake { category: 0, ..pb::CaseIntake::from(&intake()) };
        assert_eq!(
            intake_from_pb(bad_intake, "intake"),
            Err(DomainError::invalid("intake.category", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        let visit_with_source =
            pb::CaseIntake { channel: pb::CaseChannel::Visit.into(), ..pb::CaseIntake::from(&intake()) };
        let error = intake_from_pb(visit_with_source, "intake").unwrap_err();
        assert!(matches!(error, DomainError::Invalid { field, .. } if field == "intake.source"));
        let short_ref = pb::CaseIntake { petitioner_ref: "abc".into(), ..pb::CaseIntake::from(&intake()) };
        let error = intake_from_pb(short_ref, "request.intake").unwrap_err();
        assert!(
            matches!(error, DomainError::Invalid { field, .. } if field == "request.intake.petitioner_ref")
        );
    }
}
