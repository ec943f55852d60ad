//! PostgreSQL's own write statements: the rollup, employer and digest
//! upserts as data-modifying CTEs over typed arrays (`UNNEST`: one
//! statement for any number of rows), and the audit log's append under its
//! table lock.

use chrono::NaiveDate;
use fengqiao_core::tally::STORED_COUNTERS;

use crate::digest::{LEVELS, upsert};
use crate::fanout::{DigestRows, RollupRows};
use crate::rollup::{Period, additions, column_list};

/// how many parameters [`rollup_upserts`] takes.
pub(crate) const ROLLUP_PARAMS: usize = 2 * (2 + STORED_COUNTERS) + 4;

/// the three upserts of summed rows as data-modifying CTEs
/// (`rollup_days AS (…), rollup_weeks AS (…), employer_changes AS (…)`),
/// from typed arrays in parameters `${first}`… (bound by [`bind_rollups`]).
pub(crate) fn rollup_upserts(first: usize) -> String {
    let table = |period: Period, first: usize| {
        let name = period.table();
        let arrays: Vec<String> = std::iter::once(format!("${first}::text[]"))
            .chain(std::iter::once(format!("${}::date[]", first + 1)))
            .chain((0..STORED_COUNTERS).map(|i| format!("${}::bigint[]", first + 2 + i)))
            .collect();
        format!(
            "INSERT INTO {name} (unit_id, {key}, {columns}) SELECT * FROM UNNEST({arrays}) \
             ON CONFLICT (unit_id, {key}) DO UPDATE SET {updates}",
            key = period.key(),
            columns = column_list(),
            arrays = arrays.join(", "),
            updates = additions(name),
        )
    };
    let employers = first + 2 * (2 + STORED_COUNTERS);
    format!(
        "rollup_days AS ({days}), rollup_weeks AS ({weeks}), employer_changes AS ( \
         INSERT INTO employer_days (unit_id, day, employer, reports) \
         SELECT * FROM UNNEST(${e0}::text[], ${e1}::date[], ${e2}::text[], ${e3}::bigint[]) \
         ON CONFLICT (unit_id, day, employer) DO UPDATE SET reports = employer_days.reports + excluded.reports)",
        days = table(Period::Day, first),
        weeks = table(Period::Week, first + 2 + STORED_COUNTERS),
        e0 = employers,
        e1 = employers + 1,
        e2 = employers + 2,
        e3 = employers + 3,
    )
}

pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds the [`ROLLUP_PARAMS`] arrays of [`rollup_upserts`], in order.
pub(crate) fn bind_rollups<'q>(mut query: PgQuery<'q>, rows: &RollupRows) -> PgQuery<'q> {
    for table in [&rows.days, &rows.weeks] {
        query = query
            .bind(table.iter().map(|r| &*r.unit).collect::<Vec<&str>>())
            .bind(table.iter().map(|r| r.period).collect::<Vec<NaiveDate>>());
        for i in 0..STORED_COUNTERS {
            query = query.bind(table.iter().map(|r| r.counters[i]).collect::<Vec<i64>>());
        }
    }
    let e = &rows.employers;
    query
        .bind(e.iter().map(|r| &*r.unit).collect::<Vec<&str>>())
        .bind(e.iter().map(|r| r.day).collect::<Vec<NaiveDate>>())
        .bind(e.iter().map(|r| r.employer.as_str()).collect::<Vec<&str>>())
        .bind(e.iter().map(|r| r.change).collect::<Vec<i64>>())
}

/// The PostgreSQL advisory lock every digest write takes (`fqdg`): the
/// report writer and a case-ledger writer may update the same digest rows
/// in different orders, so they take them one transaction at a time, from
/// their digest write to their commit — no deadlock between them.
pub(crate) const DIGEST_LOCK: i64 = 0x6671_6467;

/// how many parameters [`digest_upserts`] takes.
pub(crate) const DIGEST_PARAMS: usize = 6 + 6 + 5;

/// the three upserts of summed rows as data-modifying CTEs
/// (`digest_days AS (…), digest_weeks AS (…), digest_totals AS (…)`), each
/// taking the digests' lock first, from typed arrays in parameters
/// `${first}`… (bound by [`bind_digests`]).
pub(crate) fn digest_upserts(first: usize) -> String {
    let mut next = first;
    let mut ctes = Vec::new();
    for (level, name) in ["digest_days", "digest_weeks", "digest_totals"].into_iter().enumerate() {
        let mut arrays = vec![format!("${next}::text[]")];
        let mut columns = vec!["unit_id"];
        next += 1;
        if LEVELS[level].1.is_some() {
            arrays.push(format!("${next}::date[]"));
            columns.push("period");
            next += 1;
        }
        for column in ["r", "rh", "e", "eh"] {
            arrays.push(format!("${next}::bigint[]"));
            columns.push(column);
            next += 1;
        }
        let select = format!(
            "SELECT u.* FROM (SELECT pg_advisory_xact_lock({DIGEST_LOCK})) AS digest_lock \
             CROSS JOIN UNNEST({}) AS u({})",
            arrays.join(", "),
            columns.join(", ")
        );
        ctes.push(format!("{name} AS ({})", upsert(level, &select)));
    }
    debug_assert_eq!(next - first, DIGEST_PARAMS);
    ctes.join(", ")
}

/// Binds the [`DIGEST_PARAMS`] arrays of [`digest_upserts`], in order.
pub(crate) fn bind_digests<'q>(mut query: PgQuery<'q>, rows: &DigestRows) -> PgQuery<'q> {
    for (level, table) in [&rows.days, &rows.weeks, &rows.totals].into_iter().enumerate() {
        query = query.bind(table.iter().map(|r| &*r.unit).collect::<Vec<&str>>());
        if LEVELS[level].1.is_some() {
            query = query.bind(table.iter().map(|r| r.period).collect::<Vec<NaiveDate>>());
        }
        for i in 0..4 {
            query = query.bind(table.iter().map(|r| r.columns()[i]).collect::<Vec<i64>>());
        }
    }
    query
}

pub(crate) static DIGEST_WRITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("WITH {} SELECT 1", digest_upserts(1)));
