//! The read models of `fengqiao_core::read` on the wire: `From` a domain
//! value to its message (the node's answers), `TryFrom` a message back to
//! the domain value (a client's reading of them: the CLI renders and
//! writes its JSON from the domain values, never from the messages).

use fengqiao_core::read::{
    CaseCounts, CaseFigures, Completeness, DayRange, Figures, Freshness, LateReport, Moment, Rates,
    ScorecardPlace, ScorecardRow, Summary, Trend, UnitRef, WageFigures, WeekPoint,
};
use fengqiao_core::{DisputeCategory, DisputeOutcome, DomainError, IsoWeek, Tier, UnitId};

use crate::enums::WireEnum;
use crate::scalars::parse_optional_date;
use crate::{
    convert_at, convert_each, from_timestamp, parse_date, parse_unit_id, pb, required_at, timestamp,
};

fn moment(at: Moment) -> Option<prost_types::Timestamp> {
    Some(timestamp(at.instant()))
}

fn wire_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl From<&Figures> for pb::Tally {
    fn from(f: &Figures) -> Self {
        let w = &f.wage_arrears;
        pb::Tally {
            expected: f.expected,
            received: f.received,
            on_time: f.on_time,
            late: f.late,
            missing: f.missing,
            zero_reports: f.zero_reports,
            disputes: f.disputes,
            parties: f.parties,
            by_category: DisputeCategory::ALL
                .iter()
                .map(|&c| pb::CategoryCount {
                    category: pb::DisputeCategory::from(c).into(),
                    disputes: f.category(c),
                })
                .collect(),
            by_outcome: DisputeOutcome::ALL
                .iter()
                .map(|&o| pb::OutcomeCount {
                    outcome: pb::DisputeOutcome::from(o).into(),
                    disputes: f.outcome(o),
                })
                .collect(),
            wage_arrears: Some(pb::WageFigures {
                disputes: w.disputes,
                resolved: w.resolved,
                workers: w.workers,
                amount_claimed_cents: w.amount_claimed_cents,
                amount_recovered_cents: w.amount_recovered_cents,
                employers: w.employers,
            }),
        }
    }
}

impl TryFrom<pb::Tally> for Figures {
    type Error = DomainError;

    fn try_from(t: pb::Tally) -> Result<Self, DomainError> {
        let mut figures = Figures {
            expected: t.expected,
            received: t.received,
            on_time: t.on_time,
            late: t.late,
            missing: t.missing,
            zero_reports: t.zero_reports,
            disputes: t.disputes,
            parties: t.parties,
            by_category: DisputeCategory::ALL.iter().map(|&c| (c, 0)).collect(),
            by_outcome: DisputeOutcome::ALL.iter().map(|&o| (o, 0)).collect(),
            wage_arrears: WageFigures::default(),
        };
        for c in t.by_category {
            *figures
                .by_category
                .entry(DisputeCategory::from_wire(c.category, "by_category")?)
                .or_default() += c.disputes;
        }
        for o in t.by_outcome {
            *figures.by_outcome.entry(DisputeOutcome::from_wire(o.outcome, "by_outcome")?).or_default() +=
                o.disputes;
        }
        if let Some(w) = t.wage_arrears {
            figures.wage_arrears = WageFigures {
                disputes: w.disputes,
                resolved: w.resolved,
                workers: w.workers,
                amount_claimed_cents: w.amount_claimed_cents,
                amount_recovered_cents: w.amount_recovered_cents,
                employers: w.employers,
            };
        }
        Ok(figures)
    }
}

impl From<&Rates> for pb::Rates {
    fn from(r: &Rates) -> Self {
        pb::Rates {
            completeness_percent: r.completeness_percent,
            timeliness_percent: r.timeliness_percent,
            zero_share_percent: r.zero_share_percent,
            resolved_on_the_spot_percent: r.resolved_on_the_spot_percent,
        }
    }
}

impl From<pb::Rates> for Rates {
    fn from(r: pb::Rates) -> Self {
        Rates {
            completeness_percent: r.completeness_percent,
            timeliness_percent: r.timeliness_percent,
            zero_share_percent: r.zero_share_percent,
            resolved_on_the_spot_percent: r.resolved_on_the_spot_percent,
        }
    }
}

