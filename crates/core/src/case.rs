//! The case ledger (立案、交办、包案、挂账销号): a matter that cannot be settled at
//! once becomes a case with one plan, a responsible leader and person, and a
//! deadline, and is tracked until struck off.
//!
//! A case is its event log. [`Case::decide`] turns what someone asks
//! ([`Action`]) into the next [`CaseEvent`] or refuses it (an illegal
//! transition names the current state); [`Case::apply`] folds an event into
//! the case. Deadlines and local dates are computed once, by the node that
//! writes the event, and travel inside it, so replaying a log anywhere gives
//! the same case without knowing the writer's policy or clock.
//!
//! One node writes a case at a time: the node serving its owner unit. An
//! escalation or an assignment down hands the case (its events) to the node
//! serving the new owner, which continues the sequence.

use crate::why;
use std::fmt;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::department::DepartmentId;
use crate::error::DomainError;
use crate::report::{
    DisputeCategory, MAX_AMOUNT_CENTS, MAX_WORKERS, check_amount, check_chars, check_id, named_enum,
};
use crate::screen::check_free_text;
use crate::unit::UnitId;

/// Longest case summary, plan, resolution, reason or note, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest person name (leader, responsible person, petitioner), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// How many reviews (复查, then 复核) a case may go through.
pub const MAX_REVIEWS: u32 = 2;

named_enum!(
    /// Where a case stands.
    CaseStatus {
        Registered => "registered",
        NotAccepted => "not_accepted",
        Accepted => "accepted",
        Assigned => "assigned",
        InProgress => "in_progress",
        Resolved => "resolved",
        Closed => "closed",
        UnderReview => "under_review",
    }
);

named_enum!(
    /// How the matter reached the ledger.
    Channel {
        Report => "report",
        Visit => "visit",
        Letter => "letter",
        Phone => "phone",
        Online => "online",
    }
);

named_enum!(
    /// What the petitioner said of the outcome (kept apart from how the case
    /// was closed).
    Satisfaction {
        Satisfied => "satisfied",
        Dissatisfied => "dissatisfied",
        Unreachable => "unreachable",
    }
);

named_enum!(
    /// The form of a supervision notice (督办).
    SupervisionKind {
        Document => "document",
        Interview => "interview",
        OnSite => "on_site",
        Joint => "joint",
    }
);

named_enum!(
    /// What a review (复查 / 复核) found.
    ReviewDecision {
        Upheld => "upheld",
        Overturned => "overturned",
    }
);

impl CaseStatus {
    /// Still on the ledger and being worked (not yet resolved).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Registered
                | CaseStatus::Accepted
                | CaseStatus::Assigned
                | CaseStatus::InProgress
                | CaseStatus::UnderReview
        )
    }
}

/// The deployment's deadline rules; the default is the 2022 petition
/// regulation (信访工作条例).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// Days from registration to the acceptance decision.
    pub accept_days: u32,
    /// Days from acceptance to resolution.
    pub handle_days: u32,
    /// The one extension's longest length, in days.
    pub max_extension_days: u32,
    /// Days from a review request to its decision.
    pub review_days: u32,
    /// Escalate a case automatically once it is this many days overdue
    /// (off when `None`).
    pub auto_escalate_after_days: Option<u32>,
    /// A new case of the same petitioner and category within this many days
    /// of an earlier one is a repeat petition.
    pub repeat_window_days: u32,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            accept_days: 15,
            handle_days: 60,
            max_extension_days: 30,
            review_days: 30,
            auto_escalate_after_days: None,
            repeat_window_days: 365,
        }
    }
}

/// Checks a free text (summary, plan, reason, note, supervision text):
/// its length and characters, and that it holds no personal data
/// ([`check_free_text`]).
pub fn check_text(value: &str, field: &str) -> Result<(), DomainError> {
    screened(value, field, MAX_TEXT_CHARS, false)
}

/// Checks an official's name (leader, responsible person, leader on duty):
/// required, short, and holding no personal data beyond the name
/// ([`check_free_text`]). A petitioner's name is not screened: see
/// [`Petitioner::new`].
pub fn check_name(value: &str, field: &str) -> Result<(), DomainError> {
    screened(value, field, MAX_NAME_CHARS, true)
}

/// [`check_chars`], then [`check_free_text`]: every text of the ledger but
/// the petitioner's own fields.
fn screened(value: &str, field: &str, max: usize, required: bool) -> Result<(), DomainError> {
    check_chars(value, field, max, required)?;
    check_free_text(value, field)
}

/// `date` plus `days`, refusing dates past the calendar's end.
pub fn add_days(date: NaiveDate, days: u32, field: &str) -> Result<NaiveDate, DomainError> {
    date.checked_add_days(Days::new(u64::from(days))).ok_or_else(|| {
        DomainError::invalid(
            field,
            why!(DEADLINE_FALLS_PAST_END_CALENDAR, "the deadline falls past the end of the calendar"),
        )
    })
}

/// A case id: printable ASCII without spaces, at most 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(String);

impl CaseId {
    pub fn parse_field(value: &str, field: &str) -> Result<Self, DomainError> {
        check_id(value, field)?;
        Ok(CaseId(value.to_owned()))
    }

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        CaseId::parse_field(value, "case_id")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CaseId::parse(&value)
    }
}

impl From<CaseId> for String {
    fn from(id: CaseId) -> String {
        id.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The dispute of a daily report a case was registered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRef {
    pub unit_id: UnitId,
    pub date: NaiveDate,
    pub local_id: String,
}

/// What is known when a case is registered. No personal data: the
/// petitioner is only `petitioner_ref`, a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub origin_unit: UnitId,
    pub category: DisputeCategory,
    pub channel: Channel,
    pub summary: String,
    pub petitioner_ref: Option<String>,
    pub source: Option<DisputeRef>,
    /// Workers concerned (wage arrears), else 0.
    pub workers: u32,
    /// Amount claimed in fen (wage arrears), else 0.
    pub amount_claimed_cents: i64,
    /// The key project (重点项目) the case belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

impl Intake {
    pub fn validate(&self) -> Result<(), DomainError> {
        screened(&self.summary, "summary", MAX_TEXT_CHARS, true)?;
        if let Some(reference) = &self.petitioner_ref
            && (reference.len() != 64 || !reference.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        {
            return Err(DomainError::invalid(
                "petitioner_ref",
                why!(MUST_BE_64_LOWER_CASE_HEX, "must be 64 lower-case hex digits (HMAC-SHA256)"),
            ));
        }
        if let Some(source) = &self.source {
            check_id(&source.local_id, "source.local_id")?;
            if self.channel != Channel::Report {
                return Err(DomainError::invalid(
                    "source",
                    why!(
                        ONLY_CASE_CHANNEL_REPORT_NAMES_DISPUTE,
                        "only a case of channel report names a dispute"
                    ),
                ));
            }
        }
        if self.workers > MAX_WORKERS {
            return Err(DomainError::invalid(
                "workers",
                why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_WORKERS),
            ));
        }
        check_amount(self.amount_claimed_cents, "amount_claimed_cents")?;
        if let Some(project) = &self.project {
            check_project_id(project, "project_id")?;
        }
        Ok(())
    }
}

/// A working group's lead and members: each named once, at most
/// [`MAX_GROUP_MEMBERS`] members.
pub fn check_group(lead: &GroupMember, members: &[GroupMember]) -> Result<(), DomainError> {
    crate::identity::check_person_id(&lead.person, "lead.person_id")?;
    if members.len() > MAX_GROUP_MEMBERS {
        return Err(DomainError::invalid(
            "members",
            why!(AT_MOST_GROUP_MEMBERS, "a working group has at most {max} members", max = MAX_GROUP_MEMBERS),
        ));
    }
    for (i, member) in members.iter().enumerate() {
        crate::identity::check_person_id(&member.person, &format!("members[{i}].person_id"))?;
        if let Some(department) = &member.department
            && department.unit != member.unit
        {
            return Err(DomainError::invalid(
                format!("members[{i}].department_id"),
                why!(
                    DEPARTMENT_NOT_OF_UNIT,
                    "department {department} is not of unit {unit}",
                    department = department,
                    unit = member.unit
                ),
            ));
        }
        if member == lead || members[..i].contains(member) {
            return Err(DomainError::invalid(
                format!("members[{i}]"),
                why!(
                    GROUP_MEMBER_TWICE,
                    "{person} is named twice in the working group",
                    person = member.person
                ),
            ));
        }
    }
    Ok(())
}

/// A petitioner's rating: satisfied or dissatisfied.
pub fn check_rating(satisfaction: Satisfaction, field: &str) -> Result<(), DomainError> {
    match satisfaction {
        Satisfaction::Satisfied | Satisfaction::Dissatisfied => Ok(()),
        Satisfaction::Unreachable => Err(DomainError::invalid(
            field,
            why!(RATING_SATISFIED_OR_DISSATISFIED, "a petitioner's rating is satisfied or dissatisfied"),
        )),
    }
}

/// Longest project id.
pub const MAX_PROJECT_ID_LEN: usize = 64;

/// A key project's id: lowercase ASCII letters, digits, `-` and `_`.
pub fn check_project_id(value: &str, field: &str) -> Result<(), DomainError> {
    if value.is_empty()
        || value.len() > MAX_PROJECT_ID_LEN
        || !value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
    {
        return Err(DomainError::invalid(
            field,
            why!(
                PROJECT_ID_SHAPE,
                "a project id is 1–{max} lowercase letters, digits, '-' and '_'",
                max = MAX_PROJECT_ID_LEN
            ),
        ));
    }
    Ok(())
}

/// A member of a special working group (专门工作组): a person of a unit or
/// of one of its departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub person: String,
    pub unit: UnitId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<DepartmentId>,
}

impl GroupMember {
    /// Whether `identity` is this member.
    pub fn is(&self, identity: &crate::identity::Identity) -> bool {
        match identity {
            crate::identity::Identity::Person { id, unit, .. } => {
                id == &self.person && unit == &self.unit && identity.department() == self.department
            }
            crate::identity::Identity::Node { .. } => false,
        }
    }
}

/// The most members a working group has besides its lead.
pub const MAX_GROUP_MEMBERS: usize = 30;

/// A special working group on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingGroup {
    pub lead: GroupMember,
    pub members: Vec<GroupMember>,
    pub set_on: NaiveDate,
}

