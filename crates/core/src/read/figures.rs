//! Figures as every face shows them: a tally with its derived counts
//! ([`Figures`]), its shares ([`Rates`]), and the case ledger's counts
//! ([`CaseCounts`], what the store reads) with their rates
//! ([`CaseFigures`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::percent;
use crate::report::{DisputeCategory, DisputeOutcome};
use crate::tally::Tally;

/// A tally as it is shown: every counter, the missing reports, disputes by
/// category and by outcome (every one, zeros included), and the
/// wage-arrears figures.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Figures {
    pub expected: i64,
    pub received: i64,
    pub on_time: i64,
    pub late: i64,
    /// Expected but not received.
    pub missing: i64,
    pub zero_reports: i64,
    pub disputes: i64,
    pub parties: i64,
    pub by_category: BTreeMap<DisputeCategory, i64>,
    pub by_outcome: BTreeMap<DisputeOutcome, i64>,
    pub wage_arrears: WageFigures,
}

/// The wage-arrears figures (欠薪) of a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WageFigures {
    pub disputes: i64,
    /// Of those, resolved on the spot.
    pub resolved: i64,
    pub workers: i64,
    pub amount_claimed_cents: i64,
    pub amount_recovered_cents: i64,
    /// Distinct employers over the range (set on a summary's totals only:
    /// distinct counts do not add up over children).
    pub employers: i64,
}

impl Figures {
    /// `tally` as shown, with `employers` distinct employers.
    pub fn of(tally: &Tally, employers: i64) -> Figures {
        Figures {
            expected: tally.expected,
            received: tally.received,
            on_time: tally.on_time,
            late: tally.late,
            missing: tally.missing(),
            zero_reports: tally.zero_reports,
            disputes: tally.disputes,
            parties: tally.parties,
            by_category: DisputeCategory::ALL.iter().map(|&c| (c, tally.category(c))).collect(),
            by_outcome: DisputeOutcome::ALL.iter().map(|&o| (o, tally.outcome(o))).collect(),
            wage_arrears: WageFigures {
                disputes: tally.wage_disputes,
                resolved: tally.wage_resolved,
                workers: tally.wage_workers,
                amount_claimed_cents: tally.wage_claimed_cents,
                amount_recovered_cents: tally.wage_recovered_cents,
                employers,
            },
        }
    }

    /// Disputes of one category.
    pub fn category(&self, category: DisputeCategory) -> i64 {
        self.by_category.get(&category).copied().unwrap_or(0)
    }

    /// Disputes with one outcome.
    pub fn outcome(&self, outcome: DisputeOutcome) -> i64 {
        self.by_outcome.get(&outcome).copied().unwrap_or(0)
    }

    /// The shares of these figures.
    pub fn rates(&self) -> Rates {
        Rates {
            completeness_percent: percent(self.received, self.expected),
            timeliness_percent: percent(self.on_time, self.expected),
            zero_share_percent: percent(self.zero_reports, self.received),
            resolved_on_the_spot_percent: percent(
                self.outcome(DisputeOutcome::ResolvedOnTheSpot),
                self.disputes,
            ),
        }
    }
}

/// Shares in percent, 0 when the base is 0.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rates {
    /// Received of expected.
    pub completeness_percent: f64,
    /// On time of expected.
    pub timeliness_percent: f64,
    /// Zero reports of received.
    pub zero_share_percent: f64,
    /// Resolved on the spot of disputes.
    pub resolved_on_the_spot_percent: f64,
}

/// The case ledger's figures of one subtree and range, with their rates
/// (percent, 0 when the base is 0).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CaseFigures {
    #[serde(flatten)]
    pub counts: CaseCounts,
    /// Closed by their deadline, of closed.
    pub on_time_closure_rate: f64,
    /// Satisfied, of satisfied + dissatisfied.
    pub satisfaction_rate: f64,
    /// Settled at one visit, of visits.
    pub one_visit_rate: f64,
    /// Repeat petitions, of registered.
    pub repeat_rate: f64,
    /// The petitioners' own ratings: satisfied, of satisfied + dissatisfied.
    pub petitioner_satisfaction_rate: f64,
}

