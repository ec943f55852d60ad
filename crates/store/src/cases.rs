//! What the store keeps of the case ledger, and the pure parts both backends
//! share: the projection of a case from its events, the facts each event
//! contributes to the figures, and what every figure counts.
//!
//! Tables (migration `0006_cases`): `case_events` (the log, one row per
//! (case, sequence), with the event as JSON and the figure facts as
//! columns), `cases` (the projection: query columns and the whole case as
//! JSON), `case_petitioners` (personal data, only for cases held here,
//! sealed since `0007_personal_data`: see [`crate::personal`]),
//! `supervisions` and `roster`.

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::actor::Actor;
use fengqiao_core::case::{
    Case, CaseEvent, CaseId, CaseStatus, DueHistory, DueSpan, EventKind, Petitioner, Satisfaction,
};
use fengqiao_core::why;
use fengqiao_core::{DomainError, UnitId};

use crate::personal::{self, Keyring};
use crate::{NoticeRow, OutboxItem, OutboxPayload, StoreError};

/// A case event to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventItem {
    pub event: CaseEvent,
    /// Set when the case arrives here with its personal data.
    pub petitioner: Option<Petitioner>,
    /// The audit log's record of the event, appended in the same
    /// transaction when the event is new here (not for a duplicate or a
    /// refusal).
    pub audit: fengqiao_core::audit::AuditRecord,
}

/// What storing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseApplied {
    Applied,
    /// Stored before, identical: nothing changed.
    Duplicate,
}

/// The result for one item of [`crate::Store::apply_case_events`].
pub type CaseItemResult = Result<CaseApplied, DomainError>;

/// A case with its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub case: Case,
    pub events: Vec<CaseEvent>,
}

/// A filter over the ledger of a subtree.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    /// Cases whose owner or origin lies in this unit's current subtree.
    pub root: UnitId,
    /// Only these statuses (all when empty).
    pub statuses: Vec<CaseStatus>,
    /// Only cases overdue at the end of this day: open and due before it,
    /// as the case stood then (its due spans), whatever happened since.
    pub overdue_on: Option<NaiveDate>,
    /// Only repeat petitions.
    pub repeat_only: bool,
    /// Only cases this department holds or was assigned (`case_departments`).
    pub department: Option<fengqiao_core::department::DepartmentId>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    /// Resume after this (registered_at, case id), newest first.
    pub before: Option<(DateTime<Utc>, CaseId)>,
    pub limit: u32,
    /// The filters of issue 20 (leader, project, working-group readers).
    pub people: CasePeopleFilter,
}

/// Filters by the people and projects of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasePeopleFilter {
    /// Only cases this person leads ([`Case::lead`]).
    pub leader: Option<String>,
    /// Only cases of this key project.
    pub project_id: Option<String>,
    /// Also cases outside `root`'s subtree whose working group names this
    /// person (person id, unit id, department id or empty).
    pub group_member: Option<(String, String, String)>,
}

/// A supervision notice (督办), at the node that issued it and at the nodes
/// it passed or reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionRow {
    pub supervision_id: String,
    pub case_id: String,
    pub from_unit_id: String,
    /// The case's owner when it was issued.
    pub to_unit_id: String,
    /// A `SupervisionKind` name.
    pub kind: String,
    pub reply_by: NaiveDate,
    pub text: String,
    /// Who issued it (stored as JSON in the `actor` column).
    pub sender: Actor,
    pub issued_at: DateTime<Utc>,
}

/// A `supervisions` row as read.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SupervisionRecord {
    supervision_id: String,
    case_id: String,
    from_unit_id: String,
    to_unit_id: String,
    kind: String,
    reply_by: NaiveDate,
    text: String,
    actor: String,
    issued_at: DateTime<Utc>,
}

impl SupervisionRecord {
    pub(crate) fn into_row(self) -> Result<SupervisionRow, StoreError> {
        Ok(SupervisionRow {
            supervision_id: self.supervision_id,
            case_id: self.case_id,
            from_unit_id: self.from_unit_id,
            to_unit_id: self.to_unit_id,
            kind: self.kind,
            reply_by: self.reply_by,
            text: self.text,
            sender: parse_actor(&self.actor),
            issued_at: self.issued_at,
        })
    }
}

/// A `notices` row as read.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NoticeRecord {
    notice_id: String,
    target_unit_id: String,
    from_unit_id: String,
    text: String,
    created_at: DateTime<Utc>,
    sender: Option<String>,
}

