//! The weekly (or period) resolution summary of a unit's subtree: its
//! totals, case figures and the scorecard of its child units, ranked by the
//! accountability assessment ([`crate::assessment`]).
//!
//! The node reads the stored tallies, case counts and child syncs and hands
//! them to [`Summary::assemble`], which does everything else: figures,
//! shares, assessments, ranks and the order of the rows.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::figures::{CaseCounts, CaseFigures, Figures, Rates};
use super::{Moment, display_option};
use crate::assessment::{self, Assessment, Performance, Weights};
use crate::report::DisputeOutcome;
use crate::tally::Tally;
use crate::time::IsoWeek;
use crate::unit::{Tier, UnitId};

/// A summary of a subtree over a range of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub tier: Tier,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    /// The last due day counted; none when no day of the range is due yet.
    pub through_date: Option<NaiveDate>,
    /// Set on a weekly summary.
    #[serde(serialize_with = "display_option")]
    pub iso_week: Option<IsoWeek>,
    pub computed_at: Moment,
    /// Of the child units, the share whose figures have arrived here.
    pub arrived_percent: f64,
    pub totals: Figures,
    pub rates: Rates,
    pub cases: CaseFigures,
    /// When the case figures are judged: the end of the range, or the
    /// time of reading while the range runs.
    pub cases_as_of: Moment,
    pub cases_provisional: bool,
    /// The scorecard, best first.
    pub children: Vec<ScorecardRow>,
}

/// One child unit's row of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardRow {
    pub unit_id: UnitId,
    pub name: String,
    /// None for a unit the tree no longer names.
    pub tier: Option<Tier>,
    /// The days it was a child here, when not the whole counted range.
    pub days: Vec<DayRange>,
    pub tally: Figures,
    pub rates: Rates,
    pub cases: CaseFigures,
    /// 1 = best; ranks run 1, 2, 3, … without shared places.
    pub rank: u32,
    pub assessment: Assessment,
    pub freshness: Freshness,
}

/// A unit's place in the scorecard of the unit above it (`fengqiao drill
/// --figure rank`): its row, and how many rows the scorecard has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardPlace {
    pub parent_unit_id: UnitId,
    pub rows: u32,
    pub row: ScorecardRow,
}

impl ScorecardPlace {
    /// `unit`'s place in `scorecard` (a summary of its parent); none when
    /// it has no row there.
    pub fn of(unit: &UnitId, scorecard: &Summary) -> Option<ScorecardPlace> {
        let row = scorecard.children.iter().find(|row| &row.unit_id == unit)?;
        Some(ScorecardPlace {
            parent_unit_id: scorecard.unit_id.clone(),
            rows: u32::try_from(scorecard.children.len()).unwrap_or(u32::MAX),
            row: row.clone(),
        })
    }

    /// The same place with its instants shown in `zone`.
    pub fn in_zone(mut self, zone: Tz) -> ScorecardPlace {
        self.row.freshness = self.row.freshness.in_zone(zone);
        self
    }
}

/// A range of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
}

/// How fresh a child unit's figures are here: served here (`served_by`
/// none), or by a child node whose last push said how far it had synced.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Freshness {
    pub served_by: Option<String>,
    pub last_sync: Option<Moment>,
    pub synced_through: Option<Moment>,
    /// The range's data up to its last cut-off have arrived.
    pub arrived: bool,
}

impl Freshness {
    /// A unit this node serves itself.
    pub fn served_here() -> Freshness {
        Freshness { arrived: true, ..Freshness::default() }
    }

    /// The same freshness with its instants shown in `zone`.
    pub fn in_zone(self, zone: Tz) -> Freshness {
        Freshness {
            last_sync: self.last_sync.map(|m| m.in_zone(zone)),
            synced_through: self.synced_through.map(|m| m.in_zone(zone)),
            ..self
        }
    }
}

/// What a summary says of itself, before any figure.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryHead {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub tier: Tier,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub iso_week: Option<IsoWeek>,
    pub computed_at: Moment,
    pub cases_as_of: Moment,
    pub cases_provisional: bool,
}

/// What the store gave for one child unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub unit_id: UnitId,
    pub name: String,
    pub tier: Option<Tier>,
    /// The days it was a child here, when not the whole counted range.
    pub days: Vec<DayRange>,
    /// Its stored tally over those days, `expected` filled in.
    pub tally: Tally,
    pub cases: CaseCounts,
    pub freshness: Freshness,
}

/// The counted part of a summary: through which due day, the subtree's
/// tally (`expected` filled in) and distinct employers, and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub through: NaiveDate,
    pub totals: Tally,
    pub employers: i64,
    pub children: Vec<Child>,
}

impl Summary {
    /// The summary: `counted` is none when no day of the range is due yet
    /// (no totals, no scorecard).
    pub fn assemble(
        head: SummaryHead,
        cases: CaseCounts,
        counted: Option<Counted>,
        weights: &Weights,
    ) -> Summary {
        let mut summary = Summary {
            unit_id: head.unit_id,
            unit_name: head.unit_name,
            tier: head.tier,
            from_date: head.from_date,
            to_date: head.to_date,
            through_date: None,
            iso_week: head.iso_week,
            computed_at: head.computed_at,
            arrived_percent: 0.0,
            totals: Figures::of(&Tally::default(), 0),
            rates: Rates::default(),
            cases: CaseFigures::of(cases),
            cases_as_of: head.cases_as_of,
            cases_provisional: head.cases_provisional,
            children: Vec::new(),
        };
        let Some(counted) = counted else { return summary };
        summary.through_date = Some(counted.through);
        summary.totals = Figures::of(&counted.totals, counted.employers);
        summary.rates = summary.totals.rates();
        let arrived = counted.children.iter().filter(|c| c.freshness.arrived).count();
        summary.arrived_percent = if counted.children.is_empty() {
            100.0
        } else {
            100.0 * arrived as f64 / counted.children.len() as f64
        };
        summary.children = scorecard(counted.children, weights);
        summary
    }

