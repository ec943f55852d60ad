//! Time as the deployment sees it: one zone, a daily cut-off, local calendar
//! dates, ISO weeks, and a clock that tests and the simulator can drive.

use crate::why;
use std::fmt;
use std::sync::Mutex;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Parses a `YYYY-MM-DD` date, naming `field` in the error.
pub fn parse_date(value: &str, field: &str) -> Result<NaiveDate, DomainError> {
    if value.is_empty() {
        return Err(DomainError::invalid(
            field,
            why!(MUST_NOT_BE_EMPTY_EXPECTED_YYYY, "must not be empty (expected YYYY-MM-DD)"),
        ));
    }
    // Exactly four digits, two and two: chrono's %Y alone also takes a sign
    // ("-009-09-08"), which would not read back as it is written.
    let canonical = value.len() == 10
        && value
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !canonical {
        return Err(DomainError::invalid(
            field,
            why!(
                NOT_DATE_EXPECTED_YYYY_MM_DD,
                "\"{value}\" is not a date (expected YYYY-MM-DD)",
                value = value
            ),
        ));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        DomainError::invalid(
            field,
            why!(
                NOT_DATE_EXPECTED_YYYY_MM_DD,
                "\"{value}\" is not a date (expected YYYY-MM-DD)",
                value = value
            ),
        )
    })
}

/// Where "now" comes from. Production uses [`SystemClock`]; tests and the
/// simulator use [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The deployment's zone and daily cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePolicy {
    pub zone: Tz,
    /// Reports for a date accepted before this local time on that date are on
    /// time.
    pub cutoff: NaiveTime,
}

impl Default for TimePolicy {
    fn default() -> Self {
        TimePolicy {
            zone: chrono_tz::Asia::Shanghai,
            cutoff: NaiveTime::from_hms_opt(18, 0, 0).expect("valid"),
        }
    }
}

impl TimePolicy {
    /// A policy from a zone name (IANA, e.g. `Asia/Shanghai`) and an `HH:MM` cut-off.
    pub fn parse(zone: &str, cutoff: &str) -> Result<Self, DomainError> {
        let zone: Tz = zone.parse().map_err(|_| {
            DomainError::invalid(
                "time_zone",
                why!(NOT_IANA_TIME_ZONE, "\"{zone}\" is not an IANA time zone", zone = zone),
            )
        })?;
        let cutoff = NaiveTime::parse_from_str(cutoff, "%H:%M").map_err(|_| {
            DomainError::invalid(
                "cutoff",
                why!(NOT_TIME_EXPECTED_HH_MM, "\"{cutoff}\" is not a time (expected HH:MM)", cutoff = cutoff),
            )
        })?;
        Ok(TimePolicy { zone, cutoff })
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The instant of `date`'s cut-off. In a zone whose clocks jump over the
    /// cut-off the first instant after the gap counts.
    pub fn cutoff_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date.and_time(self.cutoff))
    }

    /// The instant `date` ends: local midnight after it (in a zone whose
    /// clocks jump over midnight, the first instant after the gap).
    pub fn end_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.start_of(date.succ_opt().unwrap_or(date))
    }

    /// The instant of a local time in the zone; in a gap, the first
    /// instant after it.
    pub fn at_local(&self, local: NaiveDateTime) -> DateTime<Utc> {
        self.instant(local)
    }

    /// The instant of a local time; in a gap, the first instant after it.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            LocalResult::None => {
                let later = local + Duration::hours(1);
                self.zone
                    .from_local_datetime(&later)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&local))
            }
        }
    }

    /// When the case figures of a range ending on `to`, read at `now`, are
    /// judged. They do not wait for a cut-off: they count up to today. Once
    /// `to` is over they are judged as of its end, each case as it stood
    /// then, and no longer move when a case is worked; before that, as of
    /// now.
    pub fn as_of(&self, to: NaiveDate, now: DateTime<Utc>) -> AsOf {
        let today = self.local_date(now);
        if to < today {
            AsOf { last_day: to, at: self.end_of(to), provisional: false }
        } else {
            AsOf { last_day: today, at: now, provisional: true }
        }
    }

    /// The instant `date` begins in the zone (its first local instant: in a
    /// zone whose clocks jump over midnight, the first instant after the gap).
    /// No report for `date` can be accepted before it.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date.and_time(NaiveTime::MIN))
    }

    /// Whether a report for `date` first accepted at `first_accepted_at` is on
    /// time: strictly before the date's cut-off.
    pub fn is_on_time(&self, date: NaiveDate, first_accepted_at: DateTime<Utc>) -> bool {
        first_accepted_at < self.cutoff_of(date)
    }
}

/// When figures that follow the ledger are judged ([`TimePolicy::as_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AsOf {
    /// The last day counted: the range's end, or today while it runs.
    pub last_day: NaiveDate,
    /// The end of that day once it is over, else the time of reading.
    pub at: DateTime<Utc>,
    /// The range has not ended: the figures can still move.
    pub provisional: bool,
}