impl From<&CaseFigures> for pb::CaseFigures {
    fn from(f: &CaseFigures) -> Self {
        let c = &f.counts;
        pb::CaseFigures {
            registered: wire_count(c.registered),
            closed: wire_count(c.closed),
            closed_on_time: wire_count(c.closed_on_time),
            overdue: wire_count(c.overdue),
            escalated: wire_count(c.escalated),
            repeat_petitions: wire_count(c.repeat_petitions),
            accepted: wire_count(c.accepted),
            accepted_on_time: wire_count(c.accepted_on_time),
            assigned_down: wire_count(c.assigned_down),
            satisfied: wire_count(c.satisfied),
            dissatisfied: wire_count(c.dissatisfied),
            unreachable: wire_count(c.unreachable),
            visits: wire_count(c.visits),
            one_visit: wire_count(c.one_visit),
            on_time_closure_rate: f.on_time_closure_rate,
            satisfaction_rate: f.satisfaction_rate,
            one_visit_rate: f.one_visit_rate,
            repeat_rate: f.repeat_rate,
            petitioner_satisfied: wire_count(c.petitioner_satisfied),
            petitioner_dissatisfied: wire_count(c.petitioner_dissatisfied),
            petitioner_satisfaction_rate: f.petitioner_satisfaction_rate,
        }
    }
}

impl From<pb::CaseFigures> for CaseFigures {
    fn from(f: pb::CaseFigures) -> Self {
        CaseFigures {
            counts: CaseCounts {
                registered: count(f.registered),
                repeat_petitions: count(f.repeat_petitions),
                visits: count(f.visits),
                one_visit: count(f.one_visit),
                accepted: count(f.accepted),
                accepted_on_time: count(f.accepted_on_time),
                closed: count(f.closed),
                closed_on_time: count(f.closed_on_time),
                satisfied: count(f.satisfied),
                dissatisfied: count(f.dissatisfied),
                unreachable: count(f.unreachable),
                escalated: count(f.escalated),
                assigned_down: count(f.assigned_down),
                overdue: count(f.overdue),
                petitioner_satisfied: count(f.petitioner_satisfied),
                petitioner_dissatisfied: count(f.petitioner_dissatisfied),
            },
            on_time_closure_rate: f.on_time_closure_rate,
            satisfaction_rate: f.satisfaction_rate,
            one_visit_rate: f.one_visit_rate,
            repeat_rate: f.repeat_rate,
            petitioner_satisfaction_rate: f.petitioner_satisfaction_rate,
        }
    }
}

impl From<&Freshness> for pb::ChildFreshness {
    fn from(f: &Freshness) -> Self {
        pb::ChildFreshness {
            served_by: f.served_by.clone().unwrap_or_default(),
            last_sync: f.last_sync.and_then(moment),
            synced_through: f.synced_through.and_then(moment),
            arrived: f.arrived,
        }
    }
}

impl TryFrom<pb::ChildFreshness> for Freshness {
    type Error = DomainError;

    fn try_from(f: pb::ChildFreshness) -> Result<Self, DomainError> {
        let at = |value: Option<prost_types::Timestamp>, field: &str| {
            value.map(|t| from_timestamp(Some(t), field).map(Moment::utc)).transpose()
        };
        Ok(Freshness {
            served_by: (!f.served_by.is_empty()).then_some(f.served_by),
            last_sync: at(f.last_sync, "last_sync")?,
            synced_through: at(f.synced_through, "synced_through")?,
            arrived: f.arrived,
        })
    }
}

impl TryFrom<pb::DayRange> for DayRange {
    type Error = DomainError;

    fn try_from(r: pb::DayRange) -> Result<Self, DomainError> {
        Ok(DayRange {
            from_date: parse_date(&r.from_date, "from_date")?,
            to_date: parse_date(&r.to_date, "to_date")?,
        })
    }
}

/// An optional message field converted with [`convert_at`] at `field`; the
/// default when absent.
fn convert_or_default<M, T>(message: Option<M>, field: &str) -> Result<T, DomainError>
where
    T: TryFrom<M, Error = DomainError> + Default,
{
    Ok(message.map(|message| convert_at(message, field)).transpose()?.unwrap_or_default())
}

impl From<&ScorecardRow> for pb::ScorecardRow {
    fn from(row: &ScorecardRow) -> Self {
        pb::ScorecardRow {
            unit_id: row.unit_id.to_string(),
            name: row.name.clone(),
            tier: row.tier.map(|t| pb::Tier::from(t).into()).unwrap_or_default(),
            days: row
                .days
                .iter()
                .map(|d| pb::DayRange { from_date: d.from_date.to_string(), to_date: d.to_date.to_string() })
                .collect(),
            tally: Some(pb::Tally::from(&row.tally)),
            rates: Some(pb::Rates::from(&row.rates)),
            cases: Some(pb::CaseFigures::from(&row.cases)),
            freshness: Some(pb::ChildFreshness::from(&row.freshness)),
            rank: row.rank,
            assessment: Some(pb::Assessment::from(&row.assessment)),
        }
    }
}

impl TryFrom<pb::ScorecardRow> for ScorecardRow {
    type Error = DomainError;

