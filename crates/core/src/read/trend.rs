//! A subtree's figures week by week.

use serde::Serialize;

use super::display;
use super::figures::{Figures, Rates};
use crate::tally::Tally;
use crate::time::IsoWeek;
use crate::unit::UnitId;

/// A unit's subtree, week by week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub unit_id: UnitId,
    pub weeks: Vec<WeekPoint>,
}

/// One week of a trend: its figures through the last due day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    #[serde(serialize_with = "display")]
    pub iso_week: IsoWeek,
    pub tally: Figures,
    pub rates: Rates,
}

impl WeekPoint {
    /// The week's point from its tally (`expected` filled in).
    pub fn of(iso_week: IsoWeek, tally: &Tally) -> WeekPoint {
        let tally = Figures::of(tally, 0);
        WeekPoint { iso_week, rates: tally.rates(), tally }
    }

    /// Nothing was expected or received: a week before the first report.
    pub fn is_empty(&self) -> bool {
        self.tally.expected == 0 && self.tally.received == 0
    }
}
