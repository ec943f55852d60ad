//! The backend-independent half of applying a batch: given the stored heads
//! of the batch's keys, decide each submission with the domain's revision
//! rules and list the rows to write. The backends only read heads and write
//! what the plan says, in one transaction.

use fengqiao_core::why;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use fengqiao_core::report::parse_disputes_json;
use fengqiao_core::tally::employer_key;
use fengqiao_core::{Applied, Dispute, DomainError, Head, ReportKey, Revision, Tally, TimePolicy, decide};

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
    /// The head revision's disputes (to take its tally out of the rollups
    /// when a correction replaces it).
    pub disputes: String,
}

/// The heads read for a batch, by key, with the head revisions' disputes.
#[derive(Debug, Default)]
pub struct Heads {
    pub heads: HashMap<ReportKey, StoredHead>,
    pub disputes: HashMap<ReportKey, String>,
}

/// The heads read for a batch, by key.
pub fn heads_by_key(rows: Vec<HeadRow>) -> Result<Heads, crate::StoreError> {
    let mut out = Heads::default();
    for row in rows {
        let unit_id = fengqiao_core::UnitId::parse(&row.unit_id)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let head = StoredHead {
            revision: revision_from_column(row.revision)?,
            content_hash: hash_from_column(&row.content_hash)?,
            accepted_at: row.accepted_at,
            first_accepted_at: row.first_accepted_at,
        };
        let key = ReportKey { unit_id, date: row.report_date };
        out.disputes.insert(key.clone(), row.disputes);
        out.heads.insert(key, head);
    }
    Ok(out)
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
    /// For the outbox entry: the trace context it was accepted under.
    pub trace_parent: Option<String>,
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
    /// Per changed key: new tally less the replaced head's, to add to the
    /// unit's and every ancestor's day and week rollups.
    pub rollups: Rollups,
}

/// Rollup changes: tally deltas per (unit, date), and changes to how many
/// current reports of a (unit, date) name each employer (for distinct
/// counts: an employer counts over a period while some report names it).
#[derive(Debug, Default)]
pub struct Rollups {
    pub deltas: Vec<RollupDelta>,
    /// (unit, date, employer key, change in reports naming it), never 0.
    pub employers: Vec<(String, NaiveDate, String, i64)>,
}

/// A change to the rollups of a (unit, date) and its ancestors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupDelta {
    pub unit_id: String,
    pub date: NaiveDate,
    pub tally: Tally,
}

impl Rollups {
    /// Adds a stored report (a rebuild's input).
    pub fn add(
        &mut self,
        unit_id: &str,
        date: NaiveDate,
        disputes: &[Dispute],
        first_accepted_at: DateTime<Utc>,
        policy: &TimePolicy,
    ) {
        let on_time = policy.is_on_time(date, first_accepted_at);
        self.deltas.push(RollupDelta {
            unit_id: unit_id.to_owned(),
            date,
            tally: Tally::of_disputes(disputes, on_time),
        });
        self.employers
            .extend(employers(disputes).into_iter().map(|employer| (unit_id.to_owned(), date, employer, 1)));
    }
}

/// A current report as a rebuild reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TallyRow {
    pub unit_id: String,
    pub report_date: NaiveDate,
    pub first_accepted_at: DateTime<Utc>,
    pub disputes: String,
}

/// The rollups of a page of current reports.
pub fn rollups_of(rows: &[TallyRow], policy: &TimePolicy) -> Result<Rollups, crate::StoreError> {
    let mut rollups = Rollups::default();
    for row in rows {
        let disputes = parse_disputes_json(&row.disputes).map_err(|e| {
            crate::StoreError::Corrupt(format!("report {}@{}: {e}", row.unit_id, row.report_date))
        })?;
        rollups.add(&row.unit_id, row.report_date, &disputes, row.first_accepted_at, policy);
    }
    Ok(rollups)
}

/// Reads `(unit, first_accepted_at)` rows.
pub fn parse_received(
    rows: Vec<(String, DateTime<Utc>)>,
) -> Result<Vec<(fengqiao_core::UnitId, DateTime<Utc>)>, crate::StoreError> {
    rows.into_iter()
        .map(|(unit, at)| {
            let unit =
                fengqiao_core::UnitId::parse(&unit).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            Ok((unit, at))
        })
        .collect()
}

