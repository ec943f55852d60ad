//! The figures of one (unit, day) as a node on `uplink.mode = summaries`
//! sends them above the summary boundary: absolute, versioned, and free of
//! text. A district forwards these to its city in place of reports and case
//! events; the city applies the difference between the state it held and
//! the newer one, so duplicates, resends and reordering change nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::read::CaseFigure;
use crate::{Tally, UnitId};

/// One (unit, day) of a sender's subtree, as its own summaries read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupState {
    pub unit_id: UnitId,
    pub day: NaiveDate,
    /// Grows with every state the sender sends.
    pub version: u64,
    /// The day's stored counters; `expected` holds the reporting units the
    /// sender's dated tree expects that day (due or not).
    pub tally: Tally,
    /// Employer key → current reports naming it.
    pub employers: BTreeMap<String, i64>,
    /// Case figure → the cases behind it that day.
    pub cases: BTreeMap<CaseFigure, BTreeSet<String>>,
}

/// What applying a newer state changes: the difference of every part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateDelta {
    pub tally: Tally,
    pub employers: Vec<(String, i64)>,
    pub cases: Vec<(CaseFigure, String, i64)>,
}

impl StateDelta {
    /// `new − old`: what to add to every unit the state counts towards.
    pub fn between(old: Option<&RollupState>, new: &RollupState) -> StateDelta {
        let empty = RollupState::empty(new.unit_id.clone(), new.day);
        let old = old.unwrap_or(&empty);
        let tally = new.tally - old.tally;
        let mut employers: BTreeMap<&str, i64> = BTreeMap::new();
        for (key, n) in &new.employers {
            *employers.entry(key).or_default() += n;
        }
        for (key, n) in &old.employers {
            *employers.entry(key).or_default() -= n;
        }
        let mut cases: BTreeMap<(CaseFigure, &str), i64> = BTreeMap::new();
        for (figure, ids) in &new.cases {
            for id in ids {
                *cases.entry((*figure, id)).or_default() += 1;
            }
        }
        for (figure, ids) in &old.cases {
            for id in ids {
                *cases.entry((*figure, id)).or_default() -= 1;
            }
        }
        StateDelta {
            tally,
            employers: employers
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|(k, n)| (k.to_owned(), n))
                .collect(),
            cases: cases
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|((f, id), n)| (f, id.to_owned(), n))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tally == Tally::default() && self.employers.is_empty() && self.cases.is_empty()
    }
}

impl RollupState {
    /// Nothing held for `unit` on `day`.
    pub fn empty(unit_id: UnitId, day: NaiveDate) -> Self {
        RollupState {
            unit_id,
            day,
            version: 0,
            tally: Tally::default(),
            employers: BTreeMap::new(),
            cases: BTreeMap::new(),
        }
    }

    /// The same figures (the version aside).
    pub fn same_figures(&self, other: &RollupState) -> bool {
        self.tally == other.tally && self.employers == other.employers && self.cases == other.cases
    }
}

/// The key an employer travels under above the district: HMAC-SHA256 of its
/// normalised name ([`crate::tally::employer_key`]) under the deployment's
/// secret, hex. The same employer gives the same key in every district, so a
/// city counts it once; the name itself stays in the district.
pub fn employer_digest(secret: &[u8], employer: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(b"fengqiao employer\0");
    mac.update(employer.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn state(received: i64, employers: &[(&str, i64)], cases: &[(CaseFigure, &str)]) -> RollupState {
        let mut s = RollupState::empty(UnitId::parse("410411").unwrap(), day());
        s.tally.received = received;
        s.tally.expected = 10;
        s.employers = employers.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect();
        for (f, id) in cases {
            s.cases.entry(*f).or_default().insert((*id).to_owned());
        }
        s
    }

    #[test]
    fn the_delta_of_a_state_over_its_predecessor() {
        let old = state(3, &[("a", 2), ("b", 1)], &[(CaseFigure::Registered, "c1")]);
        let new = state(5, &[("a", 2), ("c", 1)], &[(CaseFigure::Registered, "c2")]);
        let delta = StateDelta::between(Some(&old), &new);
        assert_eq!(delta.tally.received, 2);
        assert_eq!(delta.tally.expected, 0);
        assert_eq!(delta.employers, vec![("b".to_owned(), -1), ("c".to_owned(), 1)]);
        assert_eq!(
            delta.cases,
            vec![(CaseFigure::Registered, "c1".to_owned(), -1), (CaseFigure::Registered, "c2".to_owned(), 1)]
        );
        assert!(StateDelta::between(Some(&new), &new).is_empty());
        assert_eq!(StateDelta::between(None, &new).tally.expected, 10);
    }

    #[test]
    fn employer_keys_are_stable_and_hide_the_name() {
        let a = employer_digest(b"secret", "acme co.");
        assert_eq!(a, employer_digest(b"secret", "acme co."));
        assert_ne!(a, employer_digest(b"other", "acme co."));
        assert_ne!(a, employer_digest(b"secret", "acme co"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("acme"));
    }

    proptest! {
        /// Applying the deltas of any sequence of states, each over the one
        /// before, leaves exactly the last state: what the receiver holds
        /// never depends on the states in between.
        #[test]
        fn deltas_telescope(steps in proptest::collection::vec((0i64..50, 0i64..4, 0usize..3), 1..8)) {
            let mut held = state(0, &[], &[]);
            held.tally.expected = 0;
            let mut total = Tally::default();
            let mut employers: BTreeMap<String, i64> = BTreeMap::new();
            let mut last = None;
            for (received, n, c) in steps {
                let ids = ["x", "y", "z"];
                let cases: Vec<(CaseFigure, &str)> = ids[..c].iter().map(|id| (CaseFigure::Closed, *id)).collect();
                let next = state(received, &[("k", n)], &cases);
                let delta = StateDelta::between(last.as_ref(), &next);
                total += delta.tally;
                for (k, d) in delta.employers {
                    *employers.entry(k).or_default() += d;
                }
                last = Some(next);
            }
            let last = last.unwrap();
            prop_assert_eq!(total, last.tally);
            employers.retain(|_, n| *n != 0);
            let expected: BTreeMap<String, i64> = last.employers.clone().into_iter().filter(|(_, n)| *n != 0).collect();
            prop_assert_eq!(employers, expected);
        }
    }
}
