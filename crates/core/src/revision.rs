//! The revision rules: what a submission does to the stored report for its
//! (unit, date).
//!
//! | stored        | submitted                  | result                           |
//! |---------------|----------------------------|----------------------------------|
//! | nothing       | revision 1                 | `New`                            |
//! | nothing       | revision > 1, from reporter| `FirstRevisionNotOne`            |
//! | nothing       | revision > 1, via uplink   | `New` (arrivals may be reordered)|
//! | revision r    | r, same content            | `Duplicate` (nothing changes)    |
//! | revision r    | r, other content           | `RevisionConflict` (ABORTED)     |
//! | revision r    | > r                        | `Correction { replaced: r }`     |
//! | revision r    | < r                        | `StaleRevision` (FAILED_PRECONDITION) |

use crate::error::DomainError;
use crate::report::{DailyReport, Revision};

/// What a node knows of the stored report when deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub revision: Revision,
    pub content_hash: [u8; 32],
}

/// Where a submission comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A reporter submitting to the node that serves the unit.
    Reporter,
    /// A child node forwarding what it accepted; revisions may arrive out of
    /// order.
    Uplink,
}

/// What applying a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Nothing was stored for the key; this revision now is.
    New,
    /// The identical revision was already stored; nothing changed.
    Duplicate,
    /// A higher revision replaced `replaced`, which stays in the history.
    Correction { replaced: Revision },
}

impl Applied {
    /// Whether the store must write anything.
    pub fn changes_state(self) -> bool {
        !matches!(self, Applied::Duplicate)
    }
}

