//! Read models: what every face shows of the figures. The gRPC answers,
//! the CLI's tables and `--json`, and the web dashboard all show these
//! values, computed once here from what the store returns (store rows in,
//! domain values out; no wire types).
//!
//! - [`figures`]: a tally as it is shown ([`Figures`]), its shares
//!   ([`Rates`]), and the case ledger's figures ([`CaseCounts`] →
//!   [`CaseFigures`]);
//! - [`summary`]: the weekly (or period) summary of a subtree with the
//!   ranked scorecard of its children ([`Summary::assemble`]);
//! - [`completeness`]: who has reported for one day, who is late, who is
//!   missing ([`Completeness::of`]);
//! - [`trend`]: a subtree's figures week by week ([`Trend`]);
//! - [`case`]: a case as it stands ([`CaseRecord`]), its log
//!   ([`EventRecord`]) and the petitioner where allowed ([`CaseFile`]).
//!
//! Every type derives `serde::Serialize` with stable field names: that is
//! the one JSON of the CLI's `--json` and of the dashboard. Instants are
//! [`Moment`]s, which carry the zone they are shown in; a face calls
//! `in_zone` with the deployment's zone before it shows them, and JSON
//! writes them as RFC 3339 to the second with that zone's offset.

pub mod case;
pub mod completeness;
pub mod figures;
pub mod summary;
pub mod trend;

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

pub use case::{
    CaseFile, CaseRecord, Change, EventRecord, IntakeRecord, PetitionerRecord, RepeatRecord,
    SupervisionRecord,
};
pub use completeness::{Completeness, LateReport, UnitRef};
pub use figures::{CaseCounts, CaseFigure, CaseFigures, Figures, Rates, WageFigures};
pub use summary::{Child, DayRange, Freshness, ScorecardPlace, ScorecardRow, Summary, SummaryHead};
pub use trend::{Trend, WeekPoint};

/// An instant and the zone it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(DateTime<Tz>);

impl Moment {
    /// `at`, shown in UTC until a face says otherwise.
    pub fn utc(at: DateTime<Utc>) -> Moment {
        Moment(at.with_timezone(&Tz::UTC))
    }

    /// The same instant, shown in `zone`.
    pub fn in_zone(self, zone: Tz) -> Moment {
        Moment(self.0.with_timezone(&zone))
    }

    /// The instant.
    pub fn instant(self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// `2026-11-27 17:42:10`: as a person in the zone reads it (no offset,
    /// no fractions of a second).
    pub fn for_people(self) -> String {
        self.0.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// `2026-11-27T17:42:10+08:00`: for programs (RFC 3339, the zone's
    /// offset, seconds).
    pub fn for_machines(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

impl From<DateTime<Utc>> for Moment {
    fn from(at: DateTime<Utc>) -> Moment {
        Moment::utc(at)
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.for_machines())
    }
}

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.for_machines())
    }
}

/// Serializes a value by its `Display` (an ISO week as `2026-W48`).
pub(crate) fn display<T: fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Serializes an optional value by its `Display`, `null` when absent.
pub(crate) fn display_option<T: fmt::Display, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(value),
        None => serializer.serialize_none(),
    }
}

/// A share in percent, 0 when the whole is 0 (the wire's convention; the
/// assessment says "not applicable" instead, see `crate::assessment`).
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// An amount in fen as yuan with two decimals and thousands separators:
/// `1,234,567.89` (every face shows amounts so).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// An amount in yuan with at most two decimals (`36000`, `120.50`), in
/// fen: what every face reads an amount from (the CLI's flags, the
/// dashboard's forms).
pub fn parse_yuan(value: &str) -> Result<i64, String> {
    let bad = || format!("{value:?}: expected an amount in yuan like 36000 or 120.50");
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|f| f.checked_add(fraction)).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_show_in_their_zone() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T09:42:10.123456789Z").unwrap().with_timezone(&Utc);
        let moment = Moment::utc(at);
        assert_eq!(moment.for_machines(), "2026-11-27T09:42:10+00:00");
        let shanghai = moment.in_zone(chrono_tz::Asia::Shanghai);
        assert_eq!(shanghai.for_machines(), "2026-11-27T17:42:10+08:00");
        assert_eq!(shanghai.for_people(), "2026-11-27 17:42:10");
        assert_eq!(shanghai.instant(), at);
        assert_eq!(serde_json::to_string(&shanghai).unwrap(), "\"2026-11-27T17:42:10+08:00\"");
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(1, 0), 0.0);
    }

    #[test]
    fn amounts_in_yuan() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(7), "0.07");
        assert_eq!(yuan(3_600_000), "36,000.00");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-100_050), "-1,000.50");
        assert_eq!(yuan(-5), "-0.05");
    }
}
