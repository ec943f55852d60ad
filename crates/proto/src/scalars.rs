//! Scalar fields: unit ids, dates and timestamps.

use chrono::{DateTime, NaiveDate, Utc};
use fengqiao_core::why;
use fengqiao_core::{DomainError, UnitId};

/// Largest valid `Timestamp.nanos`.
const MAX_NANOS: u32 = 999_999_999;

/// Parses a unit id (1–64 characters of `A–Z a–z 0–9 - _ .`), naming `field`
/// in the error.
pub fn parse_unit_id(value: &str, field: &str) -> Result<UnitId, DomainError> {
    UnitId::parse_field(value, field)
}

/// Parses a `YYYY-MM-DD` date, naming `field` in the error.
pub fn parse_date(value: &str, field: &str) -> Result<NaiveDate, DomainError> {
    fengqiao_core::time::parse_date(value, field)
}

/// An optional date: empty is `None`; errors name `field`.
pub fn parse_optional_date(value: &str, field: &str) -> Result<Option<NaiveDate>, DomainError> {
    if value.is_empty() { Ok(None) } else { parse_date(value, field).map(Some) }
}

/// A text that must not be blank (empty or only white space); errors name
/// `field`.
pub fn parse_text(value: String, field: &str) -> Result<String, DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, why!(MUST_NOT_BE_EMPTY, "must not be empty")));
    }
    Ok(value)
}

/// A date as the wire writes it, `YYYY-MM-DD`.
pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// An instant as a protobuf `Timestamp`. A leap second (which chrono keeps as
/// nanos ≥ 10⁹) is clamped to the last nanosecond of its second.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    let nanos = at.timestamp_subsec_nanos().min(MAX_NANOS);
    prost_types::Timestamp { seconds: at.timestamp(), nanos: i32::try_from(nanos).unwrap_or(i32::MAX) }
}

/// An instant from a protobuf `Timestamp` that must be present and valid
/// (nanos in `0..=999_999_999`, seconds in chrono's range); errors name `field`.
pub fn from_timestamp(
    value: Option<prost_types::Timestamp>,
    field: &str,
) -> Result<DateTime<Utc>, DomainError> {
    let value = crate::required(value, field)?;
    let nanos = u32::try_from(value.nanos).ok().filter(|&nanos| nanos <= MAX_NANOS).ok_or_else(|| {
        DomainError::invalid(
            field,
            why!(NANOS_OUTSIDE_0_999999999, "nanos {nanos} is outside 0..=999999999", nanos = value.nanos),
        )
    })?;
    DateTime::from_timestamp(value.seconds, nanos).ok_or_else(|| {
        DomainError::invalid(
            field,
            why!(SECONDS_OUT_RANGE, "seconds {seconds} is out of range", seconds = value.seconds),
        )
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 59).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let wire = timestamp(at);
        assert_eq!(wire.nanos, 123_456_789);
        assert_eq!(from_timestamp(Some(wire), "accepted_at"), Ok(at));
        let before_epoch = Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(from_timestamp(Some(timestamp(before_epoch)), "t"), Ok(before_epoch));
    }

    #[test]
    fn bad_timestamps_name_the_field() {
        let field_of = |value| match from_timestamp(value, "x.accepted_at") {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert_eq!(field_of(None), "x.accepted_at");
        assert_eq!(field_of(Some(prost_types::Timestamp { seconds: 0, nanos: -1 })), "x.accepted_at");
        assert_eq!(
            field_of(Some(prost_types::Timestamp { seconds: 0, nanos: 1_000_000_000 })),
            "x.accepted_at"
        );
        assert_eq!(field_of(Some(prost_types::Timestamp { seconds: i64::MAX, nanos: 0 })), "x.accepted_at");
    }

    #[test]
    fn scalars_name_the_field() {
        assert_eq!(
            parse_unit_id("", "unit_id"),
            Err(DomainError::invalid("unit_id", fengqiao_core::why!(MUST_NOT_BE_EMPTY, "must not be empty")))
        );
        assert_eq!(parse_unit_id("410411", "unit_id").unwrap().as_str(), "410411");
        assert!(
            matches!(parse_date("2026-13-01", "from_date"), Err(DomainError::Invalid { field, .. }) if field == "from_date")
        );
        let date = parse_date("2026-11-27", "d").unwrap();
        assert_eq!(format_date(date), "2026-11-27");
        assert_eq!(parse_optional_date("", "d"), Ok(None));
        assert_eq!(parse_optional_date("2026-11-27", "d"), Ok(Some(date)));
    }
}
