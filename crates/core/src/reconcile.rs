//! Anti-entropy between tiers: what two nodes compare to find out whether a
//! parent holds everything its child node holds, and what to do where they
//! differ. Pure: the store keeps the digests, the node runs the exchange.
//!
//! **Items.** What a child node forwards up are *items*: the current head of
//! each daily report — (unit, date, revision, content hash) — and each case
//! event — (case id, sequence, hash of its stored body). Each item has a
//! 48-bit hash ([`report_item_hash`], [`case_event_item_hash`]).
//!
//! **Digests.** A [`Digest`] of a set of items is its count and the sum of
//! its item hashes modulo 2^48. The sum is order-independent and has an
//! inverse, so it is kept incrementally: a new report adds its hash, a
//! correction adds the new head's hash and subtracts the replaced one's, a
//! new case event adds its hash. 48 bits (not 64) so that SQL can sum
//! thousands of item hashes in a plain `BIGINT` without overflow on either
//! backend; the chance that two different sets of the same size collide is
//! 2^-48 per compared digest. [`Digests`] holds one digest per kind.
//!
//! **Comparing a day.** Where a day's digests differ, the two nodes' items
//! of that day are listed and compared ([`compare_day`]): what the child
//! holds and the parent lacks (or holds at a lower revision) is sent again
//! through the ordinary uplink; what the parent holds and the child lacks,
//! holds at a higher revision or with other content is a [`Conflict`] for
//! the operator, never applied downward as truth.

use std::collections::BTreeMap;
use std::ops::{Add, AddAssign, Sub};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::case::CaseId;
use crate::{Revision, UnitId};

/// Bits of an item hash and of a digest's sum.
pub const HASH_BITS: u32 = 48;
/// Item hashes and digest sums are kept modulo this (2^48).
pub const HASH_MODULUS: u64 = 1 << HASH_BITS;

/// A set of items: how many, and the sum of their hashes modulo 2^48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Digest {
    pub items: u64,
    pub hash: u64,
}

impl Digest {
    /// A digest from stored or received parts (the hash is reduced modulo
    /// 2^48).
    pub fn new(items: u64, hash: u64) -> Digest {
        Digest { items, hash: hash % HASH_MODULUS }
    }

    /// The digest of `hashes`, in any order.
    pub fn of(hashes: impl IntoIterator<Item = u64>) -> Digest {
        hashes.into_iter().fold(Digest::default(), |mut digest, hash| {
            digest.insert(hash);
            digest
        })
    }

    /// Adds an item.
    pub fn insert(&mut self, item_hash: u64) {
        self.items = self.items.wrapping_add(1);
        self.hash = (self.hash + item_hash % HASH_MODULUS) % HASH_MODULUS;
    }

    /// Takes an item out (the inverse of [`Digest::insert`]).
    pub fn remove(&mut self, item_hash: u64) {
        self.items = self.items.wrapping_sub(1);
        self.hash = (self.hash + HASH_MODULUS - item_hash % HASH_MODULUS) % HASH_MODULUS;
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0 && self.hash == 0
    }
}

impl Add for Digest {
    type Output = Digest;
    fn add(self, other: Digest) -> Digest {
        Digest { items: self.items.wrapping_add(other.items), hash: (self.hash + other.hash) % HASH_MODULUS }
    }
}

impl AddAssign for Digest {
    fn add_assign(&mut self, other: Digest) {
        *self = *self + other;
    }
}

impl Sub for Digest {
    type Output = Digest;
    fn sub(self, other: Digest) -> Digest {
        Digest {
            items: self.items.wrapping_sub(other.items),
            hash: (self.hash + HASH_MODULUS - other.hash) % HASH_MODULUS,
        }
    }
}

/// The digests of one scope (a subtree over a day, a week, or all time):
/// report heads and case events apart, so that a difference in one kind
/// lists only that kind's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Digests {
    pub reports: Digest,
    pub case_events: Digest,
}

impl Digests {
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty() && self.case_events.is_empty()
    }

    /// Items on both sides, counted once each.
    pub fn items(&self) -> u64 {
        self.reports.items.saturating_add(self.case_events.items)
    }
}

impl Add for Digests {
    type Output = Digests;
    fn add(self, other: Digests) -> Digests {
        Digests { reports: self.reports + other.reports, case_events: self.case_events + other.case_events }
    }
}

impl AddAssign for Digests {
    fn add_assign(&mut self, other: Digests) {
        *self = *self + other;
    }
}