impl NoticeRecord {
    pub(crate) fn into_row(self) -> NoticeRow {
        NoticeRow {
            notice_id: self.notice_id,
            target_unit_id: self.target_unit_id,
            from_unit_id: self.from_unit_id,
            text: self.text,
            created_at: self.created_at,
            sender: self.sender.as_deref().map(parse_actor),
        }
    }
}

/// An actor as the store writes it: the JSON of [`Actor`].
pub(crate) fn actor_json(actor: &Actor) -> Result<String, StoreError> {
    to_json(actor)
}

/// Reads a stored actor: the JSON [`actor_json`] writes, or a plain string
/// written before actors were structured, which reads as unverified text
/// (see [`fengqiao_core::actor`]).
pub(crate) fn parse_actor(stored: &str) -> Actor {
    serde_json::from_str(stored)
        .unwrap_or_else(|_| Actor::Unverified { text: Some(stored.to_owned()), on_behalf_of: None })
}

/// The leader on duty for one unit and day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RosterRow {
    pub unit_id: String,
    pub duty_date: NaiveDate,
    pub leader: String,
}

pub use fengqiao_core::read::{CaseCounts, CaseFigure};

/// What one stored event contributes to the figures, derived from the case
/// as it stood before the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventFacts {
    /// For `accepted`: within the acceptance deadline. For `closed`: the
    /// case was resolved by its deadline.
    pub on_time: Option<bool>,
    /// For `closed`.
    pub satisfaction: Option<Satisfaction>,
}

/// A case folded from its stored events.
#[derive(Debug, Clone)]
pub struct Projection {
    /// The fold of the longest gap-free, legal prefix (none when event 1
    /// is missing).
    pub case: Option<Case>,
    /// The facts of each folded event, by sequence (1-based index - 1).
    pub facts: Vec<EventFacts>,
    /// The days the folded prefix kept the case open, at which owner and
    /// with which due date (the `overdue` figure of past ranges).
    pub due_spans: Vec<DueSpan>,
    /// The departments the case involves (`case_departments`): each with
    /// whether it holds or was assigned the case now (else it held it once).
    pub departments: Vec<(fengqiao_core::department::DepartmentId, bool)>,
}

/// Folds `events` (sorted by sequence) as far as they run without a gap or
/// an illegal step.
pub fn project(events: &[CaseEvent]) -> Projection {
    let mut facts = Vec::with_capacity(events.len());
    let none = |facts| Projection { case: None, facts, due_spans: Vec::new(), departments: Vec::new() };
    let Some(first) = events.first() else { return none(facts) };
    let Ok(mut case) = Case::start(first) else { return none(facts) };
    let mut history = DueHistory::default();
    history.record(&case, first.on);
    let mut held = std::collections::BTreeSet::new();
    facts.push(EventFacts::default());
    for event in &events[1..] {
        let fact = match &event.kind {
            EventKind::Accepted { .. } => {
                EventFacts { on_time: Some(event.on <= case.accept_by), satisfaction: None }
            }
            EventKind::Closed { satisfaction } => EventFacts {
                on_time: Some(case.resolved_on_time == Some(true)),
                satisfaction: Some(*satisfaction),
            },
            EventKind::PetitionerRated { satisfaction, .. } => {
                EventFacts { on_time: None, satisfaction: Some(*satisfaction) }
            }
            _ => EventFacts::default(),
        };
        if case.apply(event).is_err() {
            break;
        }
        history.record(&case, event.on);
        held.extend(case.department.clone());
        facts.push(fact);
    }
    let departments = crate::departments::involved(&case, &held);
    Projection { case: Some(case), facts, due_spans: history.spans(), departments }
}

/// The date the `due_date` column holds: the next step's due date while
/// open, the last handling deadline once resolved, none when declined.
pub fn due_column(case: &Case) -> Option<NaiveDate> {
    match case.status {
        CaseStatus::NotAccepted => None,
        CaseStatus::Resolved | CaseStatus::Closed => case.deadline,
        _ => case.due(),
    }
}

// What follows is shared by the two backends: the rows they write, the
// order of the statements that apply an event (each backend supplies the
// statements through [`LedgerWriter`]), and the figures' SQL, which reads
// the same on both (`$n` parameters, which SQLite accepts too).

/// A `case_events` row to insert (and, with `forward`, its outbox entry).
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub case_id: String,
    pub seq: i64,
    pub kind: &'static str,
    pub unit_id: String,
    pub on_date: NaiveDate,
    pub at: DateTime<Utc>,
    /// The event as `serde_json` writes it (fields in declaration order).
    pub body: String,
}

