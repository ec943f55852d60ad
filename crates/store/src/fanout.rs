//! The fan-out of a write to the unit's ancestors, in Rust: the dated
//! closure and the digest roots held in memory ([`Topology`]), and the
//! already-summed rows a batch adds to the rollups, the employer counts and
//! the digests ([`RollupRows`], [`DigestRows`]).
//!
//! A store loads its topology when it opens (from `unit_closure` and
//! `digest_roots`, the tables `replace_units` and a digest rebuild write)
//! and replaces it when either commits. Every write that fans out holds a
//! read guard of the [`SharedTopology`] from before its transaction begins
//! to after it ends, and a change to the tree or the roots holds the write
//! guard across its transaction and the swap, so a batch fans out by
//! exactly the closure its transaction sees — nothing counted by an old
//! closure after a new one is stored. (The guard orders the writers of one
//! store; a node's database has one store.)
//!
//! The writers then upsert plain values: one row per (ancestor, period),
//! instead of joining each delta with the closure in SQL and reading its
//! fields from JSON once per joined row.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use fengqiao_core::reconcile::{Digest, Digests};
use fengqiao_core::tally::STORED_COUNTERS;
use fengqiao_core::{IsoWeek, Tally};

use crate::StoreError;
use crate::digest::DigestDelta;
use crate::plan::Rollups;

/// An ancestor of a unit (the unit itself included) over the days it holds.
#[derive(Debug, Clone)]
struct Link {
    ancestor: Arc<str>,
    /// First day (inclusive); `None` is unbounded.
    from: Option<NaiveDate>,
    /// End (exclusive); `None` is unbounded.
    to: Option<NaiveDate>,
    /// Whether the ancestor is a digest root.
    root: bool,
}

impl Link {
    fn holds(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && self.to.is_none_or(|to| day < to)
    }
}

/// A row of `unit_closure`: ancestor, unit, `valid_from`, `valid_to`.
pub(crate) type ClosureRow = (String, String, Option<NaiveDate>, Option<NaiveDate>);

/// The dated closure (every unit's ancestors and itself, with the days
/// each holds) and the digest roots, as stored.
#[derive(Clone, Default)]
pub(crate) struct Topology {
    links: HashMap<Arc<str>, Vec<Link>>,
    roots: HashSet<Arc<str>>,
}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topology")
            .field("units", &self.links.len())
            .field("roots", &self.roots.len())
            .finish()
    }
}

impl Topology {
    /// From the rows of `unit_closure` and the ids of `digest_roots`.
    pub(crate) fn new(
        closure: impl IntoIterator<Item = ClosureRow>,
        roots: impl IntoIterator<Item = String>,
    ) -> Self {
        let roots: HashSet<Arc<str>> = roots.into_iter().map(Arc::from).collect();
        let mut interned: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |id: String| -> Arc<str> {
            if let Some(shared) = interned.get(&id) {
                return Arc::clone(shared);
            }
            let shared: Arc<str> = Arc::from(id.as_str());
            interned.insert(id, Arc::clone(&shared));
            shared
        };
        let mut links: HashMap<Arc<str>, Vec<Link>> = HashMap::new();
        for (ancestor, unit, from, to) in closure {
            let ancestor = intern(ancestor);
            let unit = intern(unit);
            let root = roots.contains(&ancestor);
            links.entry(unit).or_default().push(Link { ancestor, from, to, root });
        }
        Topology { links, roots }
    }

    /// The closure of `spans` (as `fengqiao_core::coverage::closure` makes
    /// them) with these roots.
    pub(crate) fn with_closure(&self, spans: &[fengqiao_core::coverage::Span]) -> Self {
        Topology::new(
            spans.iter().map(|s| (s.ancestor.to_string(), s.unit.to_string(), s.from, s.to)),
            self.roots.iter().map(|r| r.to_string()),
        )
    }

    /// This closure with other digest roots.
    pub(crate) fn with_roots(&self, roots: impl IntoIterator<Item = String>) -> Self {
        let roots: HashSet<Arc<str>> = roots.into_iter().map(Arc::from).collect();
        let mut links = self.links.clone();
        for link in links.values_mut().flatten() {
            link.root = roots.contains(&link.ancestor);
        }
        Topology { links, roots }
    }