impl Sub for Digests {
    type Output = Digests;
    fn sub(self, other: Digests) -> Digests {
        Digests { reports: self.reports - other.reports, case_events: self.case_events - other.case_events }
    }
}

/// The first 48 bits of a SHA-256.
fn hash48(hasher: Sha256) -> u64 {
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) >> (64 - HASH_BITS)
}

/// The hash of a report head: its unit, date, revision and content hash.
pub fn report_item_hash(unit: &UnitId, date: NaiveDate, revision: Revision, content_hash: &[u8; 32]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"fengqiao.digest.v1.report\0");
    hasher.update(unit.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(date.format("%Y-%m-%d").to_string().as_bytes());
    hasher.update(revision.get().to_be_bytes());
    hasher.update(content_hash);
    hash48(hasher)
}

/// The hash of a case event: its case, sequence and body's hash.
pub fn case_event_item_hash(case_id: &CaseId, seq: u32, content_hash: &[u8; 32]) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"fengqiao.digest.v1.case_event\0");
    hasher.update(case_id.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(seq.to_be_bytes());
    hasher.update(content_hash);
    hash48(hasher)
}

/// The content hash of a case event: SHA-256 of its stored body (the
/// canonical JSON every node stores byte for byte alike).
pub fn case_event_content_hash(body: &str) -> [u8; 32] {
    Sha256::digest(body.as_bytes()).into()
}

/// A report head one node holds for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldReport {
    pub unit_id: UnitId,
    pub revision: Revision,
    pub content_hash: [u8; 32],
}

impl HeldReport {
    pub fn item_hash(&self, date: NaiveDate) -> u64 {
        report_item_hash(&self.unit_id, date, self.revision, &self.content_hash)
    }
}

/// A case event one node holds for a day (the event's own day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCaseEvent {
    pub case_id: CaseId,
    pub seq: u32,
    /// The unit that wrote it.
    pub unit_id: UnitId,
    pub content_hash: [u8; 32],
}

impl HeldCaseEvent {
    pub fn item_hash(&self) -> u64 {
        case_event_item_hash(&self.case_id, self.seq, &self.content_hash)
    }
}

/// Which item a conflict is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKey {
    Report { unit_id: UnitId, date: NaiveDate },
    CaseEvent { case_id: CaseId, seq: u32, date: NaiveDate },
}

impl std::fmt::Display for ItemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemKey::Report { unit_id, date } => write!(f, "report {unit_id}@{date}"),
            ItemKey::CaseEvent { case_id, seq, date } => write!(f, "case {case_id} event {seq} ({date})"),
        }
    }
}

/// How the parent's copy differs from the child's, where the child cannot
/// repair it by sending again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The parent holds it; the child does not (the child lost it, e.g.
    /// restored from an older backup).
    OnlyAtParent,
    /// The parent holds a higher revision than the child.
    NewerAtParent,
    /// Same revision (or case event), other content.
    ContentDiffers,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::OnlyAtParent => "only_at_parent",
            ConflictKind::NewerAtParent => "newer_at_parent",
            ConflictKind::ContentDiffers => "content_differs",
        }
    }
}

/// A difference the exchange reports to the operator and does not repair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    pub item: ItemKey,
    pub kind: ConflictKind,
    /// The child's revision of a report (none for case events, or when the
    /// child has none).
    pub child_revision: Option<u32>,
    /// The parent's revision of a report.
    pub parent_revision: Option<u32>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.item, self.kind.as_str())?;
        if let (None, None) = (self.child_revision, self.parent_revision) {
            return Ok(());
        }
        let show = |r: Option<u32>| r.map_or_else(|| "none".to_owned(), |r| format!("r{r}"));
        write!(f, " (child {}, parent {})", show(self.child_revision), show(self.parent_revision))
    }
}

/// What comparing one day's items found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayComparison {
    /// Report heads the parent lacks or holds at a lower revision.
    pub resend_reports: Vec<HeldReport>,
    /// Case events the parent lacks.
    pub resend_case_events: Vec<HeldCaseEvent>,
    pub conflicts: Vec<Conflict>,
    /// Distinct items looked at (on either side).
    pub compared: u64,
}

/// An item as the child and the parent hold it (either may not).
type Sides<'a, T> = (Option<&'a T>, Option<&'a T>);

