//! A case as every face shows it: the ledger's record with what follows
//! from it (the next step's due date, days overdue, whether this node holds
//! it), its events, and the petitioner where the caller may see them.
//!
//! The domain's [`Case`] and [`CaseEvent`] derive serde too, but theirs is
//! the *stored* form (each row's `body`: `id`, `seq`, `owner_unit`, an event
//! tagged `type` with `to` and `of`). These records are the form people and
//! programs read — the CLI's `--json` and the dashboard — with the wire's
//! names (`case_id`, `sequence`, `owner_unit_id`, `kind` and `details`,
//! `to_unit_id`): renaming a stored field never changes what a face shows,
//! and the reverse.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::Moment;
use crate::actor::Actor;
use crate::case::{
    Case, CaseEvent, CaseId, CaseStatus, Channel, DepartmentTask, DisputeRef, EventKind, GroupMember, Intake,
    Petitioner, PublicReply, RepeatLink, ReviewDecision, Satisfaction, SupervisionEntry, SupervisionKind,
    WorkingGroup, days_past,
};
use crate::department::DepartmentId;
use crate::report::DisputeCategory;
use crate::unit::UnitId;

/// A case as it stands: the ledger's fields, the next step's due date and
/// how many days it is past it, and whether the answering node holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRecord {
    pub case_id: CaseId,
    pub intake: IntakeRecord,
    pub repeat: Option<RepeatRecord>,
    pub owner_unit_id: UnitId,
    /// The day the case reached its owner.
    pub owner_since: NaiveDate,
    pub status: CaseStatus,
    pub registered_at: Moment,
    pub registered_on: NaiveDate,
    pub accept_by: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub extended: bool,
    pub leader: Option<String>,
    pub responsible: Option<String>,
    pub plan: Option<String>,
    pub resolution: Option<String>,
    pub amount_recovered_cents: i64,
    pub resolved_on: Option<NaiveDate>,
    /// Resolved by its deadline (false until resolved).
    pub resolved_on_time: bool,
    pub satisfaction: Option<Satisfaction>,
    pub closed_on: Option<NaiveDate>,
    pub review_by: Option<NaiveDate>,
    pub reviews: u32,
    pub escalations: u32,
    pub assignments_down: u32,
    pub reopened: u32,
    pub supervisions: Vec<SupervisionRecord>,
    /// The newest event's sequence.
    pub sequence: u32,
    pub updated_at: Moment,
    /// The date the next step is due (acceptance, resolution or review).
    pub due: Option<NaiveDate>,
    /// Days past `due` on the day the record was made for (0 when not overdue).
    pub days_overdue: u32,
    /// The answering node writes the case (it serves the owner unit).
    pub held_here: bool,
    /// The department holding the case after a transfer (转办).
    pub department_id: Option<DepartmentId>,
    /// Assignments to departments (交办) and their reports back.
    pub department_tasks: Vec<DepartmentTask>,
    pub working_group: Option<WorkingGroup>,
    /// Replies written for the petitioner (public).
    pub public_replies: Vec<PublicReply>,
    /// The petitioner's own rating through the tracker (not the staff's record).
    pub petitioner_rating: Option<Satisfaction>,
    pub petitioner_rated_on: Option<NaiveDate>,
}

impl CaseRecord {
    /// The record of `case` as the node that `held_here` or not shows it;
    /// overdue on no day until [`overdue_on`](Self::overdue_on) says which.
    pub fn of(case: &Case, held_here: bool) -> CaseRecord {
        CaseRecord {
            case_id: case.id.clone(),
            intake: IntakeRecord::from(&case.intake),
            repeat: case.repeat.as_ref().map(RepeatRecord::from),
            owner_unit_id: case.owner_unit.clone(),
            owner_since: case.owner_since,
            status: case.status,
            registered_at: Moment::utc(case.registered_at),
            registered_on: case.registered_on,
            accept_by: case.accept_by,
            accepted_on: case.accepted_on,
            not_accepted_reason: case.not_accepted_reason.clone(),
            deadline: case.deadline,
            extended: case.extended,
            leader: case.leader.clone(),
            responsible: case.responsible.clone(),
            plan: case.plan.clone(),
            resolution: case.resolution.clone(),
            amount_recovered_cents: case.amount_recovered_cents,
            resolved_on: case.resolved_on,
            resolved_on_time: case.resolved_on_time.unwrap_or(false),
            satisfaction: case.satisfaction,
            closed_on: case.closed_on,
            review_by: case.review_by,
            reviews: case.reviews,
            escalations: case.escalations,
            assignments_down: case.assignments_down,
            reopened: case.reopened,
            supervisions: case.supervisions.iter().map(SupervisionRecord::from).collect(),
            sequence: case.seq,
            updated_at: Moment::utc(case.updated_at),
            due: case.due(),
            days_overdue: 0,
            held_here,
            department_id: case.department.clone(),
            department_tasks: case.department_tasks.clone(),
            working_group: case.working_group.clone(),
            public_replies: case.public_replies.clone(),
            petitioner_rating: case.petitioner_rating.as_ref().map(|r| r.satisfaction),
            petitioner_rated_on: case.petitioner_rating.as_ref().map(|r| r.on),
        }
    }