    /// The unit and its ancestors on `day` (none for a unit outside the
    /// tree, as a join with `unit_closure` finds none).
    fn above<'a>(&'a self, unit: &str, day: NaiveDate) -> impl Iterator<Item = &'a Link> {
        self.links.get(unit).into_iter().flatten().filter(move |link| link.holds(day))
    }

    /// The rollup rows of a batch's deltas: each delta added to the unit and
    /// every ancestor on its day, summed per (ancestor, day), (ancestor,
    /// week) and (ancestor, day, employer).
    pub(crate) fn rollups(&self, rollups: &Rollups) -> RollupRows {
        let mut days: BTreeMap<(NaiveDate, Arc<str>), Tally> = BTreeMap::new();
        let mut weeks: BTreeMap<(NaiveDate, Arc<str>), Tally> = BTreeMap::new();
        for delta in &rollups.deltas {
            let monday = IsoWeek::of(delta.date).monday();
            for link in self.above(&delta.unit_id, delta.date) {
                *days.entry((delta.date, Arc::clone(&link.ancestor))).or_default() += delta.tally;
                *weeks.entry((monday, Arc::clone(&link.ancestor))).or_default() += delta.tally;
            }
        }
        let mut employers: BTreeMap<(NaiveDate, Arc<str>, &str), i64> = BTreeMap::new();
        for (unit, day, employer, change) in &rollups.employers {
            for link in self.above(unit, *day) {
                *employers.entry((*day, Arc::clone(&link.ancestor), employer.as_str())).or_default() +=
                    change;
            }
        }
        let rows = |map: BTreeMap<(NaiveDate, Arc<str>), Tally>| -> Vec<RollupRow> {
            map.into_iter()
                .map(|((period, unit), tally)| RollupRow { unit, period, counters: tally.stored() })
                .collect()
        };
        RollupRows {
            days: rows(days),
            weeks: rows(weeks),
            employers: employers
                .into_iter()
                .map(|((day, unit, employer), change)| EmployerRow {
                    unit,
                    day,
                    employer: employer.to_owned(),
                    change,
                })
                .collect(),
        }
    }

    /// The digest rows of `deltas`: each added to the digest roots above
    /// its unit on its day (the unit itself when it is one), summed per
    /// (root, day), (root, week) and root.
    pub(crate) fn digests(&self, deltas: &[DigestDelta]) -> DigestRows {
        let mut days: BTreeMap<(NaiveDate, Arc<str>), Digests> = BTreeMap::new();
        let mut weeks: BTreeMap<(NaiveDate, Arc<str>), Digests> = BTreeMap::new();
        let mut totals: BTreeMap<Arc<str>, Digests> = BTreeMap::new();
        for delta in deltas {
            let monday = IsoWeek::of(delta.day).monday();
            for link in self.above(&delta.unit_id, delta.day).filter(|link| link.root) {
                add(days.entry((delta.day, Arc::clone(&link.ancestor))).or_default(), &delta.digests);
                add(weeks.entry((monday, Arc::clone(&link.ancestor))).or_default(), &delta.digests);
                add(totals.entry(Arc::clone(&link.ancestor)).or_default(), &delta.digests);
            }
        }
        let rows = |map: BTreeMap<(NaiveDate, Arc<str>), Digests>| -> Vec<DigestRow> {
            map.into_iter().map(|((period, unit), digests)| DigestRow { unit, period, digests }).collect()
        };
        DigestRows {
            days: rows(days),
            weeks: rows(weeks),
            totals: totals
                .into_iter()
                .map(|(unit, digests)| DigestRow { unit, period: NaiveDate::MIN, digests })
                .collect(),
        }
    }
}

/// Adds digests, the hashes modulo 2^48 (as [`Digest`]'s `+` does).
fn add(sum: &mut Digests, delta: &Digests) {
    sum.reports += Digest::new(delta.reports.items, delta.reports.hash);
    sum.case_events += Digest::new(delta.case_events.items, delta.case_events.hash);
}

/// A store's topology, shared by its clones (see the module's header).
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedTopology(Arc<tokio::sync::RwLock<Arc<Topology>>>);

impl SharedTopology {
    pub(crate) fn new(topology: Topology) -> Self {
        SharedTopology(Arc::new(tokio::sync::RwLock::new(Arc::new(topology))))
    }

    /// Held by a write that fans out, for its whole transaction.
    pub(crate) async fn read(&self) -> tokio::sync::RwLockReadGuard<'_, Arc<Topology>> {
        self.0.read().await
    }

    /// Held by a change of the closure or the roots across its transaction;
    /// assign the new topology once it has committed.
    pub(crate) async fn write(&self) -> tokio::sync::RwLockWriteGuard<'_, Arc<Topology>> {
        self.0.write().await
    }
}

/// One summed rollup row: a unit's day or week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollupRow {
    pub unit: Arc<str>,
    /// The day, or the week's Monday.
    pub period: NaiveDate,
    pub counters: [i64; STORED_COUNTERS],
}

/// One summed change to the reports of a (unit, day) naming an employer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EmployerRow {
    pub unit: Arc<str>,
    pub day: NaiveDate,
    pub employer: String,
    pub change: i64,
}

