//! `RollupState` both ways: the figures of one (unit, day) above the
//! summary boundary.

use std::collections::{BTreeMap, BTreeSet};

use fengqiao_core::case::CaseId;
use fengqiao_core::read::CaseFigure;
use fengqiao_core::summary_state::RollupState;
use fengqiao_core::tally::STORED_COUNTERS;
use fengqiao_core::{DomainError, Tally, why};

use crate::{parse_date, parse_unit_id, pb};

pub fn rollup_state_to_pb(state: &RollupState) -> pb::RollupState {
    pb::RollupState {
        unit_id: state.unit_id.to_string(),
        day: state.day.to_string(),
        version: state.version,
        counters: state.tally.stored().to_vec(),
        expected: state.tally.expected,
        employers: state
            .employers
            .iter()
            .map(|(key, reports)| pb::EmployerCount { key: key.clone(), reports: *reports })
            .collect(),
        cases: state
            .cases
            .iter()
            .map(|(figure, ids)| pb::CaseFigureKeys {
                figure: figure.name().to_owned(),
                case_ids: ids.iter().cloned().collect(),
            })
            .collect(),
    }
}

/// The state a wire item carries, every part checked: `field` names the item
/// (`items[3].rollup_state`) in a refusal.
pub fn rollup_state_from_pb(wire: pb::RollupState, field: &str) -> Result<RollupState, DomainError> {
    let unit_id = parse_unit_id(&wire.unit_id, &format!("{field}.unit_id"))?;
    let day = parse_date(&wire.day, &format!("{field}.day"))?;
    if wire.version == 0 {
        return Err(DomainError::invalid(format!("{field}.version"), why!(MUST_BE_SET, "must be set")));
    }
    let counters: [i64; STORED_COUNTERS] = wire.counters.as_slice().try_into().map_err(|_| {
        DomainError::invalid(
            format!("{field}.counters"),
            why!(
                COUNTERS_EXPECTED,
                "{count} counters; expected {expected}",
                count = wire.counters.len(),
                expected = STORED_COUNTERS
            ),
        )
    })?;
    if counters.iter().any(|n| *n < 0) || wire.expected < 0 {
        return Err(DomainError::invalid(
            format!("{field}.counters"),
            why!(NOT_NEGATIVE, "must not be negative"),
        ));
    }
    let mut tally = Tally::from_stored(counters);
    tally.expected = wire.expected;
    let mut employers = BTreeMap::new();
    for (i, employer) in wire.employers.into_iter().enumerate() {
        let at = format!("{field}.employers[{i}]");
        if employer.key.len() != 64
            || !employer.key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(DomainError::invalid(
                format!("{at}.key"),
                why!(EMPLOYER_KEY_SHAPE, "must be 64 lower-case hex digits (a key, never a name)"),
            ));
        }
        if employer.reports <= 0 {
            return Err(DomainError::invalid(
                format!("{at}.reports"),
                why!(MUST_BE_POSITIVE, "must be positive"),
            ));
        }
        if employers.insert(employer.key, employer.reports).is_some() {
            return Err(DomainError::invalid(format!("{at}.key"), why!(LISTED_TWICE, "listed twice")));
        }
    }
    let mut cases: BTreeMap<CaseFigure, BTreeSet<String>> = BTreeMap::new();
    for (i, keys) in wire.cases.into_iter().enumerate() {
        let at = format!("{field}.cases[{i}]");
        let figure = CaseFigure::parse(&keys.figure).ok_or_else(|| {
            DomainError::invalid(
                format!("{at}.figure"),
                why!(UNKNOWN_CASE_FIGURE, "unknown case figure {figure}", figure = keys.figure),
            )
        })?;
        let set = cases.entry(figure).or_default();
        for (j, id) in keys.case_ids.into_iter().enumerate() {
            let id = CaseId::parse_field(&id, &format!("{at}.case_ids[{j}]"))?;
            set.insert(id.as_str().to_owned());
        }
    }
    cases.retain(|_, ids| !ids.is_empty());
    Ok(RollupState { unit_id, day, version: wire.version, tally, employers, cases })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RollupState {
        let mut state = RollupState::empty(
            fengqiao_core::UnitId::parse("410411001").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        );
        state.version = 7;
        state.tally.received = 12;
        state.tally.on_time = 11;
        state.tally.late = 1;
        state.tally.expected = 14;
        state.employers.insert("ab".repeat(32), 2);
        state.cases.entry(CaseFigure::Registered).or_default().insert("410411001-20261130-0001".to_owned());
        state
    }

    #[test]
    fn a_state_round_trips() {
        let state = sample();
        let wire = rollup_state_to_pb(&state);
        assert_eq!(rollup_state_from_pb(wire, "s"), Ok(state));
    }

    #[test]
    fn malformed_states_are_refused_naming_the_field() {
        let refused = |edit: &dyn Fn(&mut pb::RollupState)| {
            let mut wire = rollup_state_to_pb(&sample());
            edit(&mut wire);
            match rollup_state_from_pb(wire, "s") {
                Err(DomainError::Invalid { field, .. }) => field,
                other => panic!("not refused: {other:?}"),
            }
        };
        assert_eq!(refused(&|w| w.counters.pop().map(drop).unwrap_or(())), "s.counters");
        assert_eq!(refused(&|w| w.counters[0] = -1), "s.counters");
        assert_eq!(refused(&|w| w.version = 0), "s.version");
        assert_eq!(refused(&|w| w.day = "2026-13-01".into()), "s.day");
        assert_eq!(refused(&|w| w.employers[0].key = "Acme Co.".into()), "s.employers[0].key");
        assert_eq!(refused(&|w| w.employers[0].reports = 0), "s.employers[0].reports");
        assert_eq!(refused(&|w| w.cases[0].figure = "nonsense".into()), "s.cases[0].figure");
    }
}
