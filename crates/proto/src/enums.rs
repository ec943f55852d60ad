//! Enums both ways. Every match is exhaustive, so a variant added on either
//! side fails to compile until it is mapped here.
//!
//! On the wire an enum field is an `i32`; `*_to_pb` return the typed prost
//! enum, so write `category_to_pb(c).into()` (or `as i32`) into a message.

use fengqiao_core::{Applied, DisputeCategory, DisputeOutcome, DomainError, Tier};

use crate::pb;

/// Why a wire enum value was refused: UNSPECIFIED (0) or a number this
/// version does not know.
fn refuse(value: i32, field: &str) -> DomainError {
    if value == 0 {
        DomainError::invalid(field, "must be set")
    } else {
        DomainError::invalid(field, format!("unknown value {value}"))
    }
}

pub fn tier_to_pb(tier: Tier) -> pb::Tier {
    match tier {
        Tier::District => pb::Tier::District,
        Tier::Township => pb::Tier::Township,
        Tier::Community => pb::Tier::Community,
        Tier::Group => pb::Tier::Group,
    }
}

/// A wire tier; UNSPECIFIED and unknown values are [`DomainError::Invalid`]
/// naming `field`.
pub fn tier_from_pb(value: i32, field: &str) -> Result<Tier, DomainError> {
    match pb::Tier::try_from(value) {
        Ok(pb::Tier::District) => Ok(Tier::District),
        Ok(pb::Tier::Township) => Ok(Tier::Township),
        Ok(pb::Tier::Community) => Ok(Tier::Community),
        Ok(pb::Tier::Group) => Ok(Tier::Group),
        Ok(pb::Tier::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn category_to_pb(category: DisputeCategory) -> pb::DisputeCategory {
    match category {
        DisputeCategory::WageArrears => pb::DisputeCategory::WageArrears,
        DisputeCategory::Land => pb::DisputeCategory::Land,
        DisputeCategory::HousingProperty => pb::DisputeCategory::HousingProperty,
        DisputeCategory::Neighbour => pb::DisputeCategory::Neighbour,
        DisputeCategory::MarriageFamily => pb::DisputeCategory::MarriageFamily,
        DisputeCategory::Labour => pb::DisputeCategory::Labour,
        DisputeCategory::Environment => pb::DisputeCategory::Environment,
        DisputeCategory::PublicService => pb::DisputeCategory::PublicService,
        DisputeCategory::LawRelated => pb::DisputeCategory::LawRelated,
        DisputeCategory::Other => pb::DisputeCategory::Other,
    }
}

/// A wire dispute category; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn category_from_pb(value: i32, field: &str) -> Result<DisputeCategory, DomainError> {
    match pb::DisputeCategory::try_from(value) {
        Ok(pb::DisputeCategory::WageArrears) => Ok(DisputeCategory::WageArrears),
        Ok(pb::DisputeCategory::Land) => Ok(DisputeCategory::Land),
        Ok(pb::DisputeCategory::HousingProperty) => Ok(DisputeCategory::HousingProperty),
        Ok(pb::DisputeCategory::Neighbour) => Ok(DisputeCategory::Neighbour),
        Ok(pb::DisputeCategory::MarriageFamily) => Ok(DisputeCategory::MarriageFamily),
        Ok(pb::DisputeCategory::Labour) => Ok(DisputeCategory::Labour),
        Ok(pb::DisputeCategory::Environment) => Ok(DisputeCategory::Environment),
        Ok(pb::DisputeCategory::PublicService) => Ok(DisputeCategory::PublicService),
        Ok(pb::DisputeCategory::LawRelated) => Ok(DisputeCategory::LawRelated),
        Ok(pb::DisputeCategory::Other) => Ok(DisputeCategory::Other),
        Ok(pb::DisputeCategory::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn outcome_to_pb(outcome: DisputeOutcome) -> pb::DisputeOutcome {
    match outcome {
        DisputeOutcome::ResolvedOnTheSpot => pb::DisputeOutcome::ResolvedOnTheSpot,
        DisputeOutcome::Mediating => pb::DisputeOutcome::Mediating,
        DisputeOutcome::Registered => pb::DisputeOutcome::Registered,
        DisputeOutcome::ReferredUp => pb::DisputeOutcome::ReferredUp,
    }
}

/// A wire dispute outcome; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn outcome_from_pb(value: i32, field: &str) -> Result<DisputeOutcome, DomainError> {
    match pb::DisputeOutcome::try_from(value) {
        Ok(pb::DisputeOutcome::ResolvedOnTheSpot) => Ok(DisputeOutcome::ResolvedOnTheSpot),
        Ok(pb::DisputeOutcome::Mediating) => Ok(DisputeOutcome::Mediating),
        Ok(pb::DisputeOutcome::Registered) => Ok(DisputeOutcome::Registered),
        Ok(pb::DisputeOutcome::ReferredUp) => Ok(DisputeOutcome::ReferredUp),
        Ok(pb::DisputeOutcome::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

/// How a submission was taken. The revision a correction replaced is not part
/// of the disposition: it goes into `SubmitDailyReportResponse.replaced_revision`.
pub fn disposition_to_pb(applied: Applied) -> pb::Disposition {
    match applied {
        Applied::New => pb::Disposition::New,
        Applied::Duplicate => pb::Disposition::Duplicate,
        Applied::Correction { .. } => pb::Disposition::Correction,
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::Revision;

    use super::*;

    #[test]
    fn every_variant_round_trips() {
        for &tier in &Tier::ALL {
            assert_eq!(tier_from_pb(tier_to_pb(tier).into(), "t"), Ok(tier));
        }
        for &category in DisputeCategory::ALL {
            assert_eq!(category_from_pb(category_to_pb(category).into(), "c"), Ok(category));
        }
        for &outcome in DisputeOutcome::ALL {
            assert_eq!(outcome_from_pb(outcome_to_pb(outcome).into(), "o"), Ok(outcome));
        }
    }

    #[test]
    fn unspecified_and_unknown_are_refused() {
        assert_eq!(tier_from_pb(0, "unit.tier"), Err(DomainError::invalid("unit.tier", "must be set")));
        assert_eq!(tier_from_pb(5, "unit.tier"), Err(DomainError::invalid("unit.tier", "unknown value 5")));
        assert_eq!(category_from_pb(0, "c"), Err(DomainError::invalid("c", "must be set")));
        assert_eq!(category_from_pb(42, "c"), Err(DomainError::invalid("c", "unknown value 42")));
        assert_eq!(outcome_from_pb(0, "o"), Err(DomainError::invalid("o", "must be set")));
        assert_eq!(outcome_from_pb(-1, "o"), Err(DomainError::invalid("o", "unknown value -1")));
    }

    #[test]
    fn dispositions() {
        assert_eq!(disposition_to_pb(Applied::New), pb::Disposition::New);
        assert_eq!(disposition_to_pb(Applied::Duplicate), pb::Disposition::Duplicate);
        assert_eq!(
            disposition_to_pb(Applied::Correction { replaced: Revision::FIRST }),
            pb::Disposition::Correction
        );
    }
}