/// Compares the child's and the parent's items of one day.
pub fn compare_day(
    date: NaiveDate,
    child_reports: &[HeldReport],
    parent_reports: &[HeldReport],
    child_events: &[HeldCaseEvent],
    parent_events: &[HeldCaseEvent],
) -> DayComparison {
    let mut out = DayComparison::default();
    let mut reports: BTreeMap<&UnitId, Sides<'_, HeldReport>> = BTreeMap::new();
    for held in child_reports {
        reports.entry(&held.unit_id).or_default().0 = Some(held);
    }
    for held in parent_reports {
        reports.entry(&held.unit_id).or_default().1 = Some(held);
    }
    for (unit_id, sides) in reports {
        out.compared += 1;
        let conflict = |kind, child: Option<&HeldReport>, parent: Option<&HeldReport>| Conflict {
            item: ItemKey::Report { unit_id: unit_id.clone(), date },
            kind,
            child_revision: child.map(|h| h.revision.get()),
            parent_revision: parent.map(|h| h.revision.get()),
        };
        match sides {
            (Some(child), None) => out.resend_reports.push(child.clone()),
            (None, Some(parent)) => {
                out.conflicts.push(conflict(ConflictKind::OnlyAtParent, None, Some(parent)))
            }
            (Some(child), Some(parent)) if child.revision > parent.revision => {
                out.resend_reports.push(child.clone())
            }
            (Some(child), Some(parent)) if child.revision < parent.revision => {
                out.conflicts.push(conflict(ConflictKind::NewerAtParent, Some(child), Some(parent)))
            }
            (Some(child), Some(parent)) if child.content_hash != parent.content_hash => {
                out.conflicts.push(conflict(ConflictKind::ContentDiffers, Some(child), Some(parent)))
            }
            _ => {}
        }
    }
    let mut events: BTreeMap<(&CaseId, u32), Sides<'_, HeldCaseEvent>> = BTreeMap::new();
    for held in child_events {
        events.entry((&held.case_id, held.seq)).or_default().0 = Some(held);
    }
    for held in parent_events {
        events.entry((&held.case_id, held.seq)).or_default().1 = Some(held);
    }
    for ((case_id, seq), sides) in events {
        out.compared += 1;
        let conflict = |kind| Conflict {
            item: ItemKey::CaseEvent { case_id: case_id.clone(), seq, date },
            kind,
            child_revision: None,
            parent_revision: None,
        };
        match sides {
            (Some(child), None) => out.resend_case_events.push(child.clone()),
            (None, Some(_)) => out.conflicts.push(conflict(ConflictKind::OnlyAtParent)),
            (Some(child), Some(parent)) if child.content_hash != parent.content_hash => {
                out.conflicts.push(conflict(ConflictKind::ContentDiffers))
            }
            _ => {}
        }
    }
    out
}

/// The periods whose digests differ between two sorted lists of
/// (period, digests) — a period missing from one list has empty digests
/// there — with the child's and the parent's digests, in period order.
pub fn differing_periods(
    child: &[(NaiveDate, Digests)],
    parent: &[(NaiveDate, Digests)],
) -> Vec<(NaiveDate, Digests, Digests)> {
    let mut both: BTreeMap<NaiveDate, (Digests, Digests)> = BTreeMap::new();
    for (period, digests) in child {
        both.entry(*period).or_default().0 += *digests;
    }
    for (period, digests) in parent {
        both.entry(*period).or_default().1 += *digests;
    }
    both.into_iter().filter(|(_, (c, p))| c != p).map(|(period, (c, p))| (period, c, p)).collect()
}

/// Why an exchange ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The first exchange after this node started (a restore is a start).
    Start,
    /// The parent answered with another instance id: it restarted (perhaps
    /// on a restored database).
    ParentRestarted,
    /// The periodic exchange.
    Periodic,
    /// An operator asked (`fengqiao reconcile`).
    Requested,
    /// The previous exchange stopped at its bound; this one goes on.
    Continued,
}

