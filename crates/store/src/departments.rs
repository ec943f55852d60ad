//! Departments (职能部门) in the store: which cases involve which department
//! (`case_departments`, migration `0016_departments`, rewritten with each
//! case's projection), and the departments' case figures, folded from the
//! events of the cases that ever involved a department of the unit.
//!
//! A department's figures over `[from, to]`, each a number of distinct cases
//! (see `DepartmentCaseFigures` in `organization.proto`):
//! - `transferred_in`: transfers (转办) to it dated in the range;
//! - `held_open`, `overdue`: the cases it held at the end of `to`, as the
//!   case stood then (its events dated up to `to`), open; and of those, due
//!   before `to`;
//! - `resolved`, `resolved_on_time`: resolutions dated in the range while it
//!   held the case, and of those, by the deadline;
//! - `assigned`, `reported`, `reported_on_time`: assignments (交办) to it,
//!   and its reports back, dated in the range; `report_overdue`: its
//!   assignments unreported past their report-by date at the end of `to`;
//! - `petitioner_satisfied`, `petitioner_dissatisfied`: the petitioner's
//!   ratings dated in the range of cases it held when rated.
//!
//! The total counts each case once for all the departments together.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use fengqiao_core::UnitId;
use fengqiao_core::case::{Case, CaseEvent, CaseId, EventKind, Satisfaction};
use fengqiao_core::department::DepartmentId;

/// The departments a case involves, as `case_departments` keeps them: every
/// department that held it (`involved` while it holds it now) and every
/// department it was assigned to (`involved`).
pub fn involved(case: &Case, ever_held: &BTreeSet<DepartmentId>) -> Vec<(DepartmentId, bool)> {
    let mut rows: BTreeMap<DepartmentId, bool> = ever_held.iter().map(|d| (d.clone(), false)).collect();
    for department in case.department.iter().chain(case.department_tasks.iter().map(|t| &t.department)) {
        rows.insert(department.clone(), true);
    }
    rows.into_iter().collect()
}

/// A department's case figures over a range (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepartmentCounts {
    pub transferred_in: i64,
    pub held_open: i64,
    pub resolved: i64,
    pub resolved_on_time: i64,
    pub overdue: i64,
    pub assigned: i64,
    pub reported: i64,
    pub reported_on_time: i64,
    pub report_overdue: i64,
    pub petitioner_satisfied: i64,
    pub petitioner_dissatisfied: i64,
}

impl DepartmentCounts {
    /// Percent: (resolved on time + reported on time) / (resolved + reported); 0 when none.
    pub fn on_time_rate(&self) -> f64 {
        percent(self.resolved_on_time + self.reported_on_time, self.resolved + self.reported)
    }

    /// Percent: satisfied / rated; 0 when none rated.
    pub fn petitioner_satisfaction_rate(&self) -> f64 {
        percent(self.petitioner_satisfied, self.petitioner_satisfied + self.petitioner_dissatisfied)
    }
}

fn percent(part: i64, base: i64) -> f64 {
    if base == 0 { 0.0 } else { part as f64 * 100.0 / base as f64 }
}

/// The departments' figures of a unit: one row per department with any case,
/// and the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentFigures {
    pub rows: BTreeMap<DepartmentId, DepartmentCounts>,
    pub total: DepartmentCounts,
}

/// The cases behind each figure, per department.
#[derive(Default)]
struct Sets {
    transferred_in: BTreeSet<CaseId>,
    held_open: BTreeSet<CaseId>,
    resolved: BTreeSet<CaseId>,
    resolved_on_time: BTreeSet<CaseId>,
    overdue: BTreeSet<CaseId>,
    assigned: BTreeSet<CaseId>,
    reported: BTreeSet<CaseId>,
    reported_on_time: BTreeSet<CaseId>,
    report_overdue: BTreeSet<CaseId>,
    petitioner_satisfied: BTreeSet<CaseId>,
    petitioner_dissatisfied: BTreeSet<CaseId>,
}

impl Sets {
    fn counts(&self) -> DepartmentCounts {
        let n = |s: &BTreeSet<CaseId>| s.len() as i64;
        DepartmentCounts {
            transferred_in: n(&self.transferred_in),
            held_open: n(&self.held_open),
            resolved: n(&self.resolved),
            resolved_on_time: n(&self.resolved_on_time),
            overdue: n(&self.overdue),
            assigned: n(&self.assigned),
            reported: n(&self.reported),
            reported_on_time: n(&self.reported_on_time),
            report_overdue: n(&self.report_overdue),
            petitioner_satisfied: n(&self.petitioner_satisfied),
            petitioner_dissatisfied: n(&self.petitioner_dissatisfied),
        }
    }