impl EventRow {
    pub(crate) fn of(event: &CaseEvent) -> Result<EventRow, StoreError> {
        Ok(EventRow {
            case_id: event.case_id.to_string(),
            seq: i64::from(event.seq),
            kind: event.kind.name(),
            unit_id: event.unit.to_string(),
            on_date: event.on,
            at: event.at,
            body: to_json(event)?,
        })
    }
}

/// A `cases` row: the query columns of a projected case and the case itself.
#[derive(Debug, Clone)]
pub(crate) struct CaseRow {
    pub case_id: String,
    pub origin_unit: String,
    pub owner_unit: String,
    pub status: &'static str,
    pub category: &'static str,
    pub channel: &'static str,
    pub petitioner_ref: Option<String>,
    pub repeat: bool,
    pub registered_at: DateTime<Utc>,
    pub registered_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub seq: i64,
    pub body: String,
    /// The intake's key project.
    pub project_id: Option<String>,
    /// Who leads the case (包案): [`Case::lead`].
    pub lead: Option<String>,
    /// The working group's people (`case_group_members`).
    pub group: Vec<GroupMemberRow>,
}

/// A person of a case's working group (`case_group_members`).
#[derive(Debug, Clone)]
pub(crate) struct GroupMemberRow {
    pub person: String,
    pub unit_id: String,
    /// The department id, or empty.
    pub department_id: String,
    pub is_lead: bool,
}

impl CaseRow {
    pub(crate) fn of(case: &Case) -> Result<CaseRow, StoreError> {
        Ok(CaseRow {
            case_id: case.id.to_string(),
            origin_unit: case.intake.origin_unit.to_string(),
            owner_unit: case.owner_unit.to_string(),
            status: case.status.as_str(),
            category: case.intake.category.as_str(),
            channel: case.intake.channel.as_str(),
            petitioner_ref: case.intake.petitioner_ref.clone(),
            repeat: case.repeat.is_some(),
            registered_at: case.registered_at,
            registered_on: case.registered_on,
            accepted_on: case.accepted_on,
            due_date: due_column(case),
            resolved_on: case.resolved_on,
            closed_on: case.closed_on,
            seq: i64::from(case.seq),
            body: to_json(case)?,
            project_id: case.intake.project.clone(),
            lead: case.lead().map(str::to_owned),
            group: case
                .working_group
                .iter()
                .flat_map(|g| std::iter::once((&g.lead, true)).chain(g.members.iter().map(|m| (m, false))))
                .map(|(m, is_lead)| GroupMemberRow {
                    person: m.person.clone(),
                    unit_id: m.unit.to_string(),
                    department_id: m.department.as_ref().map(ToString::to_string).unwrap_or_default(),
                    is_lead,
                })
                .collect(),
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// A petitioner sealed for its case's row of `case_petitioners`.
pub(crate) fn seal_petitioner(
    keyring: &Keyring,
    case_id: &str,
    petitioner: &Petitioner,
) -> Result<Vec<u8>, StoreError> {
    let plain = serde_json::to_vec(petitioner)
        .map_err(|_| StoreError::Corrupt(format!("cannot encode the petitioner of case {case_id}")))?;
    Ok(keyring.seal(&personal::petitioner_context(case_id), &plain))
}

/// Opens a case's sealed petitioner. The error names the case, never the data.
pub(crate) fn open_petitioner(
    keyring: &Keyring,
    case_id: &str,
    sealed: &[u8],
) -> Result<Petitioner, StoreError> {
    let plain = keyring
        .open(&personal::petitioner_context(case_id), sealed)
        .map_err(|e| StoreError::PersonalData(format!("the petitioner of case {case_id}: {e}")))?;
    // serde_json's error would quote the offending text: name the case only.
    serde_json::from_slice(&plain).map_err(|_| {
        StoreError::PersonalData(format!("the petitioner of case {case_id} is not a petitioner record"))
    })
}

/// Reads a stored event body.
pub(crate) fn parse_event(body: &str) -> Result<CaseEvent, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("stored case event: {e}")))
}

/// Reads a stored case body.
pub(crate) fn parse_case(body: &str) -> Result<Case, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("stored case: {e}")))
}

/// Reads a stored case id.
pub(crate) fn parse_case_id(id: &str) -> Result<CaseId, StoreError> {
    CaseId::parse(id).map_err(|e| StoreError::Corrupt(format!("stored case id: {e}")))
}

/// Bounds `[low, high)` holding, in bytewise order, every string that
/// starts with `prefix` and continues with characters below U+10FFFF (all
/// case ids, which are ASCII), so a prefix count reads a key range.
pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}{}", char::MAX))
}

