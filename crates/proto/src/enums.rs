//! Enums both ways. Every match is exhaustive, so a variant added on either
//! side fails to compile until it is mapped here.
//!
//! On the wire an enum field is an `i32`; `*_to_pb` return the typed prost
//! enum, so write `category_to_pb(c).into()` (or `as i32`) into a message.

use fengqiao_core::actor::NodeTask;
use fengqiao_core::case::{CaseStatus, Channel, ReviewDecision, Satisfaction, SupervisionKind};
use fengqiao_core::identity::Role;
use fengqiao_core::why;
use fengqiao_core::{Applied, DisputeCategory, DisputeOutcome, DomainError, Tier};

use crate::pb;

/// Why a wire enum value was refused: UNSPECIFIED (0) or a number this
/// version does not know.
pub(crate) fn refuse(value: i32, field: &str) -> DomainError {
    if value == 0 {
        DomainError::invalid(field, why!(MUST_BE_SET, "must be set"))
    } else {
        DomainError::invalid(field, why!(UNKNOWN_VALUE, "unknown value {value}", value = value))
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

pub fn case_status_to_pb(status: CaseStatus) -> pb::CaseStatus {
    match status {
        CaseStatus::Registered => pb::CaseStatus::Registered,
        CaseStatus::NotAccepted => pb::CaseStatus::NotAccepted,
        CaseStatus::Accepted => pb::CaseStatus::Accepted,
        CaseStatus::Assigned => pb::CaseStatus::Assigned,
        CaseStatus::InProgress => pb::CaseStatus::InProgress,
        CaseStatus::Resolved => pb::CaseStatus::Resolved,
        CaseStatus::Closed => pb::CaseStatus::Closed,
        CaseStatus::UnderReview => pb::CaseStatus::UnderReview,
    }
}

/// A wire case status; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn case_status_from_pb(value: i32, field: &str) -> Result<CaseStatus, DomainError> {
    match pb::CaseStatus::try_from(value) {
        Ok(pb::CaseStatus::Registered) => Ok(CaseStatus::Registered),
        Ok(pb::CaseStatus::NotAccepted) => Ok(CaseStatus::NotAccepted),
        Ok(pb::CaseStatus::Accepted) => Ok(CaseStatus::Accepted),
        Ok(pb::CaseStatus::Assigned) => Ok(CaseStatus::Assigned),
        Ok(pb::CaseStatus::InProgress) => Ok(CaseStatus::InProgress),
        Ok(pb::CaseStatus::Resolved) => Ok(CaseStatus::Resolved),
        Ok(pb::CaseStatus::Closed) => Ok(CaseStatus::Closed),
        Ok(pb::CaseStatus::UnderReview) => Ok(CaseStatus::UnderReview),
        Ok(pb::CaseStatus::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn channel_to_pb(channel: Channel) -> pb::CaseChannel {
    match channel {
        Channel::Report => pb::CaseChannel::Report,
        Channel::Visit => pb::CaseChannel::Visit,
        Channel::Letter => pb::CaseChannel::Letter,
        Channel::Phone => pb::CaseChannel::Phone,
        Channel::Online => pb::CaseChannel::Online,
    }
}

/// A wire case channel; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn channel_from_pb(value: i32, field: &str) -> Result<Channel, DomainError> {
    match pb::CaseChannel::try_from(value) {
        Ok(pb::CaseChannel::Report) => Ok(Channel::Report),
        Ok(pb::CaseChannel::Visit) => Ok(Channel::Visit),
        Ok(pb::CaseChannel::Letter) => Ok(Channel::Letter),
        Ok(pb::CaseChannel::Phone) => Ok(Channel::Phone),
        Ok(pb::CaseChannel::Online) => Ok(Channel::Online),
        Ok(pb::CaseChannel::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn satisfaction_to_pb(satisfaction: Satisfaction) -> pb::Satisfaction {
    match satisfaction {
        Satisfaction::Satisfied => pb::Satisfaction::Satisfied,
        Satisfaction::Dissatisfied => pb::Satisfaction::Dissatisfied,
        Satisfaction::Unreachable => pb::Satisfaction::Unreachable,
    }
}

/// A wire satisfaction; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`. (Where the wire uses UNSPECIFIED
/// for "not recorded", as in `Case.satisfaction`, check for 0 first.)
pub fn satisfaction_from_pb(value: i32, field: &str) -> Result<Satisfaction, DomainError> {
    match pb::Satisfaction::try_from(value) {
        Ok(pb::Satisfaction::Satisfied) => Ok(Satisfaction::Satisfied),
        Ok(pb::Satisfaction::Dissatisfied) => Ok(Satisfaction::Dissatisfied),
        Ok(pb::Satisfaction::Unreachable) => Ok(Satisfaction::Unreachable),
        Ok(pb::Satisfaction::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn supervision_kind_to_pb(kind: SupervisionKind) -> pb::SupervisionKind {
    match kind {
        SupervisionKind::Document => pb::SupervisionKind::Document,
        SupervisionKind::Interview => pb::SupervisionKind::Interview,
        SupervisionKind::OnSite => pb::SupervisionKind::OnSite,
        SupervisionKind::Joint => pb::SupervisionKind::Joint,
    }
}

/// A wire supervision kind; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn supervision_kind_from_pb(value: i32, field: &str) -> Result<SupervisionKind, DomainError> {
    match pb::SupervisionKind::try_from(value) {
        Ok(pb::SupervisionKind::Document) => Ok(SupervisionKind::Document),
        Ok(pb::SupervisionKind::Interview) => Ok(SupervisionKind::Interview),
        Ok(pb::SupervisionKind::OnSite) => Ok(SupervisionKind::OnSite),
        Ok(pb::SupervisionKind::Joint) => Ok(SupervisionKind::Joint),
        Ok(pb::SupervisionKind::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn role_to_pb(role: Role) -> pb::Role {
    match role {
        Role::Reporter => pb::Role::Reporter,
        Role::Officer => pb::Role::Officer,
        Role::Leader => pb::Role::Leader,
        Role::Admin => pb::Role::Admin,
        Role::Auditor => pb::Role::Auditor,
    }
}

/// A wire role; UNSPECIFIED and unknown values are [`DomainError::Invalid`]
/// naming `field`.
pub fn role_from_pb(value: i32, field: &str) -> Result<Role, DomainError> {
    match pb::Role::try_from(value) {
        Ok(pb::Role::Reporter) => Ok(Role::Reporter),
        Ok(pb::Role::Officer) => Ok(Role::Officer),
        Ok(pb::Role::Leader) => Ok(Role::Leader),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Auditor) => Ok(Role::Auditor),
        Ok(pb::Role::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn node_task_to_pb(task: NodeTask) -> pb::NodeTask {
    match task {
        NodeTask::AutoEscalation => pb::NodeTask::AutoEscalation,
        NodeTask::RepeatDetection => pb::NodeTask::RepeatDetection,
        NodeTask::Supervision => pb::NodeTask::Supervision,
    }
}

/// A wire node task; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn node_task_from_pb(value: i32, field: &str) -> Result<NodeTask, DomainError> {
    match pb::NodeTask::try_from(value) {
        Ok(pb::NodeTask::AutoEscalation) => Ok(NodeTask::AutoEscalation),
        Ok(pb::NodeTask::RepeatDetection) => Ok(NodeTask::RepeatDetection),
        Ok(pb::NodeTask::Supervision) => Ok(NodeTask::Supervision),
        Ok(pb::NodeTask::Unspecified) | Err(_) => Err(refuse(value, field)),
    }
}

pub fn review_decision_to_pb(decision: ReviewDecision) -> pb::ReviewDecision {
    match decision {
        ReviewDecision::Upheld => pb::ReviewDecision::Upheld,
        ReviewDecision::Overturned => pb::ReviewDecision::Overturned,
    }
}

/// A wire review decision; UNSPECIFIED and unknown values are
/// [`DomainError::Invalid`] naming `field`.
pub fn review_decision_from_pb(value: i32, field: &str) -> Result<ReviewDecision, DomainError> {
    match pb::ReviewDecision::try_from(value) {
        Ok(pb::ReviewDecision::Upheld) => Ok(ReviewDecision::Upheld),
        Ok(pb::ReviewDecision::Overturned) => Ok(ReviewDecision::Overturned),
        Ok(pb::ReviewDecision::Unspecified) | Err(_) => Err(refuse(value, field)),
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
        for &status in CaseStatus::ALL {
            assert_eq!(case_status_from_pb(case_status_to_pb(status).into(), "s"), Ok(status));
        }
        for &channel in Channel::ALL {
            assert_eq!(channel_from_pb(channel_to_pb(channel).into(), "c"), Ok(channel));
        }
        for &satisfaction in Satisfaction::ALL {
            assert_eq!(satisfaction_from_pb(satisfaction_to_pb(satisfaction).into(), "s"), Ok(satisfaction));
        }
        for &kind in SupervisionKind::ALL {
            assert_eq!(supervision_kind_from_pb(supervision_kind_to_pb(kind).into(), "k"), Ok(kind));
        }
        for &decision in ReviewDecision::ALL {
            assert_eq!(review_decision_from_pb(review_decision_to_pb(decision).into(), "d"), Ok(decision));
        }
        for role in Role::ALL {
            assert_eq!(role_from_pb(role_to_pb(role).into(), "r"), Ok(role));
        }
        for task in [NodeTask::AutoEscalation, NodeTask::RepeatDetection, NodeTask::Supervision] {
            assert_eq!(node_task_from_pb(node_task_to_pb(task).into(), "t"), Ok(task));
            assert_eq!(NodeTask::parse(task.as_str()), Some(task));
        }
    }

    #[test]
    fn unspecified_and_unknown_are_refused() {
        assert_eq!(
            tier_from_pb(0, "unit.tier"),
            Err(DomainError::invalid("unit.tier", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            tier_from_pb(5, "unit.tier"),
            Err(DomainError::invalid(
                "unit.tier",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = 5)
            ))
        );
        assert_eq!(
            category_from_pb(0, "c"),
            Err(DomainError::invalid("c", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            category_from_pb(42, "c"),
            Err(DomainError::invalid(
                "c",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = 42)
            ))
        );
        assert_eq!(
            outcome_from_pb(0, "o"),
            Err(DomainError::invalid("o", fengqiao_core::why!(MUST_BE_SET, "must be set")))
        );
        assert_eq!(
            outcome_from_pb(-1, "o"),
            Err(DomainError::invalid(
                "o",
                fengqiao_core::why!(UNKNOWN_VALUE, "unknown value {value}", value = -1)
            ))
        );
        type Refuse = fn(i32, &str) -> Option<DomainError>;
        let case_enums: [(&str, Refuse, i32); 5] = [
            ("status", |v, f| case_status_from_pb(v, f).err(), 9),
            ("channel", |v, f| channel_from_pb(v, f).err(), 6),
            ("satisfaction", |v, f| satisfaction_from_pb(v, f).err(), 4),
            ("kind", |v, f| supervision_kind_from_pb(v, f).err(), 5),
            ("decision", |v, f| review_decision_from_pb(v, f).err(), 3),
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
        assert_eq!(disposition_to_pb(Applied::New), pb::Disposition::New);
        assert_eq!(disposition_to_pb(Applied::Duplicate), pb::Disposition::Duplicate);
        assert_eq!(
            disposition_to_pb(Applied::Correction { replaced: Revision::FIRST }),
            pb::Disposition::Correction
        );
    }
}
