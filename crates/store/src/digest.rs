//! The digests of reconciliation (anti-entropy between tiers): kept in the
//! transaction that changes what they digest, read back per root and
//! period, and the items behind them listed per day.
//!
//! A node keeps digests only for its *digest roots*: its home unit (the
//! subtree it compares with its parent) and each child node's unit (the
//! subtree that child compares with it). Per root they are kept per day,
//! per ISO week and for all time (tables of migration `0013_digests`), each
//! row the [`Digests`] of the current report heads and the case events of
//! the root's subtree on those days, as the dated closure places each item's
//! unit on the item's day. So a comparison reads one all-time row, then the
//! weeks and days only where it differs — a handful of rows whatever the
//! history — and a write touches at most (roots above the item) × 3 rows.
//!
//! Deltas are fanned out like the rollups' (the `fanout` module): each to the
//! roots above its unit on its day, in Rust, summed per (root, day), (root,
//! week) and root, each hash reduced to `[0, 2^48)`; the writers upsert the
//! summed rows, reducing modulo 2^48 again. A sum of two hashes below 2^48
//! cannot overflow a `BIGINT`.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::NaiveDate;
use fengqiao_core::case::CaseId;
use fengqiao_core::reconcile::{
    Digest, Digests, HASH_MODULUS, HeldCaseEvent, HeldReport, case_event_content_hash, case_event_item_hash,
    report_item_hash,
};
use fengqiao_core::{ReportKey, Revision, UnitId, UnitTree};

use crate::StoreError;
use crate::plan::{self, HeadWrite};

/// The `node_meta` key of the basis the digests were built on.
pub const BASIS_KEY: &str = "digest_basis";

/// Which per-period digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestLevel {
    /// `digest_day`, keyed by the day.
    Day,
    /// `digest_week`, keyed by the ISO week's Monday.
    Week,
}

/// What [`Reconciliation::requeue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requeued {
    /// Entries added to the outbox.
    pub queued: u64,
    /// Items already waiting in the outbox (not added again).
    pub already_queued: u64,
    /// Items the parent refused before, set aside here for the operator
    /// (`uplink_set_aside`): sending them again would only be refused again.
    pub set_aside: u64,
}

/// The change one applied batch makes to the digests of a (unit, day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestDelta {
    pub unit_id: String,
    pub day: NaiveDate,
    pub digests: Digests,
}

/// What the digest roots and the dated closure were when the digests were
/// built: a tree change that moves a unit, or another set of child nodes,
/// makes the node rebuild them.
pub fn basis(tree: &UnitTree, roots: &[UnitId]) -> String {
    use sha2::Digest as _;
    let mut spans: Vec<String> = fengqiao_core::coverage::closure(tree)
        .iter()
        .map(|s| format!("{}>{}@{:?}..{:?}", s.ancestor, s.unit, s.from, s.to))
        .collect();
    spans.sort_unstable();
    let mut roots: Vec<&str> = roots.iter().map(UnitId::as_str).collect();
    roots.sort_unstable();
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"fengqiao.digests.v1\n");
    hasher.update(roots.join(",").as_bytes());
    hasher.update(b"\n");
    for span in &spans {
        hasher.update(span.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The stored heads of a batch's keys before it applies (revision and
/// content hash), to take the replaced heads out of the digests.
pub(crate) type HeadsBefore = HashMap<ReportKey, (Revision, [u8; 32])>;

pub(crate) fn heads_before(heads: &plan::Heads) -> HeadsBefore {
    heads.heads.iter().map(|(key, head)| (key.clone(), (head.revision, head.content_hash))).collect()
}

/// The digest deltas of a planned batch: each written head in, the head it
/// replaced (if any) out.
pub(crate) fn report_deltas(
    before: &HeadsBefore,
    heads: &[HeadWrite],
) -> Result<Vec<DigestDelta>, StoreError> {
    heads
        .iter()
        .map(|head| {
            let unit_id = UnitId::parse(&head.unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let revision = plan::revision_from_column(head.revision)?;
            let content_hash = plan::hash_from_column(&head.content_hash)?;
            let key = ReportKey { unit_id, date: head.report_date };
            let mut reports = Digest::default();
            if let Some((old_revision, old_hash)) = before.get(&key) {
                reports.remove(report_item_hash(&key.unit_id, key.date, *old_revision, old_hash));
            }
            reports.insert(report_item_hash(&key.unit_id, key.date, revision, &content_hash));
            Ok(DigestDelta {
                unit_id: head.unit_id.clone(),
                day: head.report_date,
                digests: Digests { reports, case_events: Digest::default() },
            })
        })
        .collect()
}

/// A stored case event as the digests see it: its case, sequence, unit,
/// day and stored body.
pub(crate) struct EventItem<'a> {
    pub case_id: &'a str,
    pub seq: i64,
    pub unit_id: &'a str,
    pub day: NaiveDate,
    pub body: &'a str,
}

/// The digest deltas of newly stored case events, one per (unit, day).
pub(crate) fn case_event_deltas<'a>(
    events: impl IntoIterator<Item = EventItem<'a>>,
) -> Result<Vec<DigestDelta>, StoreError> {
    let mut by_day: BTreeMap<(String, NaiveDate), Digest> = BTreeMap::new();
    for event in events {
        let case_id = CaseId::parse(event.case_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let seq = u32::try_from(event.seq).map_err(|_| {
            StoreError::Corrupt(format!("case {} event sequence {}", event.case_id, event.seq))
        })?;
        let hash = case_event_item_hash(&case_id, seq, &case_event_content_hash(event.body));
        by_day.entry((event.unit_id.to_owned(), event.day)).or_default().insert(hash);
    }
    Ok(by_day
        .into_iter()
        .map(|((unit_id, day), case_events)| DigestDelta {
            unit_id,
            day,
            digests: Digests { reports: Digest::default(), case_events },
        })
        .collect())
}

/// Stored digest columns (signed in SQL, always in `[0, 2^48)`).
pub(crate) fn digests_from_columns(
    reports: i64,
    report_hash: i64,
    case_events: i64,
    case_event_hash: i64,
) -> Result<Digests, StoreError> {
    let unsigned = |value: i64, what: &str| {
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("digest {what} {value}")))
    };
    Ok(Digests {
        reports: Digest::new(unsigned(reports, "reports")?, unsigned(report_hash, "report hash")?),
        case_events: Digest::new(
            unsigned(case_events, "case events")?,
            unsigned(case_event_hash, "case event hash")?,
        ),
    })
}