/// An assignment of a case to a department (交办) and its report back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentTask {
    pub department: DepartmentId,
    pub assigned_on: NaiveDate,
    pub report_by: NaiveDate,
    pub reported_on: Option<NaiveDate>,
    pub report: Option<String>,
}

impl DepartmentTask {
    /// Unreported past its date at the end of `on`.
    pub fn is_overdue(&self, on: NaiveDate) -> bool {
        self.reported_on.is_none() && self.report_by < on
    }
}

/// A reply written for the petitioner (答复), shown by the public tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicReply {
    pub on: NaiveDate,
    pub text: String,
    /// The office that wrote it: the owner unit, and its department when one held the case.
    pub unit: UnitId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<DepartmentId>,
}

/// The petitioner's own rating, given through the public tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionerRating {
    pub satisfaction: Satisfaction,
    pub on: NaiveDate,
    pub rating_id: String,
}

/// Why a new case was flagged as a repeat petition: the rule and its inputs,
/// so the decision can be audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatLink {
    /// Earlier cases of the same petitioner and category in the window,
    /// newest first.
    pub of: Vec<CaseId>,
    /// The rule, in words.
    pub rule: String,
    pub window_days: u32,
    /// The window's first day (registration dates from here on matched).
    pub since: NaiveDate,
}

impl RepeatLink {
    /// The rule, in words.
    pub fn rule_text(window_days: u32) -> String {
        format!("same petitioner_ref and category registered within {window_days} days")
    }

    /// The repeat decision for a case registered `on`, given the earlier
    /// cases of the same petitioner and category registered since
    /// `on - window_days` (newest first).
    pub fn decide(on: NaiveDate, window_days: u32, earlier: Vec<CaseId>) -> Option<RepeatLink> {
        if earlier.is_empty() {
            return None;
        }
        Some(RepeatLink {
            of: earlier,
            rule: RepeatLink::rule_text(window_days),
            window_days,
            since: RepeatLink::window_start(on, window_days),
        })
    }

    /// The first day of the repeat window of a case registered `on`.
    pub fn window_start(on: NaiveDate, window_days: u32) -> NaiveDate {
        on.checked_sub_days(Days::new(u64::from(window_days))).unwrap_or(NaiveDate::MIN)
    }
}

/// A repeat petition found over a ledger: `case` repeats `of`, earlier
/// cases of the same petitioner and category in its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatFlag {
    pub case: CaseId,
    pub of: Vec<CaseId>,
    pub window_days: u32,
    /// The first day of `case`'s window.
    pub since: NaiveDate,
}

impl RepeatFlag {
    /// The action that records the flag on its case.
    pub fn action(&self) -> Action {
        Action::FlagRepeat { of: self.of.clone(), window_days: self.window_days, since: self.since }
    }
}

/// The repeat petitions a ledger shows around `arriving`, a case whose
/// registration just reached it, among `others` (the ledger's cases
/// registered within `window_days` either side of it): the same rule as at
/// registration — a later case repeats every earlier case of the same
/// `petitioner_ref` and category registered within `window_days` before it
/// — applied both ways, because registrations from different child nodes
/// arrive in any order. "Earlier" is by registration time, then case id.
/// Links a case already records are left out, so a flag is only what is new
/// to this ledger's copy of the case.
pub fn repeat_flags(arriving: &Case, others: &[Case], window_days: u32) -> Vec<RepeatFlag> {
    let Some(reference) = &arriving.intake.petitioner_ref else { return Vec::new() };
    let same = |other: &&Case| {
        other.id != arriving.id
            && other.intake.petitioner_ref.as_ref() == Some(reference)
            && other.intake.category == arriving.intake.category
    };
    let before = |a: &Case, b: &Case| (a.registered_at, &a.id) < (b.registered_at, &b.id);
    // `earlier` lies in the window of `later`, and `later` does not link it yet.
    let repeats = |later: &Case, earlier: &Case| {
        before(earlier, later)
            && earlier.registered_on >= RepeatLink::window_start(later.registered_on, window_days)
            && !later.repeat.as_ref().is_some_and(|link| link.of.contains(&earlier.id))
    };
    let mut flags = Vec::new();
    let mut earlier: Vec<&Case> = others.iter().filter(same).filter(|o| repeats(arriving, o)).collect();
    // Newest first, as at registration.
    earlier.sort_by(|a, b| (b.registered_at, &b.id).cmp(&(a.registered_at, &a.id)));
    if !earlier.is_empty() {
        flags.push(RepeatFlag {
            case: arriving.id.clone(),
            of: earlier.iter().map(|c| c.id.clone()).collect(),
            window_days,
            since: RepeatLink::window_start(arriving.registered_on, window_days),
        });
    }
    let mut later: Vec<&Case> = others.iter().filter(same).filter(|o| repeats(o, arriving)).collect();
    later.sort_by(|a, b| (a.registered_at, &a.id).cmp(&(b.registered_at, &b.id)));
    for case in later {
        flags.push(RepeatFlag {
            case: case.id.clone(),
            of: vec![arriving.id.clone()],
            window_days,
            since: RepeatLink::window_start(case.registered_on, window_days),
        });
    }
    flags
}

/// What happened to a case: one entry of its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Registered {
        intake: Intake,
        accept_by: NaiveDate,
        repeat: Option<RepeatLink>,
        /// The receipt's query code as a salted hash (see [`crate::receipt`]):
        /// carried between nodes, never returned by a read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
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
    Progress,
    Extended {
        days: u32,
        reason: String,
        deadline: NaiveDate,
    },
    Escalated {
        to: UnitId,
        reason: String,
    },
    AssignedDown {
        to: UnitId,
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
        to: UnitId,
        review_by: NaiveDate,
    },
    Reviewed {
        decision: ReviewDecision,
        deadline: Option<NaiveDate>,
    },
    Supervised {
        supervision_id: String,
        from: UnitId,
        kind: SupervisionKind,
        reply_by: NaiveDate,
        /// The person who issued the notice, as the issuing node verified
        /// them (absent in events stored before senders were recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sender: Option<Actor>,
    },
    SupervisionReplied {
        supervision_id: String,
    },
    /// An ancestor's node found, over its subtree, that the case repeats
    /// earlier cases of the same petitioner and category that the
    /// registering node could not see; the holder recorded it. `of` lists
    /// the cases not linked before; the window is the rule's.
    RepeatFound {
        of: Vec<CaseId>,
        window_days: u32,
        since: NaiveDate,
    },
    /// 转办: a department of the owner unit now holds the case.
    TransferredToDepartment {
        department: DepartmentId,
        reason: String,
        deadline: NaiveDate,
    },
    /// 交办: a department of the owner unit reports back by `report_by`.
    AssignedToDepartment {
        department: DepartmentId,
        report_by: NaiveDate,
    },
    /// The department's report back on its assignment.
    DepartmentReported {
        department: DepartmentId,
        report: String,
        on_time: bool,
    },
    WorkingGroupSet {
        lead: GroupMember,
        members: Vec<GroupMember>,
    },
    /// A reply for the petitioner (public), apart from the event's note (internal).
    PublicReplied {
        text: String,
    },
    /// A new receipt: `receipt` is its code's hash (never returned by a read).
    ReceiptIssued {
        receipt: String,
    },
    /// The petitioner's rating through the tracker.
    PetitionerRated {
        satisfaction: Satisfaction,
        rating_id: String,
    },
}