    /// The record as it stands at the end of `on`: days past its due date.
    pub fn overdue_on(mut self, on: NaiveDate) -> CaseRecord {
        self.days_overdue = days_past(self.due, on);
        self
    }

    /// The same record, its instants shown in `zone`.
    pub fn in_zone(mut self, zone: Tz) -> CaseRecord {
        self.registered_at = self.registered_at.in_zone(zone);
        self.updated_at = self.updated_at.in_zone(zone);
        self
    }
}

/// How the matter reached the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeRecord {
    pub origin_unit_id: UnitId,
    pub category: DisputeCategory,
    pub channel: Channel,
    pub summary: String,
    pub petitioner_ref: Option<String>,
    /// The dispute of a daily report the case was registered from.
    pub source: Option<DisputeRef>,
    pub workers: u32,
    pub amount_claimed_cents: i64,
    /// The key project the case belongs to.
    pub project_id: Option<String>,
}

impl From<&Intake> for IntakeRecord {
    fn from(intake: &Intake) -> IntakeRecord {
        IntakeRecord {
            origin_unit_id: intake.origin_unit.clone(),
            category: intake.category,
            channel: intake.channel,
            summary: intake.summary.clone(),
            petitioner_ref: intake.petitioner_ref.clone(),
            source: intake.source.clone(),
            workers: intake.workers,
            amount_claimed_cents: intake.amount_claimed_cents,
            project_id: intake.project.clone(),
        }
    }
}

/// The earlier cases a case repeats, and by which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatRecord {
    /// Newest first.
    pub of_case_ids: Vec<CaseId>,
    pub rule: String,
    pub window_days: u32,
    pub since: NaiveDate,
}

impl From<&RepeatLink> for RepeatRecord {
    fn from(repeat: &RepeatLink) -> RepeatRecord {
        RepeatRecord {
            of_case_ids: repeat.of.clone(),
            rule: repeat.rule.clone(),
            window_days: repeat.window_days,
            since: repeat.since,
        }
    }
}

/// A supervision notice (督办) on the case, and whether it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionRecord {
    pub supervision_id: String,
    pub from_unit_id: UnitId,
    pub kind: SupervisionKind,
    pub reply_by: NaiveDate,
    pub received_on: NaiveDate,
    pub replied_on: Option<NaiveDate>,
}

impl From<&SupervisionEntry> for SupervisionRecord {
    fn from(entry: &SupervisionEntry) -> SupervisionRecord {
        SupervisionRecord {
            supervision_id: entry.id.clone(),
            from_unit_id: entry.from.clone(),
            kind: entry.kind,
            reply_by: entry.reply_by,
            received_on: entry.received_on,
            replied_on: entry.replied_on,
        }
    }
}

/// One entry of a case's log: who did what, when, on which unit's behalf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub case_id: CaseId,
    pub sequence: u32,
    pub at: Moment,
    pub on: NaiveDate,
    pub unit_id: UnitId,
    /// Who acted, as the node verified them (`kind`: person, node or unverified).
    pub actor: Actor,
    pub note: String,
    /// `kind` (the change's snake_case name) and `details` (its fields).
    #[serde(flatten)]
    pub change: Change,
    /// The change's snake_case name, as `kind` says it.
    #[serde(skip)]
    pub kind: &'static str,
}

impl EventRecord {
    /// The same event, its instant shown in `zone`.
    pub fn in_zone(mut self, zone: Tz) -> EventRecord {
        self.at = self.at.in_zone(zone);
        self
    }
}

