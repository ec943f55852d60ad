//! The one copy of each small way the CLI shows a value: wire enums by
//! their identifiers, shares, money, empty strings in JSON. Time has its
//! own module ([`time_fmt`]), tables theirs ([`table`]), words in the
//! reader's language theirs (`crate::i18n`), the names of units theirs
//! (`crate::commands::units::UnitNames`).

pub mod table;
pub mod time_fmt;

use fengqiao_core::{DisputeCategory, DisputeOutcome};
use fengqiao_proto::WireEnum;
use serde_json::Value;

/// A dispute category by its identifier (`wage_arrears`); empty when unset,
/// the number when this CLI does not know it.
pub fn category_name(value: i32) -> String {
    wire_name(value, |v| DisputeCategory::from_wire(v, "category").map(|c| c.as_str()))
}

/// A dispute outcome by its identifier (`mediating`); as [`category_name`].
pub fn outcome_name(value: i32) -> String {
    wire_name(value, |v| DisputeOutcome::from_wire(v, "outcome").map(|o| o.as_str()))
}

fn wire_name<E>(value: i32, name: impl Fn(i32) -> Result<&'static str, E>) -> String {
    match name(value) {
        Ok(name) => name.to_owned(),
        Err(_) if value == 0 => String::new(),
        Err(_) => value.to_string(),
    }
}

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
    use fengqiao_proto::pb;

    #[test]
    fn names_shares_and_money() {
        assert_eq!(category_name(0), "");
        assert_eq!(category_name(pb::DisputeCategory::Land.into()), "land");
        assert_eq!(category_name(99), "99");
        assert_eq!(outcome_name(pb::DisputeOutcome::Mediating.into()), "mediating");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 0), "-");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(empty_null(""), Value::Null);
    }
}