/// Decides what `incoming` does given the stored head, without side effects.
pub fn decide(
    current: Option<&Head>,
    incoming: &DailyReport,
    source: Source,
) -> Result<Applied, DomainError> {
    let submitted = incoming.revision();
    let Some(current) = current else {
        if submitted != Revision::FIRST && source == Source::Reporter {
            return Err(DomainError::FirstRevisionNotOne { submitted });
        }
        return Ok(Applied::New);
    };
    match submitted.cmp(&current.revision) {
        std::cmp::Ordering::Less => Err(DomainError::StaleRevision { submitted, current: current.revision }),
        std::cmp::Ordering::Equal if incoming.content_hash() == current.content_hash => {
            Ok(Applied::Duplicate)
        }
        std::cmp::Ordering::Equal => Err(DomainError::RevisionConflict { revision: submitted }),
        std::cmp::Ordering::Greater => Ok(Applied::Correction { replaced: current.revision }),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::report::tests::{dispute, draft};
    use crate::report::{DailyReport, DisputeCategory};

    fn report(revision: u32, variant: u8) -> DailyReport {
        let disputes = match variant % 3 {
            0 => vec![],
            1 => vec![dispute("a", DisputeCategory::Land)],
            _ => vec![dispute("a", DisputeCategory::WageArrears), dispute("b", DisputeCategory::Neighbour)],
        };
        DailyReport::new(draft(revision, disputes)).unwrap()
    }

    fn head(report: &DailyReport) -> Head {
        Head { revision: report.revision(), content_hash: report.content_hash() }
    }

    #[test]
    fn the_table_holds() {
        let first = report(1, 0);
        assert_eq!(decide(None, &first, Source::Reporter), Ok(Applied::New));
        assert_eq!(
            decide(None, &report(2, 0), Source::Reporter),
            Err(DomainError::FirstRevisionNotOne { submitted: Revision::new(2).unwrap() })
        );
        assert_eq!(decide(None, &report(2, 0), Source::Uplink), Ok(Applied::New));
        assert_eq!(decide(Some(&head(&first)), &first, Source::Reporter), Ok(Applied::Duplicate));
        assert_eq!(
            decide(Some(&head(&first)), &report(1, 1), Source::Reporter),
            Err(DomainError::RevisionConflict { revision: Revision::FIRST })
        );
        assert_eq!(
            decide(Some(&head(&first)), &report(3, 1), Source::Reporter),
            Ok(Applied::Correction { replaced: Revision::FIRST })
        );
        let third = report(3, 1);
        assert_eq!(
            decide(Some(&head(&third)), &report(2, 1), Source::Uplink),
            Err(DomainError::StaleRevision {
                submitted: Revision::new(2).unwrap(),
                current: Revision::new(3).unwrap()
            })
        );
    }

    /// Applies submissions one by one as a store would: state changes only on
    /// `New` and `Correction`.
    fn apply_all(
        submissions: &[DailyReport],
        source: Source,
    ) -> (Option<Head>, Vec<Result<Applied, DomainError>>) {
        let mut state: Option<Head> = None;
        let mut results = Vec::new();
        for submission in submissions {
            let result = decide(state.as_ref(), submission, source);
            if let Ok(applied) = result
                && applied.changes_state()
            {
                state = Some(head(submission));
            }
            results.push(result);
        }
        (state, results)
    }

    proptest! {
        /// Whatever arrives, the stored revision never goes down, a duplicate
        /// never changes anything, and the stored content is always one that was
        /// submitted with that revision and accepted.
        #[test]
        fn stored_revision_only_grows(steps in prop::collection::vec((1u32..5, 0u8..3), 1..40)) {
            let submissions: Vec<DailyReport> = steps.iter().map(|&(r, v)| report(r, v)).collect();
            let mut state: Option<Head> = None;
            for submission in &submissions {
                let before = state;
                match decide(state.as_ref(), submission, Source::Reporter) {
                    Ok(Applied::Duplicate) => prop_assert_eq!(Some(head(submission)), before),
                    Ok(Applied::New) => { prop_assert!(before.is_none()); prop_assert_eq!(submission.revision(), Revision::FIRST); state = Some(head(submission)); }
                    Ok(Applied::Correction { replaced }) => { prop_assert_eq!(Some(replaced), before.map(|h| h.revision)); prop_assert!(submission.revision() > replaced); state = Some(head(submission)); }
                    Err(DomainError::StaleRevision { current, .. }) => { prop_assert_eq!(Some(current), before.map(|h| h.revision)); prop_assert!(submission.revision() < current); }
                    Err(DomainError::RevisionConflict { revision }) => { prop_assert_eq!(Some(revision), before.map(|h| h.revision)); prop_assert_ne!(Some(submission.content_hash()), before.map(|h| h.content_hash)); }
                    Err(DomainError::FirstRevisionNotOne { .. }) => prop_assert!(before.is_none()),
                    Err(other) => prop_assert!(false, "unexpected {:?}", other),
                }
                if let (Some(b), Some(s)) = (before, state) { prop_assert!(s.revision >= b.revision); }
            }
        }

        /// Over the uplink, order does not matter: for one content per revision,
        /// any arrival order, with any duplication, ends at the highest revision.
        #[test]
        fn uplink_order_does_not_matter(
            variants in prop::collection::vec(0u8..3, 1..6),
            order in prop::collection::vec(any::<prop::sample::Index>(), 1..30),
        ) {
            let distinct: Vec<DailyReport> = variants.iter().enumerate().map(|(i, &v)| report(i as u32 + 1, v)).collect();
            let mut arrivals: Vec<DailyReport> = order.iter().map(|index| distinct[index.index(distinct.len())].clone()).collect();
            let highest = arrivals.iter().map(DailyReport::revision).max().unwrap();
            let (state, results) = apply_all(&arrivals, Source::Uplink);
            prop_assert_eq!(state.map(|h| h.revision), Some(highest));
            let conflicts = results.iter().filter(|r| matches!(r, Err(DomainError::RevisionConflict { .. }))).count();
            prop_assert_eq!(conflicts, 0);
            arrivals.reverse();
            let (reversed, _) = apply_all(&arrivals, Source::Uplink);
            prop_assert_eq!(state, reversed);
        }
    }
}
