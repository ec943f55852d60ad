//! The accountability assessment (责任追究) of the units of a scorecard: the
//! one place that says how a child unit's score and rank are made. A
//! summary's scorecard rows, `fengqiao summary`, `fengqiao drill --figure
//! rank` and the JSON output all show what [`Assessment::of`] and [`ranks`]
//! compute here.
//!
//! # Components
//!
//! Seven shares, each `part / whole` of what the unit did over the range,
//! shown in percent:
//!
//! | component | part | whole | default weight |
//! |---|---|---|---|
//! | completeness | reports received | reports expected | 25 |
//! | timeliness | reports received before their day's cut-off | reports expected | 15 |
//! | dispute resolution | disputes resolved on the spot | disputes found | 15 |
//! | on-time acceptance | cases accepted within the acceptance deadline | cases accepted | 10 |
//! | on-time closure | cases closed that were resolved by their deadline | cases closed | 15 |
//! | repeat petitions | registrations that were not repeat petitions | registrations | 10 |
//! | satisfaction | closings the petitioner was satisfied with | satisfied + dissatisfied | 10 |
//!
//! A component whose whole is 0 is **not applicable**: nothing was there to
//! judge (no case closed, no dispute found). It counts neither as 100% nor
//! as 0%: it is left out of the score. A part is never more than its whole.
//!
//! # Score
//!
//! The weighted mean of the applicable components:
//!
//! ```text
//! score = Σ weight(c) × percent(c) / Σ weight(c)   over applicable c with weight(c) > 0
//! ```
//!
//! summed in the table's order. A unit with no applicable component of
//! positive weight has no score. The weights ([`Weights`]) are relative
//! integers from the node's configuration (`[ranking]`).
//!
//! # Rank
//!
//! Rows are ordered, best first, by:
//!
//! 1. completeness, higher first, compared exactly as a fraction (a unit
//!    expected to send nothing counts as complete). A unit with a missing
//!    report therefore never outranks one with fewer missing in proportion,
//!    whatever its other figures, and one more missing report never
//!    improves a unit's place: silence never pays, not even by leaving a
//!    day's unresolved disputes unreported;
//! 2. a unit with a score before one without;
//! 3. score, higher first, compared to a millionth of a point;
//! 4. the total weight of its applicable components, higher first: on an
//!    equal score, the unit judged on more of its work goes first;
//! 5. timeliness, higher first, compared exactly (not applicable last);
//! 6. unit id, in byte order.
//!
//! The order is total, so ranks run 1, 2, 3, … without shared places, and
//! the same rows in any order get the same ranks. Every input of the order
//! travels with the row (each component's part, whole and weight), so a
//! reader can recompute every rank.

use crate::why;
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::unit::UnitId;

/// One component of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Completeness,
    Timeliness,
    DisputeResolution,
    OnTimeAcceptance,
    OnTimeClosure,
    RepeatPetitions,
    Satisfaction,
}

impl Component {
    /// Every component, in the order of the table above (and of the score's sum).
    pub const ALL: [Component; 7] = [
        Component::Completeness,
        Component::Timeliness,
        Component::DisputeResolution,
        Component::OnTimeAcceptance,
        Component::OnTimeClosure,
        Component::RepeatPetitions,
        Component::Satisfaction,
    ];

    /// The stable English name (configuration key, JSON).
    pub fn name(self) -> &'static str {
        match self {
            Component::Completeness => "completeness",
            Component::Timeliness => "timeliness",
            Component::DisputeResolution => "dispute_resolution",
            Component::OnTimeAcceptance => "on_time_acceptance",
            Component::OnTimeClosure => "on_time_closure",
            Component::RepeatPetitions => "repeat_petitions",
            Component::Satisfaction => "satisfaction",
        }
    }
}

/// Largest weight of one component.
pub const MAX_WEIGHT: u32 = 1000;

