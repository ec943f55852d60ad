//! Who was expected to report, when: the dated closure of the unit tree.
//!
//! A [`Span`] says `unit` lay at `depth` below `ancestor` from `from`
//! (inclusive) to `to` (exclusive). From the spans, [`Coverage`] counts the
//! (reporting unit, day) pairs a subtree expected over any range — a unit
//! counts only on days it was open, reporting and inside the subtree, so
//! units opening, closing or moving mid-period never push a completeness
//! rate past 100% or count twice.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::unit::{UnitId, UnitTree};

/// One row of the dated closure table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub ancestor: UnitId,
    pub unit: UnitId,
    pub depth: u32,
    /// First day (inclusive); `None` is unbounded.
    pub from: Option<NaiveDate>,
    /// End (exclusive); `None` is unbounded.
    pub to: Option<NaiveDate>,
}

impl Span {
    /// The span's days within `[from, to]`, inclusive, if any.
    pub fn clip(&self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let start = self.from.map_or(from, |f| f.max(from));
        let end = self.to.and_then(|t| t.pred_opt()).map_or(to, |t| t.min(to));
        (start <= end).then_some((start, end))
    }
}

/// The dated closure of `tree`: for every unit, its chain of ancestors in
/// each period between move dates, merged where an ancestor stays; the unit
/// itself at depth 0.
pub fn closure(tree: &UnitTree) -> Vec<Span> {
    let dates = tree.move_dates();
    let periods: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = std::iter::once(None)
        .chain(dates.iter().copied().map(Some))
        .zip(dates.iter().copied().map(Some).chain(std::iter::once(None)))
        .collect();
    let units = tree.units();
    let mut spans = Vec::with_capacity(units.len() * 4);
    for unit in units {
        let mut open: Vec<Span> = Vec::new();
        for &(from, to) in &periods {
            // A day inside the period: its first day, or the day before the first move.
            let day = from.or_else(|| to.and_then(|t| t.pred_opt())).unwrap_or(NaiveDate::MIN);
            let ancestors = tree.ancestors_on(unit.id.as_str(), day);
            let depth = ancestors.len() as u32;
            let chain = ancestors
                .iter()
                .enumerate()
                .map(|(level, a)| (&a.id, depth - level as u32))
                .chain(std::iter::once((&unit.id, 0)));
            for (ancestor, depth) in chain {
                match open.iter_mut().find(|s| &s.ancestor == ancestor && s.depth == depth && s.to == from) {
                    Some(span) => span.to = to,
                    None => {
                        open.push(Span { ancestor: ancestor.clone(), unit: unit.id.clone(), depth, from, to })
                    }
                }
            }
        }
        spans.extend(open);
    }
    spans
}

#[derive(Debug, Clone)]
struct Member {
    span: Span,
    reporting: bool,
    active_from: Option<NaiveDate>,
    active_to: Option<NaiveDate>,
}

impl Member {
    /// Days in `[from, to]` the member was inside, open and reporting.
    fn expected_days(&self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        if !self.reporting {
            return None;
        }
        let (start, end) = self.span.clip(from, to)?;
        let start = self.active_from.map_or(start, |f| f.max(start));
        let end = self.active_to.map_or(end, |t| t.min(end));
        (start <= end).then_some((start, end))
    }
}

/// Expected counts over a tree, by subtree and range.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// By ancestor: every span below it (itself included).
    below: HashMap<UnitId, Vec<Member>>,
    /// The deployment's first day of reporting: nothing is expected before it.
    start: Option<NaiveDate>,
}

impl Coverage {
    pub fn new(tree: &UnitTree) -> Self {
        let mut below: HashMap<UnitId, Vec<Member>> = HashMap::new();
        for span in closure(tree) {
            let unit = tree.get(span.unit.as_str()).expect("spans name units of the tree");
            below.entry(span.ancestor.clone()).or_default().push(Member {
                reporting: unit.reporting,
                active_from: unit.active_from,
                active_to: unit.active_to,
                span,
            });
        }
        Coverage { below, start: None }
    }

    /// The same coverage with nothing expected before `start` (the
    /// deployment's `reporting.start_date`): a new deployment's history is
    /// not a list of missing reports.
    pub fn starting(self, start: Option<NaiveDate>) -> Self {
        Coverage { start, ..self }
    }

    /// The first day anything is expected, if reporting has a start.
    pub fn start(&self) -> Option<NaiveDate> {
        self.start
    }

    /// `[from, to]` cut to the days from the start on.
    fn days_since_start(&self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let from = self.start.map_or(from, |start| start.max(from));
        (from <= to).then_some((from, to))
    }