    fn absorb(&mut self, other: &Sets) {
        let pairs: [(&mut BTreeSet<CaseId>, &BTreeSet<CaseId>); 11] = [
            (&mut self.transferred_in, &other.transferred_in),
            (&mut self.held_open, &other.held_open),
            (&mut self.resolved, &other.resolved),
            (&mut self.resolved_on_time, &other.resolved_on_time),
            (&mut self.overdue, &other.overdue),
            (&mut self.assigned, &other.assigned),
            (&mut self.reported, &other.reported),
            (&mut self.reported_on_time, &other.reported_on_time),
            (&mut self.report_overdue, &other.report_overdue),
            (&mut self.petitioner_satisfied, &other.petitioner_satisfied),
            (&mut self.petitioner_dissatisfied, &other.petitioner_dissatisfied),
        ];
        for (into, from) in pairs {
            into.extend(from.iter().cloned());
        }
    }
}

/// The figures of `unit`'s departments over `[from, to]`, from the logs
/// (each sorted by sequence) of the cases that involved any of them.
pub fn figures(logs: &[Vec<CaseEvent>], unit: &UnitId, from: NaiveDate, to: NaiveDate) -> DepartmentFigures {
    let mut sets: BTreeMap<DepartmentId, Sets> = BTreeMap::new();
    let in_range = |on: NaiveDate| from <= on && on <= to;
    for events in logs {
        let Some(first) = events.first() else { continue };
        let Ok(mut case) = Case::start(first) else { continue };
        let id = case.id.clone();
        // The case as it stood at the end of `to`: the fold of its events
        // dated up to then (the log's dates only move forward but for
        // clock skew, so the prefix up to the first later event).
        let mut at_end: Option<Case> = None;
        for event in &events[1..] {
            if at_end.is_none() && event.on > to {
                at_end = Some(case.clone());
            }
            let holder = case.department.clone();
            if case.apply(event).is_err() {
                break;
            }
            match &event.kind {
                EventKind::TransferredToDepartment { department, .. } if in_range(event.on) => {
                    sets.entry(department.clone()).or_default().transferred_in.insert(id.clone());
                }
                EventKind::Resolved { on_time, .. } if in_range(event.on) => {
                    if let Some(holder) = holder {
                        let s = sets.entry(holder).or_default();
                        s.resolved.insert(id.clone());
                        if *on_time {
                            s.resolved_on_time.insert(id.clone());
                        }
                    }
                }
                EventKind::AssignedToDepartment { department, .. } if in_range(event.on) => {
                    sets.entry(department.clone()).or_default().assigned.insert(id.clone());
                }
                EventKind::DepartmentReported { department, on_time, .. } if in_range(event.on) => {
                    let s = sets.entry(department.clone()).or_default();
                    s.reported.insert(id.clone());
                    if *on_time {
                        s.reported_on_time.insert(id.clone());
                    }
                }
                EventKind::PetitionerRated { satisfaction, .. } if in_range(event.on) => {
                    if let Some(holder) = holder {
                        let s = sets.entry(holder).or_default();
                        match satisfaction {
                            Satisfaction::Satisfied => s.petitioner_satisfied.insert(id.clone()),
                            _ => s.petitioner_dissatisfied.insert(id.clone()),
                        };
                    }
                }
                _ => {}
            }
        }
        let end = at_end.unwrap_or(case);
        if end.registered_on > to {
            continue;
        }
        if let Some(holder) = &end.department
            && end.status.is_open()
        {
            let s = sets.entry(holder.clone()).or_default();
            s.held_open.insert(id.clone());
            if end.is_overdue(to) {
                s.overdue.insert(id.clone());
            }
        }
        for task in &end.department_tasks {
            if task.is_overdue(to) {
                sets.entry(task.department.clone()).or_default().report_overdue.insert(id.clone());
            }
        }
    }
    sets.retain(|department, _| &department.unit == unit);
    let mut total = Sets::default();
    for s in sets.values() {
        total.absorb(s);
    }
    DepartmentFigures {
        rows: sets.iter().map(|(d, s)| (d.clone(), s.counts())).collect(),
        total: total.counts(),
    }
}