impl CaseFigures {
    /// `counts` with their rates.
    pub fn of(counts: CaseCounts) -> CaseFigures {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let c = &counts;
        CaseFigures {
            counts,
            on_time_closure_rate: percent(n(c.closed_on_time), n(c.closed)),
            satisfaction_rate: percent(n(c.satisfied), n(c.satisfied) + n(c.dissatisfied)),
            one_visit_rate: percent(n(c.one_visit), n(c.visits)),
            repeat_rate: percent(n(c.repeat_petitions), n(c.registered)),
            petitioner_satisfaction_rate: percent(
                n(c.petitioner_satisfied),
                n(c.petitioner_satisfied) + n(c.petitioner_dissatisfied),
            ),
        }
    }
}

/// One figure of the case ledger, and what it counts. Every figure is a
/// number of distinct cases (so it equals its drill-down); the event
/// figures count cases with at least one such event in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseFigure {
    /// Cases registered in the range at a unit of the subtree (origin unit,
    /// registration day).
    Registered,
    /// Of those, repeat petitions.
    RepeatPetitions,
    /// Of those, duty-reception visits.
    Visits,
    /// Of the visits, those closed on the day of the visit (a `closed`
    /// event on the registration day, even if reopened later).
    OneVisit,
    /// Cases with an `accepted` event in the range by a unit of the subtree.
    Accepted,
    /// Of those, within the acceptance deadline.
    AcceptedOnTime,
    /// Cases with a `closed` event in the range by a unit of the subtree.
    Closed,
    /// Of those, resolved by the deadline that held.
    ClosedOnTime,
    /// Of the closings, by the petitioner's satisfaction.
    Satisfied,
    Dissatisfied,
    Unreachable,
    /// Cases with an `escalated` event in the range by a unit of the subtree.
    Escalated,
    /// Cases with an `assigned_down` event in the range by a unit of the subtree.
    AssignedDown,
    /// Cases owned in the subtree at the end of the range's last day whose
    /// next step was overdue then: open (not declined, not resolved, or
    /// under review) with a due date before that day. Judged as the case
    /// stood at that day's end, from its events (`case_due_spans`): a case
    /// worked since still counts for that range, under the owner it had.
    Overdue,
    /// Cases the petitioner rated through the public tracker in the range
    /// (the rating's day, at the owner then), by rating: given by the
    /// petitioner, kept apart from the staff's record at closing.
    PetitionerSatisfied,
    PetitionerDissatisfied,
}

impl CaseFigure {
    pub const ALL: [CaseFigure; 16] = [
        CaseFigure::Registered,
        CaseFigure::RepeatPetitions,
        CaseFigure::Visits,
        CaseFigure::OneVisit,
        CaseFigure::Accepted,
        CaseFigure::AcceptedOnTime,
        CaseFigure::Closed,
        CaseFigure::ClosedOnTime,
        CaseFigure::Satisfied,
        CaseFigure::Dissatisfied,
        CaseFigure::Unreachable,
        CaseFigure::Escalated,
        CaseFigure::AssignedDown,
        CaseFigure::Overdue,
        CaseFigure::PetitionerSatisfied,
        CaseFigure::PetitionerDissatisfied,
    ];

    /// The field name (`cases.<name>` in a drill-down).
    pub fn name(self) -> &'static str {
        match self {
            CaseFigure::Registered => "registered",
            CaseFigure::RepeatPetitions => "repeat_petitions",
            CaseFigure::Visits => "visits",
            CaseFigure::OneVisit => "one_visit",
            CaseFigure::Accepted => "accepted",
            CaseFigure::AcceptedOnTime => "accepted_on_time",
            CaseFigure::Closed => "closed",
            CaseFigure::ClosedOnTime => "closed_on_time",
            CaseFigure::Satisfied => "satisfied",
            CaseFigure::Dissatisfied => "dissatisfied",
            CaseFigure::Unreachable => "unreachable",
            CaseFigure::Escalated => "escalated",
            CaseFigure::AssignedDown => "assigned_down",
            CaseFigure::Overdue => "overdue",
            CaseFigure::PetitionerSatisfied => "petitioner_satisfied",
            CaseFigure::PetitionerDissatisfied => "petitioner_dissatisfied",
        }
    }

    pub fn parse(name: &str) -> Option<CaseFigure> {
        CaseFigure::ALL.into_iter().find(|figure| figure.name() == name)
    }
}