impl EventKind {
    /// The snake_case name (storage, the CLI, figures).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Registered { .. } => "registered",
            EventKind::Accepted { .. } => "accepted",
            EventKind::NotAccepted { .. } => "not_accepted",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Progress => "progress",
            EventKind::Extended { .. } => "extended",
            EventKind::Escalated { .. } => "escalated",
            EventKind::AssignedDown { .. } => "assigned_down",
            EventKind::Resolved { .. } => "resolved",
            EventKind::Closed { .. } => "closed",
            EventKind::Reopened { .. } => "reopened",
            EventKind::ReviewRequested { .. } => "review_requested",
            EventKind::Reviewed { .. } => "reviewed",
            EventKind::Supervised { .. } => "supervised",
            EventKind::SupervisionReplied { .. } => "supervision_replied",
            EventKind::RepeatFound { .. } => "repeat_found",
            EventKind::TransferredToDepartment { .. } => "transferred_to_department",
            EventKind::AssignedToDepartment { .. } => "assigned_to_department",
            EventKind::DepartmentReported { .. } => "department_reported",
            EventKind::WorkingGroupSet { .. } => "working_group_set",
            EventKind::PublicReplied { .. } => "public_replied",
            EventKind::ReceiptIssued { .. } => "receipt_issued",
            EventKind::PetitionerRated { .. } => "petitioner_rated",
        }
    }

    /// The unit the case passes to with this event, when it changes hands.
    pub fn new_owner(&self) -> Option<&UnitId> {
        match self {
            EventKind::Escalated { to, .. }
            | EventKind::AssignedDown { to, .. }
            | EventKind::ReviewRequested { to, .. } => Some(to),
            _ => None,
        }
    }
}

/// One event of a case's log, as written by the node that owned the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: CaseId,
    /// 1, 2, … without gaps.
    pub seq: u32,
    pub at: DateTime<Utc>,
    /// The local date of `at` in the deployment's zone.
    pub on: NaiveDate,
    /// The unit that acted (the case's owner when it was written).
    pub unit: UnitId,
    /// Who acted: the verified person, the node acting by itself, or the
    /// insecure mode's unverified text (see [`crate::actor`]).
    pub actor: Actor,
    pub note: String,
    pub kind: EventKind,
}

impl CaseEvent {
    /// Checks what a node received from elsewhere before storing it.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.seq == 0 {
            return Err(DomainError::invalid("seq", why!(MUST_BE_AT_LEAST_1, "must be at least 1")));
        }
        self.actor.validate("actor")?;
        check_text(&self.note, "note")?;
        if let EventKind::Registered { intake, receipt, .. } = &self.kind {
            if let Some(receipt) = receipt {
                crate::receipt::check_hash(receipt, "registered.receipt_code_hash")?;
            }
            if self.seq != 1 {
                return Err(DomainError::invalid(
                    "seq",
                    why!(REGISTRATION_EVENT_1, "a registration is event 1"),
                ));
            }
            intake.validate().map_err(|e| e.within("intake"))?;
        } else if self.seq == 1 {
            return Err(DomainError::invalid(
                "kind",
                why!(EVENT_1_MUST_BE_REGISTRATION, "event 1 must be the registration"),
            ));
        }
        self.validate_kind()
    }

    /// Checks the time a child node forwarded the event with against this
    /// node's clock: not in the future, allowing `max_skew` for the other
    /// node's clock, and `on` its local date then or earlier. Field paths are
    /// those of a `CaseEvent`.
    pub fn check_forwarded(
        &self,
        now: DateTime<Utc>,
        max_skew: chrono::Duration,
        policy: &crate::TimePolicy,
    ) -> Result<(), DomainError> {
        let latest = now + max_skew;
        let skew = max_skew.num_seconds();
        if self.at > latest {
            return Err(DomainError::invalid(
                "at",
                why!(
                    IN_THE_FUTURE,
                    "{at} is in the future: this node's clock reads {now}, allowing {skew} s of skew",
                    at = self.at,
                    now = now,
                    skew = skew
                ),
            ));
        }
        let today = policy.local_date(latest);
        if self.on > today {
            return Err(DomainError::invalid(
                "on",
                why!(AFTER_TODAY, "{date} is after today ({today})", date = self.on, today = today),
            ));
        }
        Ok(())
    }

    /// Checks the fields of the event's kind as `decide` would have made them.
    fn validate_kind(&self) -> Result<(), DomainError> {
        let text = |value: &str, field: &str| screened(value, field, MAX_TEXT_CHARS, true);
        let name = check_name;
        match &self.kind {
            EventKind::Registered { .. } | EventKind::Accepted { .. } | EventKind::Progress => {}
            EventKind::Closed { .. } | EventKind::Escalated { .. } | EventKind::AssignedDown { .. } => {}
            EventKind::NotAccepted { reason } | EventKind::Reopened { reason, .. } => {
                text(reason, "reason")?;
            }
            EventKind::ReviewRequested { reason, .. } => text(reason, "reason")?,
            EventKind::Assigned { leader, responsible, plan, .. } => {
                name(leader, "assigned.leader")?;
                name(responsible, "assigned.responsible")?;
                text(plan, "assigned.plan")?;
            }
            EventKind::Extended { days, reason, .. } => {
                if *days == 0 || *days > 366 {
                    return Err(DomainError::invalid(
                        "extended.days",
                        why!(MUST_BE_BETWEEN_1_366, "must be between 1 and 366"),
                    ));
                }
                text(reason, "extended.reason")?;
            }
            EventKind::Resolved { resolution, amount_recovered_cents, .. } => {
                text(resolution, "resolved.resolution")?;
                check_amount(*amount_recovered_cents, "resolved.amount_recovered_cents")?;
            }
            EventKind::Reviewed { decision, deadline } => {
                if (*decision == ReviewDecision::Overturned) != deadline.is_some() {
                    return Err(DomainError::invalid(
                        "reviewed.deadline",
                        why!(
                            OVERTURNED_REVIEW_SETS_NEW_DEADLINE_UPHELD,
                            "an overturned review sets a new deadline; an upheld one none"
                        ),
                    ));
                }
            }
            EventKind::Supervised { supervision_id, sender, .. } => {
                check_id(supervision_id, "supervised.supervision_id")?;
                if let Some(sender) = sender {
                    sender.validate("supervised.sender")?;
                }
            }
            EventKind::SupervisionReplied { supervision_id } => {
                check_id(supervision_id, "supervision_replied.supervision_id")?;
            }
            EventKind::TransferredToDepartment { reason, .. } => {
                text(reason, "transferred_to_department.reason")?
            }
            EventKind::AssignedToDepartment { .. } => {}
            EventKind::DepartmentReported { report, .. } => text(report, "department_reported.report")?,
            EventKind::WorkingGroupSet { lead, members } => check_group(lead, members)?,
            EventKind::PublicReplied { text: reply } => text(reply, "public_replied.text")?,
            EventKind::ReceiptIssued { receipt } => {
                crate::receipt::check_hash(receipt, "receipt_issued.receipt_code_hash")?
            }
            EventKind::PetitionerRated { satisfaction, rating_id } => {
                check_rating(*satisfaction, "petitioner_rated.satisfaction")?;
                check_id(rating_id, "petitioner_rated.rating_id")?;
            }
            EventKind::RepeatFound { of, window_days, .. } => {
                if of.is_empty() {
                    return Err(DomainError::invalid(
                        "repeat_found.of_case_ids",
                        why!(NAMES_AT_LEAST_ONE_CASE, "names at least one case"),
                    ));
                }
                if of.contains(&self.case_id) {
                    return Err(DomainError::invalid(
                        "repeat_found.of_case_ids",
                        why!(CASE_DOES_NOT_REPEAT_ITSELF, "a case does not repeat itself"),
                    ));
                }
                if *window_days == 0 {
                    return Err(DomainError::invalid(
                        "repeat_found.window_days",
                        why!(MUST_BE_AT_LEAST_1, "must be at least 1"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A supervision notice (督办) on a case, as the case records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionEntry {
    pub id: String,
    pub from: UnitId,
    pub kind: SupervisionKind,
    pub reply_by: NaiveDate,
    pub received_on: NaiveDate,
    pub replied_on: Option<NaiveDate>,
}

/// A case as its log says it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub intake: Intake,
    pub repeat: Option<RepeatLink>,
    pub owner_unit: UnitId,
    /// The day the case reached its current owner (registration, escalation,
    /// assignment down or review request).
    pub owner_since: NaiveDate,
    pub status: CaseStatus,
    pub registered_at: DateTime<Utc>,
    pub registered_on: NaiveDate,
    pub accept_by: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    /// The handling deadline (after acceptance).
    pub deadline: Option<NaiveDate>,
    pub extended: bool,
    pub leader: Option<String>,
    pub responsible: Option<String>,
    pub plan: Option<String>,
    pub resolution: Option<String>,
    pub amount_recovered_cents: i64,
    pub resolved_on: Option<NaiveDate>,
    /// Resolved by the deadline that held then.
    pub resolved_on_time: Option<bool>,
    pub satisfaction: Option<Satisfaction>,
    pub closed_on: Option<NaiveDate>,
    pub review_by: Option<NaiveDate>,
    pub reviews: u32,
    pub escalations: u32,
    pub assignments_down: u32,
    pub reopened: u32,
    pub supervisions: Vec<SupervisionEntry>,
    /// The department of the owner unit holding the case after a transfer (转办).
    pub department: Option<DepartmentId>,
    /// Assignments to departments (交办), oldest first.
    pub department_tasks: Vec<DepartmentTask>,
    pub working_group: Option<WorkingGroup>,
    pub public_replies: Vec<PublicReply>,
    /// The current receipt's code hash (never returned by a read).
    pub receipt: Option<String>,
    pub petitioner_rating: Option<PetitionerRating>,
    /// The newest event's sequence number.
    pub seq: u32,
    pub updated_at: DateTime<Utc>,
}

/// What someone asks of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline {
        reason: String,
    },
    Assign {
        leader: String,
        responsible: String,
        plan: String,
        deadline: Option<NaiveDate>,
    },
    Progress,
    Extend {
        days: u32,
        reason: String,
    },
    Escalate {
        reason: String,
    },
    AssignDown {
        to: UnitId,
        deadline: Option<NaiveDate>,
    },
    Resolve {
        resolution: String,
        amount_recovered_cents: i64,
    },
    Close {
        satisfaction: Satisfaction,
    },
    Reopen {
        reason: String,
    },
    RequestReview {
        reason: String,
    },
    DecideReview {
        decision: ReviewDecision,
    },
    Supervised {
        supervision_id: String,
        from: UnitId,
        kind: SupervisionKind,
        reply_by: NaiveDate,
        sender: Option<Actor>,
    },
    ReplySupervision {
        supervision_id: String,
    },
    /// Record what an ancestor's repeat detection found: the earlier cases
    /// of the same petitioner and category this case repeats.
    FlagRepeat {
        of: Vec<CaseId>,
        window_days: u32,
        since: NaiveDate,
    },
    /// 转办 to a department of the owner unit (checked to exist by the node).
    TransferToDepartment {
        department: DepartmentId,
        reason: String,
        deadline: Option<NaiveDate>,
    },
    /// 交办 to a department of the owner unit.
    AssignToDepartment {
        department: DepartmentId,
        report_by: NaiveDate,
    },
    /// The department's report back (the department is the caller's).
    ReportBack {
        department: DepartmentId,
        report: String,
    },
    SetWorkingGroup {
        lead: GroupMember,
        members: Vec<GroupMember>,
    },
    ReplyToPetitioner {
        text: String,
    },
    /// A new receipt: the new code's hash (the node made the code).
    IssueReceipt {
        receipt: String,
    },
    /// The petitioner's rating, taken by a public tracker.
    RecordRating {
        satisfaction: Satisfaction,
        rating_id: String,
    },
}

impl Action {
    /// The action's stable identifier (`accept`, `assign_down`): a refusal's
    /// `action` value, which clients name in their language.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline { .. } => "decline",
            Action::Assign { .. } => "assign",
            Action::Progress => "progress",
            Action::Extend { .. } => "extend",
            Action::Escalate { .. } => "escalate",
            Action::AssignDown { .. } => "assign_down",
            Action::Resolve { .. } => "resolve",
            Action::Close { .. } => "close",
            Action::Reopen { .. } => "reopen",
            Action::RequestReview { .. } => "request_review",
            Action::DecideReview { .. } => "decide_review",
            Action::Supervised { .. } => "supervise",
            Action::ReplySupervision { .. } => "reply_supervision",
            Action::FlagRepeat { .. } => "flag_repeat",
            Action::TransferToDepartment { .. } => "transfer_to_department",
            Action::AssignToDepartment { .. } => "assign_to_department",
            Action::ReportBack { .. } => "report_back",
            Action::SetWorkingGroup { .. } => "set_working_group",
            Action::ReplyToPetitioner { .. } => "reply_to_petitioner",
            Action::IssueReceipt { .. } => "issue_receipt",
            Action::RecordRating { .. } => "record_rating",
        }
    }

    /// The verb, for messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline { .. } => "decline",
            Action::Assign { .. } => "assign",
            Action::Progress => "record progress on",
            Action::Extend { .. } => "extend",
            Action::Escalate { .. } => "escalate",
            Action::AssignDown { .. } => "assign down",
            Action::Resolve { .. } => "resolve",
            Action::Close { .. } => "close",
            Action::Reopen { .. } => "reopen",
            Action::RequestReview { .. } => "request a review of",
            Action::DecideReview { .. } => "decide the review of",
            Action::Supervised { .. } => "record supervision on",
            Action::ReplySupervision { .. } => "reply to supervision on",
            Action::FlagRepeat { .. } => "record a repeat petition on",
            Action::TransferToDepartment { .. } => "transfer to a department",
            Action::AssignToDepartment { .. } => "assign to a department",
            Action::ReportBack { .. } => "report back on",
            Action::SetWorkingGroup { .. } => "set a working group on",
            Action::ReplyToPetitioner { .. } => "reply to the petitioner of",
            Action::IssueReceipt { .. } => "issue a receipt for",
            Action::RecordRating { .. } => "record the petitioner's rating of",
        }
    }

    /// The statuses this action may start from.
    pub fn allowed_from(&self) -> &'static [CaseStatus] {
        use crate::authz::CaseAction as A;
        let action = match self {
            Action::Accept => A::Accept,
            Action::Decline { .. } => A::Decline,
            Action::Assign { .. } => A::Assign,
            Action::Progress => A::Progress,
            Action::Extend { .. } => A::Extend,
            Action::Escalate { .. } => A::Escalate,
            Action::AssignDown { .. } => A::AssignDown,
            Action::Resolve { .. } => A::Resolve,
            Action::Close { .. } => A::Close,
            Action::Reopen { .. } => A::Reopen,
            Action::RequestReview { .. } => A::RequestReview,
            Action::DecideReview { .. } => A::DecideReview,
            Action::ReplySupervision { .. } => A::ReplySupervision,
            Action::TransferToDepartment { .. } => A::TransferToDepartment,
            Action::AssignToDepartment { .. } => A::AssignToDepartment,
            Action::ReportBack { .. } => A::ReportBack,
            Action::SetWorkingGroup { .. } => A::SetWorkingGroup,
            Action::ReplyToPetitioner { .. } => A::ReplyToPetitioner,
            Action::IssueReceipt { .. } => A::IssueReceipt,
            Action::RecordRating { .. } => return &[CaseStatus::Resolved, CaseStatus::Closed],
            Action::Supervised { .. } | Action::FlagRepeat { .. } => return ANY_STATUS,
        };
        action.allowed_from()
    }
}