/// What a write adds to `rollup_day`, `rollup_week` and `employer_days`,
/// one row per key, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RollupRows {
    pub days: Vec<RollupRow>,
    pub weeks: Vec<RollupRow>,
    pub employers: Vec<EmployerRow>,
}

/// One summed digest row (`period` unused for the all-time row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestRow {
    pub unit: Arc<str>,
    pub period: NaiveDate,
    pub digests: Digests,
}

impl DigestRow {
    /// The stored columns: reports, report_hash, case_events,
    /// case_event_hash (counts as the stored `BIGINT`, wrapping like
    /// [`Digest`]'s; hashes below 2^48).
    pub(crate) fn columns(&self) -> [i64; 4] {
        let d = &self.digests;
        [d.reports.items as i64, d.reports.hash as i64, d.case_events.items as i64, d.case_events.hash as i64]
    }
}

/// What a write adds to `digest_day`, `digest_week` and `digest_total`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DigestRows {
    pub days: Vec<DigestRow>,
    pub weeks: Vec<DigestRow>,
    pub totals: Vec<DigestRow>,
}

impl DigestRows {
    pub(crate) fn is_empty(&self) -> bool {
        self.days.is_empty() && self.weeks.is_empty() && self.totals.is_empty()
    }
}

/// A JSON array of rows, each written by `row` (which starts it with
/// `[unit`), without a `serde_json::Value` per field.
fn json_rows<T>(rows: &[T], bytes_per_row: usize, row: impl Fn(&mut String, &T)) -> String {
    let mut out = String::with_capacity(16 + rows.len() * bytes_per_row);
    out.push('[');
    for (i, item) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        row(&mut out, item);
        out.push(']');
    }
    out.push(']');
    out
}

/// JSON rows for SQLite's `json_each`: `[unit, period, counters…]`.
pub(crate) fn rollup_json(rows: &[RollupRow]) -> String {
    json_rows(rows, 40 + 4 * STORED_COUNTERS, |out, row| {
        push_str(out, &row.unit);
        out.push(',');
        push_date(out, row.period);
        for counter in row.counters {
            push_int(out, counter);
        }
    })
}

/// `[unit, day, employer, change]` rows.
pub(crate) fn employer_json(rows: &[EmployerRow]) -> String {
    json_rows(rows, 64, |out, row| {
        push_str(out, &row.unit);
        out.push(',');
        push_date(out, row.day);
        out.push(',');
        push_str(out, &row.employer);
        push_int(out, row.change);
    })
}

/// `[unit, period, reports, report_hash, case_events, case_event_hash]`
/// rows, or without the period (`with_period` false) for the totals.
pub(crate) fn digest_json(rows: &[DigestRow], with_period: bool) -> String {
    json_rows(rows, 96, |out, row| {
        push_str(out, &row.unit);
        if with_period {
            out.push(',');
            push_date(out, row.period);
        }
        for column in row.columns() {
            push_int(out, column);
        }
    })
}

/// The stored closure and digest roots, as either backend holds them.
pub(crate) async fn load_topology<DB>(pool: &sqlx::Pool<DB>) -> Result<Topology, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    ClosureRow: for<'r> sqlx::FromRow<'r, DB::Row>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let closure: Vec<ClosureRow> =
        sqlx::query_as("SELECT ancestor_id, unit_id, valid_from, valid_to FROM unit_closure")
            .fetch_all(pool)
            .await?;
    let roots: Vec<(String,)> = sqlx::query_as("SELECT unit_id FROM digest_roots").fetch_all(pool).await?;
    Ok(Topology::new(closure, roots.into_iter().map(|(root,)| root)))
}

fn push_str(out: &mut String, value: &str) {
    if value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(value).to_string());
    }
}

fn push_date(out: &mut String, day: NaiveDate) {
    use std::fmt::Write as _;
    let _ = write!(out, "\"{day}\"");
}

/// `,N`.
fn push_int(out: &mut String, value: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, ",{value}");
}

#[cfg(test)]
mod tests {
    use fengqiao_core::UnitTree;
    use fengqiao_core::reconcile::HASH_MODULUS;

    use super::*;
    use crate::plan::RollupDelta;

