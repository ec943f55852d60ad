//! Who has reported for one day under a unit, who was late and who is
//! missing (the zero-report system's daily check, and the alert a
//! watcher receives at each cut-off).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::Moment;
use crate::time::TimePolicy;
use crate::unit::UnitId;

/// One day's reporting under a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    pub unit_id: UnitId,
    pub date: NaiveDate,
    /// The day's cut-off.
    pub cutoff: Moment,
    /// The cut-off has passed.
    pub due: bool,
    pub expected: i64,
    pub received: i64,
    pub on_time: i64,
    /// Expected, not received: by the dated tree's order.
    pub missing: Vec<UnitRef>,
    /// Received after the cut-off.
    pub late: Vec<LateReport>,
}

/// A unit with its parent on the day, as a list names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRef {
    pub unit_id: UnitId,
    pub name: String,
    pub parent_id: Option<UnitId>,
    pub parent_name: Option<String>,
}

/// A report received after its day's cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateReport {
    pub unit: UnitRef,
    pub first_accepted_at: Moment,
}

impl Completeness {
    /// The day `date` under `unit_id` at `now`: `expected` are the reporting
    /// units the dated tree expects, `received` when each report first
    /// arrived, `unit_ref` how a list names a unit.
    pub fn of(
        unit_id: UnitId,
        date: NaiveDate,
        policy: &TimePolicy,
        now: DateTime<Utc>,
        expected: &[&UnitId],
        received: &HashMap<UnitId, DateTime<Utc>>,
        unit_ref: impl Fn(&UnitId) -> UnitRef,
    ) -> Completeness {
        let cutoff = policy.cutoff_of(date);
        let mut day = Completeness {
            unit_id,
            date,
            cutoff: Moment::utc(cutoff),
            due: now >= cutoff,
            expected: expected.len() as i64,
            received: 0,
            on_time: 0,
            missing: Vec::new(),
            late: Vec::new(),
        };
        for &id in expected {
            match received.get(id) {
                None => day.missing.push(unit_ref(id)),
                Some(&at) => {
                    day.received += 1;
                    if policy.is_on_time(date, at) {
                        day.on_time += 1;
                    } else {
                        day.late.push(LateReport { unit: unit_ref(id), first_accepted_at: Moment::utc(at) });
                    }
                }
            }
        }
        day
    }

    /// The same day with its instants shown in `zone`.
    pub fn in_zone(mut self, zone: Tz) -> Completeness {
        self.cutoff = self.cutoff.in_zone(zone);
        for late in &mut self.late {
            late.first_accepted_at = late.first_accepted_at.in_zone(zone);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_late_and_on_time() {
        let policy = TimePolicy::default();
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let units: Vec<UnitId> = ["a1", "a2", "a3"].iter().map(|s| UnitId::parse(s).unwrap()).collect();
        let cutoff = policy.cutoff_of(date);
        let received = HashMap::from([
            (units[0].clone(), cutoff - chrono::Duration::hours(1)),
            (units[1].clone(), cutoff + chrono::Duration::hours(1)),
        ]);
        let named = |id: &UnitId| UnitRef {
            unit_id: id.clone(),
            name: id.to_string(),
            parent_id: None,
            parent_name: None,
        };
        let day = Completeness::of(
            UnitId::parse("a").unwrap(),
            date,
            &policy,
            cutoff,
            &units.iter().collect::<Vec<_>>(),
            &received,
            named,
        );
        assert!(day.due);
        assert_eq!((day.expected, day.received, day.on_time), (3, 2, 1));
        assert_eq!(day.missing[0].unit_id, units[2]);
        assert_eq!(day.late[0].unit.unit_id, units[1]);
        let json = serde_json::to_value(day.in_zone(policy.zone)).unwrap();
        assert_eq!(json["cutoff"], "2026-11-27T18:00:00+08:00");
        assert_eq!(json["date"], "2026-11-27");
    }
}