/// An ISO 8601 week (Monday to Sunday), written `2026-W48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// The ISO week holding `date`.
    pub fn of(date: NaiveDate) -> Self {
        let week = date.iso_week();
        IsoWeek { year: week.year(), week: week.week() }
    }

    /// Parses `YYYY-Www`.
    pub fn parse(value: &str, field: &str) -> Result<Self, DomainError> {
        let bad = || {
            DomainError::invalid(
                field,
                why!(
                    NOT_ISO_WEEK_EXPECTED_E_G,
                    "\"{value}\" is not an ISO week (expected e.g. 2026-W48)",
                    value = value
                ),
            )
        };
        let (year, week) = value.split_once("-W").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { year, week })
    }

    /// The Monday of the week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).expect("validated week")
    }

    /// The Sunday of the week.
    pub fn sunday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Sun).expect("validated week")
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn cutoff_is_local_1800() {
        let policy = TimePolicy::default();
        // 18:00 in Shanghai is 10:00 UTC.
        assert_eq!(
            policy.cutoff_of(date(2026, 11, 28)),
            Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
        );
        let just_before = Utc.with_ymd_and_hms(2026, 11, 28, 9, 59, 59).unwrap();
        assert!(policy.is_on_time(date(2026, 11, 28), just_before));
        assert!(!policy.is_on_time(date(2026, 11, 28), just_before + Duration::seconds(1)));
    }

    #[test]
    fn a_day_ends_at_local_midnight() {
        let policy = TimePolicy::default();
        // Midnight after the 29th in Shanghai is 16:00 UTC on the 29th.
        let end = policy.end_of(date(2026, 11, 29));
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap());
        assert_eq!(policy.local_date(end - Duration::seconds(1)), date(2026, 11, 29));
        assert_eq!(policy.local_date(end), date(2026, 11, 30));
        // Santiago skipped midnight on 2022-09-11 (00:00 → 01:00).
        let chile = TimePolicy::parse("America/Santiago", "18:00").unwrap();
        let end = chile.end_of(date(2022, 9, 10));
        assert_eq!(chile.local_date(end), date(2022, 9, 11));
        assert_eq!(chile.local_date(end - Duration::seconds(1)), date(2022, 9, 10));
    }

    #[test]
    fn a_range_is_judged_as_of_its_end_once_it_is_over() {
        let policy = TimePolicy::default();
        let sunday = date(2026, 11, 29);
        // Sunday 23:59:59 in Shanghai: the week still runs.
        let late_sunday = Utc.with_ymd_and_hms(2026, 11, 29, 15, 59, 59).unwrap();
        assert_eq!(
            policy.as_of(sunday, late_sunday),
            AsOf { last_day: sunday, at: late_sunday, provisional: true }
        );
        // From Monday 00:00, and for ever after: as of Sunday's end.
        let end = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        for now in [end, end + Duration::days(400)] {
            assert_eq!(policy.as_of(sunday, now), AsOf { last_day: sunday, at: end, provisional: false });
        }
        // A range ending after today counts up to today.
        let wednesday = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
        assert_eq!(policy.as_of(sunday, wednesday).last_day, date(2026, 11, 25));
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let policy = TimePolicy::default();
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(
            policy.start_of(date(2026, 11, 28)),
            Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap()
        );
        assert_eq!(policy.local_date(policy.start_of(date(2026, 11, 28))), date(2026, 11, 28));
        assert_eq!(
            policy.local_date(policy.start_of(date(2026, 11, 28)) - Duration::seconds(1)),
            date(2026, 11, 27)
        );
        // Santiago skipped midnight on 2026-09-06 (00:00 became 01:00).
        let chile = TimePolicy::parse("America/Santiago", "18:00").unwrap();
        let start = chile.start_of(date(2026, 9, 6));
        assert_eq!(chile.local_date(start), date(2026, 9, 6));
        assert_eq!(chile.local_date(start - Duration::seconds(1)), date(2026, 9, 5));
    }

    #[test]
    fn local_date_follows_the_zone() {
        let policy = TimePolicy::default();
        // 16:30 UTC on the 27th is 00:30 on the 28th in Shanghai.
        assert_eq!(
            policy.local_date(Utc.with_ymd_and_hms(2026, 11, 27, 16, 30, 0).unwrap()),
            date(2026, 11, 28)
        );
    }

    #[test]
    fn iso_weeks_cross_years() {
        assert_eq!(IsoWeek::of(date(2026, 11, 28)).to_string(), "2026-W48");
        // 2027-01-01 is a Friday: it belongs to 2026-W53.
        assert_eq!(IsoWeek::of(date(2027, 1, 1)).to_string(), "2026-W53");
        let week = IsoWeek::parse("2026-W53", "week").unwrap();
        assert_eq!(week.monday(), date(2026, 12, 28));
        assert_eq!(week.sunday(), date(2027, 1, 3));
        assert!(IsoWeek::parse("2025-W53", "week").is_err());
        assert!(IsoWeek::parse("2026-48", "week").is_err());
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(parse_date("2026-02-29", "d").is_err());
        assert!(parse_date("2026-2-3", "d").is_err());
        // A signed year is ten characters too, but would not read back as written.
        for signed in ["-009-09-08", "+009-09-08", "2026-01-+1", " 026-01-01"] {
            assert!(parse_date(signed, "d").is_err(), "{signed}");
        }
        assert!(parse_date("", "d").is_err());
        assert_eq!(parse_date("2028-02-29", "d").unwrap(), date(2028, 2, 29));
    }
}