impl Trigger {
    pub const ALL: [Trigger; 5] =
        [Trigger::Start, Trigger::ParentRestarted, Trigger::Periodic, Trigger::Requested, Trigger::Continued];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::ParentRestarted => "parent_restarted",
            Trigger::Periodic => "periodic",
            Trigger::Requested => "requested",
            Trigger::Continued => "continued",
        }
    }

    pub fn parse(value: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// Conflicts an [`ExchangeReport`] lists (it counts them all).
pub const MAX_REPORTED_CONFLICTS: usize = 100;

/// What one exchange between a child node and its parent did: the read
/// model behind `fengqiao reconcile`, the node's status and its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeReport {
    /// The child node's unit (the subtree compared).
    pub unit_id: UnitId,
    /// The operator's run this exchange answers (empty when none).
    pub run_id: String,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    pub elapsed_ms: u64,
    /// Digests compared (all-time, weeks, days; each pair once).
    pub digests_compared: u64,
    /// Days whose items were listed and compared.
    pub days_listed: u64,
    /// Items compared on those days.
    pub items_compared: u64,
    /// Report heads queued again for the parent.
    pub reports_resent: u64,
    /// Case events queued again for the parent.
    pub case_events_resent: u64,
    /// Items the parent lacked that were already waiting in the outbox.
    pub in_flight: u64,
    /// Items the parent lacked that it had refused before (set aside here
    /// for the operator): not sent again.
    #[serde(default)]
    pub set_aside: u64,
    /// Every conflict found.
    pub conflicts_total: u64,
    /// The first [`MAX_REPORTED_CONFLICTS`] of them, in item order.
    pub conflicts: Vec<Conflict>,
    /// Encoded bytes of the exchange's requests and answers.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The exchange stopped at its bound before comparing every differing
    /// day; another follows.
    pub incomplete: bool,
    /// Why the exchange failed, if it did (nothing of it is undone: what
    /// was queued stays queued).
    pub error: Option<String>,
}

impl ExchangeReport {
    /// An exchange about to start.
    pub fn new(unit_id: UnitId, run_id: String, trigger: Trigger, started_at: DateTime<Utc>) -> Self {
        ExchangeReport {
            unit_id,
            run_id,
            trigger,
            started_at,
            elapsed_ms: 0,
            digests_compared: 0,
            days_listed: 0,
            items_compared: 0,
            reports_resent: 0,
            case_events_resent: 0,
            in_flight: 0,
            set_aside: 0,
            conflicts_total: 0,
            conflicts: Vec::new(),
            bytes_sent: 0,
            bytes_received: 0,
            incomplete: false,
            error: None,
        }
    }

    /// Adds a day's findings.
    pub fn record_day(&mut self, day: &DayComparison) {
        self.days_listed += 1;
        self.items_compared += day.compared;
        self.conflicts_total += day.conflicts.len() as u64;
        let room = MAX_REPORTED_CONFLICTS.saturating_sub(self.conflicts.len());
        self.conflicts.extend(day.conflicts.iter().take(room).cloned());
    }

