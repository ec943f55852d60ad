//! How the case commands name wire enums and read their flags: a case's
//! status, channel, satisfaction… by the domain's identifiers
//! (`in_progress`), on the command line and in JSON; dispute references
//! (`UNIT@DATE#ID`).

use fengqiao_proto::pb;

/// A wire enum named on the command line and in JSON by the lower-case rest
/// of its wire name: `CASE_STATUS_IN_PROGRESS` is `in_progress`.
pub(crate) trait WireEnum: Copy + TryFrom<i32> + Into<i32> {
    /// The prefix of its wire names, e.g. `CASE_STATUS_`.
    const PREFIX: &'static str;
    /// What a value is called in messages, e.g. `status`.
    const WHAT: &'static str;
    fn wire_name(self) -> &'static str;
    fn from_wire_name(name: &str) -> Option<Self>;
}

macro_rules! wire_enum {
    ($($ty:ty => $prefix:literal, $what:literal;)+) => {$(
        impl WireEnum for $ty {
            const PREFIX: &'static str = $prefix;
            const WHAT: &'static str = $what;
            fn wire_name(self) -> &'static str {
                self.as_str_name()
            }
            fn from_wire_name(name: &str) -> Option<Self> {
                <$ty>::from_str_name(name)
            }
        }
    )+};
}

wire_enum! {
    pb::CaseStatus => "CASE_STATUS_", "status";
    pb::CaseChannel => "CASE_CHANNEL_", "channel";
    pb::Satisfaction => "SATISFACTION_", "satisfaction";
    pb::SupervisionKind => "SUPERVISION_KIND_", "supervision kind";
    pb::ReviewDecision => "REVIEW_DECISION_", "review decision";
    pb::AccountabilityKind => "ACCOUNTABILITY_KIND_", "accountability kind";
    pb::WeeklyState => "WEEKLY_STATE_", "weekly state";
    pb::WeeklyStep => "WEEKLY_STEP_", "weekly step";
}

/// `in_progress` for `CaseStatus::InProgress`.
pub(crate) fn name_of<E: WireEnum>(value: E) -> String {
    let wire = value.wire_name();
    wire.strip_prefix(E::PREFIX).unwrap_or(wire).to_ascii_lowercase()
}

/// Every name a flag accepts (unspecified excluded).
pub(crate) fn names<E: WireEnum>() -> Vec<String> {
    (1..).map_while(|n| E::try_from(n).ok()).map(name_of).collect()
}

/// A value from the command line by name (`in_progress`, `in-progress`, `IN_PROGRESS`).
pub(crate) fn parse_name<E: WireEnum>(value: &str) -> Result<E, String> {
    let wire = format!("{}{}", E::PREFIX, value.trim().to_ascii_uppercase().replace('-', "_"));
    match E::from_wire_name(&wire) {
        Some(parsed) if Into::<i32>::into(parsed) != 0 => Ok(parsed),
        _ => Err(format!("unknown {} {value:?}; one of {}", E::WHAT, names::<E>().join(", "))),
    }
}

/// `UNIT@DATE#LOCAL_ID`: the dispute `LOCAL_ID` of the daily report of
/// `UNIT` for that day (`YYYY-MM-DD`, `today` or `yesterday`, which
/// [`register`](super::register::register) turns into a date in the deployment's zone). Unit ids and local ids may themselves hold `@` or
/// `#`: the split is at the `@` followed by a date and `#`.
pub(crate) fn parse_dispute_ref(value: &str) -> Result<pb::DisputeRef, String> {
    let bad = |why: &str| {
        format!(
            "{value:?} {why} (expected UNIT@DATE#LOCAL_ID, the date YYYY-MM-DD, today or yesterday, e.g. \
             1101010010@2026-05-01#d1)"
        )
    };
    let mut date_seen = None;
    for (at, _) in value.match_indices('@') {
        let (unit, rest) = (&value[..at], &value[at + 1..]);
        let Some((date, local)) = rest.split_once('#') else { continue };
        let word = matches!(date, "today" | "yesterday");
        if date.len() != 10 && !word {
            continue;
        }
        if crate::dates::DateWord::parse(date, "--from-report").is_err() {
            date_seen = Some(date);
            continue;
        }
        if unit.is_empty() {
            return Err(bad("names no unit"));
        }
        if local.is_empty() {
            return Err(bad("names no dispute after #"));
        }
        return Ok(pb::DisputeRef {
            unit_id: unit.to_owned(),
            date: date.to_owned(),
            local_id: local.to_owned(),
        });
    }
    Err(match date_seen {
        Some(date) => bad(&format!("has {date:?}, which is not a date")),
        None => bad("is not a dispute reference"),
    })
}

