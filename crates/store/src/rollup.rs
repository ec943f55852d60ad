//! The rollup tables' SQL, built once from the tally's column list, and the
//! backend-independent checks over them.
//!
//! A batch's deltas are fanned out to the unit and its ancestors in Rust
//! (the `fanout` module); the writers here upsert the summed rows, one per
//! (ancestor, period), with plain values: PostgreSQL from typed arrays
//! (`UNNEST`), SQLite from one JSON parameter per table read once per row.
//! The statements' text never changes, so they stay prepared.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};
use fengqiao_core::tally::{STORED_COUNTERS, stored_columns};
use fengqiao_core::{IsoWeek, Tally, TimePolicy, UnitId, UnitTree};

use crate::{ListQuery, Store, StoreError};

/// Which rollup table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `rollup_day`, keyed by the day.
    Day,
    /// `rollup_week`, keyed by the week's Monday.
    Week,
}

impl Period {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Period::Day => "rollup_day",
            Period::Week => "rollup_week",
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week_start",
        }
    }
}

/// One stored rollup: a unit's subtree over one day or week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub unit_id: UnitId,
    /// The day, or the week's Monday.
    pub period: NaiveDate,
    pub tally: Tally,
}

static COLUMNS: LazyLock<[String; STORED_COUNTERS]> = LazyLock::new(stored_columns);

/// `received, on_time, …` in stored order.
pub(crate) fn column_list() -> String {
    COLUMNS.join(", ")
}

/// `c = table.c + excluded.c, …` for every counter.
pub(crate) fn additions(table: &str) -> String {
    COLUMNS.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect::<Vec<_>>().join(", ")
}

/// A backend's four rollup reads, built once from its `FROM … WHERE`
/// clauses (see [`crate::shared::Dialect::rollup_reads`]): each selects
/// `t.unit_id, t.{key}` and the counters of rollup table `t`, ordered by
/// unit and period.
#[derive(Debug)]
pub(crate) struct RollupReads([String; 4]);

impl RollupReads {
    /// `lookup(key, table)`: the rows of units `$1` at the periods `$2`,
    /// each pair one probe of the primary key (period, unit), so the cost
    /// follows the range asked for, not the history held (a range scan of
    /// the period key would read every unit's row of every period in the
    /// range: a year is 53 weeks × every unit of the node). `scan(key,
    /// table)`: the rows of units `$1` with periods in `$2`–`$3`, for a
    /// read too wide to probe pair by pair.
    pub(crate) fn new(lookup: fn(&str, &str) -> String, scan: fn(&str, &str) -> String) -> Self {
        let columns = column_list().split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
        let sql = |period: Period, from: fn(&str, &str) -> String| {
            let key = period.key();
            format!(
                "SELECT t.unit_id, t.{key}, {columns} FROM {from} ORDER BY t.unit_id, t.{key}",
                from = from(key, period.table()),
            )
        };
        RollupReads([
            sql(Period::Day, lookup),
            sql(Period::Week, lookup),
            sql(Period::Day, scan),
            sql(Period::Week, scan),
        ])
    }

    /// The read of `period`'s rollups, by lookups or by a range scan.
    pub(crate) fn sql(&self, period: Period, lookup: bool) -> &str {
        let week = usize::from(matches!(period, Period::Week));
        &self.0[if lookup { week } else { 2 + week }]
    }
}

/// Most (unit, period) pairs a rollup read looks up one by one; a wider
/// read (a verification walking a decade of days for every unit) scans
/// the period range instead.
pub(crate) const MAX_LOOKUPS: usize = 20_000;

/// The periods of `period` whose key lies in `[from, to]`: every day, every
/// Monday, or every first of a month, ascending. `None` when there are more
/// than `limit` of them (then the caller scans the range instead).
pub(crate) fn periods_in(
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    limit: usize,
) -> Option<Vec<NaiveDate>> {
    let step = |day: NaiveDate| match period {
        Period::Day => day.succ_opt(),
        Period::Week => day.checked_add_signed(Duration::days(7)),
    };
    let mut next = match period {
        Period::Day => Some(from),
        Period::Week => {
            let monday = IsoWeek::of(from).monday();
            if monday < from { monday.checked_add_signed(Duration::days(7)) } else { Some(monday) }
        }
    };
    let mut out = Vec::new();
    while let Some(key) = next.filter(|key| *key <= to) {
        if out.len() == limit {
            return None;
        }
        out.push(key);
        next = step(key);
    }
    Some(out)
}

/// Reads a rollup row's counters (columns 2.. of the row).
pub(crate) fn decode_row<R>(row: &R) -> Result<RollupRow, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let unit: String = row.try_get(0)?;
    let unit_id = UnitId::parse(&unit).map_err(|e| StoreError::Corrupt(format!("rollup unit: {e}")))?;
    let period: NaiveDate = row.try_get(1)?;
    let mut counters = [0i64; STORED_COUNTERS];
    for (i, slot) in counters.iter_mut().enumerate() {
        *slot = row.try_get(2 + i)?;
    }
    Ok(RollupRow { unit_id, period, tally: Tally::from_stored(counters) })
}

/// Where a node keeps the basis its rollups were built with (`node_meta`).
pub const BASIS_KEY: &str = "rollup_basis";

