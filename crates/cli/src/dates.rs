//! One parser for the dates a person types: `YYYY-MM-DD`, `today` or
//! `yesterday` (in the deployment's zone), wherever a date is taken — a flag
//! (`--date`, `--from`, `--to`, `--reply-by`, …) or inside a value
//! (`--from-report 410411001001@yesterday#d1`).

use chrono::NaiveDate;

/// A date as typed, before the deployment's today is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateWord {
    Day(NaiveDate),
    Today,
    Yesterday,
}

/// What every date flag's help says.
pub const DATE_FORMS: &str = "YYYY-MM-DD, today or yesterday";

impl DateWord {
    /// Reads `value`; the error names `flag` and the accepted forms.
    pub fn parse(value: &str, flag: &str) -> Result<DateWord, String> {
        match value.trim() {
            "today" => Ok(DateWord::Today),
            "yesterday" => Ok(DateWord::Yesterday),
            other => fengqiao_core::time::parse_date(other, flag)
                .map(DateWord::Day)
                .map_err(|_| format!("{flag} {value:?} is not a date (expected {DATE_FORMS})")),
        }
    }

    /// The calendar date, given the deployment's today.
    pub fn on(self, today: NaiveDate) -> NaiveDate {
        match self {
            DateWord::Day(day) => day,
            DateWord::Today => today,
            DateWord::Yesterday => today.pred_opt().unwrap_or(today),
        }
    }
}

/// `--week`, as every command reading a span of days takes it: an ISO week
/// instead of `--from`/`--to` (with which it conflicts). The span without
/// any of them, and how `--from`/`--to` default, is each command's own and
/// said in their help: `summary` and `drill` read this week, `reports`
/// today; `export` wants `--week` or `--from`. (`case list` reads the
/// week's registrations; its flags are its own.)
#[derive(Debug, Default, clap::Args)]
pub struct WeekArg {
    /// An ISO week instead of --from/--to: `2026-W48`, `this`, `last`, or a date in it.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
}

impl WeekArg {
    /// The week as typed, if given.
    pub fn as_deref(&self) -> Option<&str> {
        self.week.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let on = |value: &str| DateWord::parse(value, "--date").map(|d| d.on(today));
        assert_eq!(on("2026-02-14"), Ok(NaiveDate::from_ymd_opt(2026, 2, 14).unwrap()));
        assert_eq!(on("today"), Ok(today));
        assert_eq!(on("yesterday"), Ok(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()));
        let error = on("2026-2-14").unwrap_err();
        assert!(error.contains("--date") && error.contains("YYYY-MM-DD, today or yesterday"), "{error}");
        assert!(on("tomorrow").is_err());
        assert!(on("2026-02-30").is_err());
    }
}