    /// (Reporting unit, day) pairs `unit`'s subtree expected in `[from, to]`.
    pub fn expected(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> i64 {
        let Some((from, to)) = self.days_since_start(from, to) else { return 0 };
        self.below
            .get(unit)
            .into_iter()
            .flatten()
            .filter_map(|m| m.expected_days(from, to))
            .map(|(start, end)| (end - start).num_days() + 1)
            .sum()
    }

    /// The reporting units `unit`'s subtree expected on `date`, by id.
    pub fn expected_on(&self, unit: &str, date: NaiveDate) -> Vec<&UnitId> {
        if self.days_since_start(date, date).is_none() {
            return Vec::new();
        }
        let mut out: Vec<&UnitId> = self
            .below
            .get(unit)
            .into_iter()
            .flatten()
            .filter(|m| m.expected_days(date, date).is_some())
            .map(|m| &m.span.unit)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The units that were direct children of `unit` at some time in
    /// `[from, to]`, with the days (inclusive ranges) they were, by id.
    pub fn children_in(
        &self,
        unit: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(UnitId, Vec<(NaiveDate, NaiveDate)>)> {
        let mut out: Vec<(UnitId, Vec<(NaiveDate, NaiveDate)>)> = Vec::new();
        for member in self.below.get(unit).into_iter().flatten().filter(|m| m.span.depth == 1) {
            let Some(days) = member.span.clip(from, to) else { continue };
            match out.iter_mut().find(|(id, _)| *id == member.span.unit) {
                Some((_, ranges)) => ranges.push(days),
                None => out.push((member.span.unit.clone(), vec![days])),
            }
        }
        for (_, ranges) in &mut out {
            ranges.sort();
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Whether `unit` is `ancestor` or lay below it on `date`.
    pub fn is_within_on(&self, unit: &str, ancestor: &str, date: NaiveDate) -> bool {
        self.below
            .get(ancestor)
            .into_iter()
            .flatten()
            .any(|m| m.span.unit.as_str() == unit && m.span.clip(date, date).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    // Community 11 has groups 111 (always), 112 (opens 3-04), 113 (closes
    // after 3-03) and 114 (moves from 12 to 11 on 3-05); 11 and 12 do not report.
    const TREE: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
        1,,district,d,false,,,\n\
        10,1,township,t,false,,,\n\
        11,10,community,c1,false,,,\n\
        12,10,community,c2,false,,,\n\
        111,11,group,g1,true,,,\n\
        112,11,group,g2,true,2026-03-04,,\n\
        113,11,group,g3,true,,2026-03-03,\n\
        114,11,group,g4,true,,,12@2026-03-05\n";

    #[test]
    fn counts_units_only_on_their_days() {
        let tree = UnitTree::from_csv(TREE).unwrap();
        let coverage = Coverage::new(&tree);
        // Week 3-02..3-08: 111 ×7, 112 ×5, 113 ×2, 114 under 11 from 3-05 ×4.
        assert_eq!(coverage.expected("11", day(3, 2), day(3, 8)), 7 + 5 + 2 + 4);
        // 114 before the move counts under 12, and the township sees it all week.
        assert_eq!(coverage.expected("12", day(3, 2), day(3, 8)), 3);
        assert_eq!(coverage.expected("10", day(3, 2), day(3, 8)), 7 + 5 + 2 + 7);
        assert_eq!(coverage.expected("1", day(3, 2), day(3, 8)), 21);
        let on = |d| coverage.expected_on("11", d).iter().map(|u| u.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(on(day(3, 3)), ["111", "113"]);
        assert_eq!(on(day(3, 5)), ["111", "112", "114"]);
        let children = coverage.children_in("12", day(3, 2), day(3, 8));
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].1, vec![(day(3, 2), day(3, 4))]);
        assert!(coverage.is_within_on("114", "12", day(3, 4)));
        assert!(!coverage.is_within_on("114", "12", day(3, 5)));
    }

    #[test]
    fn nothing_is_expected_before_the_start() {
        let tree = UnitTree::from_csv(TREE).unwrap();
        // Reporting starts on Wednesday 3-04, mid-week.
        let coverage = Coverage::new(&tree).starting(Some(day(3, 4)));
        assert_eq!(coverage.start(), Some(day(3, 4)));
        // Week 3-02..3-08 from Wednesday: 111 ×5, 112 ×5, 113 gone, 114 under 11 ×4.
        assert_eq!(coverage.expected("11", day(3, 2), day(3, 8)), 5 + 5 + 4);
        assert_eq!(coverage.expected("10", day(3, 2), day(3, 8)), 5 + 5 + 5);
        assert_eq!(coverage.expected("11", day(3, 2), day(3, 3)), 0);
        assert!(coverage.expected_on("11", day(3, 3)).is_empty());
        assert_eq!(coverage.expected_on("11", day(3, 4)).len(), 2);
        // From year 1: the same as from the start.
        let year_one = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        assert_eq!(coverage.expected("1", year_one, day(3, 8)), coverage.expected("1", day(3, 4), day(3, 8)));
    }
}