/// The digest tables: name and period key column (none for all time).
pub(crate) const LEVELS: [(&str, Option<&str>); 3] =
    [("digest_day", Some("day")), ("digest_week", Some("week_start")), ("digest_total", None)];

/// The upsert of summed rows `select`ed as (unit, [period,] reports,
/// report_hash, case_events, case_event_hash) into level `level`'s table.
pub(crate) fn upsert(level: usize, select: &str) -> String {
    let (table, key) = LEVELS[level];
    let key = key.map_or(String::new(), |column| format!(", {column}"));
    format!(
        "INSERT INTO {table} (unit_id{key}, reports, report_hash, case_events, case_event_hash) {select} \
         ON CONFLICT (unit_id{key}) DO UPDATE SET reports = {table}.reports + excluded.reports, \
         report_hash = ({table}.report_hash + excluded.report_hash) % {m}, \
         case_events = {table}.case_events + excluded.case_events, \
         case_event_hash = ({table}.case_event_hash + excluded.case_event_hash) % {m}",
        m = HASH_MODULUS,
    )
}

/// Report heads and case events read per page when digests are rebuilt.
const REBUILD_PAGE: i64 = 5000;

/// What reconciliation needs of a store: the digests, the items behind a
/// day's digests, and queuing items for the parent again. Every [`Store`]
/// has it.
///
/// [`Store`]: crate::Store
#[async_trait]
pub trait Reconciliation {
    /// Makes the digests those of `roots` under `basis` (see [`basis`]):
    /// when the stored basis differs (first start, a tree change that moved
    /// a unit, other child nodes), rebuilds every digest from the stored
    /// report heads and case events in one transaction. Returns whether it
    /// rebuilt.
    async fn ensure_digests(&self, basis: &str, roots: &[UnitId]) -> Result<bool, StoreError>;

    /// The all-time digests of a root's subtree.
    async fn digest_total(&self, root: &UnitId) -> Result<Digests, StoreError>;

    /// A root's digests per day (or week, by its Monday) in `[from, to]`,
    /// in order, at most `limit`; periods without a row are absent.
    async fn digests(
        &self,
        level: DigestLevel,
        root: &UnitId,
        from: NaiveDate,
        to: NaiveDate,
        limit: u32,
    ) -> Result<Vec<(NaiveDate, Digests)>, StoreError>;

    /// The current report heads of `root`'s subtree (as on `day`) dated
    /// `day`, by unit id, after `after`, at most `limit`.
    async fn held_reports(
        &self,
        root: &UnitId,
        day: NaiveDate,
        after: Option<&UnitId>,
        limit: u32,
    ) -> Result<Vec<HeldReport>, StoreError>;