/// Every status: what supervision, its reply and a repeat's flag start from.
const ANY_STATUS: &[CaseStatus] = &[
    CaseStatus::Registered,
    CaseStatus::Accepted,
    CaseStatus::Assigned,
    CaseStatus::InProgress,
    CaseStatus::Resolved,
    CaseStatus::Closed,
    CaseStatus::UnderReview,
    CaseStatus::NotAccepted,
];

impl crate::authz::CaseAction {
    /// The statuses a case must be in for this action: the ledger's one
    /// table, which the dashboard asks before offering a form.
    pub fn allowed_from(self) -> &'static [CaseStatus] {
        use crate::authz::CaseAction as A;
        use CaseStatus::*;
        match self {
            A::Accept | A::Decline => &[Registered],
            A::Assign => &[Accepted, Assigned, InProgress],
            A::Progress => &[Assigned, InProgress],
            A::Extend => &[Accepted, Assigned, InProgress],
            A::Escalate => &[Registered, Accepted, Assigned, InProgress],
            A::AssignDown => &[Accepted, Assigned, InProgress],
            A::Resolve => &[Assigned, InProgress],
            A::Close => &[Resolved],
            A::Reopen | A::RequestReview => &[Closed],
            A::DecideReview => &[UnderReview],
            A::ReplySupervision | A::ReportBack | A::ReplyToPetitioner | A::IssueReceipt => ANY_STATUS,
            A::TransferToDepartment | A::AssignToDepartment => &[Accepted, Assigned, InProgress],
            A::SetWorkingGroup => &[Registered, Accepted, Assigned, InProgress, UnderReview],
        }
    }
}

/// Who acts, when, and what the tree says around the owner.
#[derive(Clone)]
pub struct Context<'a> {
    pub at: DateTime<Utc>,
    /// The local date of `at`.
    pub on: NaiveDate,
    pub actor: Actor,
    pub note: String,
    /// The owner's parent unit on `on` (none at the root).
    pub owner_parent: Option<UnitId>,
    /// Whether a unit lies strictly below the owner on `on`.
    pub is_below_owner: &'a (dyn Fn(&UnitId) -> bool + Sync),
    pub policy: DeadlinePolicy,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("at", &self.at)
            .field("on", &self.on)
            .field("actor", &self.actor)
            .field("owner_parent", &self.owner_parent)
            .finish_non_exhaustive()
    }
}

fn failed(why: crate::error::Why) -> DomainError {
    DomainError::FailedPrecondition(why)
}