    fn try_from(row: pb::ScorecardRow) -> Result<Self, DomainError> {
        Ok(ScorecardRow {
            unit_id: parse_unit_id(&row.unit_id, "unit_id")?,
            name: row.name,
            tier: if row.tier == 0 { None } else { Some(Tier::from_wire(row.tier, "tier")?) },
            days: convert_each(row.days, "days")?,
            tally: convert_or_default(row.tally, "tally")?,
            rates: row.rates.map(Rates::from).unwrap_or_default(),
            cases: row.cases.map(CaseFigures::from).unwrap_or_default(),
            rank: row.rank,
            assessment: required_at(row.assessment, "assessment")?,
            freshness: convert_or_default(row.freshness, "freshness")?,
        })
    }
}

impl From<&ScorecardPlace> for pb::ScorecardPlace {
    fn from(place: &ScorecardPlace) -> Self {
        pb::ScorecardPlace {
            parent_unit_id: place.parent_unit_id.to_string(),
            row: Some(pb::ScorecardRow::from(&place.row)),
            rows: place.rows,
        }
    }
}

impl TryFrom<pb::ScorecardPlace> for ScorecardPlace {
    type Error = DomainError;

    fn try_from(place: pb::ScorecardPlace) -> Result<Self, DomainError> {
        Ok(ScorecardPlace {
            parent_unit_id: parse_unit_id(&place.parent_unit_id, "parent_unit_id")?,
            rows: place.rows,
            row: required_at(place.row, "row")?,
        })
    }
}

impl From<&Summary> for pb::Summary {
    fn from(s: &Summary) -> Self {
        pb::Summary {
            unit_id: s.unit_id.to_string(),
            unit_name: s.unit_name.clone(),
            tier: pb::Tier::from(s.tier).into(),
            from_date: s.from_date.to_string(),
            to_date: s.to_date.to_string(),
            through_date: s.through_date.map(|d| d.to_string()).unwrap_or_default(),
            iso_week: s.iso_week.map(|w| w.to_string()).unwrap_or_default(),
            totals: Some(pb::Tally::from(&s.totals)),
            rates: Some(pb::Rates::from(&s.rates)),
            cases: Some(pb::CaseFigures::from(&s.cases)),
            children: s.children.iter().map(pb::ScorecardRow::from).collect(),
            computed_at: moment(s.computed_at),
            arrived_percent: s.arrived_percent,
            cases_as_of: moment(s.cases_as_of),
            cases_provisional: s.cases_provisional,
        }
    }
}

impl TryFrom<pb::Summary> for Summary {
    type Error = DomainError;

    fn try_from(s: pb::Summary) -> Result<Self, DomainError> {
        Ok(Summary {
            unit_id: parse_unit_id(&s.unit_id, "unit_id")?,
            unit_name: s.unit_name,
            tier: Tier::from_wire(s.tier, "tier")?,
            from_date: parse_date(&s.from_date, "from_date")?,
            to_date: parse_date(&s.to_date, "to_date")?,
            through_date: parse_optional_date(&s.through_date, "through_date")?,
            iso_week: if s.iso_week.is_empty() {
                None
            } else {
                Some(IsoWeek::parse(&s.iso_week, "iso_week")?)
            },
            computed_at: Moment::utc(from_timestamp(s.computed_at, "computed_at")?),
            arrived_percent: s.arrived_percent,
            totals: convert_or_default(s.totals, "totals")?,
            rates: s.rates.map(Rates::from).unwrap_or_default(),
            cases: s.cases.map(CaseFigures::from).unwrap_or_default(),
            cases_as_of: Moment::utc(from_timestamp(s.cases_as_of, "cases_as_of")?),
            cases_provisional: s.cases_provisional,
            children: convert_each(s.children, "children")?,
        })
    }
}

impl From<&UnitRef> for pb::UnitRef {
    fn from(u: &UnitRef) -> Self {
        pb::UnitRef {
            unit_id: u.unit_id.to_string(),
            name: u.name.clone(),
            parent_id: u.parent_id.as_ref().map(UnitId::to_string).unwrap_or_default(),
            parent_name: u.parent_name.clone().unwrap_or_default(),
        }
    }
}

impl TryFrom<pb::UnitRef> for UnitRef {
    type Error = DomainError;

    fn try_from(u: pb::UnitRef) -> Result<Self, DomainError> {
        Ok(UnitRef {
            unit_id: parse_unit_id(&u.unit_id, "unit_id")?,
            name: u.name,
            parent_id: if u.parent_id.is_empty() {
                None
            } else {
                Some(parse_unit_id(&u.parent_id, "parent_id")?)
            },
            parent_name: (!u.parent_name.is_empty()).then_some(u.parent_name),
        })
    }
}

