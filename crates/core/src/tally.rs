//! Tallies: the additive figures of the weekly resolution report.
//!
//! A [`Tally`] is a commutative monoid under `+` with `Tally::default()` as
//! identity, and `-` undoes `+` exactly, so a node keeps per-unit day and week
//! rollups up to date by adding each report's tally to its unit and every
//! ancestor, and by subtracting the old revision's tally when a correction
//! replaces it. Every counter is an exact integer (money in fen), so the
//! incremental rollups equal a recomputation bit for bit.
//!
//! `expected` is the one counter that does not come from reports: it is the
//! number of (reporting unit, day) pairs the dated tree expects, counted by
//! [`crate::coverage::Coverage`] when a summary is read. `missing` is derived:
//! expected and not received.
//!
//! Distinct counts (employers involved in wage arrears) are not additive and
//! are not here: the store keeps the employers of each report and counts them
//! distinctly over a period ([`employer_key`] normalises their names).

use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

use crate::report::{DailyReport, Dispute, DisputeCategory, DisputeOutcome};

/// Number of categories and outcomes, fixed by the proto.
pub const CATEGORIES: usize = 10;
pub const OUTCOMES: usize = 4;

/// The figures of one unit (or subtree) over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Tally {
    /// (Reporting unit, day) pairs the dated tree expects; filled in when a
    /// summary is read, never stored.
    pub expected: i64,
    /// Reports received, zero reports included.
    pub received: i64,
    /// Received whose first revision was accepted before the day's cut-off.
    pub on_time: i64,
    /// Received after the cut-off.
    pub late: i64,
    /// Received reports without disputes.
    pub zero_reports: i64,
    pub disputes: i64,
    /// Parties involved, over all disputes.
    pub parties: i64,
    /// Disputes by category, in [`DisputeCategory::ALL`] order.
    pub by_category: [i64; CATEGORIES],
    /// Disputes by outcome, in [`DisputeOutcome::ALL`] order.
    pub by_outcome: [i64; OUTCOMES],
    /// Disputes carrying wage-arrears facts.
    pub wage_disputes: i64,
    /// Of those, resolved on the spot.
    pub wage_resolved: i64,
    pub wage_workers: i64,
    pub wage_claimed_cents: i64,
    pub wage_recovered_cents: i64,
}

/// Counters a tally stores (everything but `expected`).
pub const STORED_COUNTERS: usize = 5 + CATEGORIES + OUTCOMES + 6;

impl Tally {
    /// The tally of one report whose first revision was (or was not) on time.
    pub fn of_report(report: &DailyReport, on_time: bool) -> Self {
        Tally::of_disputes(report.disputes(), on_time)
    }

    /// The tally of a report with these disputes (none: a zero report).
    pub fn of_disputes(disputes: &[Dispute], on_time: bool) -> Self {
        let mut tally =
            Tally { received: 1, on_time: i64::from(on_time), late: i64::from(!on_time), ..Tally::default() };
        tally.zero_reports = i64::from(disputes.is_empty());
        for dispute in disputes {
            tally.disputes += 1;
            tally.parties += i64::from(dispute.parties());
            tally.by_category[category_index(dispute.category())] += 1;
            tally.by_outcome[outcome_index(dispute.outcome())] += 1;
            if let Some(wage) = dispute.wage_arrears() {
                tally.wage_disputes += 1;
                tally.wage_resolved += i64::from(dispute.outcome() == DisputeOutcome::ResolvedOnTheSpot);
                tally.wage_workers += i64::from(wage.workers());
                tally.wage_claimed_cents += wage.amount_claimed_cents();
                tally.wage_recovered_cents += wage.amount_recovered_cents();
            }
        }
        tally
    }

    /// Expected and not received (never below zero).
    pub fn missing(&self) -> i64 {
        (self.expected - self.received).max(0)
    }

    /// Disputes of one category.
    pub fn category(&self, category: DisputeCategory) -> i64 {
        self.by_category[category_index(category)]
    }

    /// Disputes with one outcome.
    pub fn outcome(&self, outcome: DisputeOutcome) -> i64 {
        self.by_outcome[outcome_index(outcome)]
    }

    /// Whether every stored counter is zero.
    pub fn is_empty(&self) -> bool {
        self.stored() == [0; STORED_COUNTERS]
    }

    /// The stored counters, in [`stored_columns`] order.
    pub fn stored(&self) -> [i64; STORED_COUNTERS] {
        let mut out = [0; STORED_COUNTERS];
        let head = [self.received, self.on_time, self.late, self.zero_reports, self.disputes];
        let tail = [
            self.parties,
            self.wage_disputes,
            self.wage_resolved,
            self.wage_workers,
            self.wage_claimed_cents,
            self.wage_recovered_cents,
        ];
        let parts = head.iter().chain(&self.by_category).chain(&self.by_outcome).chain(&tail);
        for (slot, value) in out.iter_mut().zip(parts) {
            *slot = *value;
        }
        out
    }

    /// Rebuilds a tally from [`Tally::stored`] counters (`expected` is zero).
    pub fn from_stored(counters: [i64; STORED_COUNTERS]) -> Self {
        let mut by_category = [0; CATEGORIES];
        by_category.copy_from_slice(&counters[5..5 + CATEGORIES]);
        let mut by_outcome = [0; OUTCOMES];
        by_outcome.copy_from_slice(&counters[5 + CATEGORIES..5 + CATEGORIES + OUTCOMES]);
        let tail = &counters[5 + CATEGORIES + OUTCOMES..];
        Tally {
            expected: 0,
            received: counters[0],
            on_time: counters[1],
            late: counters[2],
            zero_reports: counters[3],
            disputes: counters[4],
            by_category,
            by_outcome,
            parties: tail[0],
            wage_disputes: tail[1],
            wage_resolved: tail[2],
            wage_workers: tail[3],
            wage_claimed_cents: tail[4],
            wage_recovered_cents: tail[5],
        }
    }