/// The deadline asked for (default: `limit`), between today and `limit`.
fn within_deadline(
    requested: Option<NaiveDate>,
    limit: NaiveDate,
    ctx: &Context<'_>,
) -> Result<NaiveDate, DomainError> {
    let deadline = requested.unwrap_or(limit);
    if deadline < ctx.on || deadline > limit {
        return Err(DomainError::invalid(
            "deadline",
            why!(
                MUST_LIE_BETWEEN_TODAY_CASE_S,
                "must lie between today ({on}) and the case's deadline {limit}; extend the case for more",
                on = ctx.on,
                limit = limit
            ),
        ));
    }
    Ok(deadline)
}

/// A required text, trimmed, screened for personal data.
fn required(value: &str, field: &str, max: usize) -> Result<String, DomainError> {
    screened(value, field, max, true)?;
    Ok(value.trim().to_owned())
}

impl Case {
    /// The first event of a new case.
    pub fn register(
        id: CaseId,
        intake: Intake,
        repeat: Option<RepeatLink>,
        ctx: &Context<'_>,
    ) -> Result<CaseEvent, DomainError> {
        intake.validate()?;
        ctx.actor.validate("actor")?;
        check_text(&ctx.note, "note")?;
        let accept_by = add_days(ctx.on, ctx.policy.accept_days, "accept_by")?;
        Ok(CaseEvent {
            case_id: id,
            seq: 1,
            at: ctx.at,
            on: ctx.on,
            unit: intake.origin_unit.clone(),
            actor: ctx.actor.clone(),
            note: ctx.note.clone(),
            kind: EventKind::Registered { intake, accept_by, repeat, receipt: None },
        })
    }