/// The case figures of one subtree and range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseCounts {
    pub registered: u64,
    pub repeat_petitions: u64,
    pub visits: u64,
    pub one_visit: u64,
    pub accepted: u64,
    pub accepted_on_time: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub satisfied: u64,
    pub dissatisfied: u64,
    pub unreachable: u64,
    pub escalated: u64,
    pub assigned_down: u64,
    pub overdue: u64,
    #[serde(default)]
    pub petitioner_satisfied: u64,
    #[serde(default)]
    pub petitioner_dissatisfied: u64,
}

impl CaseCounts {
    pub fn get(&self, figure: CaseFigure) -> u64 {
        match figure {
            CaseFigure::Registered => self.registered,
            CaseFigure::RepeatPetitions => self.repeat_petitions,
            CaseFigure::Visits => self.visits,
            CaseFigure::OneVisit => self.one_visit,
            CaseFigure::Accepted => self.accepted,
            CaseFigure::AcceptedOnTime => self.accepted_on_time,
            CaseFigure::Closed => self.closed,
            CaseFigure::ClosedOnTime => self.closed_on_time,
            CaseFigure::Satisfied => self.satisfied,
            CaseFigure::Dissatisfied => self.dissatisfied,
            CaseFigure::Unreachable => self.unreachable,
            CaseFigure::Escalated => self.escalated,
            CaseFigure::AssignedDown => self.assigned_down,
            CaseFigure::Overdue => self.overdue,
            CaseFigure::PetitionerSatisfied => self.petitioner_satisfied,
            CaseFigure::PetitionerDissatisfied => self.petitioner_dissatisfied,
        }
    }

    pub fn set(&mut self, figure: CaseFigure, value: u64) {
        let slot = match figure {
            CaseFigure::Registered => &mut self.registered,
            CaseFigure::RepeatPetitions => &mut self.repeat_petitions,
            CaseFigure::Visits => &mut self.visits,
            CaseFigure::OneVisit => &mut self.one_visit,
            CaseFigure::Accepted => &mut self.accepted,
            CaseFigure::AcceptedOnTime => &mut self.accepted_on_time,
            CaseFigure::Closed => &mut self.closed,
            CaseFigure::ClosedOnTime => &mut self.closed_on_time,
            CaseFigure::Satisfied => &mut self.satisfied,
            CaseFigure::Dissatisfied => &mut self.dissatisfied,
            CaseFigure::Unreachable => &mut self.unreachable,
            CaseFigure::Escalated => &mut self.escalated,
            CaseFigure::AssignedDown => &mut self.assigned_down,
            CaseFigure::Overdue => &mut self.overdue,
            CaseFigure::PetitionerSatisfied => &mut self.petitioner_satisfied,
            CaseFigure::PetitionerDissatisfied => &mut self.petitioner_dissatisfied,
        };
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_show_every_category_and_their_shares() {
        let tally = Tally {
            expected: 8,
            received: 6,
            on_time: 5,
            late: 1,
            zero_reports: 3,
            disputes: 4,
            ..Tally::default()
        };
        let figures = Figures::of(&tally, 2);
        assert_eq!(figures.missing, 2);
        assert_eq!(figures.by_category.len(), DisputeCategory::ALL.len());
        assert_eq!(figures.wage_arrears.employers, 2);
        let rates = figures.rates();
        assert_eq!((rates.completeness_percent, rates.zero_share_percent), (75.0, 50.0));
        let json = serde_json::to_value(&figures).unwrap();
        assert_eq!(json["by_category"]["wage_arrears"], 0);
        assert_eq!(json["missing"], 2);
    }

    #[test]
    fn case_rates_divide_safely() {
        let figures = CaseFigures::of(CaseCounts { closed: 4, closed_on_time: 3, ..CaseCounts::default() });
        assert_eq!((figures.on_time_closure_rate, figures.satisfaction_rate), (75.0, 0.0));
        let json = serde_json::to_value(figures).unwrap();
        assert_eq!(json["closed"], 4);
        assert_eq!(json["on_time_closure_rate"], 75.0);
    }
}
