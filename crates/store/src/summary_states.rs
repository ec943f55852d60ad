//! Summaries above the boundary: the states a node on `uplink.mode =
//! summaries` sends, and what its parent keeps of them (migration
//! `0019_summary_states`). See `RollupState` in uplink.proto.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::UnitId;
use fengqiao_core::case::CaseId;
use fengqiao_core::read::{CaseCounts, CaseFigure};
use fengqiao_core::summary_state::RollupState;

use crate::StoreError;

/// A state to apply at the receiver, and the units it counts towards: the
/// state's own unit first, then (for a child node's home unit only) every
/// unit above it here on the state's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    pub state: RollupState,
    pub targets: Vec<UnitId>,
}

/// What became of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOutcome {
    /// Newer than what was held: the difference is applied.
    Applied,
    /// The same version is held already.
    Duplicate,
    /// A newer version is held already.
    Superseded,
}

/// The stores' side of summaries above the boundary.
#[async_trait]
pub trait SummaryStates: Send + Sync {
    /// Applies states in one transaction: each one newer than the version
    /// held for its (unit, day) adds its difference over the state held to
    /// the rollups, `employer_days`, `expected_days` and `case_key_days` of
    /// its targets; of several states for one (unit, day) in a batch the
    /// newest counts. With `forward`, each applied state also queues its
    /// (unit, day) in the outbox (kind `summary`), for this node's own
    /// summaries upward: a fresh entry in place of one queued already
    /// (which may be in flight with an older state, and cleared by its
    /// answer).
    async fn apply_rollup_states(
        &self,
        states: &[StateWrite],
        forward: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<StateOutcome>, StoreError>;

    /// The state held for (unit, day): what the rollups and key tables hold
    /// of that unit alone (its expected count from `summary_states`), at
    /// the version last applied; `None` when nothing was applied.
    async fn held_state(&self, unit: &UnitId, day: NaiveDate) -> Result<Option<RollupState>, StoreError>;

    /// Summed expected counts per item (unit, from, to) from `expected_days`.
    async fn expected_sums(&self, items: &[(UnitId, NaiveDate, NaiveDate)]) -> Result<Vec<i64>, StoreError>;

    /// The case figures of each root over `[from, to]` from `case_key_days`:
    /// distinct cases per figure, overdue as on `to`.
    async fn keyed_case_figures(
        &self,
        roots: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseCounts>, StoreError>;

    /// The case ids behind one keyed figure, by id, after `after`, at most
    /// `limit`.
    async fn keyed_case_drill(
        &self,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        figure: CaseFigure,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError>;

    /// At the sender: the employers of each unit's day (`employer_days`,
    /// names as held), with their current reports.
    async fn employer_counts(
        &self,
        units: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, String, i64)>, StoreError>;

    /// At the sender: the cases behind every case figure of each root's
    /// subtree on `day` (overdue: as `day` ends), from the case ledger.
    async fn case_keys(
        &self,
        roots: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, CaseFigure, String)>, StoreError>;

    /// At a node fed summaries: the cases it holds behind each figure of
    /// each unit's day (`case_key_days`), for its own states upward.
    async fn held_case_keys(
        &self,
        units: &[UnitId],
        day: NaiveDate,
    ) -> Result<Vec<(UnitId, CaseFigure, String)>, StoreError>;

    /// Queues (unit, day) keys in the outbox (kind `summary`), each unless
    /// it is queued already; returns how many were queued.
    async fn enqueue_summary_keys(
        &self,
        keys: &[(UnitId, NaiveDate)],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