    /// The same summary with its instants shown in `zone`.
    pub fn in_zone(mut self, zone: Tz) -> Summary {
        self.computed_at = self.computed_at.in_zone(zone);
        self.cases_as_of = self.cases_as_of.in_zone(zone);
        for row in &mut self.children {
            row.freshness = row.freshness.clone().in_zone(zone);
        }
        self
    }
}

/// What the accountability assessment reads of a row: its reports' tally
/// and its case figures.
pub fn performance(tally: &Tally, cases: &CaseCounts) -> Performance {
    let count = |value: i64| u64::try_from(value).unwrap_or(0);
    Performance {
        expected: count(tally.expected),
        received: count(tally.received),
        on_time: count(tally.on_time),
        disputes: count(tally.disputes),
        resolved_on_the_spot: count(tally.outcome(DisputeOutcome::ResolvedOnTheSpot)),
        accepted: cases.accepted,
        accepted_on_time: cases.accepted_on_time,
        closed: cases.closed,
        closed_on_time: cases.closed_on_time,
        registered: cases.registered,
        repeat_petitions: cases.repeat_petitions,
        satisfied: cases.satisfied,
        dissatisfied: cases.dissatisfied,
    }
}

/// The rows of `children`, assessed, ranked and sorted best first.
fn scorecard(children: Vec<Child>, weights: &Weights) -> Vec<ScorecardRow> {
    let assessed: Vec<(UnitId, Assessment)> = children
        .iter()
        .map(|c| (c.unit_id.clone(), Assessment::of(&performance(&c.tally, &c.cases), weights)))
        .collect();
    let ranks = assessment::ranks(&assessed);
    let mut rows: Vec<ScorecardRow> = children
        .into_iter()
        .zip(assessed)
        .zip(ranks)
        .map(|((child, (_, assessment)), rank)| {
            let tally = Figures::of(&child.tally, 0);
            ScorecardRow {
                unit_id: child.unit_id,
                name: child.name,
                tier: child.tier,
                days: child.days,
                rates: tally.rates(),
                tally,
                cases: CaseFigures::of(child.cases),
                rank,
                assessment,
                freshness: child.freshness,
            }
        })
        .collect();
    rows.sort_by_key(|row| row.rank);
    rows
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn id(s: &str) -> UnitId {
        UnitId::parse(s).unwrap()
    }

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn head() -> SummaryHead {
        let at: DateTime<Utc> = "2026-11-28T00:00:00Z".parse().unwrap();
        SummaryHead {
            unit_id: id("410411001"),
            unit_name: "马庄街道".into(),
            tier: Tier::Township,
            from_date: d(23),
            to_date: d(29),
            iso_week: Some(IsoWeek::of(d(23))),
            computed_at: Moment::utc(at),
            cases_as_of: Moment::utc(at),
            cases_provisional: true,
        }
    }

    fn child(unit: &str, expected: i64, received: i64, arrived: bool) -> Child {
        Child {
            unit_id: id(unit),
            name: unit.into(),
            tier: Some(Tier::Community),
            days: Vec::new(),
            tally: Tally { expected, received, on_time: received, ..Tally::default() },
            cases: CaseCounts::default(),
            freshness: Freshness { arrived, ..Freshness::default() },
        }
    }

    #[test]
    fn nothing_due_has_no_totals_and_no_scorecard() {
        let summary = Summary::assemble(head(), CaseCounts::default(), None, &Weights::default());
        assert_eq!(summary.through_date, None);
        assert!(summary.children.is_empty());
        assert_eq!(summary.arrived_percent, 0.0);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["through_date"], serde_json::Value::Null);
        assert_eq!(json["iso_week"], "2026-W48");
        assert_eq!(json["tier"], "township");
    }

    #[test]
    fn children_are_ranked_and_sorted_best_first() {
        let counted = Counted {
            through: d(27),
            totals: Tally { expected: 10, received: 9, ..Tally::default() },
            employers: 1,
            children: vec![child("410411001002", 5, 4, false), child("410411001001", 5, 5, true)],
        };
        let summary = Summary::assemble(head(), CaseCounts::default(), Some(counted), &Weights::default());
        let order: Vec<(&str, u32)> = summary.children.iter().map(|r| (r.unit_id.as_str(), r.rank)).collect();
        assert_eq!(order, [("410411001001", 1), ("410411001002", 2)]);
        assert_eq!(summary.arrived_percent, 50.0);
        assert_eq!(summary.rates.completeness_percent, 90.0);
        assert_eq!(summary.totals.wage_arrears.employers, 1);
        assert_eq!(summary.children[1].tally.missing, 1);
        let json = serde_json::to_value(summary.in_zone(chrono_tz::Asia::Shanghai)).unwrap();
        assert_eq!(json["computed_at"], "2026-11-28T08:00:00+08:00");
        assert_eq!(json["children"][0]["freshness"]["served_by"], serde_json::Value::Null);
        let closure = &json["children"][0]["assessment"]["components"][4];
        assert_eq!(closure["component"], "on_time_closure");
        assert_eq!((closure["part"].clone(), closure["whole"].clone()), (0.into(), 0.into()));
        assert_eq!(closure["percent"], serde_json::Value::Null, "not applicable");
    }
}