    fn zip(self, other: Tally, f: impl Fn(i64, i64) -> i64) -> Tally {
        let (a, b) = (self.stored(), other.stored());
        let mut out = Tally::from_stored(std::array::from_fn(|i| f(a[i], b[i])));
        out.expected = f(self.expected, other.expected);
        out
    }
}

/// The names of the stored counters, as columns, in [`Tally::stored`] order.
pub fn stored_columns() -> [String; STORED_COUNTERS] {
    let head = ["received", "on_time", "late", "zero_reports", "disputes"].map(String::from);
    let categories = DisputeCategory::ALL.iter().map(|c| format!("cat_{}", c.as_str()));
    let outcomes = DisputeOutcome::ALL.iter().map(|o| format!("out_{}", o.as_str()));
    let tail = ["parties", "wage_disputes", "wage_resolved", "wage_workers", "wage_claimed_cents"]
        .into_iter()
        .chain(["wage_recovered_cents"])
        .map(String::from);
    let names: Vec<String> = head.into_iter().chain(categories).chain(outcomes).chain(tail).collect();
    names.try_into().expect("one name per counter")
}

fn category_index(category: DisputeCategory) -> usize {
    DisputeCategory::ALL.iter().position(|c| *c == category).expect("every category is listed")
}

fn outcome_index(outcome: DisputeOutcome) -> usize {
    DisputeOutcome::ALL.iter().position(|o| *o == outcome).expect("every outcome is listed")
}

impl Add for Tally {
    type Output = Tally;
    fn add(self, other: Tally) -> Tally {
        self.zip(other, |a, b| a + b)
    }
}

impl Sub for Tally {
    type Output = Tally;
    fn sub(self, other: Tally) -> Tally {
        self.zip(other, |a, b| a - b)
    }
}

impl Neg for Tally {
    type Output = Tally;
    fn neg(self) -> Tally {
        Tally::default() - self
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        *self = *self + other;
    }
}

impl SubAssign for Tally {
    fn sub_assign(&mut self, other: Tally) {
        *self = *self - other;
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), Add::add)
    }
}

/// The key under which an employer is counted distinctly: the name with
/// surrounding space trimmed, inner runs of white space made one space, and
/// ASCII letters lower-cased (so "ACME  Co." and "acme co." are one).
pub fn employer_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::report::tests::{dispute, draft};

    fn tally() -> impl Strategy<Value = Tally> {
        (any::<[i32; STORED_COUNTERS]>(), any::<i32>()).prop_map(|(counters, expected)| {
            let mut t = Tally::from_stored(counters.map(i64::from));
            t.expected = i64::from(expected);
            t
        })
    }

    proptest! {
        #[test]
        fn addition_is_a_commutative_monoid(a in tally(), b in tally(), c in tally()) {
            prop_assert_eq!(a + b, b + a);
            prop_assert_eq!((a + b) + c, a + (b + c));
            prop_assert_eq!(a + Tally::default(), a);
        }

        #[test]
        fn subtraction_undoes_addition(a in tally(), b in tally()) {
            prop_assert_eq!(a + b - b, a);
            prop_assert_eq!(a - a, Tally::default());
            prop_assert_eq!(-a + a, Tally::default());
        }

        #[test]
        fn stored_counters_round_trip(a in tally()) {
            let mut back = Tally::from_stored(a.stored());
            back.expected = a.expected;
            prop_assert_eq!(back, a);
        }
    }

    #[test]
    fn a_report_counts_its_disputes() {
        let zero = DailyReport::new(draft(1, vec![])).unwrap();
        let t = Tally::of_report(&zero, true);
        assert_eq!((t.received, t.on_time, t.late, t.zero_reports, t.disputes), (1, 1, 0, 1, 0));
        let busy = DailyReport::new(draft(
            1,
            vec![dispute("a", DisputeCategory::Land), dispute("b", DisputeCategory::Land)],
        ))
        .unwrap();
        let t = Tally::of_report(&busy, false);
        assert_eq!((t.received, t.on_time, t.late, t.zero_reports, t.disputes), (1, 0, 1, 0, 2));
        assert_eq!(t.category(DisputeCategory::Land), 2);
        assert_eq!(t.by_outcome.iter().sum::<i64>(), 2);
    }

    #[test]
    fn columns_are_distinct_identifiers() {
        let columns = stored_columns();
        let distinct: std::collections::HashSet<_> = columns.iter().collect();
        assert_eq!(distinct.len(), STORED_COUNTERS);
        assert!(columns.iter().all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }

    #[test]
    fn employer_names_normalise() {
        assert_eq!(employer_key("  ACME   Co. "), "acme co.");
        assert_eq!(employer_key("平顶山 建筑公司"), employer_key("平顶山  建筑公司"));
        assert_ne!(employer_key("甲公司"), employer_key("乙公司"));
    }

    #[test]
    fn missing_is_expected_less_received() {
        let t = Tally { expected: 7, received: 5, ..Tally::default() };
        assert_eq!(t.missing(), 2);
    }
}
