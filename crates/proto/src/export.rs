//! The files of an export (`SummaryService.ExportReports`), one copy for
//! every face that writes them — `fengqiao export` and the dashboard's CSV
//! download: the CSV of one row per report ([`CSV_HEADER`], [`csv_row`]),
//! the flat CSV of one row per dispute ([`DISPUTE_CSV_HEADER`],
//! [`dispute_rows`]) and JSON lines ([`report_json`]), with the names of
//! the units beside their codes ([`UnitNames`]).
//!
//! The rows read the wire's `StoredDailyReport` as it came, without the
//! domain's checks: an export shows every stored report, one stored before
//! a rule existed (the free-text screen) or with a category this version
//! does not know (its number) included. Times are in the deployment's zone,
//! RFC 3339 with its offset, to the second (the domain's
//! `Moment::for_machines`).

use std::collections::HashMap;

use chrono::DateTime;
use fengqiao_core::read::Moment;
use fengqiao_core::{DisputeCategory, DisputeOutcome, TimePolicy};
use serde_json::{Value, json};

use crate::WireEnum;
use crate::pb::{self, StoredDailyReport};

/// The UTF-8 byte-order mark a CSV file starts with: Excel and WPS read a
/// CSV file as UTF-8 only when it starts with one (else Chinese comes out
/// garbled).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "date",
    "unit_id",
    "unit_name",
    "parent_names",
    "revision",
    "reporter",
    "zero",
    "disputes",
    "on_time",
    "accepted_at",
    "first_accepted_at",
    "correction_reason",
    "disputes_json",
];

/// The names of a subtree's units, for tables and files that show codes.
#[derive(Debug, Default)]
pub struct UnitNames {
    units: HashMap<String, (String, String)>,
}

impl UnitNames {
    /// Names from `(id, name, parent id)` triples (an empty parent id at
    /// the top).
    pub fn from_units<I, S>(units: I) -> UnitNames
    where
        I: IntoIterator<Item = (S, S, S)>,
        S: Into<String>,
    {
        UnitNames {
            units: units
                .into_iter()
                .map(|(id, name, parent)| (id.into(), (name.into(), parent.into())))
                .collect(),
        }
    }

    /// A unit's name; empty when it was not named.
    pub fn name(&self, id: &str) -> &str {
        self.units.get(id).map_or("", |(name, _)| name.as_str())
    }

    /// The ids of a unit's ancestors strictly below `top`, top first (empty
    /// when the unit is a child of `top`, or not in the subtree).
    pub fn ancestors_below(&self, id: &str, top: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut current = self.units.get(id).map(|(_, parent)| parent.as_str());
        while let Some(parent) = current.filter(|p| !p.is_empty() && *p != top) {
            ids.push(parent.to_owned());
            current = self.units.get(parent).map(|(_, grandparent)| grandparent.as_str());
        }
        ids.reverse();
        ids
    }

    /// The names of a unit's ancestors within the subtree, top first.
    pub fn parent_names(&self, id: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut current = self.units.get(id).map(|(_, parent)| parent.as_str());
        while let Some(parent) = current.filter(|p| !p.is_empty()) {
            let Some((name, grandparent)) = self.units.get(parent) else { break };
            names.push(name.as_str());
            current = Some(grandparent.as_str());
        }
        names.reverse();
        names
    }
}

/// One report as a CSV row (quoting is the writer's).
pub fn csv_row(stored: &StoredDailyReport, policy: &TimePolicy, names: &UnitNames) -> [String; 13] {
    let report = stored.report.clone().unwrap_or_default();
    [
        report.date,
        report.unit_id.clone(),
        names.name(&report.unit_id).to_owned(),
        names.parent_names(&report.unit_id).join(" / "),
        report.revision.to_string(),
        report.reporter,
        report.zero.to_string(),
        report.disputes.len().to_string(),
        stored.on_time.to_string(),
        for_machines(stored.accepted_at, policy),
        for_machines(stored.first_accepted_at, policy),
        report.correction_reason,
        disputes_json(&report.disputes).to_string(),
    ]
}

/// The header line of the CSV, after the [`BOM`] when `bom`.
pub fn csv_start(bom: bool) -> Vec<u8> {
    let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
    bytes.extend(csv_lines([CSV_HEADER.map(str::to_owned)]));
    bytes
}

/// Reports as the CSV's lines (one per report, after [`csv_start`]).
pub fn csv_reports(reports: &[StoredDailyReport], policy: &TimePolicy, names: &UnitNames) -> Vec<u8> {
    csv_lines(reports.iter().map(|stored| csv_row(stored, policy, names)))
}