    /// `failed`, `conflict` (something the child cannot repair),
    /// `repaired` (items sent again) or `clean`.
    pub fn outcome(&self) -> &'static str {
        if self.error.is_some() {
            "failed"
        } else if self.conflicts_total > 0 {
            "conflict"
        } else if self.reports_resent + self.case_events_resent > 0 {
            "repaired"
        } else {
            "clean"
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn report(unit: &str, revision: u32, content: u8) -> HeldReport {
        HeldReport {
            unit_id: UnitId::parse(unit).unwrap(),
            revision: Revision::new(revision).unwrap(),
            content_hash: [content; 32],
        }
    }

    fn event(case: &str, seq: u32, content: u8) -> HeldCaseEvent {
        HeldCaseEvent {
            case_id: CaseId::parse(case).unwrap(),
            seq,
            unit_id: UnitId::parse("u1").unwrap(),
            content_hash: [content; 32],
        }
    }

    proptest! {
        /// A digest is the same whatever the order items arrive in, and
        /// taking items out undoes adding them.
        #[test]
        fn digests_are_order_independent_and_invertible(
            hashes in proptest::collection::vec(any::<u64>(), 0..50),
            split in 0usize..50,
            seed in any::<u64>(),
        ) {
            let forward = Digest::of(hashes.iter().copied());
            let mut shuffled = hashes.clone();
            // A deterministic shuffle.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(Digest::of(shuffled), forward);
            let split = split.min(hashes.len());
            let (left, right) = hashes.split_at(split);
            prop_assert_eq!(Digest::of(left.iter().copied()) + Digest::of(right.iter().copied()), forward);
            prop_assert_eq!(forward - Digest::of(right.iter().copied()), Digest::of(left.iter().copied()));
            let mut digest = forward;
            for hash in right {
                digest.remove(*hash);
            }
            prop_assert_eq!(digest, Digest::of(left.iter().copied()));
            prop_assert!(forward.hash < HASH_MODULUS);
        }

        /// Replacing an item (a correction) is its removal and the new one's
        /// addition, in either order.
        #[test]
        fn a_replacement_is_remove_then_add(rest in proptest::collection::vec(any::<u64>(), 0..20), old: u64, new: u64) {
            let mut digest = Digest::of(rest.iter().copied().chain([old]));
            digest.remove(old);
            digest.insert(new);
            prop_assert_eq!(digest, Digest::of(rest.iter().copied().chain([new])));
        }
    }

    #[test]
    fn item_hashes_fit_48_bits_and_tell_items_apart() {
        let unit = UnitId::parse("410411001001").unwrap();
        let day = date("2026-03-02");
        let r1 = Revision::new(1).unwrap();
        let r2 = Revision::new(2).unwrap();
        let a = report_item_hash(&unit, day, r1, &[0; 32]);
        assert!(a < HASH_MODULUS);
        assert_ne!(a, report_item_hash(&unit, day, r2, &[0; 32]));
        assert_ne!(a, report_item_hash(&unit, day, r1, &[1; 32]));
        assert_ne!(a, report_item_hash(&unit, day.succ_opt().unwrap(), r1, &[0; 32]));
        let case = CaseId::parse("410411001001-20260302-1").unwrap();
        assert_ne!(case_event_item_hash(&case, 1, &[0; 32]), case_event_item_hash(&case, 2, &[0; 32]));
        assert_eq!(case_event_content_hash("{}"), case_event_content_hash("{}"));
        // Pinned: a parent and a child of different builds must agree
        // (computed independently: SHA-256 of the documented encoding).
        assert_eq!(a, 58_011_119_278_578);
    }

    #[test]
    fn a_day_is_repaired_upward_and_conflicts_are_reported() {
        let day = date("2026-03-02");
        let child =
            [report("a", 1, 1), report("b", 2, 2), report("c", 1, 3), report("d", 1, 4), report("e", 1, 5)];
        let parent =
            [report("b", 1, 9), report("c", 2, 3), report("d", 1, 7), report("e", 1, 5), report("f", 1, 6)];
        let found = compare_day(
            day,
            &child,
            &parent,
            &[event("k1", 1, 1), event("k1", 2, 2)],
            &[event("k1", 2, 3), event("k2", 1, 1)],
        );
        assert_eq!(
            found.resend_reports,
            vec![report("a", 1, 1), report("b", 2, 2)],
            "lacking, lower revision"
        );
        assert_eq!(found.resend_case_events, vec![event("k1", 1, 1)]);
        let kinds: Vec<(String, ConflictKind)> =
            found.conflicts.iter().map(|c| (c.item.to_string(), c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("report c@2026-03-02".to_owned(), ConflictKind::NewerAtParent),
                ("report d@2026-03-02".to_owned(), ConflictKind::ContentDiffers),
                ("report f@2026-03-02".to_owned(), ConflictKind::OnlyAtParent),
                ("case k1 event 2 (2026-03-02)".to_owned(), ConflictKind::ContentDiffers),
                ("case k2 event 1 (2026-03-02)".to_owned(), ConflictKind::OnlyAtParent),
            ]
        );
        assert_eq!(found.conflicts[0].child_revision, Some(1));
        assert_eq!(found.conflicts[0].parent_revision, Some(2));
        assert_eq!(found.compared, 6 + 3);
        // Equal sides: nothing to do.
        let same = compare_day(day, &child, &child, &[], &[]);
        assert!(same.resend_reports.is_empty() && same.conflicts.is_empty());
    }

    #[test]
    fn differing_periods_treat_a_missing_period_as_empty() {
        let one = Digests { reports: Digest::of([7]), case_events: Digest::default() };
        let two = Digests { reports: Digest::of([7, 8]), case_events: Digest::default() };
        let (d1, d2, d3) = (date("2026-03-02"), date("2026-03-09"), date("2026-03-16"));
        let child = [(d1, one), (d2, one), (d3, Digests::default())];
        let parent = [(d1, one), (d2, two)];
        assert_eq!(differing_periods(&child, &parent), vec![(d2, one, two)]);
        assert_eq!(differing_periods(&[], &parent).len(), 2);
    }

    #[test]
    fn reports_count_every_conflict_and_list_a_bounded_number() {
        let mut report =
            ExchangeReport::new(UnitId::parse("t").unwrap(), String::new(), Trigger::Periodic, Utc::now());
        assert_eq!(report.outcome(), "clean");
        let parent: Vec<HeldReport> = (0..150).map(|i| self::report(&format!("u{i:03}"), 1, 1)).collect();
        let day = compare_day(date("2026-03-02"), &[], &parent, &[], &[]);
        report.record_day(&day);
        assert_eq!(report.conflicts_total, 150);
        assert_eq!(report.conflicts.len(), MAX_REPORTED_CONFLICTS);
        assert_eq!(report.outcome(), "conflict");
        assert_eq!(Trigger::parse("parent_restarted"), Some(Trigger::ParentRestarted));
    }
}
