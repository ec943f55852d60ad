//! The backend-independent half of applying a batch: given the stored heads
//! of the batch's keys, decide each submission with the domain's revision
//! rules and list the rows to write. The backends only read heads and write
//! what the plan says, in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use fengqiao_core::{Applied, Head, ReportKey, Revision, decide};

use crate::{ItemResult, Outcome, Submission};

/// A stored head as read for planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHead {
    pub revision: Revision,
    pub content_hash: [u8; 32],
    pub accepted_at: DateTime<Utc>,
    pub first_accepted_at: DateTime<Utc>,
}

/// A `reports` (head) row as read for planning.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeadRow {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    pub content_hash: Vec<u8>,
    pub accepted_at: DateTime<Utc>,
    pub first_accepted_at: DateTime<Utc>,
}

/// The heads read for a batch, by key.
pub fn heads_by_key(rows: Vec<HeadRow>) -> Result<HashMap<ReportKey, StoredHead>, crate::StoreError> {
    rows.into_iter()
        .map(|row| {
            let unit_id = fengqiao_core::UnitId::parse(&row.unit_id)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            let head = StoredHead {
                revision: revision_from_column(row.revision)?,
                content_hash: hash_from_column(&row.content_hash)?,
                accepted_at: row.accepted_at,
                first_accepted_at: row.first_accepted_at,
            };
            Ok((ReportKey { unit_id, date: row.report_date }, head))
        })
        .collect()
}

/// A `report_revisions` row as read back, with its head's
/// `first_accepted_at`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevisionRow {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    pub reporter: String,
    pub disputes: String,
    pub correction_reason: Option<String>,
    pub accepted_at: DateTime<Utc>,
    pub first_accepted_at: DateTime<Utc>,
}

/// An outbox entry as read back, with the revision it points at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub revision: RevisionRow,
}

/// A history row as read back for `report_history`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub revision: i64,
    pub accepted_at: DateTime<Utc>,
    pub correction_reason: Option<String>,
    pub zero: bool,
    pub dispute_count: i64,
}

impl HistoryRow {
    pub fn into_meta(self) -> Result<crate::RevisionMeta, crate::StoreError> {
        Ok(crate::RevisionMeta {
            revision: revision_from_column(self.revision)?,
            accepted_at: self.accepted_at,
            correction_reason: self.correction_reason,
            zero: self.zero,
            dispute_count: u32::try_from(self.dispute_count)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        })
    }
}

/// A revision to insert into the history.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    pub reporter: String,
    pub zero: bool,
    pub dispute_count: i64,
    pub disputes: String,
    pub correction_reason: Option<String>,
    pub content_hash: Vec<u8>,
    pub accepted_at: DateTime<Utc>,
}

/// A head to insert or overwrite.
#[derive(Debug, Clone)]
pub struct HeadWrite {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub revision: i64,
    pub content_hash: Vec<u8>,
    pub accepted_at: DateTime<Utc>,
    pub first_accepted_at: DateTime<Utc>,
}

/// What a batch does.
#[derive(Debug, Default)]
pub struct Plan {
    /// One per submission, in order.
    pub results: Vec<ItemResult>,
    /// History rows to insert.
    pub revisions: Vec<NewRevision>,
    /// Final heads of the keys the batch changed, one per key.
    pub heads: Vec<HeadWrite>,
}

/// Decides a batch in order against `heads` (the stored heads of its keys;
/// keys without a head are absent).
pub fn plan(batch: Vec<Submission>, mut heads: HashMap<ReportKey, StoredHead>) -> Plan {
    let mut plan = Plan { results: Vec::with_capacity(batch.len()), ..Plan::default() };
    let mut changed: Vec<ReportKey> = Vec::new();
    let mut changed_keys: HashSet<ReportKey> = HashSet::new();
    for submission in batch {
        let key = submission.report.key();
        let current = heads.get(&key).copied();
        let head = current.map(|h| Head { revision: h.revision, content_hash: h.content_hash });
        let applied = match decide(head.as_ref(), &submission.report, submission.source) {
            Ok(applied) => applied,
            Err(refusal) => {
                plan.results.push(Err(refusal));
                continue;
            }
        };
        if applied == Applied::Duplicate {
            let stored = current.expect("a duplicate has a head");
            plan.results.push(Ok(Outcome {
                applied,
                revision: stored.revision,
                accepted_at: stored.accepted_at,
                first_accepted_at: stored.first_accepted_at,
            }));
            continue;
        }
        // Timestamps are kept to the microsecond, the finest both backends store.
        let accepted_at = submission.accepted_at.trunc_subsecs(6);
        let first_accepted_at = match current {
            Some(stored) => stored.first_accepted_at,
            None => submission.first_accepted_at.map_or(accepted_at, |at| at.trunc_subsecs(6)),
        };
        let report = &submission.report;
        let content_hash = report.content_hash();
        plan.revisions.push(NewRevision {
            unit_id: key.unit_id.to_string(),
            report_date: key.date,
            revision: i64::from(report.revision().get()),
            reporter: report.reporter().to_owned(),
            zero: report.zero(),
            dispute_count: report.disputes().len() as i64,
            disputes: report.disputes_json(),
            correction_reason: report.correction_reason().map(str::to_owned),
            content_hash: content_hash.to_vec(),
            accepted_at,
        });
        heads.insert(
            key.clone(),
            StoredHead { revision: report.revision(), content_hash, accepted_at, first_accepted_at },
        );
        if changed_keys.insert(key.clone()) {
            changed.push(key);
        }
        plan.results.push(Ok(Outcome {
            applied,
            revision: report.revision(),
            accepted_at,
            first_accepted_at,
        }));
    }
    plan.heads = changed
        .into_iter()
        .map(|key| {
            let head = heads[&key];
            HeadWrite {
                unit_id: key.unit_id.to_string(),
                report_date: key.date,
                revision: i64::from(head.revision.get()),
                content_hash: head.content_hash.to_vec(),
                accepted_at: head.accepted_at,
                first_accepted_at: head.first_accepted_at,
            }
        })
        .collect();
    plan
}