    const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
        410411,,district,湛河区,false,,,\n\
        410411001,410411,township,马庄街道,false,,,\n\
        410411001001,410411001,community,电力社区,false,,,\n\
        410411001001001,410411001001,group,1号楼,true,,,\n\
        410411002,410411,township,南环路街道,false,,,\n\
        410411002001,410411002,community,某村,false,,,\n\
        410411002001001,410411002001,group,第一村民组,true,,,410411001001@2026-11-11\n";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn topology(roots: &[&str]) -> Topology {
        let tree = UnitTree::from_csv(TREE).unwrap();
        Topology::default()
            .with_closure(&fengqiao_core::coverage::closure(&tree))
            .with_roots(roots.iter().map(|r| r.to_string()))
    }

    fn tally(received: i64) -> Tally {
        let mut counters = [0; STORED_COUNTERS];
        counters[0] = received;
        Tally::from_stored(counters)
    }

    fn delta(unit: &str, date: NaiveDate, received: i64) -> RollupDelta {
        RollupDelta { unit_id: unit.into(), date, tally: tally(received) }
    }

    #[test]
    fn a_delta_reaches_the_unit_and_its_ancestors_of_its_day_summed() {
        let topology = topology(&[]);
        let rollups = Rollups {
            deltas: vec![
                delta("410411001001001", day(10), 1),
                delta("410411002001001", day(10), 1),
                delta("410411002001001", day(11), 1),
            ],
            employers: vec![("410411002001001".into(), day(10), "甲".into(), 1)],
        };
        let rows = topology.rollups(&rollups);
        let on = |d: NaiveDate| -> Vec<(String, i64)> {
            rows.days.iter().filter(|r| r.period == d).map(|r| (r.unit.to_string(), r.counters[0])).collect()
        };
        // Before the 11th the moved group is under 电力社区.
        assert_eq!(
            on(day(10)),
            [
                ("410411".into(), 2),
                ("410411001".into(), 2),
                ("410411001001".into(), 2),
                ("410411001001001".into(), 1),
                ("410411002001001".into(), 1)
            ]
        );
        assert_eq!(
            on(day(11)),
            [
                ("410411".into(), 1),
                ("410411002".into(), 1),
                ("410411002001".into(), 1),
                ("410411002001001".into(), 1)
            ]
        );
        // Week 46 (Monday the 9th): the district holds all three.
        let district_week: Vec<_> = rows.weeks.iter().filter(|r| &*r.unit == "410411").collect();
        assert_eq!(
            (district_week.len(), district_week[0].period, district_week[0].counters[0]),
            (1, day(9), 3)
        );
        assert_eq!(rows.weeks.len(), 7, "every unit that counted in the week, once");
        let employers: Vec<&str> = rows.employers.iter().map(|r| &*r.unit).collect();
        assert_eq!(employers, ["410411", "410411001", "410411001001", "410411002001001"]);
        // A unit outside the tree reaches nothing, as a join would.
        let outside = Rollups { deltas: vec![delta("999", day(10), 1)], employers: vec![] };
        assert_eq!(topology.rollups(&outside), RollupRows::default());
    }

    #[test]
    fn digests_reach_only_the_roots_above_and_stay_reduced() {
        let topology = topology(&["410411", "410411002"]);
        let big = Digests { reports: Digest::new(1, HASH_MODULUS - 1), case_events: Digest::default() };
        let deltas = [
            DigestDelta { unit_id: "410411002001001".into(), day: day(10), digests: big },
            DigestDelta { unit_id: "410411002001001".into(), day: day(11), digests: big },
        ];
        let rows = topology.digests(&deltas);
        let units =
            |rows: &[DigestRow]| rows.iter().map(|r| (r.unit.to_string(), r.period)).collect::<Vec<_>>();
        // On the 10th the group is under 马庄街道, not a root; on the 11th under 南环路街道.
        assert_eq!(
            units(&rows.days),
            [("410411".into(), day(10)), ("410411".into(), day(11)), ("410411002".into(), day(11))]
        );
        let total = rows.totals.iter().find(|r| &*r.unit == "410411").unwrap();
        assert_eq!(total.digests.reports, Digest::new(2, HASH_MODULUS - 2));
        assert!(
            rows.days
                .iter()
                .chain(&rows.weeks)
                .chain(&rows.totals)
                .all(|r| r.columns()[1] < HASH_MODULUS as i64)
        );
    }

    #[test]
    fn json_rows_read_back_as_written() {
        let row = RollupRow { unit: "u\"1".into(), period: day(9), counters: [7; STORED_COUNTERS] };
        let parsed: serde_json::Value = serde_json::from_str(&rollup_json(&[row.clone(), row])).unwrap();
        assert_eq!(parsed[1][0], "u\"1");
        assert_eq!(parsed[1][1], "2026-11-09");
        assert_eq!(parsed[0].as_array().unwrap().len(), 2 + STORED_COUNTERS);
        let employers =
            [EmployerRow { unit: "1".into(), day: day(9), employer: "甲 公司".into(), change: -1 }];
        assert_eq!(employer_json(&employers), r#"[["1","2026-11-09","甲 公司",-1]]"#);
        assert_eq!(employer_json(&[]), "[]");
    }
}