/// A petitioner stored in plaintext before `0007`: case id, name, phone,
/// id number.
pub(crate) type PlainPetitioner = (String, String, String, String);

/// A downlink event to reseal: sequence, target unit, key id (none before
/// `0007`), body.
pub(crate) type DownlinkToReseal = (i64, String, Option<String>, Vec<u8>);

/// The statements [`apply_items`] (and [`crate::personal::rekey`]) need, run
/// by a backend inside the one transaction of a batch.
pub(crate) trait LedgerWriter: Send {
    /// The stored body of event `seq` of a case, if stored.
    fn stored_body(
        &mut self,
        case_id: &str,
        seq: i64,
    ) -> impl std::future::Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Inserts a new event (its facts still NULL).
    fn insert_event(
        &mut self,
        row: &EventRow,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Queues an event in the outbox (kind `case_event`).
    fn queue_event(
        &mut self,
        row: &EventRow,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Every stored event body of a case, by sequence.
    fn event_bodies(
        &mut self,
        case_id: &str,
    ) -> impl std::future::Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// The sequence the stored projection has folded up to.
    fn projected_seq(
        &mut self,
        case_id: &str,
    ) -> impl std::future::Future<Output = Result<Option<i64>, StoreError>> + Send;
    /// Inserts or overwrites a case's projection.
    fn upsert_case(
        &mut self,
        row: &CaseRow,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Records the figure facts of a folded event.
    fn set_facts(
        &mut self,
        case_id: &str,
        seq: i64,
        facts: EventFacts,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Inserts or replaces a case's sealed petitioner.
    fn store_petitioner(
        &mut self,
        case_id: &str,
        key_id: &str,
        sealed: &[u8],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Replaces a case's due spans (`case_due_spans`).
    fn replace_due_spans(
        &mut self,
        case_id: &str,
        spans: &[DueSpan],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Every projected case id.
    /// Replaces the departments a case involves (`case_departments`).
    fn replace_case_departments(
        &mut self,
        case_id: &str,
        departments: &[(fengqiao_core::department::DepartmentId, bool)],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

    fn case_ids(&mut self) -> impl std::future::Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Deletes a `node_meta` key; whether it was there.
    fn take_meta(&mut self, key: &str) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send;
    /// The keys petitioners are sealed with.
    fn keyring(&self) -> &Keyring;
    /// Adds the new events' digest deltas (reconciliation), fanned out by
    /// `topology`.
    fn add_digests(
        &mut self,
        topology: &crate::fanout::Topology,
        deltas: &[crate::digest::DigestDelta],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

    // The statements of [`crate::personal::rekey`].
    /// The plaintext petitioners of migration `0006`, or `None` once that
    /// table is gone.
    fn plain_petitioners(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<Vec<PlainPetitioner>>, crate::StoreError>> + Send;
    fn drop_plain_petitioners(
        &mut self,
    ) -> impl std::future::Future<Output = Result<(), crate::StoreError>> + Send;
    /// Sealed petitioners not under `current`, after `after` by case id.
    fn petitioners_to_reseal(
        &mut self,
        current: &str,
        after: &str,
    ) -> impl std::future::Future<Output = Result<Vec<(String, Vec<u8>)>, crate::StoreError>> + Send;
    /// Downlink events not under `current` (plaintext ones have no key id),
    /// after sequence `after`: (sequence, target, key id, body).
    fn downlink_to_reseal(
        &mut self,
        current: &str,
        after: i64,
    ) -> impl std::future::Future<Output = Result<Vec<DownlinkToReseal>, crate::StoreError>> + Send;
    fn put_downlink_body(
        &mut self,
        sequence: i64,
        key_id: &str,
        body: &[u8],
    ) -> impl std::future::Future<Output = Result<(), crate::StoreError>> + Send;
}

/// Applies a batch of case events in order (see
/// [`crate::Store::apply_case_events`]); the caller commits.
pub(crate) async fn apply_items<W: LedgerWriter>(
    writer: &mut W,
    items: Vec<CaseEventItem>,
    forward: bool,
    topology: &crate::fanout::Topology,
) -> Result<Vec<CaseItemResult>, StoreError> {
    let mut results = Vec::with_capacity(items.len());
    let mut stored = Vec::new();
    for item in items {
        results.push(apply_item(writer, item, forward, &mut stored).await?);
    }
    // The new events' digests, in the same transaction.
    let deltas =
        crate::digest::case_event_deltas(stored.iter().map(|row: &EventRow| crate::digest::EventItem {
            case_id: &row.case_id,
            seq: row.seq,
            unit_id: &row.unit_id,
            day: row.on_date,
            body: &row.body,
        }))?;
    writer.add_digests(topology, &deltas).await?;
    Ok(results)
}

async fn apply_item<W: LedgerWriter>(
    writer: &mut W,
    item: CaseEventItem,
    forward: bool,
    stored: &mut Vec<EventRow>,
) -> Result<CaseItemResult, StoreError> {
    if let Err(refusal) = item.event.validate() {
        return Ok(Err(refusal));
    }
    let row = EventRow::of(&item.event)?;
    let applied = match writer.stored_body(&row.case_id, row.seq).await? {
        // The same bytes, or the same event stored in an older encoding (a
        // plain-string actor reads back as the unverified actor it was).
        Some(stored) if stored == row.body || parse_event(&stored).is_ok_and(|e| e == item.event) => {
            CaseApplied::Duplicate
        }
        Some(_) => {
            return Ok(Err(DomainError::AlreadyExists(why!(
                EVENT_CASE_STORED_WITH_OTHER_CONTENT,
                "event {seq} of case {case_id} is stored with other content",
                seq = row.seq,
                case_id = row.case_id
            ))));
        }
        None => {
            writer.insert_event(&row).await?;
            if forward {
                writer.queue_event(&row).await?;
            }
            refresh_projection(writer, &row.case_id).await?;
            stored.push(row.clone());
            CaseApplied::Applied
        }
    };
    if let Some(petitioner) = &item.petitioner {
        let sealed = seal_petitioner(writer.keyring(), &row.case_id, petitioner)?;
        writer.store_petitioner(&row.case_id, &writer.keyring().current_id().to_hex(), &sealed).await?;
    }
    Ok(Ok(applied))
}

/// Refolds a case from its stored events; when the fold got further than
/// the stored projection, rewrites the projection and records the facts of
/// the newly folded events (an event's facts depend only on the events
/// before it, which never change, so older facts stay).
async fn refresh_projection<W: LedgerWriter>(writer: &mut W, case_id: &str) -> Result<(), StoreError> {
    let events = writer
        .event_bodies(case_id)
        .await?
        .iter()
        .map(|body| parse_event(body))
        .collect::<Result<Vec<_>, _>>()?;
    let projection = project(&events);
    let Some(case) = projection.case else { return Ok(()) };
    let before = writer.projected_seq(case_id).await?.unwrap_or(0);
    if i64::from(case.seq) <= before {
        return Ok(());
    }
    writer.upsert_case(&CaseRow::of(&case)?).await?;
    writer.replace_due_spans(case_id, &projection.due_spans).await?;
    writer.replace_case_departments(case_id, &projection.departments).await?;
    let folded_before = usize::try_from(before).unwrap_or(0);
    for (index, facts) in projection.facts.iter().enumerate().skip(folded_before) {
        if *facts != EventFacts::default() {
            writer.set_facts(case_id, index as i64 + 1, *facts).await?;
        }
    }
    Ok(())
}

/// The `node_meta` key migration `0010_case_due_spans` sets: the due spans
/// of the cases stored before it are yet to be built.
pub(crate) const DUE_SPANS_PENDING: &str = "case_due_spans_pending";

/// Builds the due spans of every stored case, once, after migration
/// `0010_case_due_spans` (SQL cannot fold a case's events): refolds each
/// case from its events as [`refresh_projection`] does. Returns how many
/// cases it refolded; the caller commits. The key is deleted first, so of
/// two processes opening the database at once only one does the work.
pub(crate) async fn build_pending_due_spans<W: LedgerWriter>(writer: &mut W) -> Result<u64, StoreError> {
    if !writer.take_meta(DUE_SPANS_PENDING).await? {
        return Ok(0);
    }
    let ids = writer.case_ids().await?;
    for case_id in &ids {
        let events = writer
            .event_bodies(case_id)
            .await?
            .iter()
            .map(|body| parse_event(body))
            .collect::<Result<Vec<_>, _>>()?;
        writer.replace_due_spans(case_id, &project(&events).due_spans).await?;
    }
    Ok(ids.len() as u64)
}

/// Which rows a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FigureSource {
    /// `cases` by origin unit and registration day.
    Registrations,
    /// Folded `case_events` by acting unit and day.
    Events,
    /// `case_due_spans` holding at the range's end, by the owner they had
    /// then, as the tree stood that day.
    Overdue,
}

impl FigureSource {
    pub(crate) const ALL: [FigureSource; 3] =
        [FigureSource::Registrations, FigureSource::Events, FigureSource::Overdue];

    /// The figures counted over this source, in [`CaseFigure::ALL`] order.
    pub(crate) fn figures(self) -> Vec<CaseFigure> {
        CaseFigure::ALL.into_iter().filter(|&f| figure_source(f) == self).collect()
    }

    /// `FROM … WHERE …` over the source's rows in the subtree(s) `roots`
    /// selects (a condition on `u.ancestor_id`) and the range `$2`–`$3`.
    /// Membership uses the closure row valid on the row's day (the range's
    /// end for overdue cases). Only events folded into their case count.
    /// `c.case_id` names the case of every row.
    fn rows_sql(self, roots: &str) -> String {
        let valid_on = |day: &str| {
            format!(
                "(u.valid_from IS NULL OR u.valid_from <= {day}) AND (u.valid_to IS NULL OR {day} < u.valid_to)"
            )
        };
        // `CROSS JOIN` keeps SQLite's join order (PostgreSQL plans freely):
        // start from the range's rows, then probe each one's closure rows.
        // Led by the closure instead, a root with thousands of units read
        // every case of the range once per unit.
        match self {
            FigureSource::Registrations => format!(
                "FROM cases c CROSS JOIN unit_closure u \
                 WHERE u.unit_id = c.origin_unit AND {on} \
                 AND {roots} AND c.registered_on >= $2 AND c.registered_on <= $3",
                on = valid_on("c.registered_on"),
            ),
            FigureSource::Events => format!(
                "FROM case_events e CROSS JOIN cases c CROSS JOIN unit_closure u \
                 WHERE c.case_id = e.case_id AND e.seq <= c.seq AND u.unit_id = e.unit_id AND {on} \
                 AND {roots} AND e.on_date >= $2 AND e.on_date <= $3 \
                 AND e.kind IN ('accepted', 'closed', 'escalated', 'assigned_down', 'petitioner_rated')",
                on = valid_on("e.on_date"),
            ),
            // Here `c` is the span of the case that held at the range's end
            // (at most one per case): judged as the case stood then, from
            // its events, whatever was done to it since. Led by the spans
            // still holding after the range (`until_on`), so the cost
            // follows the cases open at or after its end, not history.
            FigureSource::Overdue => format!(
                "FROM case_due_spans c CROSS JOIN unit_closure u \
                 WHERE (c.until_on IS NULL OR c.until_on > $3) AND c.from_on <= $3 AND c.due_date < $3 \
                 AND u.unit_id = c.owner_unit AND {on} AND {roots}",
                on = valid_on("$3"),
            ),
        }
    }
}

/// The rows a figure counts.
pub(crate) fn figure_source(figure: CaseFigure) -> FigureSource {
    match figure {
        CaseFigure::Registered | CaseFigure::RepeatPetitions | CaseFigure::Visits | CaseFigure::OneVisit => {
            FigureSource::Registrations
        }
        CaseFigure::Overdue => FigureSource::Overdue,
        _ => FigureSource::Events,
    }
}

/// Which of its source's rows a figure counts (`c`: the case, `e`: the
/// event).
fn figure_predicate(figure: CaseFigure) -> &'static str {
    match figure {
        CaseFigure::Registered | CaseFigure::Overdue => "1 = 1",
        CaseFigure::RepeatPetitions => "c.repeat",
        CaseFigure::Visits => "c.channel = 'visit'",
        // Closed on the day of the visit, from the events: a reopening
        // later does not undo the day's one visit.
        CaseFigure::OneVisit => {
            "c.channel = 'visit' AND EXISTS (SELECT 1 FROM case_events v WHERE v.case_id = c.case_id \
                 AND v.kind = 'closed' AND v.on_date = c.registered_on AND v.seq <= c.seq)"
        }
        CaseFigure::Accepted => "e.kind = 'accepted'",
        CaseFigure::AcceptedOnTime => "e.kind = 'accepted' AND e.on_time",
        CaseFigure::Closed => "e.kind = 'closed'",
        CaseFigure::ClosedOnTime => "e.kind = 'closed' AND e.on_time",
        CaseFigure::Satisfied => "e.kind = 'closed' AND e.satisfaction = 'satisfied'",
        CaseFigure::Dissatisfied => "e.kind = 'closed' AND e.satisfaction = 'dissatisfied'",
        CaseFigure::Unreachable => "e.kind = 'closed' AND e.satisfaction = 'unreachable'",
        CaseFigure::Escalated => "e.kind = 'escalated'",
        CaseFigure::AssignedDown => "e.kind = 'assigned_down'",
        CaseFigure::PetitionerSatisfied => "e.kind = 'petitioner_rated' AND e.satisfaction = 'satisfied'",
        CaseFigure::PetitionerDissatisfied => {
            "e.kind = 'petitioner_rated' AND e.satisfaction = 'dissatisfied'"
        }
    }
}

/// The figures of one source per root: rows `(root, count…)` in
/// [`FigureSource::figures`] order. `roots` selects the roots (a condition
/// on `u.ancestor_id` over `$1`); `$2`–`$3` is the range.
pub(crate) fn figures_sql(source: FigureSource, roots: &str) -> String {
    let counts: Vec<String> = source
        .figures()
        .into_iter()
        // Distinct cases, so a figure equals its drill-down: a case escalated
        // twice inside the subtree is one escalated case.
        .map(|f| format!("COUNT(DISTINCT CASE WHEN {} THEN c.case_id END)", figure_predicate(f)))
        .collect();
    format!("SELECT u.ancestor_id, {} {} GROUP BY u.ancestor_id", counts.join(", "), source.rows_sql(roots))
}

/// Every (root, case) of one source over `$2`–`$3` with one 0/1 column
/// per figure of the source ([`FigureSource::figures`] order): the cases
/// behind the figures, for a summary state.
pub(crate) fn keys_sql(source: FigureSource, roots: &str) -> String {
    let flags: Vec<String> = source
        .figures()
        .into_iter()
        .map(|f| format!("CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT)", figure_predicate(f)))
        .collect();
    format!("SELECT DISTINCT u.ancestor_id, c.case_id, {} {}", flags.join(", "), source.rows_sql(roots))
}

/// The distinct case ids behind one figure of root `$1` over `$2`–`$3`,
/// after `$4`, at most `$5`.
pub(crate) fn drill_sql(figure: CaseFigure) -> String {
    format!(
        "SELECT DISTINCT c.case_id {} AND ({}) AND c.case_id > $4 ORDER BY c.case_id LIMIT $5",
        figure_source(figure).rows_sql("u.ancestor_id = $1"),
        figure_predicate(figure),
    )
}

/// Adds a row of [`figures_sql`] to the counts by root.
pub(crate) fn add_figure_row<R>(
    counts: &mut std::collections::HashMap<String, CaseCounts>,
    source: FigureSource,
    row: &R,
) -> Result<(), StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let root: String = row.try_get(0)?;
    let entry = counts.entry(root).or_default();
    for (i, figure) in source.figures().into_iter().enumerate() {
        let value: i64 = row.try_get(1 + i)?;
        let value = u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("figure count {value}")))?;
        entry.set(figure, value);
    }
    Ok(())
}

/// An outbox entry with what it points at: a report revision (the `rv`
/// and `r` columns) or a case event (`body`), whichever its kind names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct OutboxEntryRow {
    pub id: i64,
    pub kind: String,
    pub unit_id: Option<String>,
    pub report_date: Option<NaiveDate>,
    pub revision: Option<i64>,
    pub reporter: Option<String>,
    pub disputes: Option<String>,
    pub correction_reason: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub first_accepted_at: Option<DateTime<Utc>>,
    pub body: Option<String>,
    /// A weekly step's or an accountability action's encoded body.
    pub blob: Option<Vec<u8>>,
    pub trace_parent: Option<String>,
    /// The outbox row's own key (a `summary` entry's unit and day).
    pub key_unit: String,
    pub key_date: NaiveDate,
}

/// The `SELECT` of [`OutboxEntryRow`]s, oldest first, at most `$1`.
pub(crate) const OUTBOX_PEEK: &str = "SELECT o.id, o.kind, rv.unit_id, rv.report_date, rv.revision, \
     rv.reporter, rv.disputes, rv.correction_reason, rv.accepted_at, r.first_accepted_at, e.body, \
     COALESCE(w.body, a.body) AS blob, o.trace_parent, o.unit_id AS key_unit, o.item_date AS key_date \
     FROM outbox o \
     LEFT JOIN report_revisions rv ON o.kind = 'report' AND rv.report_date = o.item_date \
     AND rv.unit_id = o.unit_id AND rv.revision = o.revision \
     LEFT JOIN reports r ON o.kind = 'report' AND r.report_date = o.item_date AND r.unit_id = o.unit_id \
     LEFT JOIN case_events e ON o.kind = 'case_event' AND e.case_id = o.unit_id AND e.seq = o.revision \
     LEFT JOIN weekly_events w ON o.kind = 'weekly' AND w.unit_id = o.unit_id AND w.week_start = o.item_date \
     AND w.ord = o.revision \
     LEFT JOIN accountability_actions a ON o.kind = 'accountability' AND a.action_id = o.unit_id \
     ORDER BY o.id LIMIT $1";

impl OutboxEntryRow {
    pub(crate) fn into_item(self) -> Result<OutboxItem, StoreError> {
        let missing =
            || StoreError::Corrupt(format!("outbox entry {} ({}) points at nothing", self.id, self.kind));
        let payload = match self.kind.as_str() {
            "report" => {
                let row = crate::plan::RevisionRow {
                    unit_id: self.unit_id.clone().ok_or_else(missing)?,
                    report_date: self.report_date.ok_or_else(missing)?,
                    revision: self.revision.ok_or_else(missing)?,
                    reporter: self.reporter.clone().ok_or_else(missing)?,
                    disputes: self.disputes.clone().ok_or_else(missing)?,
                    correction_reason: self.correction_reason.clone(),
                    accepted_at: self.accepted_at.ok_or_else(missing)?,
                    first_accepted_at: self.first_accepted_at.ok_or_else(missing)?,
                };
                OutboxPayload::Report(crate::stored_report(row)?)
            }
            "case_event" => {
                OutboxPayload::CaseEvent(Box::new(parse_event(self.body.as_deref().ok_or_else(missing)?)?))
            }
            "weekly" => OutboxPayload::Weekly(self.blob.clone().ok_or_else(missing)?),
            "accountability" => OutboxPayload::Accountability(self.blob.clone().ok_or_else(missing)?),
            "summary" => OutboxPayload::Summary {
                unit_id: UnitId::parse(&self.key_unit)
                    .map_err(|e| StoreError::Corrupt(format!("outbox entry {}: {e}", self.id)))?,
                day: self.key_date,
            },
            other => {
                return Err(StoreError::Corrupt(format!(
                    "outbox entry {} of unknown kind {other:?}",
                    self.id
                )));
            }
        };
        Ok(OutboxItem { id: self.id, payload, trace_parent: self.trace_parent })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use fengqiao_core::DisputeCategory;
    use fengqiao_core::case::{Action, Channel, Context, DeadlinePolicy, Intake};

    use super::*;

    fn ctx(on: NaiveDate) -> Context<'static> {
        Context {
            at: Utc.from_utc_datetime(&on.and_hms_opt(2, 0, 0).unwrap()),
            on,
            actor: Actor::Unverified { text: Some("officer".into()), on_behalf_of: None },
            note: String::new(),
            owner_parent: None,
            is_below_owner: &|_| false,
            policy: DeadlinePolicy::default(),
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn projection_records_on_time_acceptance_and_closure_facts() {
        let intake = Intake {
            origin_unit: UnitId::parse("u1").unwrap(),
            category: DisputeCategory::Neighbour,
            channel: Channel::Letter,
            summary: "fence".into(),
            petitioner_ref: None,
            source: None,
            workers: 0,
            amount_claimed_cents: 0,
            project: None,
        };
        let mut log = vec![
            Case::register(CaseId::parse("c1").unwrap(), intake, None, &ctx(date("2019-01-01"))).unwrap(),
        ];
        let mut case = Case::start(&log[0]).unwrap();
        let steps = [
            (Action::Accept, "2019-01-20"),
            (
                Action::Assign {
                    leader: "L".into(),
                    responsible: "R".into(),
                    plan: "P".into(),
                    deadline: None,
                },
                "2019-01-21",
            ),
            (Action::Resolve { resolution: "done".into(), amount_recovered_cents: 0 }, "2019-02-01"),
            (Action::Close { satisfaction: Satisfaction::Dissatisfied }, "2019-02-02"),
        ];
        for (action, on) in steps {
            let event = case.decide(action, &ctx(date(on))).unwrap();
            case.apply(&event).unwrap();
            log.push(event);
        }
        let projection = project(&log);
        assert_eq!(projection.case.as_ref(), Some(&case));
        assert_eq!(projection.facts[1].on_time, Some(false), "accepted after the 15 days");
        assert_eq!(
            projection.facts[4],
            EventFacts { on_time: Some(true), satisfaction: Some(Satisfaction::Dissatisfied) }
        );
        assert_eq!(due_column(&case), case.deadline);
        // A gap stops the fold.
        let gapped = [log[0].clone(), log[2].clone()];
        assert_eq!(project(&gapped).case.unwrap().seq, 1);
        assert!(project(&log[1..]).case.is_none());
    }
}