impl From<&CaseEvent> for EventRecord {
    fn from(event: &CaseEvent) -> EventRecord {
        EventRecord {
            case_id: event.case_id.clone(),
            sequence: event.seq,
            at: Moment::utc(event.at),
            on: event.on,
            unit_id: event.unit.clone(),
            actor: event.actor.clone(),
            note: event.note.clone(),
            change: Change::from(&event.kind),
            kind: event.kind.name(),
        }
    }
}

/// What an event changed, with the fields of its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "details", rename_all = "snake_case")]
pub enum Change {
    Registered {
        intake: IntakeRecord,
        accept_by: NaiveDate,
        repeat: Option<RepeatRecord>,
    },
    Accepted {
        deadline: NaiveDate,
    },
    NotAccepted {
        reason: String,
    },
    Assigned {
        leader: String,
        responsible: String,
        plan: String,
        deadline: NaiveDate,
    },
    Progress {},
    Extended {
        days: u32,
        reason: String,
        deadline: NaiveDate,
    },
    Escalated {
        to_unit_id: UnitId,
        reason: String,
    },
    AssignedDown {
        to_unit_id: UnitId,
        deadline: NaiveDate,
    },
    Resolved {
        resolution: String,
        amount_recovered_cents: i64,
        on_time: bool,
    },
    Closed {
        satisfaction: Satisfaction,
    },
    Reopened {
        reason: String,
        deadline: NaiveDate,
    },
    ReviewRequested {
        reason: String,
        to_unit_id: UnitId,
        review_by: NaiveDate,
    },
    Reviewed {
        decision: ReviewDecision,
        deadline: Option<NaiveDate>,
    },
    Supervised {
        supervision_id: String,
        from_unit_id: UnitId,
        kind: SupervisionKind,
        reply_by: NaiveDate,
        /// Who issued the notice (absent in events stored before senders were recorded).
        sender: Option<Actor>,
    },
    SupervisionReplied {
        supervision_id: String,
    },
    RepeatFound {
        of_case_ids: Vec<CaseId>,
        window_days: u32,
        since: NaiveDate,
    },
    TransferredToDepartment {
        department_id: DepartmentId,
        reason: String,
        deadline: NaiveDate,
    },
    AssignedToDepartment {
        department_id: DepartmentId,
        report_by: NaiveDate,
    },
    DepartmentReported {
        department_id: DepartmentId,
        report: String,
        on_time: bool,
    },
    WorkingGroupSet {
        lead: GroupMember,
        members: Vec<GroupMember>,
    },
    PublicReplied {
        text: String,
    },
    /// A new receipt was issued (the code's hash is never shown).
    ReceiptIssued {},
    PetitionerRated {
        satisfaction: Satisfaction,
    },
}

impl From<&EventKind> for Change {
    fn from(kind: &EventKind) -> Change {
        match kind.clone() {
            EventKind::Registered { intake, accept_by, repeat, receipt: _ } => Change::Registered {
                intake: IntakeRecord::from(&intake),
                accept_by,
                repeat: repeat.as_ref().map(RepeatRecord::from),
            },
            EventKind::Accepted { deadline } => Change::Accepted { deadline },
            EventKind::NotAccepted { reason } => Change::NotAccepted { reason },
            EventKind::Assigned { leader, responsible, plan, deadline } => {
                Change::Assigned { leader, responsible, plan, deadline }
            }
            EventKind::Progress => Change::Progress {},
            EventKind::Extended { days, reason, deadline } => Change::Extended { days, reason, deadline },
            EventKind::Escalated { to, reason } => Change::Escalated { to_unit_id: to, reason },
            EventKind::AssignedDown { to, deadline } => Change::AssignedDown { to_unit_id: to, deadline },
            EventKind::Resolved { resolution, amount_recovered_cents, on_time } => {
                Change::Resolved { resolution, amount_recovered_cents, on_time }
            }
            EventKind::Closed { satisfaction } => Change::Closed { satisfaction },
            EventKind::Reopened { reason, deadline } => Change::Reopened { reason, deadline },
            EventKind::ReviewRequested { reason, to, review_by } => {
                Change::ReviewRequested { reason, to_unit_id: to, review_by }
            }
            EventKind::Reviewed { decision, deadline } => Change::Reviewed { decision, deadline },
            EventKind::Supervised { supervision_id, from, kind, reply_by, sender } => {
                Change::Supervised { supervision_id, from_unit_id: from, kind, reply_by, sender }
            }
            EventKind::SupervisionReplied { supervision_id } => Change::SupervisionReplied { supervision_id },
            EventKind::RepeatFound { of, window_days, since } => {
                Change::RepeatFound { of_case_ids: of, window_days, since }
            }
            EventKind::TransferredToDepartment { department, reason, deadline } => {
                Change::TransferredToDepartment { department_id: department, reason, deadline }
            }
            EventKind::AssignedToDepartment { department, report_by } => {
                Change::AssignedToDepartment { department_id: department, report_by }
            }
            EventKind::DepartmentReported { department, report, on_time } => {
                Change::DepartmentReported { department_id: department, report, on_time }
            }
            EventKind::WorkingGroupSet { lead, members } => Change::WorkingGroupSet { lead, members },
            EventKind::PublicReplied { text } => Change::PublicReplied { text },
            EventKind::ReceiptIssued { .. } => Change::ReceiptIssued {},
            EventKind::PetitionerRated { satisfaction, .. } => Change::PetitionerRated { satisfaction },
        }
    }
}