    /// Replays a whole log.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Result<Case, DomainError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or_else(|| {
            DomainError::invalid("events", why!(CASE_HAS_AT_LEAST_ONE_EVENT, "a case has at least one event"))
        })?;
        let mut case = Case::start(first)?;
        for event in events {
            case.apply(event)?;
        }
        Ok(case)
    }

    /// A case from its registration event.
    pub fn start(event: &CaseEvent) -> Result<Case, DomainError> {
        let EventKind::Registered { intake, accept_by, repeat, receipt } = &event.kind else {
            return Err(DomainError::invalid(
                "events[0]",
                why!(CASE_S_FIRST_EVENT_REGISTRATION, "a case's first event is its registration"),
            ));
        };
        if event.seq != 1 {
            return Err(DomainError::invalid("seq", why!(REGISTRATION_EVENT_1, "a registration is event 1")));
        }
        Ok(Case {
            id: event.case_id.clone(),
            intake: intake.clone(),
            repeat: repeat.clone(),
            owner_unit: intake.origin_unit.clone(),
            owner_since: event.on,
            status: CaseStatus::Registered,
            registered_at: event.at,
            registered_on: event.on,
            accept_by: *accept_by,
            accepted_on: None,
            not_accepted_reason: None,
            deadline: None,
            extended: false,
            leader: None,
            responsible: None,
            plan: None,
            resolution: None,
            amount_recovered_cents: 0,
            resolved_on: None,
            resolved_on_time: None,
            satisfaction: None,
            closed_on: None,
            review_by: None,
            reviews: 0,
            escalations: 0,
            assignments_down: 0,
            reopened: 0,
            supervisions: Vec::new(),
            department: None,
            department_tasks: Vec::new(),
            working_group: None,
            public_replies: Vec::new(),
            receipt: receipt.clone(),
            petitioner_rating: None,
            seq: 1,
            updated_at: event.at,
        })
    }

    /// The date by which the next step is due: acceptance, resolution or
    /// the review decision; none once resolved.
    pub fn due(&self) -> Option<NaiveDate> {
        match self.status {
            CaseStatus::Registered => Some(self.accept_by),
            CaseStatus::Accepted | CaseStatus::Assigned | CaseStatus::InProgress => self.deadline,
            CaseStatus::UnderReview => self.review_by,
            CaseStatus::Resolved | CaseStatus::Closed | CaseStatus::NotAccepted => None,
        }
    }

    /// Deadline passed and not resolved, as of the end of `on`.
    pub fn is_overdue(&self, on: NaiveDate) -> bool {
        self.due().is_some_and(|due| due < on)
    }

    /// Days overdue on `on` (0 when not overdue).
    pub fn days_overdue(&self, on: NaiveDate) -> u32 {
        days_past(self.due(), on)
    }

    /// Accepted within the acceptance deadline.
    pub fn accepted_on_time(&self) -> Option<bool> {
        self.accepted_on.map(|on| on <= self.accept_by)
    }

    fn refuse(&self, action: &Action) -> DomainError {
        let id = &self.id;
        let allowed = action.allowed_from();
        let verb = action.verb();
        let status = self.status;
        let mut why = match status {
            CaseStatus::Registered if allowed.contains(&CaseStatus::Accepted) => why!(
                CASE_MUST_FIRST_BE_ACCEPTED,
                "cannot {verb} case {id}: it is {status}; it must first be accepted (`fengqiao case accept {id}`)",
                verb = verb,
                id = id,
                status = status
            ),
            CaseStatus::Registered if allowed.contains(&CaseStatus::Assigned) => why!(
                CASE_MUST_FIRST_BE_ACCEPTED_AND_ASSIGNED,
                "cannot {verb} case {id}: it is {status}; it must first be accepted (`fengqiao case accept {id}`), \
                 then assigned a leader and a plan (`fengqiao case assign {id} --leader ID --responsible NAME --plan TEXT`)",
                verb = verb,
                id = id,
                status = status
            ),
            CaseStatus::Accepted if allowed.contains(&CaseStatus::Assigned) => why!(
                CASE_MUST_FIRST_BE_ASSIGNED,
                "cannot {verb} case {id}: it is {status}; it must first be assigned a leader and a plan \
                 (`fengqiao case assign {id} --leader ID --responsible NAME --plan TEXT`)",
                verb = verb,
                id = id,
                status = status
            ),
            CaseStatus::Resolved if allowed.contains(&CaseStatus::Closed) => why!(
                CASE_MUST_FIRST_BE_CLOSED,
                "cannot {verb} case {id}: it is {status}; it must first be closed (`fengqiao case close {id} …`)",
                verb = verb,
                id = id,
                status = status
            ),
            _ => why!(
                CASE_ACTION_NOT_ALLOWED,
                "cannot {verb} case {id}: it is {status}",
                verb = verb,
                id = id,
                status = status
            ),
        };
        why.args.push(("action", action.name().to_owned()));
        failed(why)
    }

    /// The event that `action` by `ctx.actor` makes, or why it may not happen.
    pub fn decide(&self, action: Action, ctx: &Context<'_>) -> Result<CaseEvent, DomainError> {
        if !action.allowed_from().contains(&self.status) {
            return Err(self.refuse(&action));
        }
        ctx.actor.validate("actor")?;
        check_text(&ctx.note, "note")?;
        let policy = ctx.policy;
        let kind = match action {
            Action::Accept => {
                EventKind::Accepted { deadline: add_days(ctx.on, policy.handle_days, "deadline")? }
            }
            Action::Decline { reason } => {
                EventKind::NotAccepted { reason: required(&reason, "reason", MAX_TEXT_CHARS)? }
            }
            Action::Assign { leader, responsible, plan, deadline } => {
                let deadline = self.assignment_deadline(deadline, ctx)?;
                EventKind::Assigned {
                    leader: required(&leader, "leader", MAX_NAME_CHARS)?,
                    responsible: required(&responsible, "responsible", MAX_NAME_CHARS)?,
                    plan: required(&plan, "plan", MAX_TEXT_CHARS)?,
                    deadline,
                }
            }
            Action::Progress => {
                if ctx.note.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "note",
                        why!(MUST_SAY_WHAT_PROGRESS_WAS_MADE, "must say what progress was made"),
                    ));
                }
                EventKind::Progress
            }
            Action::Extend { days, reason } => {
                if self.extended {
                    return Err(failed(why!(
                        CANNOT_EXTEND_CASE_WAS_ALREADY_EXTENDED,
                        "cannot extend case {id}: it is {status} and was already extended once",
                        id = self.id,
                        status = self.status
                    )));
                }
                if days == 0 || days > policy.max_extension_days {
                    return Err(DomainError::invalid(
                        "days",
                        why!(
                            MUST_BE_BETWEEN_1,
                            "must be between 1 and {max_extension_days}",
                            max_extension_days = policy.max_extension_days
                        ),
                    ));
                }
                let reason = required(&reason, "reason", MAX_TEXT_CHARS)?;
                let current = self.deadline.unwrap_or(ctx.on);
                EventKind::Extended { days, reason, deadline: add_days(current, days, "deadline")? }
            }
            Action::Escalate { reason } => {
                let reason = required(&reason, "reason", MAX_TEXT_CHARS)?;
                let Some(to) = ctx.owner_parent.clone() else {
                    return Err(failed(why!(
                        CANNOT_ESCALATE_CASE_AT_WHICH_HAS,
                        "cannot escalate case {id}: it is {status} at {owner_unit}, which has no parent tier",
                        id = self.id,
                        status = self.status,
                        owner_unit = self.owner_unit
                    )));
                };
                EventKind::Escalated { to, reason }
            }
            Action::AssignDown { to, deadline } => {
                if !(ctx.is_below_owner)(&to) {
                    return Err(DomainError::invalid(
                        "to_unit_id",
                        why!(
                            UNIT_NOT_BELOW_CASE_S_OWNER,
                            "unit {to} is not below the case's owner {owner_unit}",
                            to = to,
                            owner_unit = self.owner_unit
                        ),
                    ));
                }
                let deadline = self.assignment_deadline(deadline, ctx)?;
                EventKind::AssignedDown { to, deadline }
            }
            Action::Resolve { resolution, amount_recovered_cents } => {
                check_amount(amount_recovered_cents, "amount_recovered_cents")?;
                if amount_recovered_cents > MAX_AMOUNT_CENTS {
                    return Err(DomainError::invalid("amount_recovered_cents", why!(TOO_LARGE, "too large")));
                }
                let on_time = self.deadline.is_none_or(|deadline| ctx.on <= deadline);
                EventKind::Resolved {
                    resolution: required(&resolution, "resolution", MAX_TEXT_CHARS)?,
                    amount_recovered_cents,
                    on_time,
                }
            }
            Action::Close { satisfaction } => EventKind::Closed { satisfaction },
            Action::Reopen { reason } => {
                self.require_dissatisfied(&Action::Reopen { reason: String::new() })?;
                EventKind::Reopened {
                    reason: required(&reason, "reason", MAX_TEXT_CHARS)?,
                    deadline: add_days(ctx.on, policy.handle_days, "deadline")?,
                }
            }
            Action::RequestReview { reason } => {
                self.require_dissatisfied(&Action::RequestReview { reason: String::new() })?;
                if self.reviews >= MAX_REVIEWS {
                    return Err(failed(why!(
                        CANNOT_REQUEST_REVIEW_CASE_WAS_ALREADY,
                        "cannot request a review of case {id}: it is {status} and was already reviewed {reviews} times",
                        id = self.id,
                        status = self.status,
                        reviews = self.reviews
                    )));
                }
                let Some(to) = ctx.owner_parent.clone() else {
                    return Err(failed(why!(
                        CANNOT_REQUEST_REVIEW_CASE_AT_WHICH,
                        "cannot request a review of case {id}: it is {status} at {owner_unit}, which has no parent tier",
                        id = self.id,
                        status = self.status,
                        owner_unit = self.owner_unit
                    )));
                };
                EventKind::ReviewRequested {
                    reason: required(&reason, "reason", MAX_TEXT_CHARS)?,
                    to,
                    review_by: add_days(ctx.on, policy.review_days, "review_by")?,
                }
            }
            Action::DecideReview { decision } => EventKind::Reviewed {
                decision,
                deadline: match decision {
                    ReviewDecision::Upheld => None,
                    ReviewDecision::Overturned => Some(add_days(ctx.on, policy.handle_days, "deadline")?),
                },
            },
            Action::Supervised { supervision_id, from, kind, reply_by, sender } => {
                check_id(&supervision_id, "supervision_id")?;
                if self.supervisions.iter().any(|s| s.id == supervision_id) {
                    return Err(DomainError::AlreadyExists(why!(
                        SUPERVISION_ALREADY_RECORDED_ON_CASE,
                        "supervision {supervision_id} is already recorded on case {id}",
                        supervision_id = supervision_id,
                        id = self.id
                    )));
                }
                if let Some(sender) = &sender {
                    sender.validate("sender")?;
                }
                EventKind::Supervised { supervision_id, from, kind, reply_by, sender }
            }
            Action::FlagRepeat { of, window_days, since } => {
                let linked = self.repeat.as_ref().map_or(&[][..], |link| link.of.as_slice());
                let mut new: Vec<CaseId> = Vec::new();
                for id in of {
                    if id != self.id && !linked.contains(&id) && !new.contains(&id) {
                        new.push(id);
                    }
                }
                if new.is_empty() {
                    return Err(DomainError::AlreadyExists(why!(
                        CASE_ALREADY_RECORDS_EVERY_REPEAT_LINK,
                        "case {id} already records every repeat link found",
                        id = self.id
                    )));
                }
                if window_days == 0 {
                    return Err(DomainError::invalid(
                        "window_days",
                        why!(MUST_BE_AT_LEAST_1, "must be at least 1"),
                    ));
                }
                EventKind::RepeatFound { of: new, window_days, since }
            }
            Action::TransferToDepartment { department, reason, deadline } => {
                self.require_own_department(&department)?;
                if self.department.as_ref() == Some(&department) {
                    return Err(failed(why!(
                        CASE_ALREADY_HELD_BY_DEPARTMENT,
                        "case {id} is already held by department {department}",
                        id = self.id,
                        department = department
                    )));
                }
                let reason = required(&reason, "reason", MAX_TEXT_CHARS)?;
                let limit = match self.deadline {
                    Some(current) if current >= ctx.on => current,
                    _ => add_days(ctx.on, policy.handle_days, "deadline")?,
                };
                let deadline = within_deadline(deadline, limit, ctx)?;
                EventKind::TransferredToDepartment { department, reason, deadline }
            }
            Action::AssignToDepartment { department, report_by } => {
                self.require_own_department(&department)?;
                if self.department_tasks.iter().any(|t| t.department == department && t.reported_on.is_none())
                {
                    return Err(failed(why!(
                        DEPARTMENT_TASK_STILL_OPEN,
                        "case {id} is already assigned to department {department}, which has not reported back",
                        id = self.id,
                        department = department
                    )));
                }
                let limit = self.deadline.filter(|d| *d >= ctx.on);
                if report_by < ctx.on || limit.is_some_and(|limit| report_by > limit) {
                    return Err(DomainError::invalid(
                        "report_by",
                        why!(
                            REPORT_BY_BETWEEN_TODAY_AND_DEADLINE,
                            "must lie between today ({on}) and the case's deadline ({limit})",
                            on = ctx.on,
                            limit = limit.map_or_else(|| "none".to_owned(), |d| d.to_string())
                        ),
                    ));
                }
                EventKind::AssignedToDepartment { department, report_by }
            }
            Action::ReportBack { department, report } => {
                let Some(task) = self
                    .department_tasks
                    .iter()
                    .find(|t| t.department == department && t.reported_on.is_none())
                else {
                    return Err(failed(why!(
                        NO_OPEN_DEPARTMENT_TASK,
                        "case {id} has no open assignment to department {department}",
                        id = self.id,
                        department = department
                    )));
                };
                let report = required(&report, "report", MAX_TEXT_CHARS)?;
                EventKind::DepartmentReported { on_time: ctx.on <= task.report_by, department, report }
            }
            Action::SetWorkingGroup { lead, members } => {
                check_group(&lead, &members)?;
                EventKind::WorkingGroupSet { lead, members }
            }
            Action::ReplyToPetitioner { text } => {
                EventKind::PublicReplied { text: required(&text, "text", MAX_TEXT_CHARS)? }
            }
            Action::IssueReceipt { receipt } => {
                crate::receipt::check_hash(&receipt, "receipt")?;
                EventKind::ReceiptIssued { receipt }
            }
            Action::RecordRating { satisfaction, rating_id } => {
                check_rating(satisfaction, "satisfaction")?;
                check_id(&rating_id, "rating_id")?;
                if let Some(rating) = &self.petitioner_rating {
                    return Err(if rating.rating_id == rating_id {
                        DomainError::AlreadyExists(why!(
                            RATING_ALREADY_RECORDED,
                            "the petitioner's rating {rating_id} is already recorded on case {id}",
                            rating_id = rating_id,
                            id = self.id
                        ))
                    } else {
                        failed(why!(
                            CASE_ALREADY_RATED,
                            "the petitioner already rated case {id} on {on}",
                            id = self.id,
                            on = rating.on
                        ))
                    });
                }
                EventKind::PetitionerRated { satisfaction, rating_id }
            }
            Action::ReplySupervision { supervision_id } => {
                match self.supervisions.iter().find(|s| s.id == supervision_id) {
                    None => {
                        return Err(DomainError::NotFound(why!(
                            CASE_HAS_NO_SUPERVISION,
                            "case {id} has no supervision {supervision_id}",
                            id = self.id,
                            supervision_id = supervision_id
                        )));
                    }
                    Some(s) if s.replied_on.is_some() => {
                        return Err(failed(why!(
                            SUPERVISION_ON_CASE_WAS_ALREADY_ANSWERED,
                            "supervision {supervision_id} on case {id} was already answered",
                            supervision_id = supervision_id,
                            id = self.id
                        )));
                    }
                    Some(_) => {}
                }
                if ctx.note.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "note",
                        why!(REPLY_MUST_SAY_WHAT_WAS_DONE, "the reply must say what was done"),
                    ));
                }
                EventKind::SupervisionReplied { supervision_id }
            }
        };
        Ok(CaseEvent {
            case_id: self.id.clone(),
            seq: self.seq + 1,
            at: ctx.at,
            on: ctx.on,
            unit: self.owner_unit.clone(),
            actor: ctx.actor.clone(),
            note: ctx.note.clone(),
            kind,
        })
    }

    /// The deadline an assignment (or an assignment down) sets: the one
    /// asked for, between today and the case's deadline (default: the case's
    /// deadline). A case that reached its owner only after its deadline had
    /// passed (escalated or handed down overdue) gets a fresh handling period
    /// from today, so it can still be worked; its lateness stays on record.
    /// A case that fell overdue at its owner keeps its passed deadline:
    /// extend it (once) or escalate it.
    fn assignment_deadline(
        &self,
        requested: Option<NaiveDate>,
        ctx: &Context<'_>,
    ) -> Result<NaiveDate, DomainError> {
        let limit = match self.deadline {
            Some(deadline) if deadline >= ctx.on => deadline,
            Some(deadline) if self.owner_since <= deadline => {
                return match requested {
                    None => Ok(deadline),
                    Some(asked) if asked == deadline => Ok(deadline),
                    Some(_) => Err(DomainError::invalid(
                        "deadline",
                        why!(
                            CASE_HAS_BEEN_OVERDUE_SINCE_HERE,
                            "case {id} has been overdue since {deadline} here; extend it or escalate it",
                            id = self.id,
                            deadline = deadline
                        ),
                    )),
                };
            }
            _ => add_days(ctx.on, ctx.policy.handle_days, "deadline")?,
        };
        within_deadline(requested, limit, ctx)
    }

    fn require_dissatisfied(&self, action: &Action) -> Result<(), DomainError> {
        if self.satisfaction == Some(Satisfaction::Dissatisfied) {
            Ok(())
        } else {
            let mut why = why!(
                REVIEW_NEEDS_DISSATISFACTION,
                "cannot {verb} case {id}: it is {status} and the petitioner was not recorded as dissatisfied",
                verb = action.verb(),
                id = self.id,
                status = self.status
            );
            why.args.push(("action", action.name().to_owned()));
            Err(failed(why))
        }
    }

    fn require_own_department(&self, department: &DepartmentId) -> Result<(), DomainError> {
        if department.unit == self.owner_unit {
            Ok(())
        } else {
            Err(DomainError::invalid(
                "department_id",
                why!(
                    DEPARTMENT_NOT_OF_OWNER,
                    "department {department} is not a department of the case's owner {owner_unit}",
                    department = department,
                    owner_unit = self.owner_unit
                ),
            ))
        }
    }

    /// The person who answers for the case (包案): the working group's lead,
    /// else the assigned leader.
    pub fn lead(&self) -> Option<&str> {
        self.working_group.as_ref().map(|g| g.lead.person.as_str()).or(self.leader.as_deref())
    }

    /// Whether the case is held by or assigned to `department` (ever assigned: a
    /// department keeps seeing a case it reported on).
    pub fn involves_department(&self, department: &DepartmentId) -> bool {
        self.department.as_ref() == Some(department)
            || self.department_tasks.iter().any(|t| &t.department == department)
    }

    /// Whether `identity` is a member (or the lead) of the case's working group.
    pub fn in_working_group(&self, identity: &crate::identity::Identity) -> bool {
        self.working_group
            .as_ref()
            .is_some_and(|g| g.lead.is(identity) || g.members.iter().any(|m| m.is(identity)))
    }

    /// Folds the next event into the case.
    pub fn apply(&mut self, event: &CaseEvent) -> Result<(), DomainError> {
        if event.case_id != self.id {
            return Err(DomainError::invalid(
                "case_id",
                why!(
                    EVENT_APPLIED,
                    "event of {case_id} applied to {id}",
                    case_id = event.case_id,
                    id = self.id
                ),
            ));
        }
        if event.seq != self.seq + 1 {
            return Err(DomainError::Aborted(why!(
                EVENT_DOES_NOT_FOLLOW,
                "case {id} is at event {seq}; event {event} does not follow",
                id = self.id,
                seq = self.seq,
                event = event.seq
            )));
        }
        use CaseStatus::*;
        let allowed = |statuses: &[CaseStatus]| -> Result<(), DomainError> {
            if statuses.contains(&self.status) {
                Ok(())
            } else {
                Err(failed(why!(
                    EVENT_CANNOT_FOLLOW_CASE,
                    "event {seq} ({event}) cannot follow: case {id} is {status}",
                    seq = event.seq,
                    event = event.kind.name(),
                    id = self.id,
                    status = self.status
                )))
            }
        };
        match &event.kind {
            EventKind::Registered { .. } => {
                return Err(failed(why!(
                    CASE_ALREADY_REGISTERED,
                    "case {id} is already registered",
                    id = self.id
                )));
            }
            EventKind::Accepted { deadline } => {
                allowed(&[Registered])?;
                self.status = Accepted;
                self.accepted_on = Some(event.on);
                self.deadline = Some(*deadline);
            }
            EventKind::NotAccepted { reason } => {
                allowed(&[Registered])?;
                self.status = NotAccepted;
                self.not_accepted_reason = Some(reason.clone());
            }
            EventKind::Assigned { leader, responsible, plan, deadline } => {
                allowed(&[Accepted, Assigned, InProgress])?;
                self.status = Assigned;
                self.leader = Some(leader.clone());
                self.responsible = Some(responsible.clone());
                self.plan = Some(plan.clone());
                self.deadline = Some(*deadline);
            }
            EventKind::Progress => {
                allowed(&[Assigned, InProgress])?;
                self.status = InProgress;
            }
            EventKind::Extended { deadline, .. } => {
                allowed(&[Accepted, Assigned, InProgress])?;
                if self.extended {
                    return Err(failed(why!(
                        CASE_WAS_ALREADY_EXTENDED,
                        "case {id} was already extended",
                        id = self.id
                    )));
                }
                self.extended = true;
                self.deadline = Some(*deadline);
            }
            EventKind::Escalated { to, .. } => {
                allowed(&[Registered, Accepted, Assigned, InProgress])?;
                self.department = None;
                self.owner_unit = to.clone();
                self.owner_since = event.on;
                self.escalations += 1;
                if self.status != Registered {
                    self.status = Accepted;
                }
                self.leader = None;
                self.responsible = None;
                self.plan = None;
            }
            EventKind::AssignedDown { to, deadline } => {
                allowed(&[Accepted, Assigned, InProgress])?;
                self.department = None;
                self.owner_unit = to.clone();
                self.owner_since = event.on;
                self.assignments_down += 1;
                self.status = Accepted;
                self.deadline = Some(*deadline);
                self.leader = None;
                self.responsible = None;
                self.plan = None;
            }
            EventKind::Resolved { resolution, amount_recovered_cents, on_time } => {
                allowed(&[Assigned, InProgress])?;
                self.status = Resolved;
                self.resolution = Some(resolution.clone());
                self.amount_recovered_cents = *amount_recovered_cents;
                self.resolved_on = Some(event.on);
                self.resolved_on_time = Some(*on_time);
            }
            EventKind::Closed { satisfaction } => {
                allowed(&[Resolved])?;
                self.status = Closed;
                self.satisfaction = Some(*satisfaction);
                self.closed_on = Some(event.on);
            }
            EventKind::Reopened { deadline, .. } => {
                allowed(&[Closed])?;
                self.status = InProgress;
                self.reopened += 1;
                self.deadline = Some(*deadline);
                // A fresh handling period, with its own one extension.
                self.extended = false;
                self.clear_outcome();
            }
            EventKind::ReviewRequested { to, review_by, .. } => {
                allowed(&[Closed])?;
                self.status = UnderReview;
                self.department = None;
                self.owner_unit = to.clone();
                self.owner_since = event.on;
                self.review_by = Some(*review_by);
            }
            EventKind::Reviewed { decision, deadline } => {
                allowed(&[UnderReview])?;
                self.reviews += 1;
                self.review_by = None;
                match decision {
                    ReviewDecision::Upheld => self.status = Closed,
                    ReviewDecision::Overturned => {
                        self.status = Accepted;
                        self.deadline = *deadline;
                        self.extended = false;
                        self.leader = None;
                        self.responsible = None;
                        self.plan = None;
                        self.clear_outcome();
                    }
                }
            }
            EventKind::Supervised { supervision_id, from, kind, reply_by, .. } => {
                self.supervisions.push(SupervisionEntry {
                    id: supervision_id.clone(),
                    from: from.clone(),
                    kind: *kind,
                    reply_by: *reply_by,
                    received_on: event.on,
                    replied_on: None,
                });
            }
            EventKind::SupervisionReplied { supervision_id } => {
                let entry =
                    self.supervisions.iter_mut().find(|s| &s.id == supervision_id).ok_or_else(|| {
                        failed(why!(
                            CASE_HAS_NO_SUPERVISION,
                            "case {id} has no supervision {supervision_id}",
                            id = self.id,
                            supervision_id = supervision_id
                        ))
                    })?;
                entry.replied_on = Some(event.on);
            }
            EventKind::TransferredToDepartment { department, deadline, .. } => {
                allowed(&[Accepted, Assigned, InProgress])?;
                self.department = Some(department.clone());
                self.owner_since = event.on;
                self.status = Accepted;
                self.deadline = Some(*deadline);
                self.leader = None;
                self.responsible = None;
                self.plan = None;
            }
            EventKind::AssignedToDepartment { department, report_by } => {
                allowed(&[Accepted, Assigned, InProgress])?;
                self.department_tasks.push(DepartmentTask {
                    department: department.clone(),
                    assigned_on: event.on,
                    report_by: *report_by,
                    reported_on: None,
                    report: None,
                });
            }
            EventKind::DepartmentReported { department, report, .. } => {
                let task = self
                    .department_tasks
                    .iter_mut()
                    .find(|t| &t.department == department && t.reported_on.is_none())
                    .ok_or_else(|| {
                        failed(why!(
                            NO_OPEN_DEPARTMENT_TASK,
                            "case {id} has no open assignment to department {department}",
                            id = self.id,
                            department = department
                        ))
                    })?;
                task.reported_on = Some(event.on);
                task.report = Some(report.clone());
            }
            EventKind::WorkingGroupSet { lead, members } => {
                self.working_group =
                    Some(WorkingGroup { lead: lead.clone(), members: members.clone(), set_on: event.on });
            }
            EventKind::PublicReplied { text } => {
                self.public_replies.push(PublicReply {
                    on: event.on,
                    text: text.clone(),
                    unit: self.owner_unit.clone(),
                    department: self.department.clone(),
                });
            }
            EventKind::ReceiptIssued { receipt } => self.receipt = Some(receipt.clone()),
            EventKind::PetitionerRated { satisfaction, rating_id } => {
                allowed(&[Resolved, Closed])?;
                if self.petitioner_rating.is_some() {
                    return Err(failed(why!(
                        CASE_ALREADY_RATED_EVENT,
                        "case {id} was already rated by the petitioner",
                        id = self.id
                    )));
                }
                self.petitioner_rating = Some(PetitionerRating {
                    satisfaction: *satisfaction,
                    on: event.on,
                    rating_id: rating_id.clone(),
                });
            }
            EventKind::RepeatFound { of, window_days, since } => match &mut self.repeat {
                Some(link) => {
                    for id in of {
                        if !link.of.contains(id) {
                            link.of.push(id.clone());
                        }
                    }
                }
                None => {
                    self.repeat = Some(RepeatLink {
                        of: of.clone(),
                        rule: RepeatLink::rule_text(*window_days),
                        window_days: *window_days,
                        since: *since,
                    });
                }
            },
        }
        self.seq = event.seq;
        self.updated_at = event.at;
        Ok(())
    }

    fn clear_outcome(&mut self) {
        self.resolution = None;
        self.amount_recovered_cents = 0;
        self.resolved_on = None;
        self.resolved_on_time = None;
        self.satisfaction = None;
        self.closed_on = None;
    }

    /// Closed by the deadline: resolved on time and struck off.
    pub fn closed_on_time(&self) -> bool {
        self.status == CaseStatus::Closed && self.resolved_on_time == Some(true)
    }

    /// A duty-reception visit answered on the spot: registered and closed
    /// on the same day (最多访一次).
    pub fn one_visit(&self) -> bool {
        self.intake.channel == Channel::Visit && self.closed_on == Some(self.registered_on)
    }
}

