//! The one copy of each small way the CLI shows a value: shares, money,
//! empty strings in JSON (wire enums by their identifiers are
//! `fengqiao_proto::export`'s, which the export writes). Time has its
//! own module ([`time_fmt`]), tables theirs ([`table`]), words in the
//! reader's language theirs (`crate::i18n`), the names of units theirs
//! (`crate::commands::units::UnitNames`).

pub mod table;
pub mod time_fmt;

use serde_json::Value;

/// A percentage with one decimal: `97.5%`.
pub fn percent(value: f64) -> String {
    format!("{value:.1}%")
}

/// `part` of `whole` as a [`percent`]; `-` when there is no whole.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 { "-".into() } else { percent(100.0 * part as f64 / whole as f64) }
}

pub use fengqiao_core::read::yuan;

/// An empty wire string as JSON null (an unset date, a missing name).
pub fn empty_null(value: &str) -> Value {
    if value.is_empty() { Value::Null } else { value.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_money() {
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 0), "-");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(empty_null(""), Value::Null);
    }
}