/// The petitioner's personal data, shown only where `GetCase.with_petitioner`
/// allows it (the node that holds the case, to its own officers and
/// leaders); unset parts are `null`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct PetitionerRecord {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

impl From<&Petitioner> for PetitionerRecord {
    fn from(petitioner: &Petitioner) -> PetitionerRecord {
        let part = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        PetitionerRecord {
            name: part(&petitioner.name),
            phone: part(&petitioner.phone),
            id_number: part(&petitioner.id_number),
        }
    }
}

/// Never prints the personal data (logs and panics must not carry it).
impl std::fmt::Debug for PetitionerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PetitionerRecord { .. }")
    }
}

/// A case with its whole log, and the petitioner where allowed: what
/// `case show` and the dashboard's case page show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFile {
    pub case: CaseRecord,
    /// Oldest first.
    pub events: Vec<EventRecord>,
    pub petitioner: Option<PetitionerRecord>,
}

impl CaseFile {
    /// The same file, its instants shown in `zone`.
    pub fn in_zone(self, zone: Tz) -> CaseFile {
        CaseFile {
            case: self.case.in_zone(zone),
            events: self.events.into_iter().map(|event| event.in_zone(zone)).collect(),
            petitioner: self.petitioner,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::actor::NodeTask;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn unit(id: &str) -> UnitId {
        UnitId::parse(id).unwrap()
    }

    #[test]
    fn an_event_shows_its_kind_and_the_faces_names() {
        let event = CaseEvent {
            case_id: CaseId::parse("410411-20260501-1").unwrap(),
            seq: 4,
            at: Utc.with_ymd_and_hms(2026, 5, 2, 1, 30, 0).unwrap(),
            on: date("2026-05-02"),
            unit: unit("410411"),
            actor: Actor::node(unit("410411"), NodeTask::AutoEscalation),
            note: String::new(),
            kind: EventKind::Escalated { to: unit("410400"), reason: "beyond the township".into() },
        };
        let record = EventRecord::from(&event).in_zone(chrono_tz::Asia::Shanghai);
        assert_eq!(record.kind, "escalated");
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["kind"], "escalated");
        assert_eq!(value["details"], json!({"to_unit_id": "410400", "reason": "beyond the township"}));
        assert_eq!(value["sequence"], 4);
        assert_eq!(value["at"], "2026-05-02T09:30:00+08:00");
        assert_eq!(value["unit_id"], "410411");
        let progress = EventRecord::from(&CaseEvent { kind: EventKind::Progress, ..event });
        let value = serde_json::to_value(&progress).unwrap();
        assert_eq!((&value["kind"], &value["details"]), (&json!("progress"), &json!({})));
    }

    #[test]
    fn days_overdue_count_from_the_next_steps_due_date() {
        let due = Some(date("2026-05-10"));
        assert_eq!(days_past(due, date("2026-05-09")), 0);
        assert_eq!(days_past(due, date("2026-05-10")), 0);
        assert_eq!(days_past(due, date("2026-05-13")), 3);
        assert_eq!(days_past(None, date("2026-05-13")), 0);
    }

    #[test]
    fn a_petitioner_record_hides_its_data_from_debug() {
        let record = PetitionerRecord { name: Some("张三".into()), phone: None, id_number: None };
        assert_eq!(format!("{record:?}"), "PetitionerRecord { .. }");
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({"name": "张三", "phone": null, "id_number": null})
        );
    }
}