/// Reads a stored hash column.
pub(crate) fn hash_from_column(bytes: &[u8]) -> Result<[u8; 32], crate::StoreError> {
    bytes.try_into().map_err(|_| crate::StoreError::Corrupt(format!("content hash of {} bytes", bytes.len())))
}

/// Reads a stored revision column.
pub(crate) fn revision_from_column(value: i64) -> Result<Revision, crate::StoreError> {
    u32::try_from(value)
        .ok()
        .and_then(|r| Revision::new(r).ok())
        .ok_or_else(|| crate::StoreError::Corrupt(format!("revision {value}")))
}

/// A `units` row as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredUnitRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub tier: String,
    pub name: String,
    pub reporting: bool,
    pub active_from: Option<NaiveDate>,
    pub active_to: Option<NaiveDate>,
    pub moves: String,
}

/// A `units` row to write.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub tier: &'static str,
    pub name: String,
    pub reporting: bool,
    pub active_from: Option<NaiveDate>,
    pub active_to: Option<NaiveDate>,
    pub moves: String,
}

/// A dated closure row: `ancestor` was an ancestor of `unit` at `depth` from
/// `valid_from` (inclusive) to `valid_to` (exclusive); `None` is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureRow {
    pub ancestor: String,
    pub unit: String,
    pub depth: i64,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// The rows that represent a tree: its units and its closure table
/// `(ancestor, unit, depth)`, the unit itself included at depth 0.
pub fn tree_rows(tree: &fengqiao_core::UnitTree) -> (Vec<UnitRow>, Vec<ClosureRow>) {
    // Between two move dates every unit has one chain of ancestors: compute
    // the chain per period and merge the periods where an ancestor stays.
    let dates = tree.move_dates();
    let periods: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = std::iter::once(None)
        .chain(dates.iter().copied().map(Some))
        .zip(dates.iter().copied().map(Some).chain(std::iter::once(None)))
        .collect();
    let units = tree.units();
    let mut closure = Vec::with_capacity(units.len() * 4);
    let rows = units
        .iter()
        .map(|unit| {
            let mut open: Vec<ClosureRow> = Vec::new();
            for &(from, to) in &periods {
                // A day inside the period: its first day, or the day before the first move.
                let day = from.or_else(|| to.and_then(|t| t.pred_opt())).unwrap_or(NaiveDate::MIN);
                let ancestors = tree.ancestors_on(unit.id.as_str(), day);
                let depth = ancestors.len() as i64;
                let chain = ancestors
                    .iter()
                    .enumerate()
                    .map(|(level, a)| (a.id.to_string(), depth - level as i64))
                    .chain(std::iter::once((unit.id.to_string(), 0)));
                for (ancestor, depth) in chain {
                    match open
                        .iter_mut()
                        .find(|r| r.ancestor == ancestor && r.depth == depth && r.valid_to == from)
                    {
                        Some(row) => row.valid_to = to,
                        None => open.push(ClosureRow {
                            ancestor,
                            unit: unit.id.to_string(),
                            depth,
                            valid_from: from,
                            valid_to: to,
                        }),
                    }
                }
            }
            closure.extend(open);
            UnitRow {
                id: unit.id.to_string(),
                parent_id: unit.parent.as_ref().map(ToString::to_string),
                tier: unit.tier.as_str(),
                name: unit.name.clone(),
                reporting: unit.reporting,
                active_from: unit.active_from,
                active_to: unit.active_to,
                moves: fengqiao_core::unit::format_moves(&unit.moves),
            }
        })
        .collect();
    (rows, closure)
}
