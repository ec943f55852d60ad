//! What a node knows of the weekly reports' approvals, in memory: the
//! approvals that stand, by week and unit, loaded from the store at start
//! and updated after every stored step. A daily report's lock is read here
//! on the hot path (one map lookup for a week nothing approved).

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::NaiveDate;
use fengqiao_core::weekly::{Approval, StepRecord, Week, of_ord};
use fengqiao_core::{IsoWeek, UnitId, UnitTree};
use fengqiao_store::{Store, WeeklyKeyRow};

use crate::NodeError;

/// The approvals that stand here.
#[derive(Debug, Default)]
pub struct Book {
    /// By the week's Monday, then unit id.
    approvals: RwLock<HashMap<NaiveDate, HashMap<String, Approval>>>,
    /// One weekly writer per node: a step is decided on the state it read.
    pub(crate) writer: tokio::sync::Mutex<()>,
}

/// The fold of one (unit, week)'s key rows, enough for its state and lock.
pub(crate) fn week_of_keys(unit: &str, week_start: NaiveDate, rows: &[&WeeklyKeyRow]) -> Option<Week> {
    let unit = UnitId::parse(unit).ok()?;
    let steps = rows
        .iter()
        .filter_map(|row| {
            let (filing, step) = of_ord(row.ord)?;
            Some(StepRecord {
                filing,
                step,
                at: row.at,
                reviewer: row.reviewer.as_deref().and_then(|r| UnitId::parse(r).ok()),
                child_nodes: Vec::new(),
            })
        })
        .collect();
    Some(Week::new(unit, IsoWeek::of(week_start), steps))
}

impl Book {
    /// The approvals standing in the store.
    pub async fn load(store: &dyn Store) -> Result<Book, NodeError> {
        let book = Book::default();
        // Every week either backend can store: PostgreSQL's `date` refuses
        // chrono's NaiveDate::MIN/MAX ("date out of range"), which failed
        // every node's start on PostgreSQL.
        let first = NaiveDate::from_ymd_opt(1, 1, 1).expect("valid");
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");
        let rows = store.weekly_keys(first, last).await?;
        let mut approvals = book.approvals.write().unwrap_or_else(|p| p.into_inner());
        for group in rows.chunk_by(|a, b| a.unit_id == b.unit_id && a.week_start == b.week_start) {
            let refs: Vec<&WeeklyKeyRow> = group.iter().collect();
            if let Some(approval) =
                week_of_keys(&group[0].unit_id, group[0].week_start, &refs).and_then(|w| w.approval())
            {
                approvals.entry(group[0].week_start).or_default().insert(group[0].unit_id.clone(), approval);
            }
        }
        drop(approvals);
        Ok(book)
    }

    /// Records where `week` stands now.
    pub fn update(&self, week: &Week) {
        let monday = week.week.monday();
        let mut approvals = self.approvals.write().unwrap_or_else(|p| p.into_inner());
        match week.approval() {
            Some(approval) => {
                approvals.entry(monday).or_default().insert(week.unit.to_string(), approval);
            }
            None => {
                if let Some(units) = approvals.get_mut(&monday) {
                    units.remove(week.unit.as_str());
                    if units.is_empty() {
                        approvals.remove(&monday);
                    }
                }
            }
        }
    }

    /// The approval standing on `unit`'s week that starts on `monday`.
    pub fn approval(&self, unit: &str, monday: NaiveDate) -> Option<Approval> {
        let approvals = self.approvals.read().unwrap_or_else(|p| p.into_inner());
        approvals.get(&monday).and_then(|units| units.get(unit)).cloned()
    }

    /// The approval that locks `unit`'s report for `date`: the nearest of
    /// the unit and the units above it (on that date) whose week stands
    /// approved here.
    pub fn lock_of(&self, tree: &UnitTree, unit: &UnitId, date: NaiveDate) -> Option<Approval> {
        let monday = IsoWeek::of(date).monday();
        let approvals = self.approvals.read().unwrap_or_else(|p| p.into_inner());
        let units = approvals.get(&monday)?;
        let mut current = Some(unit.clone());
        // The tree's depth bounds the walk; a cycle cannot occur in a valid tree.
        for _ in 0..64 {
            let id = current?;
            if let Some(approval) = units.get(id.as_str()) {
                return Some(approval.clone());
            }
            current = tree.get(id.as_str()).and_then(|u| u.parent_on(date)).cloned();
        }
        None
    }

    /// Whether any approval stands here (held reports can only be waiting
    /// while one does, or until the release after the last went).
    pub fn is_empty(&self) -> bool {
        self.approvals.read().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}