/// The fingerprint of what rollups depend on besides the reports: the tree's
/// dated closure and the time policy. Rollups built under one basis are
/// wrong under another (a unit moved, the cut-off changed) and must be
/// rebuilt.
pub fn basis(tree: &UnitTree, policy: &TimePolicy) -> String {
    use sha2::Digest;
    let mut spans: Vec<String> = fengqiao_core::coverage::closure(tree)
        .iter()
        .map(|s| format!("{}>{}@{:?}..{:?}", s.ancestor, s.unit, s.from, s.to))
        .collect();
    spans.sort_unstable();
    let mut hasher = sha2::Sha256::new();
    hasher.update(format!("{}|{}\n", policy.zone, policy.cutoff));
    for span in &spans {
        hasher.update(span.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The days [`Store::held_days`] returns (the same text on both backends).
pub(crate) const HELD_DAYS: &str = "SELECT report_date AS day FROM reports UNION SELECT day FROM rollup_day \
     UNION SELECT week_start FROM rollup_week ORDER BY 1";

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// ISO weeks checked: those holding reports or rollups, never the
    /// empty weeks between them.
    pub weeks: u64,
    /// Current reports recomputed.
    pub reports: u64,
    /// Stored rollup rows compared.
    pub rows: u64,
    /// Employer counts compared.
    pub employer_checks: u64,
    /// Every difference, described (empty: the rollups are exact).
    pub differences: Vec<String>,
}

/// Recomputes every rollup from the current reports — tallied in Rust and
/// placed with the in-memory tree, independently of the store's fan-out — and
/// compares with what is stored, one week at a time (memory stays bounded).
/// It walks only the weeks that hold data ([`Store::held_days`]): a stray
/// report from year 1 costs one more week, not 2,000 years of them.
pub async fn verify(
    store: &dyn Store,
    tree: &UnitTree,
    policy: &TimePolicy,
) -> Result<Verification, StoreError> {
    let mut out = Verification::default();
    let units: Vec<UnitId> = tree.units().iter().map(|u| u.id.clone()).collect();
    let root = tree.root_id().clone();
    let mut mondays: Vec<NaiveDate> =
        store.held_days().await?.into_iter().map(|day| IsoWeek::of(day).monday()).collect();
    mondays.dedup();
    for monday in mondays {
        out.weeks += 1;
        let sunday = monday + Duration::days(6);
        let mut days: HashMap<(UnitId, NaiveDate), Tally> = HashMap::new();
        let mut employers: HashMap<UnitId, std::collections::HashSet<String>> = HashMap::new();
        let mut after = None;
        loop {
            let page = store
                .list_reports(&ListQuery { root: root.clone(), from: monday, to: sunday, after, limit: 5000 })
                .await?;
            let Some(tail) = page.last() else { break };
            after = Some((tail.report.date(), tail.report.unit_id().clone()));
            for stored in &page {
                out.reports += 1;
                let report = &stored.report;
                let tally =
                    Tally::of_report(report, policy.is_on_time(report.date(), stored.first_accepted_at));
                let chain = tree.ancestors_on(report.unit_id().as_str(), report.date());
                let keys: Vec<String> = report
                    .disputes()
                    .iter()
                    .filter_map(|d| d.wage_arrears())
                    .map(|w| fengqiao_core::tally::employer_key(w.employer()))
                    .collect();
                for unit in chain.iter().map(|u| &u.id).chain(std::iter::once(report.unit_id())) {
                    *days.entry((unit.clone(), report.date())).or_default() += tally;
                    employers.entry(unit.clone()).or_default().extend(keys.iter().cloned());
                }
            }
        }
        let mut weeks: HashMap<UnitId, Tally> = HashMap::new();
        for ((unit, _), tally) in &days {
            *weeks.entry(unit.clone()).or_default() += *tally;
        }
        let stored_days = store.rollups(Period::Day, &units, monday, sunday).await?;
        let stored_weeks = store.rollups(Period::Week, &units, monday, monday).await?;
        out.rows += (stored_days.len() + stored_weeks.len()) as u64;
        compare(
            &mut out.differences,
            "day",
            days,
            stored_days.into_iter().map(|r| ((r.unit_id, r.period), r.tally)),
        );
        compare(
            &mut out.differences,
            "week",
            weeks.into_iter().map(|(u, t)| ((u, monday), t)).collect(),
            stored_weeks.into_iter().map(|r| ((r.unit_id, r.period), r.tally)),
        );
        for (unit, names) in employers.into_iter().filter(|(_, names)| !names.is_empty()) {
            out.employer_checks += 1;
            let stored = store.distinct_employers(&unit, monday, sunday).await?;
            if stored != names.len() as u64 {
                out.differences.push(format!(
                    "employers of {unit} in week of {monday}: stored {stored}, recomputed {}",
                    names.len()
                ));
            }
        }
    }
    Ok(out)
}

fn compare(
    differences: &mut Vec<String>,
    what: &str,
    mut expected: HashMap<(UnitId, NaiveDate), Tally>,
    stored: impl Iterator<Item = ((UnitId, NaiveDate), Tally)>,
) {
    for (key, tally) in stored {
        let want = expected.remove(&key).unwrap_or_default();
        if want != tally {
            differences.push(format!(
                "{what} rollup of {} on {}: stored {tally:?}, recomputed {want:?}",
                key.0, key.1
            ));
        }
    }
    for ((unit, period), want) in expected {
        if !want.is_empty() {
            differences.push(format!("{what} rollup of {unit} on {period}: missing, recomputed {want:?}"));
        }
    }
}