#[cfg(test)]
mod tests {
    use fengqiao_core::case;

    use super::*;
    use crate::commands::report::{parse_category, parse_yuan};

    #[test]
    fn dispute_refs() {
        let r = parse_dispute_ref("1101010010@2026-05-01#d1").unwrap();
        assert_eq!(
            (r.unit_id.as_str(), r.date.as_str(), r.local_id.as_str()),
            ("1101010010", "2026-05-01", "d1")
        );
        let domain: fengqiao_core::case::DisputeRef =
            fengqiao_proto::convert_at(r.clone(), "source").unwrap();
        assert_eq!(crate::commands::case::render::dispute_ref_text(&domain), "1101010010@2026-05-01#d1");
        // `@` in the unit and `#` in the local id do not confuse the split.
        let r = parse_dispute_ref("a@b@2026-05-01#x#2").unwrap();
        assert_eq!((r.unit_id.as_str(), r.local_id.as_str()), ("a@b", "x#2"));
        assert!(parse_dispute_ref("u@2026-02-30#d1").unwrap_err().contains("not a date"));
        assert!(parse_dispute_ref("@2026-05-01#d1").unwrap_err().contains("no unit"));
        assert!(parse_dispute_ref("u@2026-05-01#").unwrap_err().contains("no dispute"));
        assert!(parse_dispute_ref("u#d1").is_err());
        assert!(parse_dispute_ref("u@2026-5-1#d1").is_err());
        let r = parse_dispute_ref("410411001001@yesterday#d1").unwrap();
        assert_eq!(
            (r.unit_id.as_str(), r.date.as_str(), r.local_id.as_str()),
            ("410411001001", "yesterday", "d1")
        );
    }

    #[test]
    fn names_are_the_domain_names() {
        let status: Vec<&str> = case::CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::CaseStatus>(), status);
        let channels: Vec<&str> = case::Channel::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::CaseChannel>(), channels);
        let satisfaction: Vec<&str> = case::Satisfaction::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::Satisfaction>(), satisfaction);
        let kinds: Vec<&str> = case::SupervisionKind::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::SupervisionKind>(), kinds);
        let decisions: Vec<&str> = case::ReviewDecision::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::ReviewDecision>(), decisions);
    }

    #[test]
    fn enum_flags() {
        assert_eq!(parse_name::<pb::CaseStatus>("in_progress"), Ok(pb::CaseStatus::InProgress));
        assert_eq!(parse_name::<pb::CaseStatus>("In-Progress"), Ok(pb::CaseStatus::InProgress));
        assert_eq!(parse_name::<pb::SupervisionKind>("on_site"), Ok(pb::SupervisionKind::OnSite));
        assert_eq!(parse_name::<pb::CaseChannel>("letter"), Ok(pb::CaseChannel::Letter));
        let error = parse_name::<pb::CaseStatus>("unspecified").unwrap_err();
        assert!(error.contains("one of registered, not_accepted"), "{error}");
        assert!(parse_name::<pb::Satisfaction>("happy").unwrap_err().starts_with("unknown satisfaction"));
        assert_eq!(name_of(pb::CaseStatus::InProgress), "in_progress");
        assert_eq!(parse_category("wage_arrears"), Ok(pb::DisputeCategory::WageArrears));
        assert!(parse_category("weather").is_err());
    }

    #[test]
    fn yuan_amounts() {
        assert_eq!(parse_yuan("36000"), Ok(3_600_000));
        assert_eq!(parse_yuan("120.5"), Ok(12_050));
        assert_eq!(parse_yuan("0.07"), Ok(7));
        assert!(parse_yuan("-3").is_err());
        assert!(parse_yuan("1.234").is_err());
        assert!(parse_yuan("1.x").is_err());
        assert!(parse_yuan("99999999999999999999").is_err());
    }
}
