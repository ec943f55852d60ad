//! SQLite's own write statements: the rollup, employer and digest upserts
//! and the audit log's insert, each taking its rows as one JSON parameter
//! read by `jsonb_each` (SQLite has no arrays), so a statement's text never
//! changes with the number of rows and stays prepared.

use fengqiao_core::audit::{AuditEntry, AuditRecord};
use fengqiao_core::tally::STORED_COUNTERS;

use super::{sqlite_time, to_json};
use crate::StoreError;
use crate::audit::{chain_onto, seq_param};
use crate::digest::{LEVELS, upsert};
use crate::fanout::{self, DigestRows};
use crate::rollup::{Period, additions, column_list};

/// upserts the summed rows `[unit, period, counters…]` of JSON
/// parameter `?{param}` into `period`'s table.
pub(crate) fn rollup_upsert(period: Period, param: usize) -> String {
    let table = period.table();
    let values: Vec<String> = (0..2 + STORED_COUNTERS).map(|i| format!("value ->> {i}")).collect();
    format!(
        "INSERT INTO {table} (unit_id, {key}, {columns}) SELECT {values} FROM jsonb_each(?{param}) WHERE true \
         ON CONFLICT (unit_id, {key}) DO UPDATE SET {updates}",
        key = period.key(),
        columns = column_list(),
        values = values.join(", "),
        updates = additions(table),
    )
}

/// upserts the summed employer changes `[unit, day, employer,
/// change]` of JSON parameter `?{param}`.
pub(crate) fn employer_upsert(param: usize) -> String {
    format!(
        "INSERT INTO employer_days (unit_id, day, employer, reports) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM jsonb_each(?{param}) WHERE true \
         ON CONFLICT (unit_id, day, employer) DO UPDATE SET reports = employer_days.reports + excluded.reports"
    )
}

/// the upsert of level `level`'s summed rows in JSON parameter
/// `?{param}` (as [`fanout::digest_json`] writes them).
pub(crate) fn digest_upsert(level: usize, param: usize) -> String {
    let fields = if LEVELS[level].1.is_some() { 6 } else { 5 };
    let values: Vec<String> = (0..fields).map(|i| format!("value ->> {i}")).collect();
    upsert(level, &format!("SELECT {} FROM jsonb_each(?{param}) WHERE true", values.join(", ")))
}

/// The JSON parameters of [`digest_upsert`] for the three levels, in order.
pub(crate) fn digest_params(rows: &DigestRows) -> [String; 3] {
    [
        fanout::digest_json(&rows.days, true),
        fanout::digest_json(&rows.weeks, true),
        fanout::digest_json(&rows.totals, false),
    ]
}

pub(crate) static DIGEST_UPSERTS: std::sync::LazyLock<[String; 3]> =
    std::sync::LazyLock::new(|| [0, 1, 2].map(|level| digest_upsert(level, 1)));

/// Inserts the entries of JSON parameter `?{param}`, an array of `[seq,
/// at, actor, rpc, target, prev_hash hex, hash hex]` (as
/// [`audit_entries_json`] writes them): one statement for any number of
/// entries, whose text never changes (so it stays prepared).
pub(crate) fn audit_insert_sql(param: usize) -> String {
    format!(
        "INSERT INTO audit_log (seq, at, actor, rpc, target, prev_hash, hash) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, unhex(value ->> 5), \
         unhex(value ->> 6) FROM jsonb_each(?{param})"
    )
}

pub(crate) static AUDIT_INSERT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| audit_insert_sql(1));

/// `records` chained onto `head`, and the entries as the JSON parameter
/// of [`audit_insert_sql`]: the caller inserts them in its own transaction,
/// in a statement of its own choosing (a batch puts it beside its
/// other writes, in one round trip).
pub(crate) fn audit_entries_json(
    head: Option<AuditEntry>,
    records: Vec<AuditRecord>,
) -> Result<(Vec<AuditEntry>, String), StoreError> {
    let entries = chain_onto(head, records);
    let rows = entries
        .iter()
        .map(|e| {
            Ok((
                seq_param(e.seq)?,
                sqlite_time(e.at),
                &e.actor,
                &e.rpc,
                &e.target,
                hex::encode(e.prev_hash),
                hex::encode(e.hash),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let json = to_json(&rows)?;
    Ok((entries, json))
}
