//! Enums both ways. Every match is exhaustive, so a variant added on either
//! side fails to compile until it is mapped here.
//!
//! To the wire, `From<T> for pb::X` gives the typed prost enum; write
//! `pb::Tier::from(tier).into()` (or `as i32`) into a message. From the wire
//! an enum field is a bare `i32`, and a refusal must name the field it came
//! from, which a `TryFrom<i32>` cannot know; so reading is
//! [`WireEnum::from_wire`]`(value, field)`, e.g.
//! `Tier::from_wire(unit.tier, "tier")`.

use fengqiao_core::actor::NodeTask;
use fengqiao_core::case::{CaseStatus, Channel, ReviewDecision, Satisfaction, SupervisionKind};
use fengqiao_core::identity::Role;
use fengqiao_core::why;
use fengqiao_core::{Applied, DisputeCategory, DisputeOutcome, DomainError, Tier};

use crate::pb;

/// A domain enum carried on the wire as an `i32` enum field.
pub trait WireEnum: Sized {
    /// The domain value of wire number `value`; UNSPECIFIED (0) and numbers
    /// this version does not know are [`DomainError::Invalid`] naming `field`.
    fn from_wire(value: i32, field: &str) -> Result<Self, DomainError>;
}

/// Why a wire enum value was refused: UNSPECIFIED (0) or a number this
/// version does not know.
pub(crate) fn refuse(value: i32, field: &str) -> DomainError {
    if value == 0 {
        DomainError::invalid(field, why!(MUST_BE_SET, "must be set"))
    } else {
        DomainError::invalid(field, why!(UNKNOWN_VALUE, "unknown value {value}", value = value))
    }
}

/// `From<$domain> for pb::$wire` and [`WireEnum`] for `$domain`, whose
/// variants have the same names on both sides.
macro_rules! wire_enum {
    ($domain:ident => $wire:ident { $($variant:ident),+ $(,)? }) => {
        impl From<$domain> for pb::$wire {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => pb::$wire::$variant,)+
                }
            }
        }

        impl WireEnum for $domain {
            fn from_wire(value: i32, field: &str) -> Result<Self, DomainError> {
                match pb::$wire::try_from(value) {
                    $(Ok(pb::$wire::$variant) => Ok($domain::$variant),)+
                    Ok(pb::$wire::Unspecified) | Err(_) => Err(refuse(value, field)),
                }
            }
        }
    };
}

wire_enum!(Tier => Tier { Nation, Province, City, District, Township, Community, Group });
wire_enum!(DisputeCategory => DisputeCategory {
    WageArrears,
    Land,
    HousingProperty,
    Neighbour,
    MarriageFamily,
    Labour,
    Environment,
    PublicService,
    LawRelated,
    Other,
});
wire_enum!(DisputeOutcome => DisputeOutcome { ResolvedOnTheSpot, Mediating, Registered, ReferredUp });
wire_enum!(CaseStatus => CaseStatus {
    Registered,
    NotAccepted,
    Accepted,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    UnderReview,
});
wire_enum!(Channel => CaseChannel { Report, Visit, Letter, Phone, Online });
// Where the wire uses UNSPECIFIED for "not recorded", as in
// `Case.satisfaction`, check for 0 before `from_wire`.
wire_enum!(Satisfaction => Satisfaction { Satisfied, Dissatisfied, Unreachable });
wire_enum!(SupervisionKind => SupervisionKind { Document, Interview, OnSite, Joint });
wire_enum!(Role => Role { Reporter, Officer, Leader, Admin, Auditor });
wire_enum!(NodeTask => NodeTask { AutoEscalation, RepeatDetection, Supervision, PublicTracker });
wire_enum!(ReviewDecision => ReviewDecision { Upheld, Overturned });

