//! The accountability assessment on the wire: every component with its
//! share, percent and weight, and the score, so a reader can recompute a
//! scorecard's ranks (`fengqiao_core::assessment` says how).

use fengqiao_core::DomainError;
use fengqiao_core::assessment::{Assessment, Component, Scored, Share};

use crate::enums::refuse;

use crate::pb;

impl From<Component> for pb::AssessmentComponent {
    fn from(component: Component) -> Self {
        match component {
            Component::Completeness => pb::AssessmentComponent::Completeness,
            Component::Timeliness => pb::AssessmentComponent::Timeliness,
            Component::DisputeResolution => pb::AssessmentComponent::DisputeResolution,
            Component::OnTimeAcceptance => pb::AssessmentComponent::OnTimeAcceptance,
            Component::OnTimeClosure => pb::AssessmentComponent::OnTimeClosure,
            Component::RepeatPetitions => pb::AssessmentComponent::RepeatPetitions,
            Component::Satisfaction => pb::AssessmentComponent::Satisfaction,
        }
    }
}

impl From<&Scored> for pb::ComponentScore {
    fn from(scored: &Scored) -> Self {
        pb::ComponentScore {
            component: pb::AssessmentComponent::from(scored.component).into(),
            part: scored.share.part,
            whole: scored.share.whole,
            applicable: scored.percent.is_some(),
            percent: scored.percent.unwrap_or(0.0),
            weight: scored.weight,
        }
    }
}

impl From<&Assessment> for pb::Assessment {
    fn from(assessment: &Assessment) -> Self {
        pb::Assessment {
            components: assessment.components.iter().map(pb::ComponentScore::from).collect(),
            score: assessment.score.unwrap_or(0.0),
            scored: assessment.score.is_some(),
            complete: assessment.complete,
        }
    }
}

impl TryFrom<pb::AssessmentComponent> for Component {
    type Error = DomainError;

    fn try_from(component: pb::AssessmentComponent) -> Result<Self, DomainError> {
        Ok(match component {
            pb::AssessmentComponent::Completeness => Component::Completeness,
            pb::AssessmentComponent::Timeliness => Component::Timeliness,
            pb::AssessmentComponent::DisputeResolution => Component::DisputeResolution,
            pb::AssessmentComponent::OnTimeAcceptance => Component::OnTimeAcceptance,
            pb::AssessmentComponent::OnTimeClosure => Component::OnTimeClosure,
            pb::AssessmentComponent::RepeatPetitions => Component::RepeatPetitions,
            pb::AssessmentComponent::Satisfaction => Component::Satisfaction,
            pb::AssessmentComponent::Unspecified => return Err(refuse(0, "component")),
        })
    }
}

impl TryFrom<pb::ComponentScore> for Scored {
    type Error = DomainError;

    fn try_from(scored: pb::ComponentScore) -> Result<Self, DomainError> {
        let component = pb::AssessmentComponent::try_from(scored.component)
            .map_err(|_| refuse(scored.component, "component"))?;
        Ok(Scored {
            component: component.try_into()?,
            share: Share::new(scored.part, scored.whole),
            percent: scored.applicable.then_some(scored.percent),
            weight: scored.weight,
        })
    }
}

impl TryFrom<pb::Assessment> for Assessment {
    type Error = DomainError;

    fn try_from(assessment: pb::Assessment) -> Result<Self, DomainError> {
        Ok(Assessment {
            components: assessment.components.into_iter().map(Scored::try_from).collect::<Result<_, _>>()?,
            score: assessment.scored.then_some(assessment.score),
            complete: assessment.complete,
        })
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::assessment::{Performance, Weights};

    use super::*;

    #[test]
    fn every_component_travels_with_its_share_and_weight() {
        let performance = Performance {
            expected: 7,
            received: 6,
            on_time: 5,
            closed: 2,
            closed_on_time: 1,
            ..Default::default()
        };
        let assessment = Assessment::of(&performance, &Weights::default());
        let wire = pb::Assessment::from(&assessment);
        assert_eq!(wire.components.len(), Component::ALL.len());
        assert_eq!(wire.score, assessment.score.unwrap());
        assert!(wire.scored && !wire.complete);
        let closure = &wire.components[4];
        assert_eq!(closure.component(), pb::AssessmentComponent::OnTimeClosure);
        assert_eq!((closure.part, closure.whole, closure.applicable, closure.percent), (1, 2, true, 50.0));
        assert_eq!(closure.weight, Weights::default().on_time_closure);
        let satisfaction = &wire.components[6];
        assert_eq!((satisfaction.applicable, satisfaction.percent), (false, 0.0));
        assert_eq!(Assessment::try_from(wire).unwrap(), assessment);
        let none = pb::Assessment::from(&Assessment::of(&Performance::default(), &Weights::default()));
        assert_eq!((none.scored, none.score, none.complete), (false, 0.0, true));
    }
}