    /// The case events of `day` written by units of `root`'s subtree (as on
    /// `day`), by (case id, sequence), after `after`, at most `limit`.
    async fn held_case_events(
        &self,
        root: &UnitId,
        day: NaiveDate,
        after: Option<(&CaseId, u32)>,
        limit: u32,
    ) -> Result<Vec<HeldCaseEvent>, StoreError>;

    /// Queues again for the parent the given report revisions of `day` and
    /// case events, unless already waiting in the outbox or set aside after
    /// the parent refused them; one transaction.
    async fn requeue(
        &self,
        day: NaiveDate,
        reports: &[HeldReport],
        case_events: &[HeldCaseEvent],
    ) -> Result<Requeued, StoreError>;
}

/// Rows per page of a rebuild.
pub(crate) fn rebuild_page() -> i64 {
    REBUILD_PAGE
}

/// A day before every report (the first a date column holds on both
/// backends), to page from.
pub(crate) fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date")
}

/// The deltas of a page of stored heads `(unit, date, revision, content hash)`.
pub(crate) fn head_rows_deltas(
    rows: &[(String, NaiveDate, i64, Vec<u8>)],
) -> Result<Vec<DigestDelta>, StoreError> {
    let heads: Vec<HeadWrite> = rows
        .iter()
        .map(|(unit_id, date, revision, content_hash)| HeadWrite {
            unit_id: unit_id.clone(),
            report_date: *date,
            revision: *revision,
            content_hash: content_hash.clone(),
            accepted_at: chrono::DateTime::UNIX_EPOCH,
            first_accepted_at: chrono::DateTime::UNIX_EPOCH,
        })
        .collect();
    report_deltas(&HeadsBefore::new(), &heads)
}

/// A `(unit, revision, content hash)` row.
pub(crate) fn held_report(
    (unit_id, revision, content_hash): (String, i64, Vec<u8>),
) -> Result<HeldReport, StoreError> {
    Ok(HeldReport {
        unit_id: UnitId::parse(&unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        revision: plan::revision_from_column(revision)?,
        content_hash: plan::hash_from_column(&content_hash)?,
    })
}

/// A `(case, seq, unit, body)` row.
pub(crate) fn held_case_event(
    (case_id, seq, unit_id, body): (String, i64, String, String),
) -> Result<HeldCaseEvent, StoreError> {
    Ok(HeldCaseEvent {
        case_id: CaseId::parse(&case_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        seq: u32::try_from(seq)
            .map_err(|_| StoreError::Corrupt(format!("case {case_id} event sequence {seq}")))?,
        unit_id: UnitId::parse(&unit_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        content_hash: case_event_content_hash(&body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_name_every_level_and_reduce() {
        use crate::postgres::writes::{DIGEST_PARAMS as PG_PARAMS, DIGEST_WRITE as PG_WRITE};
        use crate::sqlite::writes::DIGEST_UPSERTS as SQLITE_UPSERTS;
        assert!(SQLITE_UPSERTS[0].starts_with("INSERT INTO digest_day (unit_id, day,"));
        assert!(SQLITE_UPSERTS[2].starts_with("INSERT INTO digest_total (unit_id, reports"));
        assert!(PG_WRITE.starts_with("WITH digest_days AS (INSERT INTO digest_day"));
        assert!(PG_WRITE.contains("INSERT INTO digest_total"));
        assert!(PG_WRITE.contains(&format!("${}::bigint[]", PG_PARAMS)));
        assert!(!PG_WRITE.contains(&format!("${}", PG_PARAMS + 1)));
        assert!(SQLITE_UPSERTS.iter().all(|sql| sql.contains(&format!("% {HASH_MODULUS}"))));
    }

    #[test]
    fn a_correction_moves_the_digest_by_the_difference_of_the_heads() {
        let unit = UnitId::parse("u1").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (r1, r2) = (Revision::new(1).unwrap(), Revision::new(2).unwrap());
        let before: HeadsBefore = [(ReportKey { unit_id: unit.clone(), date: day }, (r1, [1; 32]))].into();
        let head = HeadWrite {
            unit_id: "u1".into(),
            report_date: day,
            revision: 2,
            content_hash: vec![2; 32],
            accepted_at: chrono::DateTime::UNIX_EPOCH,
            first_accepted_at: chrono::DateTime::UNIX_EPOCH,
        };
        let deltas = report_deltas(&before, std::slice::from_ref(&head)).unwrap();
        let mut stored = Digest::of([report_item_hash(&unit, day, r1, &[1; 32])]);
        stored += deltas[0].digests.reports;
        assert_eq!(stored, Digest::of([report_item_hash(&unit, day, r2, &[2; 32])]));
        let new = report_deltas(&HeadsBefore::new(), &[head]).unwrap();
        assert_eq!(new[0].digests.reports.items, 1);
    }
}