/// How a submission was taken. The revision a correction replaced is not part
/// of the disposition: it goes into `SubmitDailyReportResponse.replaced_revision`.
impl From<Applied> for pb::Disposition {
    fn from(applied: Applied) -> Self {
        match applied {
            Applied::New => pb::Disposition::New,
            Applied::Duplicate => pb::Disposition::Duplicate,
            Applied::Correction { .. } => pb::Disposition::Correction,
        }
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::Revision;

    use super::*;

    #[test]
    fn every_variant_round_trips() {
        for &tier in &Tier::ALL {
            assert_eq!(Tier::from_wire(pb::Tier::from(tier).into(), "t"), Ok(tier));
        }
        for &category in DisputeCategory::ALL {
            assert_eq!(
                DisputeCategory::from_wire(pb::DisputeCategory::from(category).into(), "c"),
                Ok(category)
            );
        }
        for &outcome in DisputeOutcome::ALL {
            assert_eq!(DisputeOutcome::from_wire(pb::DisputeOutcome::from(outcome).into(), "o"), Ok(outcome));
        }
        for &status in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_wire(pb::CaseStatus::from(status).into(), "s"), Ok(status));
        }
        for &channel in Channel::ALL {
            assert_eq!(Channel::from_wire(pb::CaseChannel::from(channel).into(), "c"), Ok(channel));
        }
        for &satisfaction in Satisfaction::ALL {
            assert_eq!(
                Satisfaction::from_wire(pb::Satisfaction::from(satisfaction).into(), "s"),
                Ok(satisfaction)
            );
        }
        for &kind in SupervisionKind::ALL {
            assert_eq!(SupervisionKind::from_wire(pb::SupervisionKind::from(kind).into(), "k"), Ok(kind));
        }
        for &decision in ReviewDecision::ALL {
            assert_eq!(
                ReviewDecision::from_wire(pb::ReviewDecision::from(decision).into(), "d"),
                Ok(decision)
            );
        }
        for role in Role::ALL {
            assert_eq!(Role::from_wire(pb::Role::from(role).into(), "r"), Ok(role));
        }
        for task in [
            NodeTask::AutoEscalation,
            NodeTask::RepeatDetection,
            NodeTask::Supervision,
            NodeTask::PublicTracker,
        ] {
            assert_eq!(NodeTask::from_wire(pb::NodeTask::from(task).into(), "t"), Ok(task));
            assert_eq!(NodeTask::parse(task.as_str()), Some(task));
        }
    }

    #[test]
    fn unspecified_and_unknown_are_refused() {
        assert_eq!(
            Tier::from_wire(0, "unit.tier"),
            Err(DomainError::invalid("unit.tier", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            Tier::from_wire(8, "unit.tier"),
            Err(DomainError::invalid(
                "unit.tier",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = 8)
            ))
        );
        assert_eq!(
            DisputeCategory::from_wire(0, "c"),
            Err(DomainError::invalid("c", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            DisputeCategory::from_wire(42, "c"),
            Err(DomainError::invalid(
                "c",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = 42)
            ))
        );
        assert_eq!(
            DisputeOutcome::from_wire(0, "o"),
            Err(DomainError::invalid("o", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            DisputeOutcome::from_wire(-1, "o"),
            Err(DomainError::invalid(
                "o",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = -1)
            ))
        );
        type Refuse = fn(i32, &str) -> Option<DomainError>;
        let case_enums: [(&str, Refuse, i32); 5] = [
            ("status", |v, f| CaseStatus::from_wire(v, f).err(), 9),
            ("channel", |v, f| Channel::from_wire(v, f).err(), 6),
            ("satisfaction", |v, f| Satisfaction::from_wire(v, f).err(), 4),
            ("kind", |v, f| SupervisionKind::from_wire(v, f).err(), 5),
            ("decision", |v, f| ReviewDecision::from_wire(v, f).err(), 3),
        ];
        for (field, refuse, unknown) in case_enums {
            assert_eq!(
                refuse(0, field),
                Some(DomainError::invalid(field, fengqiao_core::why!(MUST_BE_SET, "must be set"))),
                "{field}"
            );
            assert_eq!(
                refuse(unknown, field),
                Some(DomainError::invalid(
                    field,
                    why!(UNKNOWN_VALUE, "unknown value {value}", value = unknown)
                )),
                "{field}"
            );
        }
    }

    #[test]
    fn dispositions() {
        assert_eq!(pb::Disposition::from(Applied::New), pb::Disposition::New);
        assert_eq!(pb::Disposition::from(Applied::Duplicate), pb::Disposition::Duplicate);
        assert_eq!(
            pb::Disposition::from(Applied::Correction { replaced: Revision::FIRST }),
            pb::Disposition::Correction
        );
    }
}