/// A stretch of days over which a case stood open at one owner with one due
/// date, each day judged at its end (after the day's last event). Past
/// figures are read from these spans, so a case worked today never changes
/// what it was on an earlier day: overdue at the end of a day `d` is a span
/// holding on `d` whose due date lies before `d`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueSpan {
    /// The first day the span holds.
    pub from: NaiveDate,
    /// The day it stops holding (exclusive); `None` while it still holds.
    pub until: Option<NaiveDate>,
    pub owner_unit: UnitId,
    /// The next step's due date ([`Case::due`]).
    pub due: NaiveDate,
}

impl DueSpan {
    /// Whether the case stood so at the end of `day`.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day < until)
    }

    /// Whether the case was overdue at its owner at the end of `day`.
    pub fn is_overdue_on(&self, day: NaiveDate) -> bool {
        self.holds_on(day) && self.due < day
    }
}

/// Builds a case's [`DueSpan`]s while its log is folded: call
/// [`DueHistory::record`] with the case after each event. An event dated
/// before an earlier one (clocks of two nodes a little apart) counts from
/// the later date, so the days only move forward and the state at the end
/// of a day is always the fold of a prefix of the log.
#[derive(Debug, Clone, Default)]
pub struct DueHistory {
    ended: Vec<DueSpan>,
    /// The span that still holds: (from, owner, due).
    current: Option<(NaiveDate, UnitId, NaiveDate)>,
    /// The latest event date seen.
    day: Option<NaiveDate>,
}

