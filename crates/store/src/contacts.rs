//! Leaders' contact duties (包片) and key projects (重点项目), migration
//! `0017_contacts`: what a node stores of them, and the case figures they
//! read (a project's cases, the cases a leader leads: 包案).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::actor::Actor;
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::read::CaseCounts;
use fengqiao_core::unit::UnitId;

use crate::StoreError;

/// A key project (`projects`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectRow {
    pub project_id: String,
    pub name: String,
    /// The unit it lies in.
    pub unit_id: String,
    pub kind: String,
    pub from_on: NaiveDate,
    /// The last day; `None` while it lasts.
    pub until_on: Option<NaiveDate>,
}

/// A leader's contact duty (`contact_duties`): a township or a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyRow {
    pub duty_id: String,
    /// The leader's person id.
    pub leader: String,
    pub unit_id: Option<String>,
    pub project_id: Option<String>,
    pub from_on: NaiveDate,
    /// The last day; `None` while it lasts.
    pub until_on: Option<NaiveDate>,
    /// Who set it (from their certificate), and when.
    pub set_by: Actor,
    pub set_at: DateTime<Utc>,
}

impl DutyRow {
    /// Whether the duty holds on `day`.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.from_on <= day && self.until_on.is_none_or(|until| day <= until)
    }

    /// The same duty: everything but who set it and when.
    pub(crate) fn same_content(&self, other: &DutyRow) -> bool {
        self.leader == other.leader
            && self.unit_id == other.unit_id
            && self.project_id == other.project_id
            && self.from_on == other.from_on
            && self.until_on == other.until_on
    }
}

/// A duty as stored (`set_by` as the actor's JSON).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StoredDutyRow {
    pub duty_id: String,
    pub leader: String,
    pub unit_id: Option<String>,
    pub project_id: Option<String>,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

impl StoredDutyRow {
    pub(crate) fn into_row(self) -> DutyRow {
        DutyRow {
            duty_id: self.duty_id,
            leader: self.leader,
            unit_id: self.unit_id,
            project_id: self.project_id,
            from_on: self.from_on,
            until_on: self.until_on,
            set_by: crate::cases::parse_actor(&self.set_by),
            set_at: self.set_at,
        }
    }
}

/// What a set did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// A new id: stored.
    Created,
    /// The id was stored with the same content: nothing changed.
    Unchanged,
    /// The id was stored with other content: replaced.
    Replaced,
}

/// What [`Contacts::set_contact_duty`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DutySet {
    Set(SetOutcome),
    /// Another duty of the same leader on the same township or project
    /// overlaps its dates: nothing changed.
    Overlaps {
        duty_id: String,
    },
}

/// The cases a leader leads (包案) over a range: each case once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedFigures {
    /// Registered on or before the range's end and not closed before its start.
    pub led: u64,
    /// Closed in the range (a folded `closed` event), and by the deadline.
    pub closed: u64,
    pub closed_on_time: u64,
    /// Open and past due at the range's end, as the case stood then.
    pub overdue: u64,
}

/// The storage of contact duties and projects.
#[async_trait]
pub trait Contacts {
    /// Stores a project: `Created` for a new id, `Unchanged` (nothing
    /// written, no audit) for the same content, `Replaced` otherwise;
    /// `audit` is appended when something changed.
    async fn set_project(&self, row: &ProjectRow, audit: AuditRecord) -> Result<SetOutcome, StoreError>;

    async fn project(&self, project_id: &str) -> Result<Option<ProjectRow>, StoreError>;

    /// Every project, by id.
    async fn projects(&self) -> Result<Vec<ProjectRow>, StoreError>;

    /// Stores a duty like [`Contacts::set_project`] (content is everything
    /// but `set_by` and `set_at`), unless another duty of the same leader
    /// on the same target overlaps its dates.
    async fn set_contact_duty(&self, row: &DutyRow, audit: AuditRecord) -> Result<DutySet, StoreError>;

    async fn contact_duty(&self, duty_id: &str) -> Result<Option<DutyRow>, StoreError>;

    /// The duties of `leader` (every leader's when `None`) holding on `on`
    /// (every one when `None`), by leader, start and id.
    async fn contact_duties(
        &self,
        leader: Option<&str>,
        on: Option<NaiveDate>,
    ) -> Result<Vec<DutyRow>, StoreError>;

    /// The case figures over `[from, to]` of the cases of `root`'s subtree
    /// whose intake names `project_id` (each figure as
    /// [`crate::Store::case_figures`] counts it).
    async fn project_case_figures(
        &self,
        root: &UnitId,
        project_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CaseCounts, StoreError>;

    /// The figures of the cases `leader` leads now (the working group's
    /// lead, else the assigned leader) over `[from, to]`.
    async fn led_case_figures(
        &self,
        leader: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<LedFigures, StoreError>;
}