/// The distinct employer keys of a report's wage-arrears disputes.
fn employers(disputes: &[Dispute]) -> Vec<String> {
    let mut keys: Vec<String> =
        disputes.iter().filter_map(|d| d.wage_arrears()).map(|w| employer_key(w.employer())).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Decides a batch in order against `heads` (the stored heads of its keys;
/// keys without a head are absent); timeliness is judged with `policy`.
pub fn plan(batch: Vec<Submission>, read: Heads, policy: &TimePolicy) -> Result<Plan, crate::StoreError> {
    let Heads { mut heads, disputes: old_disputes } = read;
    let mut plan = Plan { results: Vec::with_capacity(batch.len()), ..Plan::default() };
    let mut final_disputes: HashMap<ReportKey, Vec<Dispute>> = HashMap::new();
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
        // A forwarded revision of a report held here cannot have been first
        // accepted earlier than the first revision that arrived: corrections
        // keep the first acceptance, so an earlier one is back-dated.
        if let (Some(stored), Some(claimed)) = (current, submission.first_accepted_at)
            && claimed.trunc_subsecs(6) < stored.first_accepted_at
        {
            plan.results.push(Err(DomainError::invalid(
                "first_accepted_at",
                why!(EARLIER_THAN_FIRST_ACCEPTANCE_HELD_HERE, "{claimed} is earlier than the first acceptance held here for {unit}@{date} ({first_accepted_at}): back-dated", claimed = claimed.trunc_subsecs(6), unit = key.unit_id, date = key.date, first_accepted_at = stored.first_accepted_at),
            )));
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
            trace_parent: submission.trace_parent.clone(),
        });
        heads.insert(
            key.clone(),
            StoredHead { revision: report.revision(), content_hash, accepted_at, first_accepted_at },
        );
        final_disputes.insert(key.clone(), report.disputes().to_vec());
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
    for key in &changed {
        let head = heads[key];
        let unit_id = key.unit_id.as_str();
        let mut tally = Tally::default();
        let mut named: HashMap<String, i64> = HashMap::new();
        if let Some(old) = old_disputes.get(key) {
            let old = parse_disputes_json(old)
                .map_err(|e| crate::StoreError::Corrupt(format!("report {unit_id}@{}: {e}", key.date)))?;
            tally -= Tally::of_disputes(&old, policy.is_on_time(key.date, head.first_accepted_at));
            for employer in employers(&old) {
                *named.entry(employer).or_default() -= 1;
            }
        }
        let mut added = Rollups::default();
        added.add(unit_id, key.date, &final_disputes[key], head.first_accepted_at, policy);
        tally += added.deltas[0].tally;
        for (_, _, employer, n) in added.employers {
            *named.entry(employer).or_default() += n;
        }
        let mut named: Vec<(String, i64)> = named.into_iter().filter(|(_, n)| *n != 0).collect();
        named.sort_unstable();
        plan.rollups
            .employers
            .extend(named.into_iter().map(|(employer, n)| (unit_id.to_owned(), key.date, employer, n)));
        if !tally.is_empty() {
            plan.rollups.deltas.push(RollupDelta { unit_id: unit_id.to_owned(), date: key.date, tally });
        }
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
    Ok(plan)
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

/// The rows that represent a tree: its units and its dated closure table
/// (the unit itself included at depth 0).
pub fn tree_rows(tree: &fengqiao_core::UnitTree) -> (Vec<UnitRow>, Vec<fengqiao_core::coverage::Span>) {
    let rows = tree
        .units()
        .into_iter()
        .map(|unit| UnitRow {
            id: unit.id.to_string(),
            parent_id: unit.parent.as_ref().map(ToString::to_string),
            tier: unit.tier.as_str(),
            name: unit.name.clone(),
            reporting: unit.reporting,
            active_from: unit.active_from,
            active_to: unit.active_to,
            moves: fengqiao_core::unit::format_moves(&unit.moves),
        })
        .collect();
    (rows, fengqiao_core::coverage::closure(tree))
}