/// The relative weight of each component in the score. The defaults put
/// reporting first (completeness and timeliness: 40 of 100), then the
/// handling of disputes and cases (50), then satisfaction (10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    pub completeness: u32,
    pub timeliness: u32,
    pub dispute_resolution: u32,
    pub on_time_acceptance: u32,
    pub on_time_closure: u32,
    pub repeat_petitions: u32,
    pub satisfaction: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            completeness: 25,
            timeliness: 15,
            dispute_resolution: 15,
            on_time_acceptance: 10,
            on_time_closure: 15,
            repeat_petitions: 10,
            satisfaction: 10,
        }
    }
}

impl Weights {
    /// The weight of one component.
    pub fn get(&self, component: Component) -> u32 {
        match component {
            Component::Completeness => self.completeness,
            Component::Timeliness => self.timeliness,
            Component::DisputeResolution => self.dispute_resolution,
            Component::OnTimeAcceptance => self.on_time_acceptance,
            Component::OnTimeClosure => self.on_time_closure,
            Component::RepeatPetitions => self.repeat_petitions,
            Component::Satisfaction => self.satisfaction,
        }
    }

    /// Each weight at most [`MAX_WEIGHT`], and at least one above 0; the
    /// error names the component.
    pub fn check(&self) -> Result<(), DomainError> {
        for component in Component::ALL {
            if self.get(component) > MAX_WEIGHT {
                return Err(DomainError::invalid(
                    component.name(),
                    why!(MUST_BE_AT_MOST, "must be at most {max}", max = MAX_WEIGHT),
                ));
            }
        }
        if Component::ALL.iter().all(|c| self.get(*c) == 0) {
            return Err(DomainError::invalid(
                Component::Completeness.name(),
                why!(AT_LEAST_ONE_WEIGHT_MUST_BE, "at least one weight must be above 0"),
            ));
        }
        Ok(())
    }
}

/// `part` of `whole`; the part never exceeds the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Share {
    pub part: u64,
    pub whole: u64,
}

impl Share {
    /// `part` of `whole`, the part cut down to the whole (a figure read
    /// while data were arriving must not make a share above 100%).
    pub fn new(part: u64, whole: u64) -> Share {
        Share { part: part.min(whole), whole }
    }

    /// Whether there was anything to judge.
    pub fn is_applicable(self) -> bool {
        self.whole > 0
    }

    /// The share in percent; `None` when not applicable.
    pub fn percent(self) -> Option<f64> {
        self.is_applicable().then(|| 100.0 * self.part as f64 / self.whole as f64)
    }

    /// Compares two applicable shares exactly (`a/b` against `c/d` as
    /// `a·d` against `c·b`).
    fn cmp_exact(self, other: Share) -> Ordering {
        (u128::from(self.part) * u128::from(other.whole))
            .cmp(&(u128::from(other.part) * u128::from(self.whole)))
    }
}

/// What the assessment reads of one unit over a range: report counts from
/// the rollups and case counts from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Performance {
    /// Reports the dated tree expected on due days.
    pub expected: u64,
    pub received: u64,
    /// Received before their day's cut-off.
    pub on_time: u64,
    pub disputes: u64,
    pub resolved_on_the_spot: u64,
    pub accepted: u64,
    pub accepted_on_time: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub registered: u64,
    pub repeat_petitions: u64,
    pub satisfied: u64,
    pub dissatisfied: u64,
}

impl Performance {
    /// The share behind one component.
    pub fn share(&self, component: Component) -> Share {
        match component {
            Component::Completeness => Share::new(self.received, self.expected),
            Component::Timeliness => Share::new(self.on_time, self.expected),
            Component::DisputeResolution => Share::new(self.resolved_on_the_spot, self.disputes),
            Component::OnTimeAcceptance => Share::new(self.accepted_on_time, self.accepted),
            Component::OnTimeClosure => Share::new(self.closed_on_time, self.closed),
            Component::RepeatPetitions => Share::new(
                self.registered.saturating_sub(self.repeat_petitions.min(self.registered)),
                self.registered,
            ),
            Component::Satisfaction => {
                Share::new(self.satisfied, self.satisfied.saturating_add(self.dissatisfied))
            }
        }
    }
}