impl DueHistory {
    /// Notes `case` as it stands after an event dated `on`.
    pub fn record(&mut self, case: &Case, on: NaiveDate) {
        let day = self.day.map_or(on, |seen| seen.max(on));
        self.day = Some(day);
        let state = case.due().map(|due| (case.owner_unit.clone(), due));
        if let (Some((_, owner, due)), Some((new_owner, new_due))) = (&self.current, &state)
            && owner == new_owner
            && due == new_due
        {
            return;
        }
        if let Some((from, owner_unit, due)) = self.current.take() {
            // A state replaced on the day it began never ended a day: no span.
            if from < day {
                self.ended.push(DueSpan { from, until: Some(day), owner_unit, due });
            }
        }
        let Some((owner_unit, due)) = state else { return };
        // Back on the day to the state the day began with: that span goes on.
        if let Some(last) = self.ended.last()
            && last.until == Some(day)
            && last.owner_unit == owner_unit
            && last.due == due
        {
            let from = last.from;
            self.ended.pop();
            self.current = Some((from, owner_unit, due));
            return;
        }
        self.current = Some((day, owner_unit, due));
    }

    /// The spans so far, oldest first; they never overlap.
    pub fn spans(&self) -> Vec<DueSpan> {
        let mut spans = self.ended.clone();
        if let Some((from, owner_unit, due)) = &self.current {
            spans.push(DueSpan { from: *from, until: None, owner_unit: owner_unit.clone(), due: *due });
        }
        spans
    }
}

/// Days from `due` to `on` (0 when there is no due date or it has not passed).
pub fn days_past(due: Option<NaiveDate>, on: NaiveDate) -> u32 {
    due.map_or(0, |due| u32::try_from((on - due).num_days().max(0)).unwrap_or(u32::MAX))
}

/// A petitioner's personal data. It stays at the node holding the case and
/// leaves it only with the case itself.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Petitioner {
    pub name: String,
    pub phone: String,
    /// Normalised (see [`normalise_id_number`]).
    pub id_number: String,
}

impl fmt::Debug for Petitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print personal data, not even in a debug dump.
        f.write_str("Petitioner { .. }")
    }
}

impl Petitioner {
    pub fn new(name: &str, phone: &str, id_number: &str) -> Result<Self, DomainError> {
        // The one text that is meant to be personal data: not screened,
        // sealed at rest instead.
        check_chars(name, "petitioner.name", MAX_NAME_CHARS, true)?;
        let name = name.trim().to_owned();
        let phone = phone.trim();
        if phone.len() > 32 || !phone.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c)) {
            return Err(DomainError::invalid(
                "petitioner.phone",
                why!(MUST_BE_AT_MOST_32_DIGITS, "must be at most 32 digits, spaces, + - ( )"),
            ));
        }
        Ok(Petitioner { name, phone: phone.to_owned(), id_number: normalise_id_number(id_number)? })
    }
}

/// Normalises an identity document number for hashing: spaces and hyphens
/// dropped, letters upper-cased. An 18-character resident identity number
/// must carry a valid check digit (GB 11643, ISO 7064 MOD 11-2); other
/// documents (passports, permits) are 6 to 32 letters and digits.
pub fn normalise_id_number(value: &str) -> Result<String, DomainError> {
    let field = "petitioner.id_number";
    let normalised: String =
        value.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    if normalised.len() < 6 || normalised.len() > 32 || !normalised.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(DomainError::invalid(
            field,
            why!(MUST_BE_6_32_LETTERS_DIGITS, "must be 6 to 32 letters and digits"),
        ));
    }
    let bytes = normalised.as_bytes();
    if let [first_17 @ .., check] = bytes
        && let Ok(first_17) = <&[u8; 17]>::try_from(first_17)
        && first_17.iter().all(u8::is_ascii_digit)
        && *check != crate::screen::resident_id_check_char(first_17)
    {
        return Err(DomainError::invalid(
            field,
            why!(
                CHECK_DIGIT_RESIDENT_IDENTITY_NUMBER_WRONG,
                "the check digit of the resident identity number is wrong"
            ),
        ));
    }
    Ok(normalised)
}

/// `petitioner_ref`: HMAC-SHA256 of the normalised id number under the
/// deployment's secret, in hex. Equal people give equal refs at every node
/// of the deployment; without the secret a ref reveals nothing.
pub fn petitioner_ref(secret: &[u8], normalised_id_number: &str) -> String {
    use hmac::Mac;
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(normalised_id_number.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests;
