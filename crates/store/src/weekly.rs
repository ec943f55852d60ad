//! The weekly reports' steps, accountability actions and reports held for
//! a locked week (migration `0015_weekly`): what a node stores of them. The
//! rules are the domain's (`fengqiao_core::weekly`); the bodies are the
//! wire's messages, which the node encodes and decodes: the store keeps
//! them byte for byte, as they travel.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::audit::AuditRecord;

use crate::StoreError;

/// One step of a week's report (`weekly_events`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WeeklyEventRow {
    pub unit_id: String,
    /// The week's Monday.
    pub week_start: NaiveDate,
    /// `fengqiao_core::weekly::ord`: filing × 8 + step.
    pub ord: i64,
    /// `fengqiao_core::weekly::Step::as_str`.
    pub step: String,
    pub at: DateTime<Utc>,
    /// The unit of the leader who approved or unapproved.
    pub reviewer: Option<String>,
    /// The encoded `fengqiao.v1.WeeklyEvent`.
    pub body: Vec<u8>,
}

/// A step without its body: what the node's locks and boards read.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WeeklyKeyRow {
    pub unit_id: String,
    pub week_start: NaiveDate,
    pub ord: i64,
    pub at: DateTime<Utc>,
    pub reviewer: Option<String>,
}

/// What became of a step given to [`Weekly::apply_weekly_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeeklyApplied {
    /// Stored now.
    Stored,
    /// Stored before, byte for byte alike: nothing changed.
    Duplicate,
    /// Stored before with other bytes: nothing changed.
    Conflict,
}

/// An accountability action (`accountability_actions`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountabilityRow {
    pub action_id: String,
    pub unit_id: String,
    /// `fengqiao_core::weekly::AccountabilityKind::as_str`.
    pub kind: String,
    pub recorded_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    /// The encoded `fengqiao.v1.AccountabilityAction`.
    pub body: Vec<u8>,
}

/// A pushed report held for a locked week (`held_reports`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldReportRow {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    /// The approved unit whose week holds it.
    pub locked_by: String,
    pub held_at: DateTime<Utc>,
    /// The encoded `fengqiao.v1.StoredDailyReport`, as pushed.
    pub body: Vec<u8>,
}

/// The storage of weekly reports, accountability actions and held reports.
#[async_trait]
pub trait Weekly {
    /// Stores steps in one transaction, in order: a step whose key is
    /// stored already changes nothing (`Duplicate` when its bytes are the
    /// same, `Conflict` when not). With `forward`, each step stored is also
    /// queued in the outbox (kind `weekly`). `audit[i]` is appended for
    /// `rows[i]` when it is stored (the same length, or empty for none).
    async fn apply_weekly_events(
        &self,
        rows: &[WeeklyEventRow],
        forward: bool,
        audit: Vec<AuditRecord>,
    ) -> Result<Vec<WeeklyApplied>, StoreError>;

    /// Every step of one unit's week, in `ord` order.
    async fn weekly_events(
        &self,
        unit_id: &str,
        week_start: NaiveDate,
    ) -> Result<Vec<WeeklyEventRow>, StoreError>;

    /// Every step of the weeks starting in `[from, to]`, by week, unit and
    /// `ord`, without bodies.
    async fn weekly_keys(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<WeeklyKeyRow>, StoreError>;

    /// The FILED steps (with bodies) of the weeks starting in `[from, to]`
    /// of the units named, by week, unit and `ord`.
    async fn weekly_filings(
        &self,
        unit_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<WeeklyEventRow>, StoreError>;

    /// Stores an action (false, and nothing changed, when its id is stored
    /// already), with `forward` queued in the outbox (kind
    /// `accountability`), and `audit` appended when stored.
    async fn insert_accountability(
        &self,
        row: &AccountabilityRow,
        forward: bool,
        audit: Option<AuditRecord>,
    ) -> Result<bool, StoreError>;

    /// The actions recorded on days in `[from, to]`, by time then id.
    async fn accountability_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AccountabilityRow>, StoreError>;

    /// Holds a pushed report (false when that revision is held already),
    /// with `audit` appended when stored.
    async fn hold_report(&self, row: &HeldReportRow, audit: AuditRecord) -> Result<bool, StoreError>;

    /// Every held report, by date, unit and revision.
    async fn held_for_approval(&self) -> Result<Vec<HeldReportRow>, StoreError>;

    /// Forgets held reports once applied.
    async fn release_held(&self, keys: &[(String, NaiveDate, i64)]) -> Result<(), StoreError>;

    /// The units that issued the supervision notices stored here with
    /// `issued_at` in `[from, to)`, one entry per notice.
    async fn supervision_issuers(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
}