/// One component of a unit's assessment: its share, percent (none when not
/// applicable) and weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scored {
    pub component: Component,
    /// Written as `part` and `whole` beside the component.
    #[serde(flatten)]
    pub share: Share,
    pub percent: Option<f64>,
    pub weight: u32,
}

/// A unit's assessment over a range: every component and the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// In [`Component::ALL`] order.
    pub components: Vec<Scored>,
    /// The weighted mean of the applicable components (0–100); none when no
    /// component of positive weight applies.
    pub score: Option<f64>,
    /// No expected report is missing (nothing expected counts as complete).
    pub complete: bool,
}

impl Assessment {
    /// The assessment of `performance` under `weights` (see the module doc).
    pub fn of(performance: &Performance, weights: &Weights) -> Assessment {
        let components: Vec<Scored> = Component::ALL
            .iter()
            .map(|&component| {
                let share = performance.share(component);
                Scored { component, share, percent: share.percent(), weight: weights.get(component) }
            })
            .collect();
        let (mut sum, mut total) = (0.0, 0u64);
        for scored in &components {
            if let Some(percent) = scored.percent
                && scored.weight > 0
            {
                sum += f64::from(scored.weight) * percent;
                total += u64::from(scored.weight);
            }
        }
        let score = (total > 0).then(|| (sum / total as f64).clamp(0.0, 100.0));
        let completeness = performance.share(Component::Completeness);
        Assessment { components, score, complete: completeness.part == completeness.whole }
    }

    /// The scored component `component`.
    pub fn component(&self, component: Component) -> Scored {
        self.components.iter().copied().find(|c| c.component == component).unwrap_or(Scored {
            component,
            share: Share::new(0, 0),
            percent: None,
            weight: 0,
        })
    }

    /// The score as the order compares it: in millionths of a point.
    fn score_key(&self) -> Option<i64> {
        self.score.map(|score| (score * 1e6).round() as i64)
    }

    /// The total weight of the applicable components.
    fn judged_weight(&self) -> u64 {
        self.components.iter().filter(|c| c.percent.is_some()).map(|c| u64::from(c.weight)).sum()
    }
}

/// Completeness for the order: nothing expected counts as complete (1/1).
fn completeness_key(assessment: &Assessment) -> Share {
    let share = assessment.component(Component::Completeness).share;
    if share.is_applicable() { share } else { Share::new(1, 1) }
}

/// The order of the scorecard, best first (see the module doc): `Less`
/// when `a` ranks above `b`.
pub fn compare(a: (&UnitId, &Assessment), b: (&UnitId, &Assessment)) -> Ordering {
    let ((a_id, a), (b_id, b)) = (a, b);
    completeness_key(b)
        .cmp_exact(completeness_key(a))
        .then_with(|| b.score_key().is_some().cmp(&a.score_key().is_some()))
        .then_with(|| b.score_key().cmp(&a.score_key()))
        .then_with(|| b.judged_weight().cmp(&a.judged_weight()))
        .then_with(|| {
            let (a, b) = (a.component(Component::Timeliness).share, b.component(Component::Timeliness).share);
            match (a.is_applicable(), b.is_applicable()) {
                (true, true) => b.cmp_exact(a),
                (a, b) => b.cmp(&a),
            }
        })
        .then_with(|| a_id.cmp(b_id))
}

/// The rank (1 = best) of each entry, in the order given.
pub fn ranks(entries: &[(UnitId, Assessment)]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&i, &j| {
        compare((&entries[i].0, &entries[i].1), (&entries[j].0, &entries[j].1)).then(i.cmp(&j))
    });
    let mut ranks = vec![0; entries.len()];
    for (place, index) in order.into_iter().enumerate() {
        ranks[index] = u32::try_from(place + 1).unwrap_or(u32::MAX);
    }
    ranks
}

#[cfg(test)]
mod tests;