/// Rows as CSV lines, quoted as the `csv` crate quotes by default (what
/// `fengqiao export` writes through its own writer).
fn csv_lines<const N: usize>(rows: impl IntoIterator<Item = [String; N]>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// The flat CSV's columns: one row per dispute.
pub const DISPUTE_CSV_HEADER: [&str; 18] = [
    "date",
    "unit_id",
    "unit_name",
    "parent_names",
    "revision",
    "on_time",
    "accepted_at",
    "dispute_id",
    "category",
    "outcome",
    "parties",
    "summary",
    "case_id",
    "employer",
    "workers",
    "claimed_yuan",
    "recovered_yuan",
    "correction_reason",
];

/// A report's disputes as flat CSV rows (none for a zero report).
pub fn dispute_rows(stored: &StoredDailyReport, policy: &TimePolicy, names: &UnitNames) -> Vec<[String; 18]> {
    let report = stored.report.clone().unwrap_or_default();
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, (fen % 100).abs());
    report
        .disputes
        .iter()
        .map(|d| {
            let wage = d.wage_arrears.clone();
            [
                report.date.clone(),
                report.unit_id.clone(),
                names.name(&report.unit_id).to_owned(),
                names.parent_names(&report.unit_id).join(" / "),
                report.revision.to_string(),
                stored.on_time.to_string(),
                for_machines(stored.accepted_at, policy),
                d.local_id.clone(),
                category_name(d.category),
                outcome_name(d.outcome),
                d.parties.to_string(),
                d.summary.clone(),
                d.case_id.clone(),
                wage.as_ref().map(|w| w.employer.clone()).unwrap_or_default(),
                wage.as_ref().map(|w| w.workers.to_string()).unwrap_or_default(),
                wage.as_ref().map(|w| yuan(w.amount_claimed_cents)).unwrap_or_default(),
                wage.as_ref().map(|w| yuan(w.amount_recovered_cents)).unwrap_or_default(),
                report.correction_reason.clone(),
            ]
        })
        .collect()
}

/// One report as a JSON object (a line of the JSON-lines export).
pub fn report_json(stored: &StoredDailyReport, policy: &TimePolicy) -> Value {
    let report = stored.report.clone().unwrap_or_default();
    json!({
        "date": report.date,
        "unit_id": report.unit_id,
        "revision": report.revision,
        "reporter": report.reporter,
        "zero": report.zero,
        "on_time": stored.on_time,
        "accepted_at": for_machines(stored.accepted_at, policy),
        "first_accepted_at": for_machines(stored.first_accepted_at, policy),
        "correction_reason": report.correction_reason,
        "disputes": disputes_json(&report.disputes),
    })
}

/// Disputes compactly: empty fields left out, categories and outcomes by
/// their short names, amounts in fen.
fn disputes_json(disputes: &[pb::Dispute]) -> Value {
    Value::Array(
        disputes
            .iter()
            .map(|d| {
                let mut object = serde_json::Map::new();
                object.insert("id".into(), d.local_id.clone().into());
                object.insert("category".into(), category_name(d.category).into());
                object.insert("outcome".into(), outcome_name(d.outcome).into());
                if d.parties > 0 {
                    object.insert("parties".into(), d.parties.into());
                }
                if !d.summary.is_empty() {
                    object.insert("summary".into(), d.summary.clone().into());
                }
                if !d.case_id.is_empty() {
                    object.insert("case_id".into(), d.case_id.clone().into());
                }
                if let Some(w) = &d.wage_arrears {
                    object.insert(
                        "wage_arrears".into(),
                        json!({
                            "employer": w.employer,
                            "workers": w.workers,
                            "claimed_cents": w.amount_claimed_cents,
                            "recovered_cents": w.amount_recovered_cents,
                        }),
                    );
                }
                Value::Object(object)
            })
            .collect(),
    )
}

/// A wire timestamp in the deployment's zone for programs
/// (`2026-11-27T17:42:10+08:00`); empty when unset or out of range.
fn for_machines(at: Option<prost_types::Timestamp>, policy: &TimePolicy) -> String {
    at.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map(|at| Moment::utc(at).in_zone(policy.zone).for_machines())
        .unwrap_or_default()
}

/// A dispute category by its identifier (`wage_arrears`); empty when unset,
/// the number when this version does not know it.
pub fn category_name(value: i32) -> String {
    wire_name(value, |v| DisputeCategory::from_wire(v, "category").map(|c| c.as_str()))
}

/// A dispute outcome by its identifier (`mediating`); as [`category_name`].
pub fn outcome_name(value: i32) -> String {
    wire_name(value, |v| DisputeOutcome::from_wire(v, "outcome").map(|o| o.as_str()))
}

fn wire_name<E>(value: i32, name: impl Fn(i32) -> Result<&'static str, E>) -> String {
    match name(value) {
        Ok(name) => name.to_owned(),
        Err(_) if value == 0 => String::new(),
        Err(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_starts_with_its_header_and_quotes_its_rows() {
        let start = csv_start(true);
        assert!(start.starts_with(BOM));
        assert_eq!(std::str::from_utf8(&start[3..]).unwrap(), format!("{}\n", CSV_HEADER.join(",")));
        assert!(csv_start(false).starts_with(b"date,unit_id,"));
        let stored = StoredDailyReport {
            report: Some(pb::DailyReport {
                unit_id: "410411001".into(),
                date: "2026-11-27".into(),
                revision: 1,
                reporter: "officer-7".into(),
                zero: true,
                disputes: Vec::new(),
                correction_reason: "a, b".into(),
            }),
            accepted_at: Some(prost_types::Timestamp { seconds: 1_795_000_000, nanos: 0 }),
            first_accepted_at: None,
            on_time: true,
        };
        let names = UnitNames::from_units([("410411", "湛河区", ""), ("410411001", "马庄街道", "410411")]);
        let lines = String::from_utf8(csv_reports(&[stored.clone(), stored], &TimePolicy::default(), &names))
            .unwrap();
        let lines: Vec<&str> = lines.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("2026-11-27,410411001,马庄街道,湛河区,1,officer-7,true,0,true,"));
        assert!(lines[0].ends_with(",,\"a, b\",[]"), "{}", lines[0]);
    }

    #[test]
    fn enums_by_name_or_number() {
        assert_eq!(category_name(0), "");
        assert_eq!(category_name(pb::DisputeCategory::Land.into()), "land");
        assert_eq!(category_name(99), "99");
        assert_eq!(outcome_name(pb::DisputeOutcome::Mediating.into()), "mediating");
    }
}
