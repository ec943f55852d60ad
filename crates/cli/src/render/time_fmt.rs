//! One way to show time. Every instant the CLI prints goes through exactly
//! one of two functions, the two of the domain's `Moment`
//! (`fengqiao_core::read`, which the read models' instants are):
//!
//! - [`for_people`]: tables and text, in the deployment's zone (the
//!   `--time-zone` / `FENGQIAO_TIME_ZONE` setting, Asia/Shanghai by default),
//!   as `YYYY-MM-DD HH:MM:SS`: no offset, no fractions of a second;
//! - [`for_machines`]: `--json`, CSV and JSON lines, RFC 3339 in the same
//!   zone with its offset, to the second (`2026-11-27T17:42:10+08:00`).
//!
//! [`wire`] turns a protobuf timestamp into an instant for either.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fengqiao_core::read::Moment;

/// `2026-11-27 17:42:10`: an instant as a person in the deployment reads it.
pub fn for_people(at: DateTime<Utc>, zone: &Tz) -> String {
    Moment::utc(at).in_zone(*zone).for_people()
}

/// `2026-11-27T17:42:10+08:00`: an instant for programs (RFC 3339, the
/// deployment's offset, seconds).
pub fn for_machines(at: DateTime<Utc>, zone: &Tz) -> String {
    Moment::utc(at).in_zone(*zone).for_machines()
}

/// A wire timestamp as an instant; `None` when unset or out of range.
pub fn wire(at: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    at.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

/// A wire timestamp for people, `None` when unset.
pub fn wire_for_people(at: Option<prost_types::Timestamp>, zone: &Tz) -> Option<String> {
    wire(at).map(|t| for_people(t, zone))
}

/// A wire timestamp for machines, `None` when unset.
pub fn wire_for_machines(at: Option<prost_types::Timestamp>, zone: &Tz) -> Option<String> {
    wire(at).map(|t| for_machines(t, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T09:42:10.123456789Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn people_read_the_local_time_to_the_second() {
        assert_eq!(for_people(at(), &chrono_tz::Asia::Shanghai), "2026-11-27 17:42:10");
        assert_eq!(for_people(at(), &chrono_tz::UTC), "2026-11-27 09:42:10");
    }

    #[test]
    fn machines_read_rfc3339_with_the_offset_to_the_second() {
        assert_eq!(for_machines(at(), &chrono_tz::Asia::Shanghai), "2026-11-27T17:42:10+08:00");
        assert_eq!(for_machines(at(), &chrono_tz::UTC), "2026-11-27T09:42:10+00:00");
    }

    #[test]
    fn wire_timestamps() {
        let t = prost_types::Timestamp { seconds: at().timestamp(), nanos: 5 };
        assert_eq!(
            wire_for_machines(Some(t), &chrono_tz::Asia::Shanghai).as_deref(),
            Some("2026-11-27T17:42:10+08:00")
        );
        assert_eq!(wire_for_people(None, &chrono_tz::Asia::Shanghai), None);
    }
}