impl From<&Completeness> for pb::CompletenessResponse {
    fn from(c: &Completeness) -> Self {
        pb::CompletenessResponse {
            unit_id: c.unit_id.to_string(),
            date: c.date.to_string(),
            cutoff: moment(c.cutoff),
            due: c.due,
            expected: c.expected,
            received: c.received,
            on_time: c.on_time,
            missing: c.missing.iter().map(pb::UnitRef::from).collect(),
            late: c
                .late
                .iter()
                .map(|l| pb::LateReport {
                    unit: Some(pb::UnitRef::from(&l.unit)),
                    first_accepted_at: moment(l.first_accepted_at),
                })
                .collect(),
        }
    }
}

impl TryFrom<pb::CompletenessResponse> for Completeness {
    type Error = DomainError;

    fn try_from(c: pb::CompletenessResponse) -> Result<Self, DomainError> {
        Ok(Completeness {
            unit_id: parse_unit_id(&c.unit_id, "unit_id")?,
            date: parse_date(&c.date, "date")?,
            cutoff: Moment::utc(from_timestamp(c.cutoff, "cutoff")?),
            due: c.due,
            expected: c.expected,
            received: c.received,
            on_time: c.on_time,
            missing: convert_each(c.missing, "missing")?,
            late: convert_each(c.late, "late")?,
        })
    }
}

impl TryFrom<pb::LateReport> for LateReport {
    type Error = DomainError;

    fn try_from(l: pb::LateReport) -> Result<Self, DomainError> {
        Ok(LateReport {
            unit: required_at(l.unit, "unit")?,
            first_accepted_at: Moment::utc(from_timestamp(l.first_accepted_at, "first_accepted_at")?),
        })
    }
}

impl From<&Trend> for pb::TrendResponse {
    fn from(t: &Trend) -> Self {
        pb::TrendResponse {
            unit_id: t.unit_id.to_string(),
            weeks: t
                .weeks
                .iter()
                .map(|w| pb::WeekPoint {
                    iso_week: w.iso_week.to_string(),
                    tally: Some(pb::Tally::from(&w.tally)),
                    rates: Some(pb::Rates::from(&w.rates)),
                })
                .collect(),
        }
    }
}

impl TryFrom<pb::TrendResponse> for Trend {
    type Error = DomainError;

    fn try_from(t: pb::TrendResponse) -> Result<Self, DomainError> {
        Ok(Trend { unit_id: parse_unit_id(&t.unit_id, "unit_id")?, weeks: convert_each(t.weeks, "weeks")? })
    }
}

impl TryFrom<pb::WeekPoint> for WeekPoint {
    type Error = DomainError;

    fn try_from(w: pb::WeekPoint) -> Result<Self, DomainError> {
        Ok(WeekPoint {
            iso_week: IsoWeek::parse(&w.iso_week, "iso_week")?,
            tally: convert_or_default(w.tally, "tally")?,
            rates: w.rates.map(Rates::from).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use fengqiao_core::assessment::Weights;
    use fengqiao_core::read::summary::{Child, Counted, SummaryHead};
    use fengqiao_core::{Tally, Tier};

    use super::*;

    #[test]
    fn a_summary_reads_back_as_it_was_sent() {
        let at: DateTime<Utc> = "2026-11-28T00:00:00Z".parse().unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let head = SummaryHead {
            unit_id: UnitId::parse("410411001").unwrap(),
            unit_name: "马庄街道".into(),
            tier: Tier::Township,
            from_date: day(23),
            to_date: day(29),
            iso_week: Some(IsoWeek::of(day(23))),
            computed_at: Moment::utc(at),
            cases_as_of: Moment::utc(at),
            cases_provisional: true,
        };
        let mut tally =
            Tally { expected: 4, received: 3, on_time: 2, late: 1, disputes: 2, ..Tally::default() };
        tally.by_category[0] = 2;
        let counted = Counted {
            through: day(27),
            totals: tally,
            employers: 1,
            children: vec![Child {
                unit_id: UnitId::parse("410411001001").unwrap(),
                name: "电力社区".into(),
                tier: Some(Tier::Community),
                days: vec![DayRange { from_date: day(24), to_date: day(27) }],
                tally,
                cases: CaseCounts { closed: 2, closed_on_time: 1, ..CaseCounts::default() },
                freshness: Freshness {
                    served_by: Some("410411001001".into()),
                    last_sync: Some(Moment::utc(at)),
                    synced_through: None,
                    arrived: true,
                },
            }],
        };
        let summary = Summary::assemble(head, CaseCounts::default(), Some(counted), &Weights::default());
        let wire = pb::Summary::from(&summary);
        assert_eq!(Summary::try_from(wire).unwrap(), summary);
        let completeness_wire =
            pb::CompletenessResponse { unit_id: "x".into(), date: "2026-11-27".into(), ..Default::default() };
        assert!(Completeness::try_from(completeness_wire).is_err(), "a cut-off is required");
    }
}
